import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { decodeBdf, decodeIrte, decodeMsiAddress, decodeMsiData, encodeIrte, parseBdf, type Machine } from '../../language/engine/index.js';
import { bridge, bus, cpu, machine, nic, vtd } from './build.js';

function q35(): Machine {
    const pci0 = bus('pci0', 0, { iommu: 'iommu:dmar0' });
    const pci1 = bus('pci1', 1, { parentBridge: 'bridge:p2p' });
    const dmar0 = vtd('dmar0', { eim: true, cfi: false, irtaS: 7, irtes: { 1: { vector: 0x42, dest: 0x100 }, 4: { vector: 0x60, dest: 1 } } });
    return machine({
        apic: { mode: 'x2apic', logical: 'flat' },
        kvm: { x2apicApi: true, broadcastQuirkDisabled: true, extDestId: false },
        cpus: [cpu(0, 0, 'x2apic'), cpu(1, 1, 'x2apic'), cpu(12, 0x100, 'x2apic')],
        iommus: [dmar0],
        buses: [pci0, pci1],
        bridges: [bridge('p2p', 'pcie-to-pci', '00:1e.0', pci0, pci1)],
        devices: [nic('nic', '00:03.0', pci0, 0xfee0_0030n, 0), nic('old', '01:05.0', pci1, 0xfee0_1000n, 0x41)],
    });
}

