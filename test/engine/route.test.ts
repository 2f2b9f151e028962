import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { bigintReplacer, route, summarizeOutcome, summarizeDevice, type Machine, type Profile, type RouteTrace } from '../../language/engine/index.js';
import { bridge, bus, cpu, cpus, device, entry, machine, msi, msix, nic, vtd } from './build.js';

function rt(m: Machine, dev: string, kind: 'msi' | 'msix' | 'ims', index: number, profile: Profile = 'spec'): RouteTrace {
    return route(m, { device: `device:${dev}`, kind, index }, { profile });
}

const codes = (t: RouteTrace) => t.findings.map((f) => f.code);

describe('route: compatibility format without an IOMMU', () => {
    const pci0 = bus('pci0', 0);
    test('physical destination reaches the CPU with that APIC ID', () => {
        const m = machine({ buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_3000n, 0x41)] });
        const t = rt(m, 'nic', 'msix', 0);
        assert.deepEqual(t.outcome, {
            kind: 'delivered',
            vector: 0x41,
            deliveryMode: 0,
            deliveryModeName: 'fixed',
            trigger: 'edge',
            destMode: 'physical',
            destId: 3,
            lowestPriority: false,
            broadcast: false,
            targets: [{ cpu: 'cpu:3', apicId: 3, index: 3 }],
        });
        assert.deepEqual(
            t.stages.map((s) => s.kind),
            ['device-write', 'host-bridge', 'apic-delivery', 'cpu'],
        );
        assert.deepEqual(t.stages[0].element, { id: 'msix:nic:0' });
        assert.deepEqual(t.stages[3].element, { id: 'cpu:3' });
        assert.equal(t.sourceName, 'nic.msix[0]');
        assert.equal(t.sourceElement, 'msix:nic:0');
        assert.deepEqual(t.findings, []);
        assert.equal(summarizeOutcome(t), '→ CPU 3 · vec 0x41 · fixed · edge');
    });

    test('stage decodes are built on demand and show the message fields', () => {
        const m = machine({ buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_3000n, 0x41)] });
        const t = rt(m, 'nic', 'msix', 0);
        const [addr, data] = t.stages[0].decodes;
        assert.equal(addr.title, 'MSI address');
        assert.deepEqual(
            addr.fields.find((f) => f.name === 'Destination ID'),
            { name: 'Destination ID', bits: '19:12', value: 3n, text: '0x3', meaning: 'APIC ID (physical)' },
        );
        assert.equal(data.summary, 'vector 0x41 · fixed · edge');
        assert.deepEqual(addr.busBytes, ['00', '30', 'e0', 'fe']);
    });

    test('a trace serialises to JSON with its decodes and bigints as hex', () => {
        const m = machine({ buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_3000n, 0x41)] });
        const json = JSON.parse(JSON.stringify(rt(m, 'nic', 'msix', 0), bigintReplacer));
        assert.equal(json.stages[0].kind, 'device-write');
        assert.equal(json.stages[0].decodes[0].fields[0].value, '0xfee');
        assert.deepEqual(json.stages[3], { kind: 'cpu', title: 'CPU 3', decodes: [], summary: 'CPU 3 accepts vector 0x41 (edge)', element: { id: 'cpu:3' } });
    });

    test('logical flat destination reaches every CPU whose logical ID bit is set', () => {
        const m = machine({ buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_6004n, 0x41)] });
        const t = rt(m, 'nic', 'msix', 0);
        assert.equal(t.outcome.kind, 'delivered');
        assert.deepEqual(
            t.outcome.kind === 'delivered' && t.outcome.targets.map((x) => x.cpu),
            ['cpu:1', 'cpu:2'],
        );
        assert.equal(summarizeOutcome(t), '→ CPU 1,2 · vec 0x41 · fixed · edge');
    });

    test('lowest priority gives the candidate set and an info finding naming them', () => {
        const m = machine({ buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_3004n, 0x0130)] });
        const t = rt(m, 'nic', 'msix', 0);
        assert.equal(summarizeOutcome(t), '→ CPU 0,1 · vec 0x30 · lowest-priority (2 candidates)');
        assert.deepEqual(codes(t), ['x86-lowest-priority']);
        const f = t.findings[0];
        assert.equal(f.severity, 'info');
        assert.deepEqual(f.element, { id: 'msix:nic:0', property: 'address' });
        assert.deepEqual(
            f.related.map((r) => r.element.id),
            ['cpu:0', 'cpu:1'],
        );
        // vector 0x30 = 48, 48 mod 2 = 0: KVM's vector hashing picks the first candidate.
        assert.match(f.message, /vector hashing CPU 0 receives vector 0x30/);
    });

    test('ext dest id reaches an APIC ID above 0xFF without remapping', () => {
        const m = machine({
            apic: { mode: 'x2apic', logical: 'flat' },
            kvm: { x2apicApi: true, broadcastQuirkDisabled: true, extDestId: true },
            cpus: [cpu(0, 0, 'x2apic'), cpu(12, 0x100, 'x2apic')],
            buses: [pci0],
            // dest 0x100: dest[7:0] = 0 in bits 19:12, dest[14:8] = 1 in bits 11:5.
            devices: [nic('nic', '00:03.0', pci0, 0xfee0_0020n, 0x41)],
        });
        const t = rt(m, 'nic', 'msix', 0);
        assert.equal(summarizeOutcome(t), '→ CPU 12 · vec 0x41 · fixed · edge');
        assert.equal(t.outcome.kind === 'delivered' && t.outcome.destId, 0x100);
    });

    test('a remappable-format message without remapping is an error on the address', () => {
        const m = machine({ buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_0010n, 0)] });
        const t = rt(m, 'nic', 'msix', 0);
        assert.equal(t.outcome.kind, 'fault');
        assert.equal(t.outcome.kind === 'fault' && t.outcome.code, 'x86-remappable-without-ir');
        assert.deepEqual(codes(t), ['x86-remappable-without-ir']);
        assert.deepEqual(t.findings[0].element, { id: 'msix:nic:0', property: 'address' });
        assert.equal(summarizeOutcome(t), '✗ remappable format without interrupt remapping (no IOMMU remaps nic)');
    });

    test('an address outside the window is not an interrupt', () => {
        const m = machine({ buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfed0_0000n, 0x41)] });
        const t = rt(m, 'nic', 'msix', 0);
        assert.deepEqual(codes(t), ['x86-not-interrupt-address']);
        assert.deepEqual(
            t.stages.map((s) => s.kind),
            ['device-write', 'host-bridge'],
        );
        assert.equal(summarizeOutcome(t), '✗ not an interrupt address (0xfed0_0000 outside 0xFEE window)');
    });

    test('a byte-swapped address is reported once, with the swapped value for a quick fix', () => {
        const m = machine({ buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0x1000_e0fen, 0x41)] });
        const t = rt(m, 'nic', 'msix', 0);
        assert.deepEqual(codes(t), ['msi-byte-swapped']);
        assert.deepEqual(t.findings[0].data, { swapBytes: '0xfee00010', property: 'address' });
        assert.deepEqual(t.findings[0].element, { id: 'msix:nic:0', property: 'address' });
        assert.equal(t.outcome.kind === 'fault' && t.outcome.code, 'x86-not-interrupt-address');
    });

    test('a byte-swapped data word is reported instead of the illegal vector it produces', () => {
        const m = machine({ buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_1000n, 0x4100_0000)] });
        const t = rt(m, 'nic', 'msix', 0);
        assert.deepEqual(codes(t), ['msi-byte-swapped']);
        assert.deepEqual(t.findings[0].data, { swapBytes: '0x41', property: 'data' });
        assert.deepEqual(t.findings[0].element, { id: 'msix:nic:0', property: 'data' });
    });

    test('a 16-bit data word stored big-endian (0x4100 for vector 0x41) is reported as swapped, with its own words', () => {
        const m = machine({ buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_1000n, 0x4100)] });
        const t = rt(m, 'nic', 'msix', 0);
        // As written, bits 10:8 = 001b also read as lowest priority (reported as such); the illegal vector is
        // left to the swap finding, as for 32-bit swaps.
        assert.deepEqual(codes(t), ['msi-byte-swapped', 'x86-lowest-priority']);
        assert.deepEqual(t.findings[0].data, { swapBytes: '0x41', property: 'data' });
        assert.equal(t.findings[0].message, 'nic.msix[0]: data 0x4100 has an illegal vector (0x0); with the two bytes of the 16-bit Message Data register reversed it is 0x41 (vector 0x41): a big-endian store? Write 0x41.');
    });

    test('illegal vector, reserved delivery mode and an unreachable destination', () => {
        const m = machine({
            buses: [pci0],
            devices: [
                device('dev', '00:04.0', pci0, {
                    msix: msix('dev', 4, [entry('dev', 'msix', 0, 0xfee0_1000n, 0x05), entry('dev', 'msix', 1, 0xfee0_1000n, 0x0341), entry('dev', 'msix', 2, 0xfee0_9000n, 0x41)]),
                }),
            ],
        });
        const t0 = rt(m, 'dev', 'msix', 0);
        assert.deepEqual(codes(t0), ['x86-illegal-vector']);
        assert.deepEqual(t0.findings[0].element, { id: 'msix:dev:0', property: 'data' });
        const t1 = rt(m, 'dev', 'msix', 1);
        assert.deepEqual(codes(t1), ['x86-reserved-delivery-mode']);
        const t2 = rt(m, 'dev', 'msix', 2);
        assert.deepEqual(codes(t2), ['x86-dest-unreachable']);
        assert.deepEqual(t2.findings[0].element, { id: 'msix:dev:2', property: 'address' });
        assert.deepEqual(
            t2.findings[0].related.map((r) => r.element),
            [
                { id: 'cpu:3', property: 'apicId' },
                { id: 'cpu:2', property: 'apicId' },
                { id: 'cpu:1', property: 'apicId' },
            ],
        );
        assert.match(t2.findings[0].message, /physical dest 0x9 matches no CPU \(APIC IDs: 0x0, 0x1, 0x2, 0x3\)/);
        assert.equal(summarizeOutcome(t2), '→ no CPU (dest 0x9) · vec 0x41 · fixed · edge');
    });

    test('KVM x2APIC API refuses address_hi[7:0] ≠ 0', () => {
        const m = machine({ kvm: { x2apicApi: true, broadcastQuirkDisabled: true, extDestId: false }, buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0x1_fee0_1000n, 0x41)] });
        const t = rt(m, 'nic', 'msix', 0);
        assert.deepEqual(codes(t), ['kvm-msi-route-invalid']);
    });
});

