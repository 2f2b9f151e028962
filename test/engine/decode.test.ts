import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
    decodeBdf,
    decodeIrte,
    decodeMsiAddress,
    decodeMsiData,
    describeIommu,
    encodeIrte,
    irtaSForIndex,
    irteTableEntries,
    parseBdf,
    remappableAddress,
    route,
    summarizeOutcome,
    unwrittenIrteText,
    type Machine,
} from '../../language/engine/index.js';
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
            'an IRTE for this device should hold `sid bus 0x01..0x01`: behind PCIe-to-PCI bridge p2p (00:1e.0): requests carry 01:00.0, so only the bus range 01..01 can be verified',
        ]);
        const own = decodeBdf(parseBdf('00:03.0'), { profile: 'spec', machine: q35() });
        assert.equal(own.summary, "requester id 00:03.0 (the device's own BDF, as dmar0 sees it)");
    });
});

/**
 * A VT-d unit in xAPIC mode (EIM off), 16 entries, no posted interrupts, behind which nic (00:03.0) sends;
 * xAPIC flat CPUs 0..3 (logical IDs 1 << n) and CPU 4 with its APIC disabled.
 */
function brokenVtd(o: { postedSupported?: boolean; irtaAddress?: bigint; haw?: number } = {}): Machine {
    const pci0 = bus('pci0', 0, { iommu: 'iommu:dmar0' });
    const dmar0 = vtd('dmar0', {
        eim: false,
        irtaS: 3,
        ...o,
        irtes: {
            0: { vector: 0x41, dest: 0x100, sid: 0x18 },
            1: { vector: 0x42, dest: 2, sid: 0x20 },
            2: { vector: 0x43, dest: 1, present: false, sid: 0x18 },
            4: { posted: true, vector: 0x50, pda: 0x7f3c_0040n, sid: 0x18 },
            5: { vector: 0x45, dest: 0x2, destMode: 'logical', sid: 0x18 },
            6: { vector: 0x46, dest: 0x3, destMode: 'logical', deliveryMode: 'lowest-priority', sid: 0x18 },
            7: { vector: 0x47, dest: 0x4, sid: 0x18 },
            8: { vector: 0x48, dest: 0x0, sid: 0x18 },
        },
    });
    return machine({
        apic: { mode: 'xapic', logical: 'flat' },
        cpus: [cpu(0), cpu(1), cpu(2), cpu(3), cpu(4, 4, 'xapic', { enabled: false })],
        iommus: [dmar0],
        buses: [pci0],
        devices: [nic('nic', '00:03.0', pci0, 0xfee0_0010n, 0)],
    });
}

