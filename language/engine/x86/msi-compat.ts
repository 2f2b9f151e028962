/**
 * x86 MSI in compatibility format, decoded the way KVM decodes it.
 *
 * Layout: ROUTING.md §1.1 (address) and §1.2 (data); Linux arch/x86/include/asm/msi.h (struct
 * x86_msi_addr_lo / x86_msi_data), qemu include/hw/i386/apic-msidef.h.
 * KVM decode: ROUTING.md §1.3; Linux arch/x86/kvm/irq.c kvm_set_msi_irq, kvm_msi_route_invalid,
 * arch/x86/kernel/apic/apic.c x86_msi_msg_get_destid.
 * Extended destination ID: ROUTING.md §1.4; qemu target/i386/kvm/kvm.c kvm_swizzle_msi_ext_dest_id.
 * Composition (the inverse, for an affinity change): Intel SDM Vol. 3A §11.11.1 "Message Address Register
 * Format"; Linux arch/x86/kernel/apic/apic.c __irq_msi_compose_msg.
 *
 * This module is the one owner of the compatibility-format address layout: decode, hover fields and
 * composition all live here, so the bit positions are written once.
 */
import { bits32, field, hex, join64, lo32 } from '../bits.js';
import type { DecodedField, DeliveryModeName } from '../trace.js';
import { deliveryModeMeaning, deliveryModeName, isIllegalVector, isReservedDeliveryMode } from './delivery-mode.js';

/** addr[31:20] of every interrupt message: the 0xFEE0_0000..0xFEEF_FFFF window. */
export const INTERRUPT_WINDOW_PREFIX = 0xfee;

export interface CompatOptions {
    /** KVM_CAP_X2APIC_API with 32-bit IDs: address_hi[31:8] = dest[31:8], address_hi[7:0] must be 0. */
    x2apicFormat: boolean;
    /** The VMM moves address[11:5] (dest[14:8]) to address_hi[14:8] before KVM decodes (§1.4). */
    extDestId: boolean;
}

export type CompatErrorCode = 'NOT_INTERRUPT_ADDRESS' | 'REMAPPABLE_FORMAT' | 'KVM_MSI_ROUTE_INVALID';

export interface CompatMsi {
    format: 'compat';
    destMode: 'physical' | 'logical';
    destId: number;
    redirectionHint: 0 | 1;
    vector: number;
    deliveryMode: number;
    deliveryModeName: DeliveryModeName;
    level: 0 | 1;
    trigger: 'edge' | 'level';
    /** dest 0xFF, or 0xFFFF_FFFF in the wide formats. */
    broadcast: boolean;
    /** KVM's kvm_lowest_prio_delivery: delivery mode 1 or RH=1 (ROUTING.md §1.3 step 4, §10.7). */
    lowestPriority: boolean;
    /** The address as KVM saw it, after the ext-dest-id swizzle. */
    addrLo: number;
    addrHi: number;
    /** True when the §1.4 swizzle moved address[11:5] into address_hi. */
    swizzled: boolean;
    /** True when address_hi took part in the destination (x2APIC format / ext dest id). */
    wide: boolean;
}

export type CompatResult = { ok: true; msi: CompatMsi } | { ok: false; error: CompatErrorCode };

export function isInterruptAddress(addrLo: number): boolean {
    return addrLo >>> 20 === INTERRUPT_WINDOW_PREFIX;
}

/**
 * qemu kvm_swizzle_msi_ext_dest_id: ext = address & 0xFF0; nothing changes when ext is 0, when bit 4
 * (remappable format) is set, or when address_hi is already non-zero. Otherwise the bits are cleared and
 * `ext << 35` is ORed into the 64-bit address, which lands dest[14:8] at address_hi[14:8].
 */
export function swizzleExtDestId(addrLo: number, addrHi: number): { addrLo: number; addrHi: number; swizzled: boolean } {
    const ext = addrLo & 0xff0;
    if (ext === 0 || (ext & 0x10) !== 0 || addrHi !== 0) return { addrLo, addrHi, swizzled: false };
    // ext << 35 = (ext << 3) << 32: only bits 11:5 are set, so ext << 3 stays below 2^15.
    return { addrLo: (addrLo & ~0xff0) >>> 0, addrHi: (ext << 3) >>> 0, swizzled: true };
}

/**
 * Decodes a compatibility-format message as KVM does. Order of the checks: the host bridge window first
 * (a write outside 0xFEE is not an interrupt), then the format bit (a remappable message needs an IOMMU),
 * then the ext-dest-id swizzle and KVM's route validity check (address_hi[7:0] ≠ 0 in x2APIC format).
 */
export function decodeCompatMsi(addrLo: number, addrHi: number, data: number, opts: CompatOptions): CompatResult {
    const m = decodeCompatMsiOrError(addrLo, addrHi, data, opts);
    return typeof m === 'string' ? { ok: false, error: m } : { ok: true, msi: m };
}

