import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMachine, DIAGNOSTIC_CODES, summarizeDevice, type Finding } from '../../language/engine/index.js';
import { bus, cpu, cpus, device, entry, machine, msi, msix, nic, vtd } from './build.js';

const brief = (f: Finding) => ({ code: f.code, severity: f.severity, element: f.element });

describe('checkMachine', () => {
    test('a clean machine routes every source and reports nothing but the lowest-priority info', () => {
        const pci0 = bus('pci0', 0, { iommu: 'iommu:dmar0' });
        const dmar0 = vtd('dmar0', {
            irtes: {
                0: { vector: 0x41, dest: 3, sid: { bus: 0, device: 3, fn: 0 } },
                1: { vector: 0x42, dest: 0x3, destMode: 'logical', deliveryMode: 'lowest-priority', sid: { bus: 0, device: 3, fn: 0 } },
            },
        });
        const nicDev = device('nic', '00:03.0', pci0, { msix: msix('nic', 4, [entry('nic', 'msix', 0, 0xfee0_0010n, 0), entry('nic', 'msix', 1, 0xfee0_0030n, 0)]) });
        const r = checkMachine(machine({ iommus: [dmar0], buses: [pci0], devices: [nicDev] }), { profile: 'spec' });
        assert.equal(r.machine, 'machine:q35');
        assert.equal(r.traces.length, 2);
        assert.deepEqual(r.findings.map(brief), [{ code: 'x86-lowest-priority', severity: 'info', element: { id: 'irte:dmar0:1', property: 'dest' } }]);
        assert.equal(summarizeDevice(r.traces), '2 vectors: 2 delivered');
    });

    test('machine-level checks: duplicate APIC IDs, xAPIC IDs above 0xFF, MSI settings, IRTE scan', () => {
        const pci0 = bus('pci0', 0, { iommu: 'iommu:dmar0' });
        const dmar0 = vtd('dmar0', {
            eim: false,
            irtaS: 3, // 16 entries
            irtes: {
                0: { vector: 0x41, dest: 1, sid: { bus: 0, device: 3, fn: 0 } },
                1: { vector: 0x42, dest: 0x100 }, // needs EIM; unused
                2: { posted: true, vector: 0x50, pda: 0x1000n }, // posted unsupported; unused
                3: { vector: 0x43, dest: 2, present: false }, // not present: never "unused"
                20: { vector: 0x44, dest: 2 }, // beyond the 16 entries
            },
        });
        const m = machine({
            cpus: [cpu(0), cpu(1), cpu(2, 1), cpu(12, 0x100)],
            iommus: [dmar0],
            buses: [pci0],
            devices: [
                nic('nic', '00:03.0', pci0, 0xfee0_0010n, 0),
                device('nvme', '00:04.0', pci0, { msi: msi('nvme', { address: 0xfee0_0098n, data: 0x0003, mmc: 1, mme: 2, enabled: false }) }),
            ],
        });
        const r = checkMachine(m, { profile: 'spec' });
        assert.deepEqual(r.findings.map(brief), [
            { code: 'apic-id-duplicate', severity: 'error', element: { id: 'cpu:2', property: 'apicId' } },
            { code: 'x86-dest-needs-x2apic', severity: 'warning', element: { id: 'cpu:12', property: 'apicId' } },
            { code: 'msi-vector-count', severity: 'error', element: { id: 'msi:nvme', property: 'mme' } },
            { code: 'msi-data-unaligned', severity: 'warning', element: { id: 'msi:nvme', property: 'data' } },
            { code: 'vtd-irte-dest-needs-eim', severity: 'error', element: { id: 'irte:dmar0:1', property: 'dest' } },
            { code: 'vtd-irte-unused', severity: 'hint', element: { id: 'irte:dmar0:1' } },
            { code: 'vtd-posted-unsupported', severity: 'error', element: { id: 'irte:dmar0:2', property: 'posted' } },
            { code: 'vtd-irte-unused', severity: 'hint', element: { id: 'irte:dmar0:2' } },
            { code: 'vtd-irte-out-of-table', severity: 'error', element: { id: 'irte:dmar0:20', property: 'index' } },
        ]);
        const dup = r.findings[0];
        assert.equal(dup.message, 'CPU 2 has APIC ID 0x1, already used by CPU 1; give each CPU its own APIC ID.');
        assert.deepEqual(dup.related, [{ element: { id: 'cpu:1', property: 'apicId' }, message: 'CPU 1 has APIC ID 0x1' }]);
        const eim = r.findings[4];
        assert.match(eim.message, /IRTE 1 holds destination 0x100, but dmar0 has EIM off/);
        assert.deepEqual(
            eim.related.map((x) => x.element),
            [
                { id: 'cpu:12', property: 'apicId' },
                { id: 'iommu:dmar0', property: 'eim' },
            ],
        );
        assert.deepEqual(r.findings[3].data, { data: '0x0' });
        assert.equal(r.findings[3].message, 'nvme: MSI base data 0x3 has low bits 0x3 set, but with 4 vectors the device replaces the low 2 bits with the vector number; write 0x0.');
        // nic uses IRTE 0; the four nvme vectors are not sent (MSI disabled).
        assert.equal(summarizeDevice(r.traces.filter((t) => t.source.device === 'device:nvme')), '4 vectors: 4 not sent');
    });

    test('an MSI-X Message Address with bits 1:0 set is reported on the entry', () => {
        const pci0 = bus('pci0', 0);
        const m = machine({ cpus: [cpu(0), cpu(1)], buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_1002n, 0x41)] });
        const f = checkMachine(m, { profile: 'spec' }).findings.filter((x) => x.code === 'msix-address-unaligned');
        assert.deepEqual(f.map(brief), [{ code: 'msix-address-unaligned', severity: 'warning', element: { id: 'msix:nic:0', property: 'address' } }]);
        assert.equal(f[0].message, 'nic: MSI-X entry 0 has Message Address 0xfee01002 with bits 1:0 = 2; the PCI specification requires them to be 0 (DWORD alignment) and leaves the result undefined otherwise; clear them.');
    });

    test('multi-message MSI in remappable format: SHV=0 is reported (every vector would select one IRTE), SHV=1 is not', () => {
        const pci0 = bus('pci0', 0, { iommu: 'iommu:dmar0' });
        const dmar0 = vtd('dmar0', { irtaS: 3, irtes: { 4: { vector: 0x51, dest: 1 }, 5: { vector: 0x52, dest: 1 } } });
        const withShv = (address: bigint) => machine({
            cpus: [cpu(0), cpu(1)],
            iommus: [dmar0],
            buses: [pci0],
            devices: [device('nvme', '00:04.0', pci0, { msi: msi('nvme', { address, data: 0, mmc: 1, mme: 1 }) })],
        });
        const r = checkMachine(withShv(0xfee0_0090n), { profile: 'spec' });
        const f = r.findings.filter((x) => x.code === 'msi-multi-without-shv');
        assert.deepEqual(f.map(brief), [{ code: 'msi-multi-without-shv', severity: 'warning', element: { id: 'msi:nvme', property: 'address' } }]);
        assert.equal(f[0].message, 'nvme: 2 MSI vectors in remappable format with SHV=0: the vector number the device puts in the data is ignored without a subhandle, so every vector selects IRTE 4; set SHV (address bit 3) and give vector k its IRTE at handle + k, as Linux does.');
        const ok = checkMachine(withShv(0xfee0_0098n), { profile: 'spec' });
        assert.deepEqual(ok.findings.filter((x) => x.code === 'msi-multi-without-shv'), []);
    });

    test('trace findings appear once per source, after the machine-level ones', () => {
        const pci0 = bus('pci0', 0, { iommu: 'iommu:dmar0' });
        const dmar0 = vtd('dmar0', { irtes: {} });
        const d = device('nic', '00:03.0', pci0, {
            msix: msix('nic', 2, [entry('nic', 'msix', 0, 0xfee0_00f0n, 0), entry('nic', 'msix', 1, 0xfee0_0110n, 0), entry('nic', 'msix', 2, 0xfee0_0010n, 0)]),
        });
        const r = checkMachine(machine({ iommus: [dmar0], buses: [pci0], devices: [d] }), { profile: 'spec' });
        assert.deepEqual(
            r.findings.map((f) => [f.code, f.element.id, f.element.property]),
            [
                ['vtd-fault-0x22', 'msix:nic:0', 'address'],
                ['vtd-fault-0x22', 'msix:nic:1', 'address'],
                ['msix-entry-out-of-range', 'msix:nic:2', 'index'],
            ],
        );
        assert.equal(summarizeDevice(r.traces), '3 vectors: 3 faults');
        assert.deepEqual(
            r.traces.map((t) => t.findings.length),
            [1, 1, 1],
        );
    });

    test('masked entries are checked as they will route once unmasked; unprogrammed ones are not', () => {
        const pci0 = bus('pci0', 0);
        const d = device('nic', '00:03.0', pci0, {
            msix: msix('nic', 4, [entry('nic', 'msix', 0, 0xfee0_9000n, 0x41, true), entry('nic', 'msix', 1, 0n, 0, true)]),
        });
        const r = checkMachine(machine({ cpus: cpus(2), buses: [pci0], devices: [d] }), { profile: 'spec' });
        assert.deepEqual(
            r.findings.map((f) => [f.code, f.element.id]),
            [['x86-dest-unreachable', 'msix:nic:0']],
        );
        assert.equal(summarizeDevice(r.traces), '2 vectors: 2 pending');
    });

    test('the profile changes the findings where QEMU diverges', () => {
        const pci0 = bus('pci0', 0, { iommu: 'iommu:dmar0' });
        const m = machine({ iommus: [vtd('dmar0', { cfi: false })], buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_1000n, 0x41)] });
        assert.deepEqual(
            checkMachine(m, { profile: 'spec' }).findings.map((f) => f.code),
            ['vtd-fault-0x25'],
        );
        assert.deepEqual(
            checkMachine(m, { profile: 'qemu' }).findings.map((f) => f.code),
            [],
        );
    });

    test('an MSI-X table size outside 1..2048', () => {
        const pci0 = bus('pci0', 0);
        const r = checkMachine(machine({ buses: [pci0], devices: [device('nic', '00:03.0', pci0, { msix: msix('nic', 4096, []) })] }), { profile: 'spec' });
        assert.deepEqual(r.findings.map(brief), [{ code: 'msix-table-size', severity: 'error', element: { id: 'msix:nic', property: 'tableSize' } }]);
    });

    test('a partly disabled destination set warns and still delivers to the enabled CPUs', () => {
        const pci0 = bus('pci0', 0);
        const m = machine({ cpus: [cpu(0), cpu(1, 1, 'xapic', { enabled: false })], buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_3004n, 0x41)] });
        const r = checkMachine(m, { profile: 'spec' });
        assert.deepEqual(r.findings.map(brief), [{ code: 'x86-dest-apic-disabled', severity: 'warning', element: { id: 'msix:nic:0', property: 'address' } }]);
        assert.equal(r.traces[0].outcome.kind === 'delivered' && r.traces[0].outcome.targets.length, 1);
    });

    test('non-x86 machines get one informational finding and no traces', () => {
        const r = checkMachine(machine({ id: 'machine:pseries', name: 'pseries', arch: 'ppc64' }), { profile: 'spec' });
        assert.deepEqual(r.traces, []);
        assert.deepEqual(r.findings.map(brief), [{ code: 'route-unsupported-arch', severity: 'info', element: { id: 'machine:pseries', property: 'arch' } }]);
    });

    test('every code the engine emits is in DIAGNOSTIC_CODES with a severity, title and description', () => {
        for (const [code, info] of Object.entries(DIAGNOSTIC_CODES)) {
            assert.match(code, /^[a-z0-9-]+$/);
            assert.ok(['error', 'warning', 'info', 'hint'].includes(info.severity), code);
            assert.ok(info.title.length > 5 && info.description.length > 20, code);
        }
        assert.deepEqual(
            Object.keys(DIAGNOSTIC_CODES).filter((c) => c.startsWith('vtd-fault-')),
            ['vtd-fault-0x20', 'vtd-fault-0x21', 'vtd-fault-0x22', 'vtd-fault-0x23', 'vtd-fault-0x24', 'vtd-fault-0x25', 'vtd-fault-0x26'],
        );
    });
});
