import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodePhbWindowAddress, describeGsi, describeVectorState, route, spaprLegacyParts, summarizeOutcome, type DecodedField } from '../../language/engine/index.js';
import { bus, device, entry, irqfd, kvm, machine, msi, msix, phb, ppcDevice, pseries, route as kvmRoute } from './build.js';

const W = 0x1000_0000_0000n;
const brief = (f: DecodedField) => [f.name, f.bits, f.text, f.meaning, f.flagged ?? false];

describe('decodePhbWindowAddress', () => {
    const pci0 = bus('pci0', 0, { phb: 'phb:phb0' });
    const legacy = pseries({ phbs: [phb('phb0', W, { model: 'legacy' })], buses: [pci0], devices: [ppcDevice('vfio0', '00:01.0', pci0, 0x1100, 8), ppcDevice('nic', '00:02.0', pci0, 0x1108, 4)] });

    test('legacy: slot, vector and XICS source', () => {
        const d = decodePhbWindowAddress(W + 0x1_000cn, 0, { profile: 'spec', machine: legacy, deviceId: 'device:nic' });
        assert.equal(d.title, 'PHB phb0 MSI window write (legacy model)');
        assert.deepEqual(d.context, ['device nic (00:02.0)', 'on PHB phb0 (legacy MSI model, window 0x0000_1000_0000_0000 + 0x200000, 32 slots)', 'XICS sources 0x1000..0x1fff', 'profile spec']);
        assert.deepEqual(d.fields.map(brief), [
            ['ndev (slot)', '20:16', '1', 'msi_table[1]: nic, IRQs 0x1108..0x110b', false],
            ['vector (address)', '15:2', '3', 'MSI-X vector number firmware put in the address', false],
            ['Data', '31:0', '0x0', 'ORed into the vector (0)', false],
        ]);
        assert.equal(d.summary, 'slot 1 (nic), vector 3 → XICS irq 0x110b (source 0x10b) → server 0 · priority 5');
        assert.deepEqual(d.busBytes, ['0c', '00', '01', '00', '00', '10', '00', '00']);
    });

    test('legacy: the data ORs into the vector; slots past the count, unconfigured or past the table are flagged', () => {
        assert.equal(decodePhbWindowAddress(W, 5, { profile: 'spec', machine: legacy, deviceId: 'device:vfio0' }).summary, 'slot 0 (vfio0), vector 5 → XICS irq 0x1105 (source 0x105) → server 0 · priority 5');
        assert.equal(decodePhbWindowAddress(W + 0x1_0000n, 4, { profile: 'spec', machine: legacy, deviceId: 'device:nic' }).summary, 'slot 1 (nic), vector 4: past the 4 allocated vector(s)');
        const empty = decodePhbWindowAddress(W + 0x5_0000n, 0, { profile: 'spec', machine: legacy, phbId: 'phb:phb0' });
        assert.equal(empty.summary, 'slot 5, vector 0: the slot is not configured');
        assert.equal(empty.fields[0].flagged, true);
        const other = decodePhbWindowAddress(W, 0, { profile: 'spec', machine: legacy, deviceId: 'device:nic' });
        assert.deepEqual(other.notes, ['slot 0 belongs to vfio0, not nic']);
        const outside = decodePhbWindowAddress(0x2000n, 0, { profile: 'spec', machine: legacy, deviceId: 'device:nic' });
        assert.equal(outside.summary, 'outside the MSI window of phb0: an ordinary DMA write, no interrupt');
        assert.equal(outside.fields[0].flagged, true);
    });

    test('current: data is the IRQ; unclaimed and out-of-ICS IRQs are flagged', () => {
        const m = pseries({ phbs: [phb('phb0', W)], buses: [pci0], devices: [ppcDevice('gpu', '00:01.0', pci0, 0x1200, 2, { alloc: { server: 8, priority: 3 } })] });
        const d = decodePhbWindowAddress(W, 0x1201, { profile: 'spec', machine: m, deviceId: 'device:gpu' });
        assert.equal(d.title, 'PHB phb0 MSI window write (current model)');
        assert.equal(d.summary, 'data is the IRQ: XICS irq 0x1201 (source 0x201) → server 8 · priority 3');
        assert.deepEqual(d.fields.map(brief), [
            ['Window offset', '63:0', '0x0', 'ignored: spapr_msi_write uses only the data', false],
            ['IRQ (data)', '31:0', '0x1201', 'global XICS IRQ → ICS source 0x201, allocated to gpu', false],
        ]);
        assert.deepEqual(decodePhbWindowAddress(W, 0x1300, { profile: 'spec', machine: m, deviceId: 'device:gpu' }).notes, ['IRQ 0x1300 is in no device\'s allocation: spapr-irq-unclaimed']);
        assert.equal(decodePhbWindowAddress(W, 0x30, { profile: 'spec', machine: m, deviceId: 'device:gpu' }).summary, 'data 0x30 is not an XICS IRQ');
    });

    test('legacy: the decode agrees with the route (spaprLegacyDecode): an allocation of no vectors, an IRQ past the ICS', () => {
        assert.deepEqual(spaprLegacyParts(0x3_0008n, 0x1), { ndev: 3, addrVec: 2, vec: 3 });
        const small = pseries({
            phbs: [phb('phb0', W, { model: 'legacy' })],
            buses: [pci0],
            xics: { id: 'xics', first: 0x1000, last: 0x1103 },
            devices: [ppcDevice('none', '00:01.0', pci0, 0x1100, 0), ppcDevice('nic', '00:02.0', pci0, 0x1102, 4)],
        });
        const none = decodePhbWindowAddress(W, 0, { profile: 'spec', machine: small, deviceId: 'device:none' });
        assert.equal(none.summary, 'slot 0, vector 0: the slot is not configured');
        assert.deepEqual(none.fields.map(brief)[0], ['ndev (slot)', '20:16', '0', 'slot not configured', true]);
        const past = decodePhbWindowAddress(W + 0x1_0008n, 0, { profile: 'spec', machine: small, deviceId: 'device:nic' });
        assert.equal(past.summary, 'slot 1 (nic), vector 2 → IRQ 0x1104, outside the XICS sources');
        const routed = route({ ...small, devices: [small.devices[1]] }, { device: 'device:nic', kind: 'msix', index: 2 }, { profile: 'spec' });
        assert.match(summarizeOutcome(routed), /0x1104/);
    });

    test('without a machine or PHB the write cannot be decoded', () => {
        assert.equal(decodePhbWindowAddress(W, 1, { profile: 'spec' }).summary, '0x0000_1000_0000_0000 ← 0x1: no PHB is known for this write, so it cannot be decoded');
    });
});