/** decodeCompatMsi without the result wrapper (one object less per call, for route()). */
export function decodeCompatMsiOrError(addrLo: number, addrHi: number, data: number, opts: CompatOptions): CompatMsi | CompatErrorCode {
    addrLo >>>= 0;
    addrHi >>>= 0;
    data >>>= 0;
    if (!isInterruptAddress(addrLo)) return 'NOT_INTERRUPT_ADDRESS';
    if (addrLo & 0x10) return 'REMAPPABLE_FORMAT';
    let swizzled = false;
    if (opts.extDestId) {
        const s = swizzleExtDestId(addrLo, addrHi);
        addrLo = s.addrLo;
        addrHi = s.addrHi;
        swizzled = s.swizzled;
    }
    // The ext-dest-id feature needs KVM's x2APIC API (QEMU enables both together), so either option makes
    // KVM read address_hi.
    const wide = opts.x2apicFormat || opts.extDestId;
    if (wide && (addrHi & 0xff) !== 0) return 'KVM_MSI_ROUTE_INVALID';
    let destId = bits32(addrLo, 19, 12);
    if (wide) destId = (destId | ((addrHi >>> 8) << 8)) >>> 0;
    const dm = bits32(data, 10, 8);
    const rh = ((addrLo >>> 3) & 1) as 0 | 1;
    return {
        format: 'compat',
        destMode: addrLo & 4 ? 'logical' : 'physical',
        destId,
        redirectionHint: rh,
        vector: data & 0xff,
        deliveryMode: dm,
        deliveryModeName: deliveryModeName(dm),
        level: ((data >>> 14) & 1) as 0 | 1,
        trigger: data & 0x8000 ? 'level' : 'edge',
        broadcast: destId === 0xff || destId === 0xffff_ffff,
        lowestPriority: dm === 1 || rh === 1,
        addrLo,
        addrHi,
        swizzled,
        wide,
    };
}

export type ComposeResult = { ok: true; address: bigint } | { ok: false; reason: string };

/**
 * The compatibility-format address that sends `address`'s message to APIC ID `apicId` in physical
 * destination mode: what the kernel writes when it moves a vector without interrupt remapping
 * (irq_set_affinity → __irq_msi_compose_msg). Only the address changes; the data word (vector, delivery
 * mode, trigger) is the caller's to keep.
 *
 * - address[31:20] (the 0xFEE window) and address[1:0] (don't care) are kept as they were;
 * - Destination ID address[19:12] = apicId[7:0]; RH (bit 3) = 0 and DM (bit 2) = 0, physical
 *   (SDM Vol. 3A §11.11.1);
 * - an APIC ID above 0xFF goes to address_hi[31:8] = apicId[31:8] with KVM's x2APIC API (ROUTING.md §1.3),
 *   else to address[11:5] = apicId[14:8] with the extended destination ID when apicId < 0x8000
 *   (KVM_FEATURE_MSI_EXT_DEST_ID, ROUTING.md §1.4; Linux's `virt_destid_8_14`), else it cannot be named;
 * - address_hi is 0 otherwise (Linux: X86_MSI_BASE_ADDRESS_HIGH).
 *
 * The result is checked by decoding it again with `decodeCompatMsi` under the same options, so a CPU the
 * message format cannot name is reported instead of silently aliasing to another APIC ID.
 */
export function composeCompatAddress(address: bigint, apicId: number, opts: CompatOptions): ComposeResult {
    const lo = lo32(address);
    if (!isInterruptAddress(lo)) return { ok: false, reason: `${hex(address)} is not an interrupt address` };
    if (lo & 0x10) return { ok: false, reason: 'the message is in the remappable format' };
    // Keep the window and bits 1:0; clear Destination ID (19:12), ext dest ID (11:5), RH (3) and DM (2).
    let newLo = (lo & 0xfff0_0003) >>> 0;
    newLo = (newLo | ((apicId & 0xff) << 12)) >>> 0;
    let newHi = 0;
    if (apicId > 0xff) {
        if (opts.x2apicFormat) newHi = (apicId & 0xffff_ff00) >>> 0;
        else if (opts.extDestId && apicId < 0x8000) newLo = (newLo | (((apicId >>> 8) & 0x7f) << 5)) >>> 0;
        else {
            return {
                ok: false,
                reason: `APIC ID ${hex(apicId)} needs more than the 8 destination bits of a compatibility-format message; it needs KVM's x2APIC API, the extended destination ID (IDs below 0x8000), or interrupt remapping`,
            };
        }
    }
    // Any fixed-delivery data word will do for the check: only the destination fields are compared.
    const check = decodeCompatMsi(newLo, newHi, 0x30, opts);
    if (!check.ok || check.msi.destId !== apicId || check.msi.destMode !== 'physical') {
        return { ok: false, reason: `no compatibility-format address names APIC ID ${hex(apicId)} on this machine` };
    }
    return { ok: true, address: join64(newLo, newHi) };
}

