/**
 * Engine helpers that callers outside the engine use instead of encoding bits themselves, and the APIC ID
 * index route() uses for destination matching.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
    busRangeSid,
    deliverToApics,
    encodeIrte,
    indexApicTargets,
    irtaSizeRule,
    irteFieldsOf,
    irteValue128,
    joinAddress,
    msiLog2OfCount,
    ridOf,
    splitAddress,
    type ApicMessage,
    type ApicTarget,
} from '../../language/engine/index.js';

describe('engine helpers for callers', () => {
    test('requester id of a BDF', () => {
        assert.equal(ridOf({ bus: 0x01, device: 0x05, fn: 2 }), 0x012a);
        assert.equal(ridOf({ bus: 0xff, device: 0x1f, fn: 7 }), 0xffff);
    });

    test('SVT=10 bus range: SID[15:8] = start, SID[7:0] = end (ROUTING.md §2.5)', () => {
        assert.equal(busRangeSid({ start: 0x01, end: 0x02 }), 0x0102);
        const raw = encodeIrte({ vector: 0x41, dest: 1, sidBusRange: { start: 1, end: 2 } }, { eim: true });
        const f = irteFieldsOf(raw.lo, raw.hi, { eim: true });
        assert.deepEqual([f.sid, f.svt, f.sq], [0x0102, 2, 0]);
        // An explicit svt wins, as for `sid`.
        const none = encodeIrte({ vector: 0x41, sidBusRange: { start: 1, end: 2 }, svt: 'none' }, { eim: true });
        assert.equal(irteFieldsOf(none.lo, none.hi, { eim: true }).svt, 0);
        assert.throws(() => encodeIrte({ vector: 0x41, sidBusRange: { start: 0x100, end: 2 } }, { eim: true }), /IRTE bus range start must be 0..0xff, got 256/);
        assert.throws(() => encodeIrte({ vector: 0x41, sid: 0x18, sidBusRange: { start: 1, end: 2 } }, { eim: true }), /sid or sidBusRange, not both/);
    });

    test('IRTA.S of a table size (ROUTING.md §2.2)', () => {
        assert.deepEqual(irtaSizeRule(2n), { s: 0 });
        assert.deepEqual(irtaSizeRule(256n), { s: 7 });
        assert.deepEqual(irtaSizeRule(65536n), { s: 15 });
        for (const bad of [0n, 1n, 3n, 300n, 131072n, 1n << 40n]) {
            assert.deepEqual(irtaSizeRule(bad), { error: `The IRTE table size must be a power of two from 2 to 65536 (IRTA.S = log2(size) − 1); ${bad} is not.` });
        }
    });

    test('MSI vector count', () => {
        assert.deepEqual(msiLog2OfCount(32), { ok: true, log2: 5 });
        assert.equal(msiLog2OfCount(64).ok, false);
    });

    test('64-bit MSI address ↔ dwords, 128-bit IRTE value', () => {
        assert.deepEqual(splitAddress(0x1_fee0_1000n), { lo: 0xfee0_1000, hi: 1 });
        assert.deepEqual(splitAddress(0xffff_ffff_ffff_ffffn), { lo: 0xffff_ffff, hi: 0xffff_ffff });
        assert.deepEqual(splitAddress(0xfee0_0000n), { lo: 0xfee0_0000, hi: 0 });
        assert.equal(joinAddress(0xfee0_1000, 1), 0x1_fee0_1000n);
        assert.equal(joinAddress(0xffff_ffff, 0xffff_ffff), 0xffff_ffff_ffff_ffffn);
        assert.equal(irteValue128(0x0000_0100_0041_0001n, 0x0000_0000_0004_0018n), 0x0000_0000_0004_0018_0000_0100_0041_0001n);
        assert.equal(irteValue128(0xffff_ffff_ffff_ffffn, 0xffff_ffff_ffff_ffffn), (1n << 128n) - 1n);
    });
});

describe('APIC ID index', () => {
    // x2APIC and xAPIC targets with IDs that exercise every rule of kvm_apic_match_physical_addr: ID[7:0]
    // for xAPIC, the 32-bit ID above 0xFF (the hotplug hack), broadcasts with and without the quirk.
    const ids: [number, ApicTarget['mode']][] = [
        [0, 'xapic'], [1, 'x2apic'], [1, 'xapic'], [0xfe, 'x2apic'], [0xff, 'x2apic'], [0xff, 'xapic'],
        [0x100, 'x2apic'], [0x101, 'xapic'], [0x1ff, 'xapic'], [0x1ff, 'x2apic'], [0xffff_ffff, 'x2apic'], [0x3, 'xapic'],
    ];
    const targets: ApicTarget[] = ids.map(([apicId, mode], i) => ({ apicId, mode, logicalId: 1 << (i % 8), dfr: i % 2 ? 'cluster' : 'flat', enabled: i !== 2 }));
    const dests = [0, 1, 2, 3, 0xfe, 0xff, 0x100, 0x101, 0x1ff, 0x200, 0xffff, 0x1_0001, 0xffff_fffe, 0xffff_ffff];

    test('delivery with the index is the delivery of a scan, for every destination, mode and delivery mode', () => {
        const index = indexApicTargets(targets);
        let checked = 0;
        for (const destId of dests) {
            for (const destMode of ['physical', 'logical'] as const) {
                for (const deliveryMode of [0, 1, 4]) {
                    for (const redirectionHint of [0, 1] as const) {
                        for (const quirk of [false, true]) {
                            const msg: ApicMessage = { destId, destMode, deliveryMode, redirectionHint };
                            assert.deepEqual(deliverToApics(msg, targets, quirk, index), deliverToApics(msg, targets, quirk), JSON.stringify({ msg, quirk }));
                            checked++;
                        }
                    }
                }
            }
        }
        assert.equal(checked, dests.length * 2 * 3 * 2 * 2);
    });

    test('a physical destination finds only its candidates; broadcasts and logical destinations get every target', () => {
        const index = indexApicTargets(targets);
        const phys = (destId: number) => index.candidates({ destId, destMode: 'physical' });
        // xAPIC targets compare ID[7:0] with a destination ≤ 0xFF: 0x101 answers 1 as well.
        assert.deepEqual(phys(1), [1, 2, 7]);
        assert.deepEqual(phys(0x101), [7]);
        assert.deepEqual(phys(0x1ff), [8, 9]);
        assert.deepEqual(phys(0x55), []);
        assert.equal(phys(0xff).length, targets.length);
        assert.equal(phys(0xffff_ffff).length, targets.length);
        assert.equal(index.candidates({ destId: 1, destMode: 'logical' }).length, targets.length);
        // An index built for another list is ignored.
        const other = indexApicTargets(targets.slice(0, 2));
        assert.deepEqual(deliverToApics({ destId: 0x101, destMode: 'physical', deliveryMode: 0, redirectionHint: 0 }, targets, false, other).matched, [7]);
    });
});