describe('describeGsi', () => {
    const pci0 = bus('pci0', 0);
    const nic = device('nic', '00:03.0', pci0, { msix: msix('nic', 2, [entry('nic', 'msix', 0, 0xfee0_1000n, 0x41), entry('nic', 'msix', 1, 0xfee0_1000n, 0x42)]) });
    const m = machine({ buses: [pci0], devices: [nic], kvm: kvm({ routes: [kvmRoute(24, 0xfee0_1000n, 0x41), kvmRoute(25, 0xfee0_1000n, 0x40)], irqfds: [irqfd('nic', 'msix', 0, 24), irqfd('nic', 'msix', 1, 25), irqfd('nic', 'msix', 1, 26)] }) });

    test('a routed GSI: its route and the irqfds on it', () => {
        const d = describeGsi(24, { profile: 'spec', machine: m });
        assert.equal(d.title, 'KVM GSI 24');
        assert.deepEqual(d.context, ['q35: routed GSI mapping, route limit 4096, 2 route(s)', 'profile spec']);
        assert.equal(d.summary, 'GSI 24 → MSI route 0xfee0_1000 ← 0x41 (irqfd from nic.msix[0])');
        assert.deepEqual(d.fields.map(brief), [['route msi', '63:0', '0xfee0_1000', 'MSI route: address 0xfee0_1000 data 0x41', false]]);
    });

    test('a stale route and a GSI without a route', () => {
        assert.deepEqual(describeGsi(25, { profile: 'spec', machine: m }).notes, ['irqfd from nic.msix[1]', 'stale: nic.msix[1] now holds 0xfee0_1000 ← 0x42 (kvm-route-stale)']);
        assert.equal(describeGsi(26, { profile: 'spec', machine: m }).summary, 'GSI 26: no route — the irqfd from nic.msix[1] injects nothing');
        assert.deepEqual(describeGsi(5000, { profile: 'spec', machine: m }).notes, ['GSI 5000 is not below the route limit 4096: kvm-gsi-out-of-range']);
    });

    test('direct mapping: the GSI is the XICS IRQ', () => {
        const p0 = bus('pci0', 0, { phb: 'phb:phb0' });
        const pm = pseries({ phbs: [phb('phb0', W)], buses: [p0], devices: [ppcDevice('vfio0', '00:01.0', p0, 0x1100, 8)] });
        const d = describeGsi(0x1103, { profile: 'spec', machine: pm });
        assert.equal(d.summary, 'GSI 4355 (0x1103) = XICS irq 0x1103 (source 0x103), allocated to vfio0: direct mapping, no route');
        assert.deepEqual(d.notes, []);
        assert.equal(describeGsi(24, { profile: 'spec', machine: pm }).summary, 'GSI 24 (0x18) is not an XICS source (0x1000..0x1fff): direct mapping needs GSI = XICS irq');
    });
});

