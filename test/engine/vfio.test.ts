import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMachine, msixLayout, msixPbaBytes, msixTableBytes, type Finding, type Machine, type VfioAssignment } from '../../language/engine/index.js';
import { isVfioPageSize, vfioPageSizeProblem } from '../../language/engine/pci/vfio.js';
import { bus, device, entry, machine, msix, vfio } from './build.js';

const brief = (f: Finding) => ({ code: f.code, severity: f.severity, element: f.element });

const pci0 = bus('pci0', 0);
function gpu(v: Partial<VfioAssignment>, n = 64, o: { masked?: boolean; arch?: Machine['arch'] } = {}): Machine {
    const d = { ...device('gpu', '00:05.0', pci0, { msix: msix('gpu', n, [entry('gpu', 'msix', 0, 0xfee0_1000n, 0x41, o.masked ?? false)]) }), vfio: vfio('gpu', v) };
    return machine({ arch: o.arch ?? 'x86_64', buses: [pci0], devices: [d] });
}
const vfioFindings = (m: Machine) => checkMachine(m, { profile: 'spec' }).findings.filter((f) => f.code.startsWith('vfio-'));

describe('VFIO: MSI-X table and PBA placement', () => {
    test('sizes: 16 bytes per entry, ceil(n/64) qwords of PBA', () => {
        assert.equal(msixTableBytes(64), 1024);
        assert.deepEqual([msixPbaBytes(1), msixPbaBytes(64), msixPbaBytes(65), msixPbaBytes(2048)], [8, 8, 16, 256]);
        const L = msixLayout(vfio('x', { tableOffset: 0x2000n, pbaOffset: 0x3000n, barSize: 0x4000n }), 256, 4096);
        assert.deepEqual([L.tableAligned, L.pbaAligned, L.overlap, L.sharedBytes], [true, true, false, 0n]);
    });

    test('a table on its own pages, PBA on its own page, trapped: nothing to say', () => {
        assert.deepEqual(vfioFindings(gpu({ tableOffset: 0x2000n, pbaOffset: 0x3000n, barSize: 0x4000n }, 256)), []);
    });

    test('a trapped table that shares its page with other registers: info, with the byte count', () => {
        const f = vfioFindings(gpu({ tableOffset: 0x0n, pbaOffset: 0x3000n, barSize: 0x4000n }));
        assert.deepEqual(f.map(brief), [{ code: 'vfio-table-shares-page', severity: 'info', element: { id: 'vfio:gpu', property: 'tableOffset' } }]);
        assert.equal(
            f[0].message,
            'gpu: the trapped MSI-X table shares its 4 KiB page(s) with 0xc00 bytes of other registers of BAR 2; accesses to them trap too, a performance cost. Give the table its own page(s), or let VFIO map it (MSIX_MAPPABLE) if masking need not be emulated.',
        );
        // The PBA in the table's page is trapped with it, not "other registers".
        assert.deepEqual(vfioFindings(gpu({ tableOffset: 0x0n, pbaOffset: 0xfe0n, barSize: 0x1000n }, 254)), []);
    });

    test('unaligned table, overlapping PBA', () => {
        const f = vfioFindings(gpu({ tableOffset: 0x800n, pbaOffset: 0x900n, barSize: 0x4000n }));
        assert.deepEqual(f.map(brief), [
            { code: 'vfio-table-pba-overlap', severity: 'error', element: { id: 'vfio:gpu', property: 'pbaOffset' } },
            { code: 'vfio-table-not-page-aligned', severity: 'warning', element: { id: 'vfio:gpu', property: 'tableOffset' } },
        ]);
        assert.equal(
            f[0].message,
            'gpu: the MSI-X table 0x800..0xbff (64 × 16 bytes) of BAR 2 overlaps the PBA 0x900..0x907 (8 bytes) of BAR 2; they must not share bytes. Move the PBA to 0xc00 or beyond (or to its own page: 0x1000).',
        );
        assert.deepEqual(f[0].related, [{ element: { id: 'vfio:gpu', property: 'tableOffset' }, message: 'table 0x800..0xbff (64 × 16 bytes) of BAR 2' }]);
        assert.deepEqual(vfioFindings(gpu({ tableOffset: 0x0n, pbaOffset: 0x0n, pbaBar: 4, barSize: 0x4000n }, 256)), [], 'a PBA in another BAR cannot overlap');
    });

    test('unaligned PBA; a table mapped straight through cannot have its masking emulated', () => {
        const f = vfioFindings(gpu({ tableOffset: 0x0n, pbaOffset: 0x1800n, barSize: 0x2000n, mmap: true }, 64, { masked: true }));
        assert.deepEqual(f.map(brief), [
            { code: 'vfio-pba-not-page-aligned', severity: 'warning', element: { id: 'vfio:gpu', property: 'pbaOffset' } },
            { code: 'vfio-mask-not-emulated', severity: 'warning', element: { id: 'vfio:gpu', property: 'mmap' } },
        ]);
        assert.equal(
            f[1].message,
            "gpu: the MSI-X table is mapped straight through to the guest (MSIX_MAPPABLE), so the VMM never sees its Vector Control writes and cannot emulate masking or the PBA — the guest's masks of entry 0 are not seen. Trap the table (`shared-page` / no mmap), as QEMU expects for masking to work.",
        );
    });

    test('pseries: the guest never programs the table (RTAS does), so mapping it is fine; pages are 64 KiB', () => {
        const f = vfioFindings(gpu({ tableOffset: 0x1000n, pbaOffset: 0x2000n, mmap: true }, 64, { arch: 'ppc64' }));
        // The PBA sits in the table's (64 KiB) page: it shares that page only with the table, no second warning.
        assert.deepEqual(f.map((x) => x.code), ['vfio-table-not-page-aligned']);
        assert.match(f[0].message, /does not start on a 64 KiB host page.*mapped straight through with the table.*multiple of 0x10000/);
    });

    test('structures outside the BAR or not QWORD aligned', () => {
        const f = vfioFindings(gpu({ tableOffset: 0x3e00n, pbaOffset: 0x3004n, barSize: 0x4000n }));
        assert.deepEqual(
            f.filter((x) => x.code === 'vfio-msix-outside-bar').map((x) => [x.element.property, x.message]),
            [
                ['tableOffset', 'gpu: the MSI-X table ends at 0x4200, past the end of BAR 2 (0x4000 bytes); move it inside the BAR or enlarge the BAR.'],
                ['pbaOffset', 'gpu: the MSI-X PBA offset 0x3004 is not QWORD aligned; bits 2:0 of the offset register are the BIR, so the device cannot express it. Use a multiple of 8.'],
            ],
        );
    });

    test('the host page rule: a power of two of at least 4 KiB, quoted as written', () => {
        assert.deepEqual([4096, 16384, 65536, 1 << 21, 0x8000_0000].map(isVfioPageSize), [true, true, true, true, true]);
        assert.deepEqual([0, 1, 2048, 6000, 4097, 0xffff_ffff].map(isVfioPageSize), [false, false, false, false, false, false]);
        assert.equal(isVfioPageSize(1n << 40n), true, 'bigint values are not squeezed through number');
        assert.equal(isVfioPageSize(4096.5), false);
        assert.equal(vfioPageSizeProblem(65536), undefined);
        assert.equal(vfioPageSizeProblem(6000n), 'A host page is a power of two of at least 4096 bytes (4 KiB, or 64 KiB on ppc64 hosts); 6000 is not.');
        assert.equal(vfioPageSizeProblem(0x1770n, '0x1770'), 'A host page is a power of two of at least 4096 bytes (4 KiB, or 64 KiB on ppc64 hosts); 0x1770 is not.');
    });

    test('a page size that breaks the rule: no page arithmetic with it (no crash on 0), the page-free checks still run', () => {
        for (const pageSize of [0, 6000]) {
            // Unaligned table sharing its "page", overlapping PBA: only the overlap does not depend on the page.
            const f = vfioFindings(gpu({ tableOffset: 0x800n, pbaOffset: 0x900n, barSize: 0x4000n, pageSize }));
            assert.deepEqual(f.map((x) => x.code), ['vfio-table-pba-overlap'], `page size ${pageSize}`);
            assert.equal(
                f[0].message,
                'gpu: the MSI-X table 0x800..0xbff (64 × 16 bytes) of BAR 2 overlaps the PBA 0x900..0x907 (8 bytes) of BAR 2; they must not share bytes. Move the PBA to 0xc00 or beyond.',
            );
            assert.deepEqual(vfioFindings(gpu({ tableOffset: 0x0n, pbaOffset: 0x3000n, barSize: 0x4000n, pageSize })), [], 'no shared-page info for a page that is not one');
        }
    });
});
