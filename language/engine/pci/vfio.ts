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
    const pageSize = vfioPageSize(machine, v);
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
                `${device.name}: the MSI-X ${tableText} overlaps the ${pbaText}; they must not share bytes. Move the PBA to ${hex(((L.table.end + 7n) / 8n) * 8n)} or beyond (or to its own page: ${hex(((L.table.end + L.page - 1n) / L.page) * L.page)}).`,
                ref('pbaOffset'),
                [{ element: ref('tableOffset'), message: tableText }],
            ),
        );
    }
    if (!L.tableAligned) {
        out.push(
            makeFinding(
                'vfio-table-not-page-aligned',
                `${device.name}: the MSI-X table at ${hex(v.tableOffset)} of BAR ${v.msixBar} does not start on a ${kib} host page, so its first page also holds other registers: ${v.mmap ? 'they are mapped straight through with the table' : 'VFIO traps them with the table (every access exits to the VMM)'}. Place the table at a multiple of ${hex(pageSize)}.`,
                ref('tableOffset'),
            ),
        );
    }
    if (!L.pbaAligned && !(L.sameBar && L.pba.start >= L.table.start && L.pba.start < ((L.table.end + L.page - 1n) / L.page) * L.page)) {
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
    } else if (!v.mmap && L.tableAligned && L.sharedBytes > 0n) {
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
