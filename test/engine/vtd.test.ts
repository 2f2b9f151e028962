import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
    checkSourceId,
    encodeIrte,
    expectedIrteSource,
    irteDecodedFields,
    irteFieldsOf,
    irteReservedMask,
    irteReservedViolations,
    irteWords,
    NO_SID,
    parseSq,
    parseSvt,
    prepareVtdUnit,
    requesterIdOf,
    vtdRemap,
    WARN_IOAPIC_TRIGGER,
    WARN_IOAPIC_VECTOR,
    type IrteWords,
} from '../../language/engine/index.js';
import { bridge, bus, device, machine } from './build.js';

describe('IRTE encode / decode', () => {
    test('field form encodes to the raw entry a real table holds', () => {
        // The language sketch's `irte 3 raw 0x0000_0003_0041_0001 0x0000_0000_0004_0018`.
        assert.deepEqual(encodeIrte({ vector: 0x41, dest: 3, sid: { bus: 0, device: 3, fn: 0 } }, { eim: true }), { lo: 0x0000_0003_0041_0001n, hi: 0x0000_0000_0004_0018n });
        // `irte 1 { vector 0x42 dest 0x100 fixed edge physical sid 00:03.0 sq any svt requester }`
        assert.deepEqual(encodeIrte({ vector: 0x42, dest: 0x100, deliveryMode: 'fixed', trigger: 'edge', destMode: 'physical', sid: 0x18, sq: 'any', svt: 'requester' }, { eim: true }), {
            lo: 0x0000_0100_0042_0001n,
            hi: 0x0000_0000_0007_0018n,
        });
        // Every remapped-format bit: FPD, logical, RH, level, lowest priority, AVAIL 0xA.
        assert.deepEqual(
            encodeIrte({ vector: 0x91, dest: 0x21, fpd: true, destMode: 'logical', redirectionHint: true, trigger: 'level', deliveryMode: 'lowest-priority', avail: 0xa }, { eim: true }),
            { lo: 0x0000_0021_0091_0a3fn, hi: 0n },
        );
    });

    test('xAPIC mode puts the destination in bits 47:40, and an ID above 0xFF in the reserved bits', () => {
        assert.deepEqual(encodeIrte({ vector: 0x30, dest: 5 }, { eim: false }), { lo: 0x0000_0500_0030_0001n, hi: 0n });
        const wide = encodeIrte({ vector: 0x30, dest: 0x123 }, { eim: false });
        assert.equal(wide.lo, 0x0001_2300_0030_0001n);
        const w = irteWords(wide.lo, wide.hi);
        assert.deepEqual(irteReservedViolations(w, irteReservedMask(false, 'spec', false, false)), ['48']);
    });

    test('posted form: `{ posted vector 0x50 descriptor 0x7f3c_0040 urgent sid 00:04.0 }`', () => {
        const raw = encodeIrte({ posted: true, vector: 0x50, pda: 0x7f3c_0040n, urgent: true, sid: { bus: 0, device: 4, fn: 0 } }, { eim: true });
        assert.deepEqual(raw, { lo: 0x7f3c_0040_0050_c001n, hi: 0x0000_0000_0004_0020n });
        const high = encodeIrte({ posted: true, vector: 0x50, pda: 0x1_2345_6780n }, { eim: true });
        assert.deepEqual(high, { lo: 0x2345_6780_0050_8001n, hi: 0x0000_0001_0000_0000n });
    });

    test('decode(encode(fields)) gives the fields back', () => {
        const specs = [
            { vector: 0x41, dest: 3, sid: 0x18 },
            { vector: 0xef, dest: 0xffff_fffe, destMode: 'logical' as const, trigger: 'level' as const, deliveryMode: 7, redirectionHint: true, fpd: true, avail: 5, sid: 0x0102, svt: 'bus', sq: 0 },
            { vector: 0x10, dest: 0x80, present: false, svt: 'none' },
            { posted: true, vector: 0x60, pda: 0xffff_ffff_ffff_ffc0n, urgent: false, sid: 0xfff8, sq: 3, svt: 'requester' },
        ];
        for (const spec of specs) {
            const raw = encodeIrte(spec, { eim: true });
            const f = irteFieldsOf(raw.lo, raw.hi, { eim: true });
            assert.deepEqual(encodeIrte(f, { eim: true }), raw, JSON.stringify(spec, (_k, v) => (typeof v === 'bigint' ? v.toString(16) : v)));
        }
        assert.deepEqual(irteFieldsOf(0x0000_0021_0091_0a3fn, 0n, { eim: true }), {
            present: true,
            fpd: true,
            posted: false,
            vector: 0x91,
            avail: 0xa,
            dest: 0x21,
            deliveryMode: 1,
            trigger: 'level',
            destMode: 'logical',
            redirectionHint: true,
            urgent: false,
            pda: 0n,
            sid: 0,
            sq: 0,
            svt: 0,
        });
    });

    test('values that do not fit their field are refused', () => {
        assert.throws(() => encodeIrte({ vector: 0x100 }, { eim: true }), /vector must be 0..0xff, got 256/);
        assert.throws(() => encodeIrte({ vector: 0x41, sid: 0x1_0000 }, { eim: true }), /sid must be 0..0xffff/);
        assert.throws(() => encodeIrte({ vector: 0x41, posted: true, pda: 0x7f3c_0044n }, { eim: true }), /64-byte aligned/);
        assert.throws(() => encodeIrte({ vector: 0x41, deliveryMode: 'startup-ish' }, { eim: true }), /unknown delivery mode/);
        assert.throws(() => parseSvt('maybe'), /unknown svt 'maybe'/);
        assert.throws(() => parseSq(4), /sq must be 0..3/);
        assert.equal(parseSq('any'), 3);
        assert.equal(parseSvt('bus'), 2);
    });

    test('field table: bit ranges, values and flagged reserved bits', () => {
        const w = irteWords(0x0100_0500_0030_2001n, 0x0000_0000_000c_0100n);
        const f = irteDecodedFields(w, { eim: false, postedSupported: false, profile: 'spec' });
        const pick = (bits: string) => f.find((x) => x.bits === bits);
        assert.deepEqual(pick('14:12'), { name: 'reserved', bits: '14:12', value: 2n, text: '0x2', meaning: 'must be 0', flagged: true });
        assert.deepEqual(pick('47:40'), { name: 'Destination ID', bits: '47:40', value: 5n, text: '0x5', meaning: 'xAPIC ID (EIM off: 8 bits)' });
        assert.deepEqual(pick('63:48'), { name: 'reserved', bits: '63:48', value: 0x100n, text: '0x100', meaning: 'must be 0 (xAPIC mode: a destination above 0xFF needs EIM)', flagged: true });
        assert.deepEqual(pick('83:82'), {
            name: 'SVT',
            bits: '83:82',
            value: 3n,
            text: 'reserved',
            meaning: 'reserved (spec: fault 0x24; QEMU: 0x26)',
            flagged: true,
        });
        assert.deepEqual(pick('23:16'), { name: 'Vector', bits: '23:16', value: 0x30n, text: '0x30', meaning: 'vector delivered to the destination' });
        assert.deepEqual(
            f.map((x) => x.bits),
            ['0', '1', '2', '3', '4', '7:5', '11:8', '14:12', '15', '23:16', '31:24', '63:48', '47:40', '39:32', '79:64', '81:80', '83:82', '127:84'],
        );
    });

    test('posted field table when posted interrupts are supported', () => {
        const raw = encodeIrte({ posted: true, vector: 0x50, pda: 0x7f3c_0040n, urgent: true }, { eim: true });
        const f = irteDecodedFields(irteWords(raw.lo, raw.hi), { eim: true, postedSupported: true, profile: 'spec' });
        assert.deepEqual(
            f.map((x) => `${x.bits}=${x.text}`),
            ['0=1', '1=0', '7:2=0x0', '11:8=0x0', '13:12=0x0', '14=1', '15=1', '23:16=0x50', '37:24=0x0', '63:38=0x1fcf001', '79:64=0x0000', '81:80=0', '83:82=none', '95:84=0x0', '127:96=0x0'],
        );
    });

    test('reserved masks per profile', () => {
        const rsvd = (lo: bigint, hi: bigint, profile: 'spec' | 'qemu', eim: boolean, posted = false, ps = false) =>
            irteReservedViolations(irteWords(lo, hi), irteReservedMask(posted, profile, eim, ps));
        assert.deepEqual(rsvd(0x0000_0000_0100_0001n, 0n, 'spec', true), ['24']);
        assert.deepEqual(rsvd(0x0000_0000_0100_0001n, 0n, 'qemu', true), ['24']);
        assert.deepEqual(rsvd(0x0000_0080_0000_0001n, 0n, 'spec', false), ['39']);
        assert.deepEqual(rsvd(0x0000_0080_0000_0001n, 0n, 'qemu', false), []);
        assert.deepEqual(rsvd(1n, 0xffff_ffff_fff0_0000n, 'spec', true), ['127:84']);
        assert.deepEqual(rsvd(1n, 0x0000_0000_000c_0000n, 'spec', true), ['SVT=11']);
        assert.deepEqual(rsvd(1n, 0x0000_0000_000c_0000n, 'qemu', true), []);
        assert.deepEqual(rsvd(0x8001n, 0n, 'spec', true, true, false), ['IM=1 (posted format not supported)']);
        assert.deepEqual(rsvd(0x0000_0000_0000_8005n, 0n, 'spec', true, true, true), ['2']);
        assert.deepEqual(rsvd(0x0000_0001_0000_8001n, 0n, 'spec', true, true, true), ['32']);
    });
});