describe('hover decodes', () => {
    test('a remappable address names its IRTE and what the IRTE does', () => {
        const d = decodeMsiAddress(0xfee0_0030n, { profile: 'spec', machine: q35(), deviceId: 'device:nic' });
        assert.equal(d.title, 'MSI address');
        assert.deepEqual(d.context, ['device nic (00:03.0)', 'behind dmar0 (VT-d, IR on, EIM on, CFI off, 256 entries)', 'profile spec']);
        assert.equal(d.summary, 'remappable format, handle 1 → IRTE 1');
        assert.equal(decodeMsiAddress(0xfee0_0098n, { profile: 'spec' }).summary, 'remappable format, handle 4, SHV=1 → IRTE 4 + subhandle (data[15:0])');
        assert.deepEqual(d.notes, ['IRTE 1: present, vector 0x42 → dest 0x100 (CPU 12)']);
        assert.deepEqual(d.busBytes, ['30', '00', 'e0', 'fe']);
        assert.deepEqual(
            d.fields.map((f) => `${f.name}[${f.bits}]=${f.text}`),
            ['base[31:20]=0xfee', 'Handle[14:0][19:5]=0x1', 'Interrupt Format[4]=1', 'SHV[3]=0', 'Handle[15][2]=0', 'ignored[1:0]=0'],
        );
    });

    test('a compatibility address behind an IOMMU that blocks it, with the KVM context', () => {
        const d = decodeMsiAddress(0xfee0_1000n, { profile: 'spec', machine: q35(), deviceId: 'device:old' });
        assert.equal(d.summary, 'compatibility format, physical dest 0x1 (CPU 1)');
        assert.deepEqual(d.context, [
            'device old (01:05.0)',
            'behind dmar0 (VT-d, IR on, EIM on, CFI off, 256 entries)',
            'KVM: x2APIC API on, ext dest id off, broadcast quirk disabled',
            'profile spec',
        ]);
        assert.deepEqual(d.notes, ['dmar0 blocks compatibility-format interrupts (EIM on): fault 0x25']);
        assert.deepEqual(decodeMsiAddress(0xfee0_1000n, { profile: 'qemu', machine: q35(), deviceId: 'device:old' }).notes, []);
    });

    test('a byte-swapped address, 64-bit bus bytes', () => {
        const d = decodeMsiAddress(0x1000_e0fe_0000_0000n, { profile: 'spec' });
        assert.match(d.summary, /^not an interrupt address/);
        assert.deepEqual(d.notes, ['looks byte-swapped: reversed it reads 0xfee0_0010, an interrupt address']);
        assert.deepEqual(d.busBytes, ['00', '00', '00', '00', 'fe', 'e0', '00', '10']);
        assert.deepEqual(d.context, ['profile spec']);
    });

    test('data: compatibility view, remappable subhandle view, byte-swap note', () => {
        assert.equal(decodeMsiData(0x4041, { profile: 'spec' }).summary, 'vector 0x41 · fixed · edge');
        const sub = decodeMsiData(0x0002, { profile: 'spec', address: 0xfee0_0098n });
        assert.equal(sub.summary, 'subhandle 0x2: IRTE index = handle + 2');
        assert.deepEqual(
            sub.fields.map((f) => `${f.name}[${f.bits}]=${f.text}`),
            ['reserved[31:16]=0x0', 'Subhandle[15:0]=0x2'],
        );
        const swapped = decodeMsiData(0x4100_0000, { profile: 'spec' });
        assert.deepEqual(swapped.notes, ['looks byte-swapped: reversed it reads 0x41']);
        assert.deepEqual(swapped.busBytes, ['00', '00', '00', '41']);
    });

    test('an IRTE in the context of its IOMMU and machine', () => {
        const m = q35();
        const raw = encodeIrte({ vector: 0x42, dest: 0x100, sid: 0x18 }, { eim: true });
        const d = decodeIrte(raw.lo, raw.hi, { profile: 'spec', machine: m, iommuId: 'iommu:dmar0', index: 1 });
        assert.equal(d.title, 'VT-d IRTE (remapped format)');
        assert.equal(d.summary, 'IRTE 1: present, remapped, vector 0x42 → physical dest 0x100 (CPU 12) · fixed · edge · SID 00:03.0 (requester)');
        assert.deepEqual(d.notes, []);
        assert.equal(d.busBytes?.length, 16);
        assert.deepEqual(d.busBytes?.slice(0, 8), ['01', '00', '42', '00', '00', '01', '00', '00']);
        // An x2APIC-layout entry (dest 0x1234 in 63:32) under an EIM-off IOMMU: bits 39:32 are reserved in
        // the spec; QEMU reads dest 0x12 from 47:40.
        const x2 = encodeIrte({ vector: 0x42, dest: 0x1234 }, { eim: true });
        const xapic = { ...m, iommus: [{ ...m.iommus[0], eim: false }] };
        const e = decodeIrte(x2.lo, x2.hi, { profile: 'spec', machine: xapic, iommuId: 'iommu:dmar0', index: 1 });
        assert.deepEqual(e.notes, ['reserved bits set: 34, 37:36 → fault 0x24', 'destination bits outside 47:40 are set: an APIC ID above 0xFF needs EIM']);
        assert.match(e.summary, /→ physical dest 0x12 ·/);
        const q = decodeIrte(x2.lo, x2.hi, { profile: 'qemu', machine: xapic, iommuId: 'iommu:dmar0', index: 1 });
        assert.deepEqual(q.notes, ['(profile spec) reserved bits set: 34, 37:36 → fault 0x24', 'destination bits outside 47:40 are set: an APIC ID above 0xFF needs EIM']);
    });

    test('a BDF as the IOMMU sees it through a PCIe-to-PCI bridge', () => {
        const d = decodeBdf(parseBdf('01:05.0'), { profile: 'spec', machine: q35() });
        assert.equal(d.summary, 'requester id 01:00.0 as dmar0 sees it: PCIe-to-PCI bridge p2p (00:1e.0) owns the request');
        assert.deepEqual(
            d.fields.map((f) => `${f.name}[${f.bits}]=${f.text}`),
            ['Bus[15:8]=0x01', 'Device[7:3]=0x00', 'Function[2:0]=0'],
        );
        assert.deepEqual(d.notes, [
            'an IRTE for this device should hold svt bus sq 0 sid 0x0101: behind PCIe-to-PCI bridge p2p (00:1e.0): requests carry 01:00.0, so only the bus range 01..01 can be verified',
        ]);
        const own = decodeBdf(parseBdf('00:03.0'), { profile: 'spec', machine: q35() });
        assert.equal(own.summary, "requester id 00:03.0 (the device's own BDF, as dmar0 sees it)");
    });
});