describe('route: masking and enable', () => {
    const pci0 = bus('pci0', 0);
    test('a masked MSI-X entry ends pending at its PBA bit, and says where it goes once unmasked', () => {
        const d = device('nic', '00:03.0', pci0, { msix: msix('nic', 4, [entry('nic', 'msix', 0, 0xfee0_1000n, 0x41), entry('nic', 'msix', 1, 0xfee0_2000n, 0x42, true)]) });
        const m = machine({ buses: [pci0], devices: [d] });
        const t = rt(m, 'nic', 'msix', 1);
        assert.equal(t.outcome.kind, 'pending');
        if (t.outcome.kind !== 'pending') return;
        assert.equal(t.outcome.reason, 'entry-masked');
        assert.equal(t.outcome.where, 'PBA qword 0 bit 1');
        assert.deepEqual(t.outcome.element, { id: 'msix:nic:1' });
        assert.equal(t.outcome.whenUnmasked?.kind === 'delivered' && t.outcome.whenUnmasked.targets[0].cpu, 'cpu:2');
        assert.deepEqual(
            t.stages.map((s) => s.kind),
            ['device-write'],
        );
        assert.equal(summarizeOutcome(t), 'pending · PBA qword 0 bit 1 (entry masked)');
    });

    test('the function mask holds every entry pending', () => {
        const d = device('nic', '00:03.0', pci0, { msix: msix('nic', 128, [entry('nic', 'msix', 70, 0xfee0_1000n, 0x41)], { functionMask: true }) });
        const t = rt(machine({ buses: [pci0], devices: [d] }), 'nic', 'msix', 70);
        assert.equal(summarizeOutcome(t), 'pending · PBA qword 1 bit 6 (function masked)');
    });

    test('with MSI-X disabled nothing is sent and nothing is pending', () => {
        const d = device('nic', '00:03.0', pci0, { msix: msix('nic', 4, [entry('nic', 'msix', 0, 0xfee0_1000n, 0x41)], { enabled: false }) });
        const t = rt(machine({ buses: [pci0], devices: [d] }), 'nic', 'msix', 0);
        assert.deepEqual(t.outcome, { kind: 'pending', reason: 'disabled', where: 'not sent: MSI-X Enable is 0 (nothing is pending)', element: { id: 'msix:nic:0' } });
        assert.equal(summarizeOutcome(t), 'not sent · MSI-X disabled');
    });

    test('a masked MSI vector sets its Pending bit', () => {
        const d = device('nvme', '00:04.0', pci0, { msi: msi('nvme', { address: 0xfee0_0000n, data: 0x40, mme: 2, perVectorMask: true, maskBits: 0b0100 }) });
        const t = rt(machine({ buses: [pci0], devices: [d] }), 'nvme', 'msi', 2);
        assert.equal(summarizeOutcome(t), 'pending · MSI Pending bit 2 (vector masked)');
    });

    test('an MSI-X entry beyond the table size is an error on its index', () => {
        const d = device('nic', '00:03.0', pci0, { msix: msix('nic', 4, [entry('nic', 'msix', 4, 0xfee0_1000n, 0x41)]) });
        const t = rt(machine({ buses: [pci0], devices: [d] }), 'nic', 'msix', 4);
        assert.deepEqual(codes(t), ['msix-entry-out-of-range']);
        assert.deepEqual(t.findings[0].element, { id: 'msix:nic:4', property: 'index' });
        assert.deepEqual(t.findings[0].related[0].element, { id: 'msix:nic', property: 'tableSize' });
        assert.equal(summarizeOutcome(t), '✗ MSI-X entry beyond the table size (entry 4 ≥ size 4)');
    });
});

