/**
 * DecodedField.flagged: the field that causes a fault or warning, set by the decoders from the same engine
 * rules the route follows (vtdRemap, checkSourceId, the delivery-mode and vector rules).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
    decodeIrte,
    decodeMsiAddress,
    decodeMsiData,
    encodeIrte,
    parseBdf,
    route,
    type Machine,
    type ValueDecode,
} from '../../language/engine/index.js';
import { bridge, bus, cpu, machine, nic, vtd } from './build.js';

/** The bit ranges of the flagged fields, in field order. */
const flagged = (d: ValueDecode): string[] => d.fields.filter((f) => f.flagged).map((f) => f.bits);

/** dmar0 (EIM on, CFI off, 256 entries) translates nic (00:03.0) and, behind a PCIe-to-PCI bridge, old (01:05.0 → 01:00.0). */
function q35(irte1: Parameters<typeof encodeIrte>[0] = { vector: 0x42, dest: 0x100 }): Machine {
    const pci0 = bus('pci0', 0, { iommu: 'iommu:dmar0' });
    const pci1 = bus('pci1', 1, { parentBridge: 'bridge:p2p' });
    return machine({
        apic: { mode: 'x2apic', logical: 'flat' },
        kvm: { x2apicApi: true, broadcastQuirkDisabled: true, extDestId: false },
        cpus: [cpu(0, 0, 'x2apic'), cpu(1, 1, 'x2apic'), cpu(12, 0x100, 'x2apic')],
        iommus: [vtd('dmar0', { eim: true, cfi: false, irtaS: 7, irtes: { 1: irte1, 4: { vector: 0x60, dest: 1 } } })],
        buses: [pci0, pci1],
        bridges: [bridge('p2p', 'pcie-to-pci', '00:1e.0', pci0, pci1)],
        devices: [nic('nic', '00:03.0', pci0, 0xfee0_0030n, 0), nic('old', '01:05.0', pci1, 0xfee0_1000n, 0x41)],
    });
}

/** A remappable-format address for `handle` (handle[14:0] in 19:5, handle[15] in 2), SHV as given. */
const remappable = (handle: number, shv = false): bigint => BigInt((0xfee0_0010 | ((handle & 0x7fff) << 5) | ((handle >>> 15) << 2) | (shv ? 8 : 0)) >>> 0);