/** The DecodedFields of a compatibility-format address (low and high dword), for hover and the debugger. */
export function compatAddressFields(addrLo: number, addrHi: number, opts: CompatOptions): DecodedField[] {
    addrLo >>>= 0;
    addrHi >>>= 0;
    const base = addrLo >>> 20;
    const ext = bits32(addrLo, 11, 5);
    const wide = opts.x2apicFormat || opts.extDestId;
    const out: DecodedField[] = [
        field(
            'base',
            31,
            20,
            base,
            hex(base),
            base === INTERRUPT_WINDOW_PREFIX ? 'interrupt window 0xFEE0_0000..0xFEEF_FFFF' : 'not 0xFEE: this write is not an interrupt message',
            base !== INTERRUPT_WINDOW_PREFIX,
        ),
        field('Destination ID', 19, 12, bits32(addrLo, 19, 12), hex(bits32(addrLo, 19, 12)), addrLo & 4 ? 'logical destination (MDA)' : 'APIC ID (physical)'),
        field(
            opts.extDestId ? 'Ext Dest ID' : 'reserved',
            11,
            5,
            ext,
            hex(ext),
            opts.extDestId
                ? ext
                    ? `dest[14:8] = ${hex(ext)} (KVM_FEATURE_MSI_EXT_DEST_ID; the VMM moves it to address_hi[14:8])`
                    : 'dest[14:8] = 0'
                : ext
                  ? 'reserved on bare metal; set here (ext dest id not advertised)'
                  : 'reserved',
            !opts.extDestId && ext !== 0,
        ),
        field('Interrupt Format', 4, 4, (addrLo >>> 4) & 1, String((addrLo >>> 4) & 1), addrLo & 0x10 ? 'remappable format (VT-d)' : 'compatibility format'),
        field('RH', 3, 3, (addrLo >>> 3) & 1, String((addrLo >>> 3) & 1), addrLo & 8 ? 'redirection hint: KVM treats the message as lowest priority' : 'no redirection'),
        field('DM', 2, 2, (addrLo >>> 2) & 1, String((addrLo >>> 2) & 1), addrLo & 4 ? 'logical destination mode' : 'physical destination mode'),
        field('ignored', 1, 0, addrLo & 3, String(addrLo & 3), "don't care"),
    ];
    if (addrHi !== 0 || wide) {
        out.push(
            field(
                'address_hi dest[31:8]',
                63,
                40,
                addrHi >>> 8,
                hex(addrHi >>> 8),
                wide ? 'dest[31:8] (KVM x2APIC format)' : 'ignored by KVM without the x2APIC API; QEMU’s userspace APIC ORs it in (ROUTING.md §10.6)',
                !wide && addrHi !== 0,
            ),
            field(
                'address_hi[7:0]',
                39,
                32,
                addrHi & 0xff,
                hex(addrHi & 0xff),
                wide ? ((addrHi & 0xff) === 0 ? 'must be 0 in x2APIC format' : 'must be 0: KVM refuses the route') : 'ignored by KVM',
                wide && (addrHi & 0xff) !== 0,
            ),
        );
    }
    return out;
}

/** The DecodedFields of a compatibility-format data word (ROUTING.md §1.2). */
export function compatDataFields(data: number): DecodedField[] {
    data >>>= 0;
    const vector = data & 0xff;
    const dm = bits32(data, 10, 8);
    const upper = data >>> 16;
    return [
        field('reserved', 31, 16, upper, hex(upper), upper ? 'must be 0 in compatibility format' : 'reserved', upper !== 0),
        field('Trigger Mode', 15, 15, (data >>> 15) & 1, data & 0x8000 ? 'level' : 'edge', data & 0x8000 ? 'level-triggered' : 'edge-triggered'),
        field('Level', 14, 14, (data >>> 14) & 1, String((data >>> 14) & 1), data & 0x4000 ? 'assert (Linux calls this bit active_low)' : 'deassert (meaningful only for level-triggered messages)'),
        field('reserved', 13, 11, bits32(data, 13, 11), hex(bits32(data, 13, 11)), 'reserved, 0', bits32(data, 13, 11) !== 0),
        field('Delivery Mode', 10, 8, dm, deliveryModeName(dm), deliveryModeMeaning(dm), isReservedDeliveryMode(dm)),
        field('Vector', 7, 0, vector, hex(vector), vector < 0x10 ? 'vectors 0x00-0x0F are illegal for fixed / lowest-priority delivery' : `interrupt vector ${vector}`, isIllegalVector(vector, dm)),
    ];
}