describe('route: VT-d interrupt remapping', () => {
    const pci0 = bus('pci0', 0, { iommu: 'iommu:dmar0' });

    test('a remappable message goes through its IRTE to the CPU', () => {
        const dmar0 = vtd('dmar0', { irtes: { 5: { vector: 0x41, dest: 3, sid: { bus: 0, device: 3, fn: 0 } } } });
        const m = machine({ iommus: [dmar0], buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_00b0n, 0)] });
        const t = rt(m, 'nic', 'msix', 0);
        assert.equal(summarizeOutcome(t), '→ IRTE 5 → CPU 3 · vec 0x41 · fixed · edge');
        assert.deepEqual(t.outcome.kind === 'delivered' && t.outcome.irte, { iommu: 'iommu:dmar0', index: 5, element: 'irte:dmar0:5' });
        assert.deepEqual(
            t.stages.map((s) => [s.kind, s.element?.id]),
            [
                ['device-write', 'msix:nic:0'],
                ['host-bridge', 'msix:nic:0'],
                ['interrupt-remapping', 'irte:dmar0:5'],
                ['apic-delivery', 'cpu:3'],
                ['cpu', 'cpu:3'],
            ],
        );
        assert.equal(t.stages[2].summary, 'IRTE 5: present, remapped, vector 0x41 → physical dest 0x3 (requester 00:03.0)');
        assert.equal(t.stages[2].decodes[0].title, 'VT-d IRTE (remapped format)');
        assert.deepEqual(t.findings, []);
    });

    test('x2APIC destination above 0xFF through an EIM IRTE', () => {
        const dmar0 = vtd('dmar0', { irtes: { 1: { vector: 0x42, dest: 0x100, sid: { bus: 0, device: 3, fn: 0 } } } });
        const m = machine({ apic: { mode: 'x2apic', logical: 'flat' }, cpus: [cpu(0, 0, 'x2apic'), cpu(12, 0x100, 'x2apic')], iommus: [dmar0], buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_0030n, 0)] });
        const t = rt(m, 'nic', 'msix', 0);
        assert.equal(summarizeOutcome(t), '→ IRTE 1 → CPU 12 · vec 0x42 · fixed · edge');
        assert.equal(t.outcome.kind === 'delivered' && t.outcome.destId, 0x100);
        // The composed message carries dest[31:8] in address_hi.
        const toApic = t.stages[3].decodes[0];
        assert.deepEqual(
            toApic.fields.find((f) => f.name === 'address_hi dest[31:8]'),
            { name: 'address_hi dest[31:8]', bits: '63:40', value: 1n, text: '0x1', meaning: 'dest[31:8] (KVM x2APIC format)' },
        );
    });

    test('a destination above 0xFF reaching an xAPIC-mode CPU warns that it needs x2APIC', () => {
        const dmar0 = vtd('dmar0', { irtes: { 1: { vector: 0x42, dest: 0x100 } } });
        const m = machine({ cpus: [cpu(0), cpu(12, 0x100, 'xapic')], iommus: [dmar0], buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_0030n, 0)] });
        const t = rt(m, 'nic', 'msix', 0);
        assert.deepEqual(codes(t), ['x86-dest-needs-x2apic']);
        assert.deepEqual(t.findings[0].element, { id: 'irte:dmar0:1', property: 'dest' });
        assert.deepEqual(t.findings[0].related[0].element, { id: 'cpu:12', property: 'apicId' });
    });

    test('SHV multi-message MSI: vector k uses IRTE handle + k', () => {
        const irtes: Record<number, { vector: number; dest: number }> = {};
        for (let k = 0; k < 4; k++) irtes[4 + k] = { vector: 0x50 + k, dest: k };
        const dmar0 = vtd('dmar0', { irtes });
        // handle 4, SHV=1: 0xfee0_0098; base data 0 (the device puts k in the low MME bits).
        const d = device('nvme', '00:04.0', pci0, { msi: msi('nvme', { address: 0xfee0_0098n, data: 0, mme: 2 }) });
        const m = machine({ iommus: [dmar0], buses: [pci0], devices: [d] });
        const traces = [0, 1, 2, 3].map((k) => rt(m, 'nvme', 'msi', k));
        assert.deepEqual(
            traces.map(summarizeOutcome),
            ['→ IRTE 4 → CPU 0 · vec 0x50 · fixed · edge', '→ IRTE 5 → CPU 1 · vec 0x51 · fixed · edge', '→ IRTE 6 → CPU 2 · vec 0x52 · fixed · edge', '→ IRTE 7 → CPU 3 · vec 0x53 · fixed · edge'],
        );
        assert.equal(summarizeDevice(traces), '4 vectors: 4 delivered');
        assert.equal(traces[2].sourceName, 'nvme.msi[2]');
        assert.equal(traces[2].stages[0].summary, 'nvme.msi[2] writes 0xfee0_0098 ← 0x2');
    });

    test('a posted IRTE ends in a posted outcome (spec) and faults in QEMU, which reads URG as reserved', () => {
        const dmar0 = vtd('dmar0', { postedSupported: true, irtes: { 2: { posted: true, vector: 0x50, pda: 0x7f3c_0040n, urgent: true } } });
        const m = machine({ iommus: [dmar0], buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_0050n, 0)] });
        const t = rt(m, 'nic', 'msix', 0);
        assert.deepEqual(t.outcome, { kind: 'posted', vector: 0x50, urgent: true, pda: 0x7f3c_0040n, irte: { iommu: 'iommu:dmar0', index: 2, element: 'irte:dmar0:2' } });
        assert.equal(summarizeOutcome(t), '→ IRTE 2 posted · vec 0x50 · descriptor 0x7f3c0040 (urgent)');
        const q = rt(m, 'nic', 'msix', 0, 'qemu');
        assert.deepEqual(codes(q), ['vtd-fault-0x24']);
    });

    test('compatibility format passes through when CFI is on and EIM off', () => {
        const dmar0 = vtd('dmar0', { eim: false, cfi: true });
        const m = machine({ iommus: [dmar0], buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_1000n, 0x41)] });
        const t = rt(m, 'nic', 'msix', 0);
        assert.equal(summarizeOutcome(t), '→ CPU 1 · vec 0x41 · fixed · edge');
        assert.equal(t.stages[2].summary, 'dmar0: compatibility format passes through unremapped (requester 00:03.0)');
    });
});