describe('describeVectorState', () => {
    const pci0 = bus('pci0', 0);
    const nic = device('nic', '00:03.0', pci0, { msix: msix('nic', 130, [entry('nic', 'msix', 0, 0xfee0_0010n, 0), entry('nic', 'msix', 129, 0xfee0_0030n, 0, true, true)]) });
    const nvme = device('nvme', '00:04.0', pci0, { msi: msi('nvme', { address: 0xfee0_1000n, data: 0x40, mme: 2, perVectorMask: true, maskBits: 4, pendingBits: 4, is64: false, latches: true }) });
    const plain = device('old', '00:05.0', pci0, { msi: msi('old', { address: 0xfee0_1000n, data: 0x40, maskBits: 1 }) });
    const gpu = device('gpu', '00:06.0', pci0, { ims: { id: 'ims:gpu', size: 4, maskable: false, entries: [entry('gpu', 'ims', 0, 0xfee0_1000n, 0x45, true)] } });
    const m = machine({ buses: [pci0], devices: [nic, nvme, plain, gpu] });

    test('MSI-X: enable, function mask, Vector Control bit at 16·k + 12, PBA qword and bit', () => {
        const d = describeVectorState({ device: 'device:nic', kind: 'msix', index: 129 }, { profile: 'spec', machine: m });
        assert.equal(d.title, 'nic.msix[129] state');
        assert.deepEqual(d.fields.map(brief), [
            ['MSI-X Enable', '15', '1', 'Message Control bit 15', false],
            ['Function Mask', '14', '0', 'Message Control bit 14: masks every vector', false],
            ['Vector Control: Mask', '0', '1', 'entry 129: table offset 0x81c (16·129 + 12), bit 0', false],
            ['Pending', '1', '1', 'PBA qword 2 (offset 0x10) bit 1', false],
        ]);
        assert.equal(d.summary, 'entry masked: a fired vector sets its pending bit (set now: delivered on unmask)');
        assert.equal(describeVectorState({ device: 'device:nic', kind: 'msix', index: 0 }, { profile: 'spec', machine: m }).summary, 'enabled, unmasked: fires now');
    });

    test('MSI: Mask Bits / Pending Bits offsets for a 32-bit capability; latching; no per-vector masking', () => {
        const d = describeVectorState({ device: 'device:nvme', kind: 'msi', index: 2 }, { profile: 'spec', machine: m });
        assert.deepEqual(d.fields.slice(2).map(brief), [
            ['Mask Bits', '2', '1', 'capability offset 0xc, bit 2', false],
            ['Pending Bits', '2', '1', 'capability offset 0x10, bit 2', false],
        ]);
        assert.deepEqual(d.notes, ['the device latches its message']);
        const o = describeVectorState({ device: 'device:old', kind: 'msi', index: 0 }, { profile: 'spec', machine: m });
        assert.equal(o.summary, 'enabled, unmasked: fires now');
        assert.equal(o.notes[0], 'mask / pending bit 0 set on a capability without per-vector masking: ignored (msi-mask-unsupported)');
    });

    test('IMS: device-defined mask, ignored on an unmaskable store', () => {
        const d = describeVectorState({ device: 'device:gpu', kind: 'ims', index: 0 }, { profile: 'spec', machine: m });
        assert.deepEqual(d.fields.map(brief)[0], ['Mask', '0', '1', 'the store declares no mask: ignored', false]);
        assert.equal(d.summary, 'enabled, unmasked: fires now');
    });

    test('pseries: the device-write stage of a trace shows the vector state, then the PHB decode', () => {
        const p0 = bus('pci0', 0, { phb: 'phb:phb0' });
        const pm = pseries({ phbs: [phb('phb0', W)], buses: [p0], devices: [ppcDevice('vfio0', '00:01.0', p0, 0x1100, 2)] });
        const t = route(pm, { device: 'device:vfio0', kind: 'msix', index: 1 }, { profile: 'spec' });
        assert.deepEqual(t.stages[0].decodes.map((d) => d.title), ['vfio0.msix[1] state', 'PHB phb0 MSI window write (current model)']);
        assert.deepEqual(t.stages[0].decodes[0].notes, ['message programmed by firmware (ibm,change-msi)']);
    });
});