describe('the note on a remappable address is what the remapping does', () => {
    const note = (m: Machine, handle: number, profile: 'spec' | 'qemu' = 'spec', data = 0, shv: 0 | 1 = 0) =>
        decodeMsiAddress(BigInt(remappableAddress(handle, shv)), { profile, machine: m, deviceId: 'device:nic', data }).notes;
    /** The route of nic.msix[0] sent to `handle`: the note must agree with it. */
    const outcome = (m: Machine, handle: number, profile: 'spec' | 'qemu' = 'spec') => {
        const d = m.devices[0];
        const e = d.msix!.entries[0];
        const mm: Machine = { ...m, devices: [{ ...d, msix: { ...d.msix!, entries: [{ ...e, address: BigInt(remappableAddress(handle)) }] } }] };
        return summarizeOutcome(route(mm, { device: 'device:nic', kind: 'msix', index: 0 }, { profile }));
    };

    test('reserved bits (0x24): a destination above 0xFF without EIM; a posted entry on a unit without posted support', () => {
        const m = brokenVtd();
        assert.deepEqual(note(m, 0), ['IRTE 0: present, but reserved bits set: 48 (fault 0x24)']);
        assert.match(outcome(m, 0), /^✗ VT-d fault 0x24 /);
        assert.deepEqual(note(m, 4), ['IRTE 4: present, but reserved bits set: 38, 53:50, 62:56, IM=1 (posted format not supported) (fault 0x24)']);
        assert.match(outcome(m, 4), /^✗ VT-d fault 0x24 /);
        // With posted support the same entry is posted (spec); QEMU never reads IM and ignores 63:32 (§10.4).
        const posted = brokenVtd({ postedSupported: true });
        assert.deepEqual(note(posted, 4), ['IRTE 4: present, posted, vector 0x50']);
        assert.deepEqual(note(posted, 4, 'qemu'), ['IRTE 4: present, vector 0x50 → dest 0x0 (CPU 0)']);
        assert.equal(outcome(posted, 4, 'qemu'), '→ IRTE 4 → CPU 0 · vec 0x50 · fixed · edge');
    });

    test('source-id (0x26), not present / not programmed (0x22), beyond the table (0x21), unreadable (0x23)', () => {
        const m = brokenVtd();
        assert.deepEqual(note(m, 1), ['IRTE 1: present, but it verifies sid 00:04.0 (requester) and the requester is 00:03.0 (fault 0x26)']);
        assert.match(outcome(m, 1), /^✗ VT-d fault 0x26 /);
        assert.deepEqual(note(m, 2), ['IRTE 2: not present (fault 0x22)']);
        assert.deepEqual(note(m, 3), ['IRTE 3: not programmed (fault 0x22)']);
        assert.deepEqual(note(m, 20), ['IRTE 20: beyond the table of 16 entries (fault 0x21)']);
        // The table at 0xFFF0 with a 16-bit host address width: one entry is readable.
        const high = brokenVtd({ irtaAddress: 0xfff0n, haw: 16 });
        assert.deepEqual(note(high, 1), ['IRTE 1: cannot be read: the table runs past the host address width (fault 0x23)']);
    });

    test('the CPUs named are the ones the message reaches: logical destinations, lowest priority, disabled and missing APICs', () => {
        const m = brokenVtd();
        assert.deepEqual(note(m, 5), ['IRTE 5: present, vector 0x45 → logical dest 0x2 (CPU 1)']);
        assert.equal(outcome(m, 5), '→ IRTE 5 → CPU 1 · vec 0x45 · fixed · edge');
        assert.deepEqual(note(m, 6), ['IRTE 6: present, vector 0x46 → logical dest 0x3 (one of CPU 0, CPU 1)']);
        assert.deepEqual(note(m, 7), ['IRTE 7: present, vector 0x47 → dest 0x4 (no CPU: CPU 4 has its APIC disabled)']);
        assert.deepEqual(note(m, 8), ['IRTE 8: present, vector 0x48 → dest 0x0 (CPU 0)']);
        assert.equal(outcome(m, 8), '→ IRTE 8 → CPU 0 · vec 0x48 · fixed · edge');
        const noCpu = { ...m, cpus: m.cpus.slice(1) };
        assert.deepEqual(note(noCpu, 8), ['IRTE 8: present, vector 0x48 → dest 0x0 (no CPU)']);
    });

    test('SHV=1: the entry handle + subhandle selects; data[31:16] set faults 0x20 first (spec) or after the read (QEMU)', () => {
        const m = brokenVtd();
        assert.deepEqual(note(m, 4, 'spec', 0x0001, 1), ['IRTE 5 (handle 0x4 + subhandle 0x1): present, vector 0x45 → logical dest 0x2 (CPU 1)']);
        assert.deepEqual(note(m, 4, 'spec', 0x2_0001, 1), ['SHV=1 with data[31:16] set: the request faults before any IRTE is read (fault 0x20)']);
        assert.deepEqual(note(m, 4, 'qemu', 0x2_0004, 1), ['IRTE 8 (handle 0x4 + subhandle 0x4): present, but SHV=1 with data[31:16] set (fault 0x20)']);
        const unknown = decodeMsiAddress(BigInt(remappableAddress(4, 1)), { profile: 'spec', machine: m, deviceId: 'device:nic' });
        assert.deepEqual(unknown.notes, ['IRTE 4 + subhandle: the data word (its subhandle) is not given, so the entry is not known']);
    });

    test('a requester id in the context replaces the device\'s', () => {
        const m = brokenVtd();
        const d = decodeMsiAddress(BigInt(remappableAddress(1)), { profile: 'spec', machine: m, iommuId: 'iommu:dmar0', requesterId: 0x20, data: 0 });
        assert.deepEqual(d.notes, ['IRTE 1: present, vector 0x42 → dest 0x2 (CPU 2)']);
    });

    test('without a machine: the entry selected (QEMU wraps at 16 bits), and that no IRTE is given', () => {
        const at = (addr: bigint, data: number, profile: 'spec' | 'qemu' = 'spec') => decodeMsiAddress(addr, { profile, data }).notes;
        assert.deepEqual(at(0xfee0_0098n, 2), ['IRTE 6 (handle 0x4 + subhandle 0x2): no IRTE given, so where the message goes is not known']);
        assert.deepEqual(at(0xfee0_0010n, 0), ['IRTE 0: no IRTE given, so where the message goes is not known']);
        assert.deepEqual(at(0xfeef_fffcn, 1, 'qemu'), ['IRTE 0 (handle 0xffff + subhandle 0x1, wrapped at 16 bits): no IRTE given, so where the message goes is not known']);
        assert.deepEqual(at(0xfeef_fffcn, 1), ['IRTE 65536 (handle 0xffff + subhandle 0x1): beyond the table of 65536 entries (fault 0x21)']);
        // A machine without an IOMMU on the device's bus, and one whose IOMMU has remapping off.
        const m = brokenVtd();
        const off = { ...m, iommus: [{ ...m.iommus[0], remapping: false }] };
        assert.deepEqual(note(off, 0), ['dmar0 has remapping off: this message cannot be delivered']);
        assert.deepEqual(decodeMsiAddress(BigInt(remappableAddress(4, 1)), { profile: 'spec', machine: off, deviceId: 'device:nic' }).notes, [
            'dmar0 has remapping off: this message cannot be delivered',
        ]);
        const none = { ...m, buses: [bus('pci0', 0)] };
        assert.deepEqual(note(none, 0), ['no IOMMU remaps this device: a remappable-format message cannot be delivered']);
        // A machine but no device and no IOMMU (a bare value, a KVM_SIGNAL_MSI): no table to read the entry from.
        assert.deepEqual(decodeMsiAddress(0xfee0_0098n, { profile: 'spec', machine: m, data: 1 }).notes, [
            'IRTE 5 (handle 0x4 + subhandle 0x1): no IOMMU is known for this message, so where the message goes is not known',
        ]);
    });

    test('table size and never-written entries, as vtdRemap reads them', () => {
        const m = brokenVtd();
        const dmar0 = m.iommus[0];
        assert.equal(irteTableEntries(dmar0), 16);
        assert.equal(irteTableEntries({ irtaS: 15 }), 65536);
        assert.deepEqual([0, 1, 2, 3, 16, 65535, 65536].map(irtaSForIndex), [0, 0, 1, 1, 4, 15, 15]);
        assert.match(describeIommu(dmar0), /, 16 entries\)$/);
        assert.equal(unwrittenIrteText(dmar0, 3), 'never written (reads as not present: fault 0x22)');
        assert.equal(unwrittenIrteText(dmar0, 16), 'beyond the table of 16 entries (fault 0x21)');
        assert.equal(unwrittenIrteText(brokenVtd({ irtaAddress: 0xfff0n, haw: 16 }).iommus[0], 1), 'cannot be read: the table runs past the host address width (fault 0x23)');
    });
});