describe('route: every VT-d fault through a topology', () => {
    const pci0 = bus('pci0', 0, { iommu: 'iommu:dmar0' });
    const good = { vector: 0x41, dest: 1, sid: { bus: 0, device: 3, fn: 0 } };

    function faultOf(t: RouteTrace) {
        assert.equal(t.outcome.kind, 'fault');
        return t.outcome.kind === 'fault' ? t.outcome : undefined!;
    }

    test('0x20: address bits 63:32 set', () => {
        const m = machine({ iommus: [vtd('dmar0', { irtes: { 0: good } })], buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0x1_fee0_0010n, 0)] });
        const t = rt(m, 'nic', 'msix', 0);
        const f = faultOf(t);
        assert.deepEqual([f.code, f.name, f.faultReason, f.fpd], ['vtd-fault-0x20', 'IR_REQ_RSVD', 0x20, null]);
        assert.deepEqual(codes(t), ['vtd-fault-0x20']);
        assert.deepEqual(t.findings[0].element, { id: 'msix:nic:0', property: 'address' });
        assert.deepEqual(t.findings[0].related[0].element, { id: 'iommu:dmar0', property: 'remapping' });
    });

    test('0x20: SHV=1 with data[31:16] set sits on the data', () => {
        const m = machine({ iommus: [vtd('dmar0', { irtes: { 0: good, 1: good } })], buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_0018n, 0x0001_0001)] });
        const t = rt(m, 'nic', 'msix', 0);
        assert.equal(faultOf(t).faultReason, 0x20);
        assert.deepEqual(t.findings[0].element, { id: 'msix:nic:0', property: 'data' });
        assert.match(t.findings[0].message, /clear data bits 31:16/);
    });

    test('0x21: index beyond the table says the table size and the index', () => {
        // handle 300 = 0x12c: addr[19:5] = 0x12c.
        const m = machine({ iommus: [vtd('dmar0', { irtaS: 7 })], buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_0000n | (300n << 5n) | 0x10n, 0)] });
        const t = rt(m, 'nic', 'msix', 0);
        const f = faultOf(t);
        assert.deepEqual([f.faultReason, f.fpd], [0x21, null]);
        assert.match(t.findings[0].message, /interrupt index 300 \(0x12c: handle 0x12c\) is beyond the table of 256 entries \(IRTA\.S=7\)/);
        assert.deepEqual(t.findings[0].related[0].element, { id: 'iommu:dmar0', property: 'irtaS' });
        assert.equal(summarizeOutcome(t), '✗ VT-d fault 0x21 IR_INDEX_OVER (index 300 ≥ table size 256)');
    });

    test('0x22: IRTE not present', () => {
        const m = machine({ iommus: [vtd('dmar0', { irtes: { 0: good } })], buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_00f0n, 0)] });
        const t = rt(m, 'nic', 'msix', 0);
        const f = faultOf(t);
        assert.deepEqual([f.faultReason, f.fpd], [0x22, 0]);
        assert.equal(summarizeOutcome(t), '✗ VT-d fault 0x22 IR_ENTRY_P (IRTE 7 not present)');
        assert.deepEqual(t.findings[0].related[0].element, { id: 'iommu:dmar0', property: 'irtes' });
    });

    test('0x23: IRTE beyond the host address width', () => {
        const dmar0 = vtd('dmar0', { irtes: { 0: good, 1: good }, irtaAddress: (1n << 39n) - 16n, haw: 39 });
        const m = machine({ iommus: [dmar0], buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_0030n, 0)] });
        const t = rt(m, 'nic', 'msix', 0);
        const f = faultOf(t);
        assert.deepEqual([f.faultReason, f.name, f.fpd], [0x23, 'IR_ROOT_INVAL', null]);
        assert.deepEqual(t.findings[0].related[0].element, { id: 'iommu:dmar0', property: 'irtaAddress' });
    });

    test('0x24: reserved bits in the IRTE, with FPD', () => {
        const raw = { lo: 0x0000_0001_0041_2003n, hi: 0n }; // P, FPD, bit 13 reserved
        const m = machine({ iommus: [vtd('dmar0', { irtes: { 0: raw } })], buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_0010n, 0)] });
        const t = rt(m, 'nic', 'msix', 0);
        const f = faultOf(t);
        assert.deepEqual([f.faultReason, f.fpd], [0x24, 1]);
        assert.match(t.findings[0].message, /IRTE 0 sets reserved bits \(13\)/);
        assert.match(t.findings[0].message, /FPD=1/);
        assert.deepEqual(t.findings[0].related[0].element, { id: 'irte:dmar0:0', property: 'raw' });
    });

    test('0x25: compatibility format blocked by cfi off', () => {
        const m = machine({ iommus: [vtd('dmar0', { eim: false, cfi: false })], buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_1000n, 0x41)] });
        const t = rt(m, 'nic', 'msix', 0);
        assert.equal(faultOf(t).faultReason, 0x25);
        assert.match(t.findings[0].message, /compatibility-format interrupts are blocked because cfi is off; program the device with a remappable-format message .* or set `cfi on`/);
        assert.deepEqual(t.findings[0].related[0].element, { id: 'iommu:dmar0', property: 'cfi' });
        // QEMU never blocks them.
        assert.equal(summarizeOutcome(rt(m, 'nic', 'msix', 0, 'qemu')), '→ CPU 1 · vec 0x41 · fixed · edge');
    });

    test('0x25 with EIM on says that cfi on does not help', () => {
        const m = machine({ iommus: [vtd('dmar0', { eim: true, cfi: true })], buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_1000n, 0x41)] });
        const t = rt(m, 'nic', 'msix', 0);
        assert.match(t.findings[0].message, /because eim is on; .*with EIM on, `cfi on` does not help/);
        assert.deepEqual(t.findings[0].related[0].element, { id: 'iommu:dmar0', property: 'eim' });
    });

    test('0x26: the IRTE holds another device’s SID; the message says which SID it should hold', () => {
        const m = machine({ iommus: [vtd('dmar0', { irtes: { 0: { ...good, sid: { bus: 0, device: 4, fn: 0 } } } })], buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_0010n, 0)] });
        const t = rt(m, 'nic', 'msix', 0);
        const f = faultOf(t);
        assert.deepEqual([f.faultReason, f.fpd], [0x26, 0]);
        assert.match(t.findings[0].message, /IRTE 0 verifies sid 00:04\.0 \(requester\), but requests from nic arrive with requester id 00:03\.0\. The IRTE should hold `sid 00:03\.0`/);
        assert.deepEqual(
            t.findings[0].related.map((r) => r.element),
            [
                { id: 'irte:dmar0:0', property: 'sid' },
                { id: 'device:nic', property: 'bdf' },
            ],
        );
        assert.deepEqual(t.findings[0].data, { expectedSid: 0x18, expectedSvt: 'requester', expectedSq: 0, expectedSidText: '00:03.0', irte: 'irte:dmar0:0' });
    });
});