describe('vtdRemap', () => {
    const unit = (o: Partial<Parameters<typeof prepareVtdUnit>[0]> = {}) => prepareVtdUnit({ enabled: true, eime: true, cfis: false, irtaS: 7, postedSupported: false, ...o });
    const table = (entries: Record<number, { lo: bigint; hi: bigint }>) => {
        const m = new Map<number, IrteWords>(Object.entries(entries).map(([k, v]) => [Number(k), irteWords(v.lo, v.hi)]));
        return (i: number) => m.get(i);
    };
    const req = (addrLo: number, data = 0, o: { sid?: number; ioapic?: boolean; addrHi?: number } = {}) => ({ addrLo, addrHi: o.addrHi ?? 0, data, sid: o.sid ?? NO_SID, ioapic: o.ioapic ?? false });

    test('remapped output composes the APIC message (dest[31:8] in address_hi, addr[1:0] kept, level set)', () => {
        const read = table({ 6: { lo: 0x0000_1234_0080_0009n, hi: 0n } }); // RH=1, vector 0x80, dest 0x1234
        const r = vtdRemap(req(0xfee0_00d3), unit(), read, 'spec');
        assert.equal(r.result, 'remapped');
        assert.deepEqual([r.index, r.dest, r.redirectionHint, r.outAddrLo, r.outAddrHi, r.outData], [6, 0x1234, 1, 0xfee3_400b, 0x1200, 0x4080]);
    });

    test('IOAPIC-origin requests warn when vector or trigger differ from the IRTE; the IRTE wins', () => {
        const read = table({ 16: { lo: 0x0000_0002_0031_0011n, hi: 0n } }); // vector 0x31, level
        const ok = vtdRemap(req(0xfee0_0210, 0x8031, { ioapic: true }), unit(), read, 'spec');
        assert.equal(ok.warnings, 0);
        const bad = vtdRemap(req(0xfee0_0210, 0x0032, { ioapic: true }), unit(), read, 'qemu');
        assert.equal(bad.warnings, WARN_IOAPIC_VECTOR | WARN_IOAPIC_TRIGGER);
        assert.deepEqual([bad.vector, bad.trigger], [0x31, 1]);
        // A device MSI (not an IOAPIC) with SHV=0 never warns: its data is ignored.
        assert.equal(vtdRemap(req(0xfee0_0210, 0x0032), unit(), read, 'spec').warnings, 0);
    });

    test('SHV reserved data: the spec reports 0x20 before the index check, QEMU only after a successful fetch', () => {
        const read = table({});
        // handle 0x7fff + subhandle 2 with data[31:16] set, 256-entry table.
        const spec = vtdRemap(req(0xfeef_fff8, 0x0001_0002), unit(), read, 'spec');
        assert.deepEqual([spec.faultReason, spec.cause, spec.fpd], [0x20, 'shv-data', -1]);
        const qemu = vtdRemap(req(0xfeef_fff8, 0x0001_0002), unit(), read, 'qemu');
        assert.deepEqual([qemu.faultReason, qemu.cause], [0x21, 'index']);
    });

    test('IRTE read failure beyond the readable part of the table is 0x23', () => {
        const read = table({ 3: { lo: 0x0000_0001_0041_0001n, hi: 0n } });
        const r = vtdRemap(req(0xfee0_0070), unit({ readableEntries: 3 }), read, 'spec');
        assert.deepEqual([r.faultReason, r.cause, r.fpd, r.index], [0x23, 'read', -1, 3]);
        const viaReader = vtdRemap(req(0xfee0_0070), unit(), () => null, 'spec');
        assert.equal(viaReader.faultReason, 0x23);
    });

    test('posted result with posted support; QEMU reads the same entry as remapped', () => {
        const raw = encodeIrte({ posted: true, vector: 0x50, pda: 0x7f3c_0040n }, { eim: true });
        const read = table({ 20: raw });
        const r = vtdRemap(req(0xfee0_0290), unit({ postedSupported: true }), read, 'spec');
        assert.deepEqual([r.result, r.index, r.vector, r.urgent], ['posted', 20, 0x50, 0]);
        const q = vtdRemap(req(0xfee0_0290), unit({ postedSupported: true }), read, 'qemu');
        assert.deepEqual([q.result, q.vector, q.dest], ['remapped', 0x50, 0x7f3c_0040]);
    });
});

