/**
 * VFIO assignment of a device's MSI-X structures (thread 004): where the table and the PBA sit in their
 * BARs, whether the host can map them page by page, and whether the VMM sees (and can emulate) masking.
 *
 * - The table is 16 bytes per entry; the PBA is ceil(n/64) qwords (ROUTING.md §7). The Table / PBA Offset
 *   registers hold QWORD-aligned offsets (bits 2:0 are the BIR).
 * - VFIO maps a BAR page by page (4 KiB, 64 KiB on ppc64 hosts). A page that holds part of the table is
 *   trapped unless VFIO_REGION_INFO_CAP_MSIX_MAPPABLE lets the VMM map it straight through; when trapped,
 *   other registers in the same page trap too (a performance cost); when mapped, the VMM never sees the
 *   guest's Vector Control writes and cannot emulate masking (QEMU relies on it). On pseries the guest
 *   never touches the table (RTAS programs it), so mapping it is what MSIX_MAPPABLE was made for.
 */
import { hex } from '../bits.js';
import { makeFinding } from '../diagnostics.js';
import type { Device, Machine, VfioAssignment } from '../model.js';
import type { Finding } from '../trace.js';
import { MSIX_ENTRY_SIZE } from './msix.js';

export const VFIO_DEFAULT_PAGE_SIZE = 4096;
export const VFIO_PPC64_PAGE_SIZE = 65536;
/** The smallest host page VFIO maps a BAR with (PAGE_SIZE of an x86 host; the rule below). */
export const VFIO_MIN_PAGE_SIZE = VFIO_DEFAULT_PAGE_SIZE;

/**
 * Whether `pageSize` can be the host page VFIO maps a BAR with: a power of two of at least 4 KiB. Every
 * host Linux runs VFIO on has PAGE_SIZE = 1 << PAGE_SHIFT with PAGE_SHIFT ≥ 12 (x86: 4 KiB; ppc64: 4 or
 * 64 KiB; arm64: 4, 16 or 64 KiB), and the VMM carves the trapped MSI-X pages out of the BAR's mmap with
 * that page as a mask (qemu hw/vfio/pci.c vfio_pci_fixup_msix_region: `table_offset &
 * qemu_real_host_page_mask()`, REAL_HOST_PAGE_ALIGN of the table's end). msixLayout() rounds the same way,
 * so a size that breaks the rule has no meaning there (and 0 would divide by zero).
 */
export function isVfioPageSize(pageSize: number | bigint): boolean {
    // BigInt() throws on a fraction; no fraction is a page.
    if (typeof pageSize === 'number' && !Number.isSafeInteger(pageSize)) return false;
    const p = BigInt(pageSize);
    return p >= BigInt(VFIO_MIN_PAGE_SIZE) && (p & (p - 1n)) === 0n;
}

/**
 * The page-size rule as a message for the author, or undefined when `pageSize` is a valid host page.
 * `written` is how the file wrote the value (the language passes the literal's text), so the message
 * quotes it as the author typed it.
 */
export function vfioPageSizeProblem(pageSize: number | bigint, written: string = String(pageSize)): string | undefined {
    if (isVfioPageSize(pageSize)) return undefined;
    return `A host page is a power of two of at least 4096 bytes (4 KiB, or 64 KiB on ppc64 hosts); ${written} is not.`;
}

/** Size in bytes of an MSI-X table of n entries. */
export function msixTableBytes(n: number): number {
    return n * MSIX_ENTRY_SIZE;
}

/** Size in bytes of the PBA of n entries: ceil(n/64) qwords. */
export function msixPbaBytes(n: number): number {
    return Math.ceil(n / 64) * 8;
}

export function vfioPageSize(machine: Machine, v: VfioAssignment): number {
    return v.pageSize ?? (machine.arch === 'ppc64' ? VFIO_PPC64_PAGE_SIZE : VFIO_DEFAULT_PAGE_SIZE);
}

export interface MsixLayout {
    page: bigint;
    table: { start: bigint; end: bigint };
    pba: { start: bigint; end: bigint; bar: number };
    sameBar: boolean;
    tableAligned: boolean;
    pbaAligned: boolean;
    overlap: boolean;
    /** Bytes of the table's pages that are not table (nor PBA): other registers that trap with it. */
    sharedBytes: bigint;
}

/** Where the table and PBA of an n-entry MSI-X capability sit, and what shares their pages. */
export function msixLayout(v: VfioAssignment, n: number, pageSize: number): MsixLayout {
    const page = BigInt(pageSize);
    const table = { start: v.tableOffset, end: v.tableOffset + BigInt(msixTableBytes(n)) };
    const pbaBar = v.pbaBar ?? v.msixBar;
    const pba = { start: v.pbaOffset, end: v.pbaOffset + BigInt(msixPbaBytes(n)), bar: pbaBar };
    const sameBar = pbaBar === v.msixBar;
    const overlap = sameBar && table.start < pba.end && pba.start < table.end;
    const firstPage = (table.start / page) * page;
    let lastPage = ((table.end + page - 1n) / page) * page;
    if (v.barSize !== undefined && lastPage > v.barSize) lastPage = v.barSize > table.end ? v.barSize : table.end;
    let shared = lastPage - firstPage - (table.end - table.start);
    if (sameBar && !overlap) {
        // The PBA in the same pages is trapped with the table: not "other registers".
        const s = pba.start > firstPage ? pba.start : firstPage;
        const e = pba.end < lastPage ? pba.end : lastPage;
        if (e > s) shared -= e - s;
    }
    return {
        page,
        table,
        pba,
        sameBar,
        tableAligned: table.start % page === 0n,
        pbaAligned: pba.start % page === 0n,
        overlap,
        sharedBytes: shared > 0n ? shared : 0n,
    };
}

