import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
    compatAddressFields,
    compatDataFields,
    decodeCompatMsi,
    defaultXapicLogicalId,
    deliverToApics,
    deliveryModeLabel,
    matchDestination,
    parseDeliveryMode,
    swappedAddressCandidate,
    swappedDataCandidate,
    swizzleExtDestId,
    x2apicLdr,
    type ApicTarget,
} from '../../language/engine/index.js';
import { composeCompatAddress } from '../../language/engine/x86/msi-compat.js';

const off = { x2apicFormat: false, extDestId: false };

describe('compatibility-format decode (KVM)', () => {
    test('every field of a logical, RH, level-triggered lowest-priority message', () => {
        const r = decodeCompatMsi(0xfee0_500c, 0, 0xc141, off);
        assert.deepEqual(r, {
            ok: true,
            msi: {
                format: 'compat',
                destMode: 'logical',
                destId: 5,
                redirectionHint: 1,
                vector: 0x41,
                deliveryMode: 1,
                deliveryModeName: 'lowest_priority',
                level: 1,
                trigger: 'level',
                broadcast: false,
                lowestPriority: true,
                addrLo: 0xfee0_500c,
                addrHi: 0,
                swizzled: false,
                wide: false,
            },
        });
    });

    test('RH=1 alone makes KVM treat a fixed message as lowest priority', () => {
        const r = decodeCompatMsi(0xfee0_5008, 0, 0x41, off);
        assert.equal(r.ok && r.msi.lowestPriority, true);
    });

    test('errors: outside the window, remappable format, x2APIC route with address_hi[7:0] set', () => {
        assert.deepEqual(decodeCompatMsi(0xfed0_0000, 0, 0x41, off), { ok: false, error: 'NOT_INTERRUPT_ADDRESS' });
        assert.deepEqual(decodeCompatMsi(0xfee0_0010, 0, 0, off), { ok: false, error: 'REMAPPABLE_FORMAT' });
        assert.deepEqual(decodeCompatMsi(0xfee0_1000, 0x101, 0x41, { x2apicFormat: true, extDestId: false }), { ok: false, error: 'KVM_MSI_ROUTE_INVALID' });
        // Without the x2APIC API KVM ignores address_hi entirely.
        assert.equal(decodeCompatMsi(0xfee0_1000, 0x101, 0x41, off).ok, true);
    });

    test('x2APIC format: dest = addr[19:12] | addr_hi[31:8] << 8; 0xFFFF_FFFF is broadcast', () => {
        const r = decodeCompatMsi(0xfee0_1000, 0x1200, 0x41, { x2apicFormat: true, extDestId: false });
        assert.deepEqual(r.ok && [r.msi.destId, r.msi.wide], [0x1201, true]);
        const b = decodeCompatMsi(0xfeef_f000, 0xffff_ff00, 0x41, { x2apicFormat: true, extDestId: false });
        assert.deepEqual(b.ok && [b.msi.destId, b.msi.broadcast], [0xffff_ffff, true]);
    });

    test('ext dest id swizzle moves address[11:5] to address_hi[14:8]', () => {
        assert.deepEqual(swizzleExtDestId(0xfee1_2fe0, 0), { addrLo: 0xfee1_2000, addrHi: 0x7f00, swizzled: true });
        assert.deepEqual(swizzleExtDestId(0xfee1_2000, 0), { addrLo: 0xfee1_2000, addrHi: 0, swizzled: false });
        assert.deepEqual(swizzleExtDestId(0xfee1_2ff0, 0), { addrLo: 0xfee1_2ff0, addrHi: 0, swizzled: false });
        assert.deepEqual(swizzleExtDestId(0xfee1_2fe0, 0x100), { addrLo: 0xfee1_2fe0, addrHi: 0x100, swizzled: false });
        const r = decodeCompatMsi(0xfee1_2fe0, 0, 0x51, { x2apicFormat: false, extDestId: true });
        assert.deepEqual(r.ok && [r.msi.destId, r.msi.swizzled], [0x7f12, true]);
    });

    test('address field table, with the ext dest id bits flagged when the feature is off', () => {
        assert.deepEqual(
            compatAddressFields(0xfee1_2fe4, 0, off).map((f) => [f.name, f.bits, f.value, f.flagged ?? false]),
            [
                ['base', '31:20', 0xfeen, false],
                ['Destination ID', '19:12', 0x12n, false],
                ['reserved', '11:5', 0x7fn, true],
                ['Interrupt Format', '4', 0n, false],
                ['RH', '3', 0n, false],
                ['DM', '2', 1n, false],
                ['ignored', '1:0', 0n, false],
            ],
        );
        const wide = compatAddressFields(0xfee0_1000, 0x0000_0101, { x2apicFormat: true, extDestId: false });
        assert.deepEqual(wide.slice(-2).map((f) => [f.name, f.bits, f.value, f.flagged ?? false]), [
            ['address_hi dest[31:8]', '63:40', 1n, false],
            ['address_hi[7:0]', '39:32', 1n, true],
        ]);
    });

    test('data field table', () => {
        assert.deepEqual(
            compatDataFields(0x0000_c305).map((f) => [f.name, f.bits, f.text, f.flagged ?? false]),
            [
                ['reserved', '31:16', '0x0', false],
                ['Trigger Mode', '15', 'level', false],
                ['Level', '14', '1', false],
                ['reserved', '13:11', '0x0', false],
                ['Delivery Mode', '10:8', 'reserved', true],
                ['Vector', '7:0', '0x5', false],
            ],
        );
        assert.equal(compatDataFields(0x0005).at(-1)?.flagged, true);
    });
});