describe('route: requester id through bridges', () => {
    const pci0 = bus('pci0', 0, { iommu: 'iommu:dmar0' });
    const pci1 = bus('pci1', 1, { parentBridge: 'bridge:p2p' });
    const pci2 = bus('pci2', 2, { parentBridge: 'bridge:legacy' });

    test('behind a PCIe-to-PCI bridge: SVT=10 with the bus range passes in the spec, QEMU reads the range reversed', () => {
        // pcie-to-pci 00:1e.0 → bus 1 → legacy PCI bridge 01:03.0 → bus 2 → device 02:00.0.
        const b1 = bridge('p2p', 'pcie-to-pci', '00:1e.0', pci0, pci1);
        const b2 = bridge('legacy', 'pci-to-pci', '01:03.0', pci1, pci2);
        // Linux: SID = (alias bus 1 << 8) | device bus 2.
        const dmar0 = vtd('dmar0', { irtes: { 0: { vector: 0x41, dest: 1, sid: 0x0102, svt: 'bus' } } });
        const m = machine({ iommus: [dmar0], buses: [pci0, pci1, pci2], bridges: [b1, b2], devices: [nic('old', '02:00.0', pci2, 0xfee0_0010n, 0)] });
        const spec = rt(m, 'old', 'msix', 0);
        assert.equal(summarizeOutcome(spec), '→ IRTE 0 → CPU 1 · vec 0x41 · fixed · edge');
        assert.equal(spec.stages[2].summary, 'IRTE 0: present, remapped, vector 0x41 → physical dest 0x1 (requester 01:00.0)');
        const qemu = rt(m, 'old', 'msix', 0, 'qemu');
        assert.equal(qemu.outcome.kind === 'fault' && qemu.outcome.faultReason, 0x26);
        assert.match(qemu.findings[0].message, /QEMU reads the bus range reversed/);
        assert.deepEqual(qemu.findings[0].related[2].element, { id: 'bridge:p2p', property: 'kind' });
    });

    test('behind a legacy PCI bridge: requests carry the bridge’s BDF', () => {
        const b2 = bridge('legacy', 'pci-to-pci', '00:1f.0', pci0, pci2);
        const wrong = vtd('dmar0', { irtes: { 0: { vector: 0x41, dest: 1, sid: { bus: 2, device: 0, fn: 0 } } } });
        const m = machine({ iommus: [wrong], buses: [pci0, { ...pci2, parentBridge: 'bridge:legacy' }], bridges: [b2], devices: [nic('old', '02:00.0', pci2, 0xfee0_0010n, 0)] });
        const t = rt(m, 'old', 'msix', 0);
        assert.equal(t.outcome.kind === 'fault' && t.outcome.faultReason, 0x26);
        assert.match(t.findings[0].message, /arrive with requester id 00:1f\.0 \(set by PCI bridge legacy\)\. The IRTE should hold `sid 00:1f\.0`/);
        assert.deepEqual(t.findings[0].related[2].element, { id: 'bridge:legacy', property: 'kind' });

        const right = vtd('dmar0', { irtes: { 0: { vector: 0x41, dest: 1, sid: { bus: 0, device: 0x1f, fn: 0 } } } });
        const ok = rt({ ...m, iommus: [right] }, 'old', 'msix', 0);
        assert.equal(summarizeOutcome(ok), '→ IRTE 0 → CPU 1 · vec 0x41 · fixed · edge');
    });

    test('an IOMMU set on the root bus covers buses below bridges', () => {
        const b1 = bridge('rp', 'pcie-root-port', '00:1c.0', pci0, pci1);
        const dmar0 = vtd('dmar0', { irtes: { 0: { vector: 0x41, dest: 2, sid: { bus: 1, device: 0, fn: 0 } } } });
        const m = machine({ iommus: [dmar0], buses: [pci0, { ...pci1, parentBridge: 'bridge:rp' }], bridges: [b1], devices: [nic('gpu', '01:00.0', pci1, 0xfee0_0010n, 0)] });
        assert.equal(summarizeOutcome(rt(m, 'gpu', 'msix', 0)), '→ IRTE 0 → CPU 2 · vec 0x41 · fixed · edge');
    });
});