describe('vtdRemap speed', () => {
    test('the core stays allocation-light: 200k remaps well under a second', () => {
        const u = prepareVtdUnit({ enabled: true, eime: true, cfis: false, irtaS: 15, postedSupported: false });
        const words = irteWords(0x0000_0003_0041_0001n, 0x0000_0000_0004_0018n);
        const read = () => words;
        let acc = 0;
        const t0 = performance.now();
        for (let i = 0; i < 200_000; i++) acc += vtdRemap({ addrLo: (0xfee0_0010 | ((i & 255) << 5)) >>> 0, addrHi: 0, data: 0, sid: 0x18, ioapic: false }, u, read, 'spec').vector;
        const ms = performance.now() - t0;
        assert.equal(acc, 0x41 * 200_000);
        assert.ok(ms < 1000, `200k remaps took ${ms.toFixed(0)} ms`);
    });
});

describe('source-id validation', () => {
    test('SVT=01 compares under the SQ mask', () => {
        assert.equal(checkSourceId(1, 0, 0x0318, 0x0318, 'spec'), 'ok');
        assert.equal(checkSourceId(1, 0, 0x0318, 0x031c, 'spec'), 'mismatch');
        assert.equal(checkSourceId(1, 1, 0x0318, 0x031c, 'spec'), 'ok'); // bit 2 ignored
        assert.equal(checkSourceId(1, 2, 0x0318, 0x031e, 'spec'), 'ok'); // bits 2:1 ignored
        assert.equal(checkSourceId(1, 2, 0x0318, 0x031f, 'spec'), 'mismatch');
        assert.equal(checkSourceId(1, 3, 0x0318, 0x031f, 'spec'), 'ok'); // any function
        assert.equal(checkSourceId(1, 0, 0x0318, NO_SID, 'spec'), 'skipped');
        assert.equal(checkSourceId(0, 0, 0x0318, 0xabcd, 'spec'), 'ok');
    });

    test('SVT=10 bus range: start..end in the spec, reversed in QEMU', () => {
        assert.equal(checkSourceId(2, 0, 0x0205, 0x0300, 'spec'), 'ok');
        assert.equal(checkSourceId(2, 0, 0x0205, 0x0300, 'qemu'), 'bus-out-of-range');
        assert.equal(checkSourceId(2, 0, 0x0502, 0x0300, 'qemu'), 'ok');
        assert.equal(checkSourceId(2, 0, 0x0303, 0x03ff, 'qemu'), 'ok');
        assert.equal(checkSourceId(3, 0, 0x0100, 0x0100, 'qemu'), 'svt-reserved');
    });

    test('requester id and the SID Linux programs, through each kind of bridge', () => {
        const pci0 = bus('pci0', 0);
        const pci1 = bus('pci1', 1, { parentBridge: 'bridge:rp' });
        const pci2 = bus('pci2', 2, { parentBridge: 'bridge:p2p' });
        const pci3 = bus('pci3', 3, { parentBridge: 'bridge:legacy' });
        const rp = bridge('rp', 'pcie-root-port', '00:1c.0', pci0, pci1);
        const p2p = bridge('p2p', 'pcie-to-pci', '01:00.0', pci1, pci2);
        const legacy = bridge('legacy', 'pci-to-pci', '02:01.0', pci2, pci3);
        const m = machine({ buses: [pci0, pci1, pci2, pci3], bridges: [rp, p2p, legacy] });
        const nvme = device('nvme', '01:00.0', pci1);
        const old = device('old', '02:05.1', pci2);
        const deep = device('deep', '03:04.0', pci3);

        assert.deepEqual(requesterIdOf(m, nvme).rid, 0x0100);
        assert.equal(requesterIdOf(m, nvme).kind, 'own');
        assert.deepEqual(expectedIrteSource(m, nvme), { svt: 1, sq: 0, sid: 0x0100, reason: "requests carry the device's own id 01:00.0" });

        assert.equal(requesterIdOf(m, old).rid, 0x0200);
        assert.equal(requesterIdOf(m, old).bridge?.id, 'bridge:p2p');
        assert.deepEqual(
            { ...expectedIrteSource(m, old), bridge: undefined, reason: undefined },
            { svt: 2, sq: 0, sid: 0x0202, bridge: undefined, reason: undefined },
        );

        // Behind a legacy bridge that is itself behind the PCIe-to-PCI bridge: the topmost alias wins.
        const d = requesterIdOf(m, deep);
        assert.deepEqual([d.rid, d.kind, d.bridge?.id, d.chain.map((b) => b.id)], [0x0200, 'pcie-to-pci', 'bridge:p2p', ['bridge:legacy', 'bridge:p2p', 'bridge:rp']]);
        assert.equal(expectedIrteSource(m, deep).sid, 0x0203);
    });
});