describe('compatibility-format composition (affinity change without remapping)', () => {
    const kvm = (x2apicFormat: boolean, extDestId: boolean) => ({ x2apicFormat, extDestId });

    test('APIC ID in address[19:12], in address_hi[31:8] with the x2APIC API, in [11:5] with ext dest ID', () => {
        // RH (bit 3) and DM (bit 2) of the old address are cleared: physical, no redirection hint.
        assert.deepEqual(composeCompatAddress(0xfee0_200cn, 5, off), { ok: true, address: 0xfee0_5000n });
        assert.deepEqual(composeCompatAddress(0xfee0_2000n, 0x123, kvm(true, false)), { ok: true, address: 0x100_fee2_3000n });
        assert.deepEqual(composeCompatAddress(0xfee0_2000n, 0x123, kvm(false, true)), { ok: true, address: 0xfee2_3020n });
        // The window and the don't-care bits 1:0 are kept; an old address_hi and old ext bits are not.
        assert.deepEqual(composeCompatAddress(0x1_fee0_0fe3n, 7, off), { ok: true, address: 0xfee0_7003n });
    });

    test('what no compatibility-format address can name is refused with the reason', () => {
        assert.deepEqual(composeCompatAddress(0xfee0_2000n, 0x123, off), {
            ok: false,
            reason: "APIC ID 0x123 needs more than the 8 destination bits of a compatibility-format message; it needs KVM's x2APIC API, the extended destination ID (IDs below 0x8000), or interrupt remapping",
        });
        // The extended destination ID has 7 bits (dest[14:8]): 0x8000 and above need the x2APIC API.
        assert.equal(composeCompatAddress(0xfee0_0000n, 0x8000, kvm(false, true)).ok, false);
        assert.deepEqual(composeCompatAddress(0xfee0_0010n, 5, off), { ok: false, reason: 'the message is in the remappable format' });
        assert.deepEqual(composeCompatAddress(0xfed0_0000n, 5, off), { ok: false, reason: '0xfed00000 is not an interrupt address' });
    });

    test('round trip: compose → decode gives back the APIC ID, physical mode, RH 0, and the raw ext dest ID bits', () => {
        const data = 0x8141; // level, fixed, vector 0x41: composition leaves the data word alone
        const cases: { opts: ReturnType<typeof kvm>; ids: number[] }[] = [
            { opts: off, ids: Array.from({ length: 0x100 }, (_, i) => i) },
            // Every ID the 15-bit extended destination ID can name.
            { opts: kvm(false, true), ids: Array.from({ length: 0x8000 }, (_, i) => i) },
            { opts: kvm(true, false), ids: [0, 1, 0xfe, 0xff, 0x100, 0x7fff, 0x8000, 0x12_3456, 0xffff_fffe, 0xffff_ffff] },
            // Both advertised (QEMU enables them together): the x2APIC API form wins, address[11:5] stays 0.
            { opts: kvm(true, true), ids: [0x5, 0x100, 0x7fff, 0x8000, 0xffff_fffe] },
        ];
        for (const { opts, ids } of cases) {
            for (const id of ids) {
                const c = composeCompatAddress(0xfee0_f00cn, id, opts);
                assert.ok(c.ok, `compose ${id.toString(16)} with ${JSON.stringify(opts)}`);
                const lo = Number(c.address & 0xffff_ffffn);
                const hi = Number(c.address >> 32n);
                const d = decodeCompatMsi(lo, hi, data, opts);
                assert.ok(d.ok);
                assert.deepEqual(
                    [d.msi.destId, d.msi.destMode, d.msi.redirectionHint, d.msi.vector, d.msi.trigger],
                    [id, 'physical', 0, 0x41, 'level'],
                    `decode ${id.toString(16)} with ${JSON.stringify(opts)}`,
                );
                // Destination ID field, address[19:12] = dest[7:0] in every form.
                assert.equal((lo >>> 12) & 0xff, id & 0xff);
                const ext = (lo >>> 5) & 0x7f;
                if (opts.extDestId && !opts.x2apicFormat) {
                    // address[11:5] = dest[14:8]; KVM sees them after the swizzle to address_hi[14:8] (ROUTING.md §1.4).
                    assert.equal(ext, id >>> 8);
                    assert.equal(hi, 0);
                    assert.equal(d.msi.swizzled, id > 0xff);
                } else {
                    assert.equal(ext, 0);
                    assert.equal(hi, opts.x2apicFormat ? (id & 0xffff_ff00) >>> 0 : 0);
                }
            }
        }
    });
});