/** The VFIO checks of one device (thread 004). */
export function vfioFindings(machine: Machine, device: Device): Finding[] {
    const v = device.vfio;
    const out: Finding[] = [];
    if (!v || !device.msix) return out;
    const n = device.msix.tableSize;
    // A page size that breaks the rule (vfioPageSizeProblem; the language reports it as invalid-value) is
    // no page: the checks that round with it are skipped rather than restating that error in a confusing
    // form (a "5.859375 KiB page") or dividing by a page of 0. The layout is taken with the default page
    // only for what does not depend on it (bounds, overlap).
    const pageOk = isVfioPageSize(vfioPageSize(machine, v));
    const pageSize = pageOk ? vfioPageSize(machine, v) : VFIO_DEFAULT_PAGE_SIZE;
    const L = msixLayout(v, n, pageSize);
    const kib = pageSize >= 1024 ? `${pageSize / 1024} KiB` : `${pageSize} B`;
    const ref = (property: string) => ({ id: v.id, property });
    const tableText = `table ${hex(L.table.start)}..${hex(L.table.end - 1n)} (${n} × 16 bytes) of BAR ${v.msixBar}`;
    const pbaText = `PBA ${hex(L.pba.start)}..${hex(L.pba.end - 1n)} (${msixPbaBytes(n)} bytes) of BAR ${L.pba.bar}`;

    for (const [what, off, prop, end] of [
        ['table', v.tableOffset, 'tableOffset', L.table.end],
        ['PBA', v.pbaOffset, 'pbaOffset', L.pba.end],
    ] as const) {
        if (off % 8n !== 0n) {
            out.push(makeFinding('vfio-msix-outside-bar', `${device.name}: the MSI-X ${what} offset ${hex(off)} is not QWORD aligned; bits 2:0 of the offset register are the BIR, so the device cannot express it. Use a multiple of 8.`, ref(prop)));
        } else if (v.barSize !== undefined && end > v.barSize && (what === 'table' || L.sameBar)) {
            out.push(
                makeFinding(
                    'vfio-msix-outside-bar',
                    `${device.name}: the MSI-X ${what} ends at ${hex(end)}, past the end of BAR ${what === 'table' ? v.msixBar : L.pba.bar} (${hex(v.barSize)} bytes); move it inside the BAR or enlarge the BAR.`,
                    ref(prop),
                    [{ element: ref('barSize'), message: `BAR ${v.msixBar} is ${hex(v.barSize)} bytes` }],
                ),
            );
        }
    }
    if (L.overlap) {
        out.push(
            makeFinding(
                'vfio-table-pba-overlap',
                `${device.name}: the MSI-X ${tableText} overlaps the ${pbaText}; they must not share bytes. Move the PBA to ${hex(((L.table.end + 7n) / 8n) * 8n)} or beyond${pageOk ? ` (or to its own page: ${hex(((L.table.end + L.page - 1n) / L.page) * L.page)})` : ''}.`,
                ref('pbaOffset'),
                [{ element: ref('tableOffset'), message: tableText }],
            ),
        );
    }
    if (pageOk && !L.tableAligned) {
        out.push(
            makeFinding(
                'vfio-table-not-page-aligned',
                `${device.name}: the MSI-X table at ${hex(v.tableOffset)} of BAR ${v.msixBar} does not start on a ${kib} host page, so its first page also holds other registers: ${v.mmap ? 'they are mapped straight through with the table' : 'VFIO traps them with the table (every access exits to the VMM)'}. Place the table at a multiple of ${hex(pageSize)}.`,
                ref('tableOffset'),
            ),
        );
    }
    if (pageOk && !L.pbaAligned && !(L.sameBar && L.pba.start >= L.table.start && L.pba.start < ((L.table.end + L.page - 1n) / L.page) * L.page)) {
        // A PBA inside the table's last page shares it only with the table: no separate warning.
        out.push(
            makeFinding(
                'vfio-pba-not-page-aligned',
                `${device.name}: the MSI-X PBA at ${hex(v.pbaOffset)} of BAR ${L.pba.bar} does not start on a ${kib} host page, so its page also holds other registers that VFIO traps with it. Place the PBA at a multiple of ${hex(pageSize)} (or in the table's last page).`,
                ref('pbaOffset'),
            ),
        );
    }
    if (v.mmap && machine.arch !== 'ppc64') {
        const masked = device.msix.entries.filter((e) => e.masked).map((e) => e.index);
        out.push(
            makeFinding(
                'vfio-mask-not-emulated',
                `${device.name}: the MSI-X table is mapped straight through to the guest (MSIX_MAPPABLE), so the VMM never sees its Vector Control writes and cannot emulate masking or the PBA${masked.length ? ` — the guest's masks of entr${masked.length === 1 ? 'y' : 'ies'} ${masked.join(', ')} are not seen` : ''}${device.msix.functionMask ? ' — nor the function mask' : ''}. Trap the table (\`shared-page\` / no mmap), as QEMU expects for masking to work.`,
                ref('mmap'),
            ),
        );
    } else if (pageOk && !v.mmap && L.tableAligned && L.sharedBytes > 0n) {
        out.push(
            makeFinding(
                'vfio-table-shares-page',
                `${device.name}: the trapped MSI-X table shares its ${kib} page(s) with ${hex(L.sharedBytes)} bytes of other registers of BAR ${v.msixBar}; accesses to them trap too, a performance cost. Give the table its own page(s), or let VFIO map it (MSIX_MAPPABLE) if masking need not be emulated.`,
                ref('tableOffset'),
            ),
        );
    }
    return out;
}