describe('flagged fields', () => {
    test('0x25: the Interrupt Format bit of a compatibility address the IOMMU blocks (spec only)', () => {
        const m = q35();
        const spec = decodeMsiAddress(0xfee0_1000n, { profile: 'spec', machine: m, deviceId: 'device:old' });
        assert.deepEqual(flagged(spec), ['4']);
        assert.deepEqual(spec.notes, ['dmar0 blocks compatibility-format interrupts (EIM on): fault 0x25']);
        assert.deepEqual(flagged(decodeMsiAddress(0xfee0_1000n, { profile: 'qemu', machine: m, deviceId: 'device:old' })), []);
        // CFI on and EIM off: compatibility format passes.
        const open = { ...m, iommus: [{ ...m.iommus[0], eim: false, cfi: true }] };
        assert.deepEqual(flagged(decodeMsiAddress(0xfee0_1000n, { profile: 'spec', machine: open, deviceId: 'device:old' })), []);
        // No machine: nothing is known to block it.
        assert.deepEqual(flagged(decodeMsiAddress(0xfee0_1000n, { profile: 'spec' })), []);
    });

    test('0x20: address bits 63:32 of a request to a remapping IOMMU; data[31:16] with SHV=1', () => {
        const m = q35();
        // KVM's x2APIC format reads address_hi[31:8] as dest[31:8]; under remapping any of 63:32 faults.
        const hi = decodeMsiAddress(0x100_fee0_1000n, { profile: 'spec', machine: m, deviceId: 'device:old' });
        assert.deepEqual(flagged(hi), ['63:40']);
        assert.deepEqual(hi.notes, []);
        // Without the x2APIC API KVM ignores address_hi: flagged for that reason, with or without an IOMMU.
        assert.deepEqual(flagged(decodeMsiAddress(0x100_fee0_1000n, { profile: 'spec' })), ['63:40']);
        assert.deepEqual(flagged(decodeMsiAddress(0x1_fee0_0030n, { profile: 'spec', machine: m, deviceId: 'device:nic' })), ['63:32']);
        assert.deepEqual(flagged(decodeMsiData(0x1_0002, { profile: 'spec', address: remappable(4, true) })), ['31:16']);
        assert.deepEqual(flagged(decodeMsiData(0x0002, { profile: 'spec', address: remappable(4, true) })), []);
    });

    test('0x21: the handle, and the subhandle, that index past the table', () => {
        const m = q35();
        const ctx = { profile: 'spec' as const, machine: m, deviceId: 'device:nic' };
        assert.deepEqual(flagged(decodeMsiAddress(remappable(300), ctx)), ['19:5']);
        assert.deepEqual(flagged(decodeMsiAddress(remappable(0x8001), ctx)), ['19:5', '2']);
        assert.deepEqual(flagged(decodeMsiAddress(remappable(255), ctx)), []);
        // 250 + 10 ≥ 256: both halves of the index are flagged, each in its own value.
        assert.deepEqual(flagged(decodeMsiAddress(remappable(250, true), { ...ctx, data: 10 })), ['19:5']);
        assert.deepEqual(flagged(decodeMsiData(10, { ...ctx, address: remappable(250, true) })), ['15:0']);
        assert.deepEqual(flagged(decodeMsiAddress(remappable(250, true), ctx)), []);
        assert.deepEqual(flagged(decodeMsiData(5, { ...ctx, address: remappable(250, true) })), []);
        // QEMU wraps the index at 16 bits (ROUTING.md §10.3): 0xfff0 + 0x20 = 0x10, inside the table.
        assert.deepEqual(flagged(decodeMsiData(0x20, { ...ctx, profile: 'qemu', address: remappable(0xfff0, true) })), []);
        assert.deepEqual(flagged(decodeMsiData(0x20, { ...ctx, address: remappable(0xfff0, true) })), ['15:0']);
    });

    test('0x22: P of an entry that is not present', () => {
        const raw = encodeIrte({ vector: 0x41, present: false, sid: parseBdf('00:04.0') }, { eim: true });
        // The source-id check is not reached for an entry that is not present.
        assert.deepEqual(flagged(decodeIrte(raw.lo, raw.hi, { profile: 'spec', machine: q35(), iommuId: 'iommu:dmar0', deviceId: 'device:nic' })), ['0']);
    });

    test('0x24: the reserved fields that are set; an xAPIC-mode destination that needs EIM in both profiles', () => {
        const m = q35();
        const xapic = { ...m, iommus: [{ ...m.iommus[0], eim: false }] };
        const wide = encodeIrte({ vector: 0x41, dest: 0x100 }, { eim: false });
        for (const profile of ['spec', 'qemu'] as const) {
            assert.deepEqual(flagged(decodeIrte(wide.lo, wide.hi, { profile, machine: xapic, iommuId: 'iommu:dmar0' })), ['63:48']);
        }
        // The x2APIC layout (dest in 63:32) read by an EIM-off IOMMU: dest[7:0] lands in the reserved 39:32.
        const x2 = encodeIrte({ vector: 0x41, dest: 0x1234 }, { eim: true });
        assert.deepEqual(flagged(decodeIrte(x2.lo, x2.hi, { profile: 'spec', machine: xapic, iommuId: 'iommu:dmar0' })), ['39:32']);
        // Bits 14:12 and 127:84.
        const rsvd = decodeIrte(0x0000_0000_0041_2001n, 0x0010_0000_0000_0000n, { profile: 'spec', machine: m, iommuId: 'iommu:dmar0' });
        assert.deepEqual(flagged(rsvd), ['14:12', '127:84']);
        // IM=1 without posted-interrupt support: reserved in the spec, ignored by QEMU.
        // (URG, bit 14, is in QEMU's reserved 14:12.)
        const posted = encodeIrte({ vector: 0x41, posted: true, urgent: true, pda: 0x1000n }, { eim: true });
        assert.deepEqual(flagged(decodeIrte(posted.lo, posted.hi, { profile: 'spec', machine: m, iommuId: 'iommu:dmar0' })), ['14:12', '15']);
        assert.deepEqual(flagged(decodeIrte(posted.lo, posted.hi, { profile: 'qemu', machine: m, iommuId: 'iommu:dmar0' })), ['14:12']);
    });

    test('0x26: SID, SQ and SVT of an entry the requester fails', () => {
        const m = q35();
        const ctx = { machine: m, iommuId: 'iommu:dmar0' };
        const own = encodeIrte({ vector: 0x41, dest: 1, sid: parseBdf('00:03.0') }, { eim: true });
        assert.deepEqual(flagged(decodeIrte(own.lo, own.hi, { ...ctx, profile: 'spec', deviceId: 'device:nic' })), []);
        assert.deepEqual(flagged(decodeIrte(own.lo, own.hi, { ...ctx, profile: 'spec', deviceId: 'device:old' })), ['79:64', '81:80', '83:82']);
        assert.deepEqual(flagged(decodeIrte(own.lo, own.hi, { ...ctx, profile: 'spec', requesterId: 0x1c })), ['79:64', '81:80', '83:82']);
        assert.deepEqual(flagged(decodeIrte(own.lo, own.hi, { ...ctx, profile: 'spec' })), []);
        // SQ=3 ignores the function: 00:03.4 passes.
        const anyFn = encodeIrte({ vector: 0x41, dest: 1, sid: parseBdf('00:03.0'), sq: 'any' }, { eim: true });
        assert.deepEqual(flagged(decodeIrte(anyFn.lo, anyFn.hi, { ...ctx, profile: 'spec', requesterId: 0x1c })), []);
        // SVT=10: bus 1 (behind the bridge) against the range 02..03, and against 01..02 as QEMU reads it (end..start).
        const far = encodeIrte({ vector: 0x41, dest: 1, sidBusRange: { start: 2, end: 3 } }, { eim: true });
        assert.deepEqual(flagged(decodeIrte(far.lo, far.hi, { ...ctx, profile: 'spec', deviceId: 'device:old' })), ['79:64', '83:82']);
        const span = encodeIrte({ vector: 0x41, dest: 1, sidBusRange: { start: 1, end: 2 } }, { eim: true });
        assert.deepEqual(flagged(decodeIrte(span.lo, span.hi, { ...ctx, profile: 'spec', deviceId: 'device:old' })), []);
        assert.deepEqual(flagged(decodeIrte(span.lo, span.hi, { ...ctx, profile: 'qemu', deviceId: 'device:old' })), ['79:64', '83:82']);
    });

    test('x86: an illegal vector and a reserved delivery mode, in the data word and in the IRTE', () => {
        assert.deepEqual(flagged(decodeMsiData(0x0005, { profile: 'spec' })), ['7:0']);
        assert.deepEqual(flagged(decodeMsiData(0x0105, { profile: 'spec' })), ['7:0']);
        assert.deepEqual(flagged(decodeMsiData(0x0405, { profile: 'spec' })), []);
        assert.deepEqual(flagged(decodeMsiData(0x0341, { profile: 'spec' })), ['10:8']);
        assert.deepEqual(flagged(decodeMsiData(0x0641, { profile: 'spec' })), ['10:8']);
        const low = encodeIrte({ vector: 0x05, dest: 1 }, { eim: true });
        assert.deepEqual(flagged(decodeIrte(low.lo, low.hi, { profile: 'spec' })), ['23:16']);
        const nmi = encodeIrte({ vector: 0x05, dest: 1, deliveryMode: 'nmi' }, { eim: true });
        assert.deepEqual(flagged(decodeIrte(nmi.lo, nmi.hi, { profile: 'spec' })), []);
        const startup = encodeIrte({ vector: 0x41, dest: 1, deliveryMode: 'startup' }, { eim: true });
        assert.deepEqual(flagged(decodeIrte(startup.lo, startup.hi, { profile: 'spec' })), ['7:5']);
    });

    test('not an interrupt address, and a byte-swapped one: address bits 31:20, the note names the whole value', () => {
        assert.deepEqual(flagged(decodeMsiAddress(0xfed0_0000n, { profile: 'spec' })), ['31:20']);
        const swapped = decodeMsiAddress(0x1000_e0fen, { profile: 'spec' });
        assert.deepEqual(flagged(swapped), ['31:20', '11:5']);
        assert.deepEqual(swapped.notes, ['looks byte-swapped: reversed it reads 0xfee0_0010, an interrupt address']);
        assert.deepEqual(flagged(decodeMsiAddress(0xfee0_1000n, { profile: 'spec' })), []);
    });

    test('route stages carry the flags of the fault they end in', () => {
        // 0x25 on the compatibility-format message of `old`.
        const blocked = route(q35(), { device: 'device:old', kind: 'msix', index: 0 }, { profile: 'spec' });
        assert.equal(blocked.outcome.kind === 'fault' && blocked.outcome.code, 'vtd-fault-0x25');
        assert.deepEqual(blocked.stages.map((s) => [s.kind, s.decodes.map(flagged)]), [
            ['device-write', [['4'], []]],
            ['host-bridge', [['4']]],
            ['interrupt-remapping', [[]]],
        ]);
        // 0x26: IRTE 1 verifies 00:04.0; nic is 00:03.0.
        const m = q35({ vector: 0x42, dest: 0x100, sid: parseBdf('00:04.0') });
        const sid = route(m, { device: 'device:nic', kind: 'msix', index: 0 }, { profile: 'spec' });
        assert.equal(sid.outcome.kind === 'fault' && sid.outcome.code, 'vtd-fault-0x26');
        const remap = sid.stages.find((s) => s.kind === 'interrupt-remapping')!;
        assert.deepEqual(remap.decodes.map((d) => [d.title, flagged(d)]), [
            ['VT-d IRTE (remapped format)', ['79:64', '81:80', '83:82']],
            ['BDF 00:03.0', []],
        ]);
    });
});