describe('route: IMS and other sources', () => {
    const pci0 = bus('pci0', 0);
    test('IMS entries route like MSI-X entries; a masked one is pending at its device-defined bit', () => {
        const ims = { id: 'ims:gpu', size: 64, entries: [entry('gpu', 'ims', 0, 0xfee0_2000n, 0x45), entry('gpu', 'ims', 1, 0xfee0_2000n, 0x46, true)] };
        const m = machine({ buses: [pci0], devices: [device('gpu', '00:05.0', pci0, { ims })] });
        assert.equal(summarizeOutcome(rt(m, 'gpu', 'ims', 0)), '→ CPU 2 · vec 0x45 · fixed · edge');
        assert.equal(summarizeOutcome(rt(m, 'gpu', 'ims', 1)), 'pending · IMS entry 1 pending bit (device-defined) (entry masked)');
        const bad = route({ ...m, devices: [device('gpu', '00:05.0', pci0, { ims: { ...ims, size: 1 } })] }, { device: 'device:gpu', kind: 'ims', index: 1 }, { profile: 'spec' });
        assert.deepEqual(
            bad.findings.map((f) => [f.code, f.element]),
            [['ims-entry-out-of-range', { id: 'ims:gpu:1', property: 'index' }]],
        );
    });

    test('an MSI vector above the enabled count is an error on MME', () => {
        const m = machine({ buses: [pci0], devices: [device('nvme', '00:04.0', pci0, { msi: msi('nvme', { address: 0xfee0_0000n, data: 0x40, mme: 1 }) })] });
        const t = rt(m, 'nvme', 'msi', 2);
        assert.deepEqual(
            t.findings.map((f) => [f.code, f.element]),
            [['msi-vector-out-of-range', { id: 'msi:nvme', property: 'mme' }]],
        );
        assert.match(t.findings[0].message, /MME=1 enables 2 vectors \(0\.\.1\)/);
    });

    test('a software-disabled APIC drops fixed interrupts', () => {
        const m = machine({ cpus: [cpu(0), cpu(1, 1, 'xapic', { enabled: false })], buses: [pci0], devices: [nic('nic', '00:03.0', pci0, 0xfee0_1000n, 0x41), nic('nmi', '00:06.0', pci0, 0xfee0_1000n, 0x0400)] });
        const t = rt(m, 'nic', 'msix', 0);
        assert.deepEqual(
            t.findings.map((f) => [f.code, f.severity, f.related.map((r) => r.element)]),
            [['x86-dest-unreachable', 'error', [{ id: 'cpu:1', property: 'enabled' }]]],
        );
        assert.equal(summarizeOutcome(t), '→ no CPU (dest 0x1) · vec 0x41 · fixed · edge');
        // NMI is not gated by the software enable.
        assert.equal(summarizeOutcome(rt(m, 'nmi', 'msix', 0)), '→ CPU 1 · vec 0x0 · nmi · edge');
    });
});

describe('route: misuse', () => {
    test('an unknown device is a caller error', () => {
        assert.throws(() => route(machine(), { device: 'device:none', kind: 'msix', index: 0 }, { profile: 'spec' }), /unknown device 'device:none'/);
    });
    test('other architectures are not traced', () => {
        const pci0 = bus('pci0', 0);
        const m = machine({ arch: 'ppc64', cpus: cpus(1), buses: [pci0], devices: [nic('nic', '00:01.0', pci0, 0x1000_0000n, 0)] });
        const t = rt(m, 'nic', 'msix', 0);
        assert.equal(t.outcome.kind === 'fault' && t.outcome.code, 'route-unsupported-arch');
    });
});