describe('delivery modes', () => {
    test('names and parsing', () => {
        assert.deepEqual([0, 1, 2, 3, 4, 5, 6, 7].map(deliveryModeLabel), ['fixed', 'lowest-priority', 'smi', 'reserved(3)', 'nmi', 'init', 'reserved(6)', 'extint']);
        assert.equal(parseDeliveryMode('lowest-priority'), 1);
        assert.equal(parseDeliveryMode('ExtINT'), 7);
        assert.equal(parseDeliveryMode(4), 4);
        assert.throws(() => parseDeliveryMode(8), /0..7/);
    });
});

describe('APIC destination matching (KVM lapic.c)', () => {
    const x = (apicId: number, logicalId = 0, dfr: 'flat' | 'cluster' = 'flat', enabled = true): ApicTarget => ({ apicId, mode: 'xapic', logicalId, dfr, enabled });
    const x2 = (apicId: number, enabled = true): ApicTarget => ({ apicId, mode: 'x2apic', logicalId: 0, dfr: 'flat', enabled });
    const msg = (destId: number, destMode: 'physical' | 'logical', deliveryMode = 0, redirectionHint: 0 | 1 = 0) => ({ destId, destMode, deliveryMode, redirectionHint });

    test('x2APIC LDR and Linux default logical IDs', () => {
        assert.equal(x2apicLdr(0), 0x0000_0001);
        assert.equal(x2apicLdr(17), 0x0001_0002);
        assert.equal(x2apicLdr(300), 0x0012_1000);
        assert.deepEqual([0, 1, 7, 8].map((i) => defaultXapicLogicalId(i, 'flat')), [1, 2, 0x80, 0]);
        assert.deepEqual([0, 3, 4, 9].map((i) => defaultXapicLogicalId(i, 'cluster')), [0x01, 0x08, 0x11, 0x22]);
    });

    test('physical: xAPIC 8-bit compare, x2APIC 32-bit compare, hotplug hack above 0xFF', () => {
        assert.equal(matchDestination(x(3), msg(3, 'physical'), false), true);
        assert.equal(matchDestination(x2(300), msg(300, 'physical'), false), true);
        assert.equal(matchDestination(x(300), msg(300, 'physical'), false), true);
        assert.equal(matchDestination(x(300), msg(300 & 0xff, 'physical'), false), true);
        assert.equal(matchDestination(x2(300), msg(300 & 0xff, 'physical'), false), false);
    });

    test('broadcast and the MDA quirk', () => {
        assert.equal(matchDestination(x(7), msg(0xff, 'physical'), false), true);
        assert.equal(matchDestination(x2(7), msg(0xff, 'physical'), false), true);
        assert.equal(matchDestination(x2(7), msg(0xff, 'physical'), true), false);
        assert.equal(matchDestination(x2(0xff), msg(0xff, 'physical'), true), true);
    });

    test('logical: flat, cluster, x2APIC cluster', () => {
        assert.equal(matchDestination(x(0, 0x10), msg(0x30, 'logical'), false), true);
        assert.equal(matchDestination(x(0, 0x40), msg(0x30, 'logical'), false), false);
        assert.equal(matchDestination(x(0, 0x12, 'cluster'), msg(0x13, 'logical'), false), true);
        assert.equal(matchDestination(x(0, 0x22, 'cluster'), msg(0x13, 'logical'), false), false);
        assert.equal(matchDestination(x2(17), msg(0x0001_0002, 'logical'), false), true);
        assert.equal(matchDestination(x2(1), msg(0x0001_0002, 'logical'), false), false);
    });

    test('lowest priority: only enabled APICs are candidates; fixed to a disabled APIC is dropped', () => {
        const targets = [x(0, 1), x(1, 2, 'flat', false), x(2, 4)];
        assert.deepEqual(deliverToApics(msg(0x07, 'logical', 1), targets, false), { matched: [0, 1, 2], accepted: [0, 2], disabled: [1], deliveryMode: 1, lowestPriority: true });
        assert.deepEqual(deliverToApics(msg(0x07, 'logical', 4), targets, false), { matched: [0, 1, 2], accepted: [0, 1, 2], disabled: [], deliveryMode: 4, lowestPriority: false });
    });

    test('physical broadcast with lowest priority is forced to fixed; RH=1 keeps it lowest priority', () => {
        const targets = [x(0, 1), x(1, 2)];
        assert.deepEqual(deliverToApics(msg(0xff, 'physical', 1), targets, false), {
            matched: [0, 1],
            accepted: [0, 1],
            disabled: [],
            deliveryMode: 0,
            lowestPriority: false,
            note: 'phys_broadcast_lowest_prio_forced_fixed',
        });
        assert.equal(deliverToApics(msg(0xff, 'physical', 1, 1), targets, false).lowestPriority, true);
    });
});

describe('byte-swap suspicion', () => {
    test('addresses', () => {
        assert.equal(swappedAddressCandidate(0x1000_e0fen), 0xfee0_0010n);
        assert.equal(swappedAddressCandidate(0x1000_e0fe_0000_0000n), 0xfee0_0010n);
        assert.equal(swappedAddressCandidate(0xfee0_0010n), undefined);
        assert.equal(swappedAddressCandidate(0x1234_5678n), undefined);
    });
    test('data words', () => {
        assert.equal(swappedDataCandidate(0x4100_0000, 'compat'), 0x41);
        assert.equal(swappedDataCandidate(0x0500_0000, 'compat'), undefined); // vector 5 is no better
        assert.equal(swappedDataCandidate(0x0100_0000, 'remappable'), 1);
        assert.equal(swappedDataCandidate(0x0000_0041, 'compat'), undefined);
        // A 16-bit Message Data register stored big-endian: 0x4100 is vector 0x41 reversed.
        assert.equal(swappedDataCandidate(0x4100, 'compat'), 0x41);
        assert.equal(swappedDataCandidate(0x4101, 'compat'), 0x0141);   // lowest priority, vector 0x41
        assert.equal(swappedDataCandidate(0x0500, 'compat'), undefined); // reversed: vector 5, still illegal
        assert.equal(swappedDataCandidate(0x4103, 'compat'), undefined); // reversed: delivery mode 3 (reserved)
        assert.equal(swappedDataCandidate(0x0005, 'compat'), undefined); // nothing in the upper byte to move
        assert.equal(swappedDataCandidate(0x4100, 'remappable'), undefined); // a subhandle, not a vector
        assert.equal(swappedDataCandidate(0x4181_0000, 'compat'), 0x8141);
        assert.equal(swappedDataCandidate(0x0001_0000, 'compat'), undefined); // reversed: vector 0
    });
});
