/**
 * Intel VT-d Interrupt Remapping Table Entries: 128 bits, remapped format (IM=0) and posted format (IM=1).
 *
 * Layouts: ROUTING.md §2.3 (remapped) and §2.4 (posted); Linux include/linux/dmar.h (struct irte, with its
 * remapped and posted views), qemu include/hw/i386/intel_iommu.h (VTD_IR_TableEntry).
 * Reserved bits per profile: ROUTING.md §2.6 step 8 and §10.4.
 *
 * Internally an IRTE is four unsigned 32-bit words so the remapping hot path never allocates bigints:
 *   w0 = bits 31:0, w1 = bits 63:32, w2 = bits 95:64, w3 = bits 127:96.
 */
import { bits32, field, hex, hexPad, join64, lo32, hi32 } from '../bits.js';
import type { Bdf, Profile } from '../model.js';
import type { DecodedField } from '../trace.js';
import { deliveryModeMeaning, deliveryModeName, isIllegalVector, isReservedDeliveryMode, parseDeliveryMode } from '../x86/delivery-mode.js';
import type { DeliveryModeName } from '../trace.js';

export interface IrteWords {
    w0: number;
    w1: number;
    w2: number;
    w3: number;
}

export function irteWords(lo: bigint, hi: bigint): IrteWords {
    return { w0: lo32(lo), w1: hi32(lo), w2: lo32(hi), w3: hi32(hi) };
}

export function irteHalves(w: IrteWords): { lo: bigint; hi: bigint } {
    return { lo: join64(w.w0, w.w1), hi: join64(w.w2, w.w3) };
}

/** Reserved-bit masks, one per 32-bit word. */
export interface IrteReservedMask {
    w0: number;
    w1: number;
    w2: number;
    w3: number;
    /** SVT=11 is reserved (spec: 0x24; QEMU: 0x26, handled in the SID check). */
    svt3: boolean;
    /** IM=1 is reserved (posted interrupts unsupported). */
    im: boolean;
}

// Remapped format, every mode: bits 14:12, 31:24 and 127:84.
const RSVD_W0 = 0xff00_7000;
const RSVD_HI_W2 = 0xfff0_0000; // bits 95:84 (common to both formats)
// xAPIC mode (EIME=0): destination bits 39:32 and 63:48 are reserved.
const RSVD_W1_XAPIC = 0xffff_00ff;
// Posted format: bits 7:2, 13:12, 37:24 (31:24 in w0, 37:32 in w1), 95:84.
const RSVD_POSTED_W0 = 0xff00_30fc;
const RSVD_POSTED_W1 = 0x0000_003f;

/** Which IRTE bits count as reserved for a given profile, EIM and posted support (ROUTING.md §2.6 step 8). */
export function irteReservedMask(posted: boolean, profile: Profile, eim: boolean, postedSupported: boolean): IrteReservedMask {
    if (profile === 'qemu') {
        // QEMU checks only 14:12, 31:24 and 127:84; it never looks at IM, so a posted entry is read as a
        // remapped one (bit 14, URG, falls in its reserved field).
        return { w0: RSVD_W0, w1: 0, w2: RSVD_HI_W2, w3: 0xffff_ffff, svt3: false, im: false };
    }
    if (posted && postedSupported) {
        return { w0: RSVD_POSTED_W0, w1: RSVD_POSTED_W1, w2: RSVD_HI_W2, w3: 0, svt3: true, im: false };
    }
    return { w0: RSVD_W0, w1: eim ? 0 : RSVD_W1_XAPIC, w2: RSVD_HI_W2, w3: 0xffff_ffff, svt3: true, im: posted };
}

/** True if the entry violates the mask. */
export function irteHasReservedBits(w: IrteWords, m: IrteReservedMask): boolean {
    return (
        (w.w0 & m.w0) !== 0 ||
        (w.w1 & m.w1) !== 0 ||
        (w.w2 & m.w2) !== 0 ||
        (w.w3 & m.w3) !== 0 ||
        (m.svt3 && ((w.w2 >>> 18) & 3) === 3) ||
        m.im
    );
}

/** The reserved bits the entry sets, as runs of set bits ('13', '49:48', 'SVT=11', 'IM=1 ...'). */
export function irteReservedViolations(w: IrteWords, m: IrteReservedMask): string[] {
    const words = [(w.w0 & m.w0) >>> 0, (w.w1 & m.w1) >>> 0, (w.w2 & m.w2) >>> 0, (w.w3 & m.w3) >>> 0];
    const out: string[] = [];
    let runStart = -1;
    for (let bit = 0; bit <= 128; bit++) {
        const set = bit < 128 && ((words[bit >>> 5] >>> (bit & 31)) & 1) === 1;
        if (set && runStart < 0) runStart = bit;
        if (!set && runStart >= 0) {
            out.push(bit - 1 === runStart ? String(runStart) : `${bit - 1}:${runStart}`);
            runStart = -1;
        }
    }
    if (m.svt3 && ((w.w2 >>> 18) & 3) === 3) out.push('SVT=11');
    if (m.im) out.push('IM=1 (posted format not supported)');
    return out;
}

// ---------------------------------------------------------------------------------------------------------
// Friendly fields: what the language writes (`irte 0 { vector 0x41 dest 3 fixed edge physical sid 00:03.0 }`)

/** SVT encodings (ROUTING.md §2.5). */
export const SVT_NAMES = ['none', 'requester', 'bus', 'reserved'] as const;
export type SvtName = (typeof SVT_NAMES)[number];

/**
 * An IRTE's source check as a `.irq` file writes it (the words parseSvt / parseSq accept): `sid 01:00.0`,
 * `sid 01:00.0 sq ignore-bits2-0`, `sid bus 0x01..0x02` (SVT=10: start in SID[15:8], end in SID[7:0], §2.5),
 * or `svt none`. Messages that tell the user what to write use it, so the advice parses.
 */
export function irteSourceText(svt: number, sq: number, sid: number): string {
    if (svt === 0) return 'svt none';
    if (svt === 2) return `sid bus ${'0x' + (sid >>> 8).toString(16).padStart(2, '0')}..${'0x' + (sid & 0xff).toString(16).padStart(2, '0')}`;
    if (svt === 3) return 'svt reserved';
    const sqWord = ['all', 'ignore-bit2', 'ignore-bits2-1', 'ignore-bits2-0'][sq & 3];
    return `sid ${formatRid(sid)}${sq & 3 ? ` sq ${sqWord}` : ''}`;
}

/** SQ encodings and the requester-id masks they select (ROUTING.md §2.5, §10.11). */
export const SQ_MASKS: readonly number[] = [0xffff, 0xfffb, 0xfff9, 0xfff8];
export const SQ_MEANINGS: readonly string[] = [
    'compare all 16 bits',
    'ignore bit 2',
    'ignore bits 2:1',
    'ignore bits 2:0 (any function)',
];

export function parseSvt(v: SvtName | string | number): number {
    if (typeof v === 'number') {
        if (!Number.isInteger(v) || v < 0 || v > 3) throw new RangeError(`svt must be 0..3, got ${v}`);
        return v;
    }
    const aliases: Record<string, number> = { none: 0, requester: 1, sid: 1, 'requester-id': 1, bus: 2, 'bus-range': 2, reserved: 3 };
    const svt = aliases[v.toLowerCase()];
    if (svt === undefined) throw new RangeError(`unknown svt '${v}' (none | requester | bus)`);
    return svt;
}

/**
 * SQ as a number 0..3 or a name: 'all' (0: compare all 16 bits), 'ignore-bit2' (1), 'ignore-bits2-1' (2),
 * 'any' / 'ignore-bits2-0' (3: any function of the device, what Linux programs for HPET).
 */
export function parseSq(v: string | number): number {
    if (typeof v === 'number') {
        if (!Number.isInteger(v) || v < 0 || v > 3) throw new RangeError(`sq must be 0..3, got ${v}`);
        return v;
    }
    const aliases: Record<string, number> = {
        all: 0,
        all16: 0,
        'ignore-bit2': 1,
        ignore1: 1,
        'ignore-bits2-1': 2,
        ignore2: 2,
        'ignore-bits2-0': 3,
        ignore3: 3,
        any: 3,
        'any-function': 3,
    };
    const sq = aliases[v.toLowerCase()];
    if (sq === undefined) throw new RangeError(`unknown sq '${v}' (all | ignore-bit2 | ignore-bits2-1 | any)`);
    return sq;
}

/** Requester id of a BDF: bus << 8 | device << 3 | function. */
export function ridOf(bdf: Pick<Bdf, 'bus' | 'device' | 'fn'>): number {
    return ((bdf.bus & 0xff) << 8) | ((bdf.device & 0x1f) << 3) | (bdf.fn & 7);
}

/**
 * Device numbers on a PCI bus: the device field of a BDF is 5 bits (requester id bits 7:3, as ridOf packs
 * it; PCI Local Bus Specification 3.0 §3.2.2.3.1, Type 0 configuration address).
 */
export const PCI_DEVICES_PER_BUS = 32;

/**
 * IRTA.S is IRTA_REG bits 3:0: the table has 2^(S+1) entries, S = 0..15, so 2..65536 entries (ROUTING.md
 * §2.2; qemu hw/i386/intel_iommu.c vtd_interrupt_remap_table_setup: intr_size = 1 << ((value &
 * VTD_IRTA_SIZE_MASK) + 1), VTD_IRTA_SIZE_MASK = 0xf).
 */
export const IRTA_S_MAX = 15;
/** The largest interrupt remapping table: 2^(IRTA_S_MAX + 1) = 65536 entries, the 16-bit handle space. */
export const IRTE_MAX_ENTRIES = 2 ** (IRTA_S_MAX + 1);

/**
 * The entries of an IOMMU's interrupt remapping table, 2^(S+1) with S clamped to 0..15 as vtdRemap reads it
 * (prepareVtdUnit): an index not below this faults 0x21 (ROUTING.md §2.6 step 5).
 */
export function irteTableEntries(iommu: { irtaS: number }): number {
    return 2 ** (Math.max(0, Math.min(IRTA_S_MAX, iommu.irtaS | 0)) + 1);
}

/** The IRTA.S of the smallest table that holds `index` (IRTA_S_MAX when no table does: it faults 0x21). */
export function irtaSForIndex(index: number): number {
    let s = 0;
    while (s < IRTA_S_MAX && 2 ** (s + 1) <= index) s++;
    return s;
}

/** The SID of an SVT=10 (bus range) entry: SID[15:8] = start bus, SID[7:0] = end bus (ROUTING.md §2.5). */
export function busRangeSid(range: { start: number; end: number }): number {
    return ((range.start & 0xff) << 8) | (range.end & 0xff);
}

/** An IRTE as friendly fields, normalised (every field present, numbers for encodings). */
export interface IrteFields {
    present: boolean;
    fpd: boolean;
    /** IM: true = posted format. */
    posted: boolean;
    vector: number;
    avail: number;
    /** Remapped format: destination APIC ID (EIM: 32 bits; xAPIC: 8 bits from 47:40). */
    dest: number;
    deliveryMode: number;
    trigger: 'edge' | 'level';
    destMode: 'physical' | 'logical';
    redirectionHint: boolean;
    /** Posted format: URG. */
    urgent: boolean;
    /** Posted format: posted-interrupt descriptor address (64-byte aligned). */
    pda: bigint;
    sid: number;
    sq: number;
    svt: number;
}

/** What the language hands to `encodeIrte`: friendly names, defaults for what the source leaves out. */
export interface IrteSpec {
    /** Default true. */
    present?: boolean;
    /** Default false. */
    fpd?: boolean;
    /** Default false (remapped format). */
    posted?: boolean;
    vector: number;
    /** AVAIL, bits 11:8, for software. Default 0. */
    avail?: number;
    /** Remapped format. Default 0. */
    dest?: number;
    /** Name ('fixed', 'lowest-priority', 'nmi', ...) or encoding. Default fixed. */
    deliveryMode?: DeliveryModeName | string | number;
    /** Default edge. */
    trigger?: 'edge' | 'level';
    /** Default physical. */
    destMode?: 'physical' | 'logical';
    /** Default false. */
    redirectionHint?: boolean;
    /** Posted format. Default false. */
    urgent?: boolean;
    /** Posted format: descriptor address, 64-byte aligned. */
    pda?: bigint;
    /** Requester id (number) or BDF. Default 0. */
    sid?: number | Pick<Bdf, 'bus' | 'device' | 'fn'>;
    /**
     * Instead of `sid`: the bus range an SVT=10 entry verifies, start..end (0..0xFF each), encoded as
     * SID[15:8] = start, SID[7:0] = end (ROUTING.md §2.5).
     */
    sidBusRange?: { start: number; end: number };
    /** Default 0 (compare all 16 bits). */
    sq?: string | number;
    /** Default: 'bus' when `sidBusRange` is given, 'requester' when `sid` is, else 'none'. */
    svt?: SvtName | string | number;
}

function checkRange(name: string, v: number, max: number): number {
    if (!Number.isInteger(v) || v < 0 || v > max) throw new RangeError(`IRTE ${name} must be 0..${hex(max)}, got ${v}`);
    return v;
}

/**
 * Encodes friendly fields into the raw 128-bit entry.
 *
 * `eim` decides where the destination goes: EIM on puts the 32-bit APIC ID in bits 63:32; EIM off puts
 * dest[7:0] in bits 47:40 — and, for a destination above 0xFF that xAPIC mode cannot express, dest[23:8]
 * in the reserved bits 63:48, so that the specification profile faults (0x24) and the checker reports
 * `vtd-irte-dest-needs-eim`, instead of silently aliasing to another CPU.
 * Throws RangeError for values that do not fit their field at all.
 */
export function encodeIrte(spec: IrteSpec, opts: { eim: boolean }): { lo: bigint; hi: bigint } {
    const present = spec.present ?? true;
    const fpd = spec.fpd ?? false;
    const posted = spec.posted ?? false;
    const vector = checkRange('vector', spec.vector, 0xff);
    const avail = checkRange('avail', spec.avail ?? 0, 0xf);
    if (spec.sidBusRange !== undefined && spec.sid !== undefined) throw new RangeError('IRTE takes sid or sidBusRange, not both');
    const range = spec.sidBusRange;
    const sid =
        range !== undefined
            ? busRangeSid({ start: checkRange('bus range start', range.start, 0xff), end: checkRange('bus range end', range.end, 0xff) })
            : typeof spec.sid === 'object'
              ? ridOf(spec.sid)
              : checkRange('sid', spec.sid ?? 0, 0xffff);
    const sq = parseSq(spec.sq ?? 0);
    const svt = spec.svt === undefined ? (range !== undefined ? 2 : spec.sid === undefined ? 0 : 1) : parseSvt(spec.svt);
    let w0 = (present ? 1 : 0) | (fpd ? 2 : 0) | (avail << 8) | (vector << 16);
    let w1 = 0;
    let w3 = 0;
    if (posted) {
        const pda = spec.pda ?? 0n;
        if (pda < 0n || pda > 0xffff_ffff_ffff_ffffn) throw new RangeError('IRTE pda must fit in 64 bits');
        if ((pda & 0x3fn) !== 0n) throw new RangeError(`IRTE pda must be 64-byte aligned, got ${hex(pda)}`);
        w0 |= (spec.urgent ? 1 << 14 : 0) | (1 << 15);
        // pda[31:6] in bits 63:38 = w1 bits 31:6.
        w1 = lo32(pda) & 0xffff_ffc0;
        w3 = hi32(pda);
    } else {
        const dm = parseDeliveryMode(spec.deliveryMode ?? 0);
        w0 |= (spec.destMode === 'logical' ? 4 : 0) | (spec.redirectionHint ? 8 : 0) | (spec.trigger === 'level' ? 16 : 0) | (dm << 5);
        const dest = checkRange('dest', spec.dest ?? 0, 0xffff_ffff);
        if (opts.eim) w1 = dest;
        else {
            if (dest > 0xff_ffff) throw new RangeError(`IRTE dest ${hex(dest)} cannot be written without EIM`);
            w1 = ((dest & 0xff) << 8) | ((dest >>> 8) << 16);
        }
    }
    const w2 = sid | (sq << 16) | (svt << 18);
    return irteHalves({ w0: w0 >>> 0, w1: w1 >>> 0, w2: w2 >>> 0, w3: w3 >>> 0 });
}

/** The inverse of `encodeIrte`: the friendly fields of a raw entry (the dest as the hardware reads it). */
export function irteFieldsOf(lo: bigint, hi: bigint, opts: { eim: boolean }): IrteFields {
    return irteFieldsOfWords(irteWords(lo, hi), opts.eim);
}

export function irteFieldsOfWords(w: IrteWords, eim: boolean): IrteFields {
    const posted = ((w.w0 >>> 15) & 1) === 1;
    return {
        present: (w.w0 & 1) === 1,
        fpd: (w.w0 & 2) === 2,
        posted,
        vector: bits32(w.w0, 23, 16),
        avail: bits32(w.w0, 11, 8),
        dest: posted ? 0 : eim ? w.w1 >>> 0 : bits32(w.w1, 15, 8),
        deliveryMode: posted ? 0 : bits32(w.w0, 7, 5),
        trigger: !posted && w.w0 & 16 ? 'level' : 'edge',
        destMode: !posted && w.w0 & 4 ? 'logical' : 'physical',
        redirectionHint: !posted && (w.w0 & 8) === 8,
        urgent: posted && ((w.w0 >>> 14) & 1) === 1,
        pda: posted ? irtePda(w) : 0n,
        sid: w.w2 & 0xffff,
        sq: bits32(w.w2, 17, 16),
        svt: bits32(w.w2, 19, 18),
    };
}

/** Posted-descriptor address: bits 63:38 hold pda[31:6], bits 127:96 hold pda[63:32]. */
export function irtePda(w: IrteWords): bigint {
    return join64(w.w1 & 0xffff_ffc0, w.w3);
}

/** Destination bits an xAPIC-mode (EIM off) IRTE sets outside 47:40: a destination that needs EIM. */
export function irteXapicDestOverflow(w: IrteWords): boolean {
    return (w.w1 & RSVD_W1_XAPIC) !== 0;
}

// ---------------------------------------------------------------------------------------------------------
// Field tables for hover / debugger

function rsvd(name: string, hi: number, lo: number, value: number | bigint, isReserved: boolean, note?: string): DecodedField {
    const v = typeof value === 'bigint' ? value : BigInt(value >>> 0);
    return field(name, hi, lo, v, hex(v), v === 0n ? note ?? 'reserved, 0' : `must be 0${note ? ` (${note})` : ''}`, isReserved && v !== 0n);
}

/** Every field of an IRTE with its bit range, in the format its IM bit selects (posted only if supported). */
export function irteDecodedFields(w: IrteWords, ctx: { eim: boolean; postedSupported: boolean; profile: Profile }): DecodedField[] {
    const im = (w.w0 >>> 15) & 1;
    const postedView = im === 1 && ctx.postedSupported && ctx.profile === 'spec';
    const out: DecodedField[] = [];
    out.push(field('P', 0, 0, w.w0 & 1, String(w.w0 & 1), w.w0 & 1 ? 'present' : 'not present: requests using this entry fault 0x22', (w.w0 & 1) === 0));
    out.push(field('FPD', 1, 1, (w.w0 >>> 1) & 1, String((w.w0 >>> 1) & 1), w.w0 & 2 ? 'fault processing disabled: faults are blocked but not recorded' : 'faults are recorded'));
    if (postedView) {
        out.push(rsvd('reserved', 7, 2, bits32(w.w0, 7, 2), true));
        out.push(field('AVAIL', 11, 8, bits32(w.w0, 11, 8), hex(bits32(w.w0, 11, 8)), 'available to software'));
        out.push(rsvd('reserved', 13, 12, bits32(w.w0, 13, 12), true));
        out.push(field('URG', 14, 14, (w.w0 >>> 14) & 1, String((w.w0 >>> 14) & 1), w.w0 & 0x4000 ? 'urgent: notify even if the vCPU has notifications suppressed' : 'not urgent'));
        out.push(field('IM', 15, 15, 1, '1', 'posted format'));
        out.push(field('Virtual Vector', 23, 16, bits32(w.w0, 23, 16), hex(bits32(w.w0, 23, 16)), 'vector set in the PIR of the posted-interrupt descriptor'));
        out.push(rsvd('reserved', 37, 24, (BigInt(w.w1 & 0x3f) << 8n) | BigInt(w.w0 >>> 24), true));
        const pda = irtePda(w);
        out.push(field('PDA[31:6]', 63, 38, BigInt(w.w1 >>> 6), hex(w.w1 >>> 6), `descriptor address low part (pda = ${hexPad(pda, 16)})`));
    } else {
        const dm = bits32(w.w0, 7, 5);
        out.push(field('DM', 2, 2, (w.w0 >>> 2) & 1, String((w.w0 >>> 2) & 1), w.w0 & 4 ? 'logical destination mode' : 'physical destination mode'));
        out.push(field('RH', 3, 3, (w.w0 >>> 3) & 1, String((w.w0 >>> 3) & 1), w.w0 & 8 ? 'redirection hint: lowest-priority style' : 'no redirection'));
        out.push(field('TM', 4, 4, (w.w0 >>> 4) & 1, w.w0 & 16 ? 'level' : 'edge', w.w0 & 16 ? 'level-triggered' : 'edge-triggered'));
        out.push(field('DLM', 7, 5, dm, deliveryModeName(dm), deliveryModeMeaning(dm), isReservedDeliveryMode(dm)));
        out.push(field('AVAIL', 11, 8, bits32(w.w0, 11, 8), hex(bits32(w.w0, 11, 8)), 'available to software'));
        out.push(rsvd('reserved', 14, 12, bits32(w.w0, 14, 12), true, ctx.profile === 'qemu' && im ? 'QEMU reads URG as reserved' : undefined));
        out.push(
            field(
                'IM',
                15,
                15,
                im,
                String(im),
                im
                    ? ctx.profile === 'qemu'
                        ? 'posted format: QEMU ignores IM and reads the entry as remapped'
                        : 'posted format: reserved here because the IOMMU does not support posted interrupts'
                    : 'remapped format',
                im === 1 && ctx.profile === 'spec',
            ),
        );
        // x86-illegal-vector: 0x00-0x0F with fixed / lowest-priority delivery (ROUTING.md §1.2).
        out.push(field('Vector', 23, 16, bits32(w.w0, 23, 16), hex(bits32(w.w0, 23, 16)), 'vector delivered to the destination', isIllegalVector(bits32(w.w0, 23, 16), dm)));
        out.push(rsvd('reserved', 31, 24, w.w0 >>> 24, true));
        if (ctx.eim) {
            out.push(field('Destination ID', 63, 32, w.w1 >>> 0, hex(w.w1 >>> 0), 'x2APIC ID (EIM on: 32 bits)'));
        } else {
            // Destination bits outside 47:40 are reserved (spec: 0x24) and, in both profiles, a destination
            // that needs EIM (vtd-irte-dest-needs-eim): flagged whenever set.
            out.push(rsvd('reserved', 63, 48, w.w1 >>> 16, true, 'xAPIC mode: a destination above 0xFF needs EIM'));
            out.push(field('Destination ID', 47, 40, bits32(w.w1, 15, 8), hex(bits32(w.w1, 15, 8)), 'xAPIC ID (EIM off: 8 bits)'));
            out.push(rsvd('reserved', 39, 32, w.w1 & 0xff, true, 'xAPIC mode'));
        }
    }
    const sid = w.w2 & 0xffff;
    const sq = bits32(w.w2, 17, 16);
    const svt = bits32(w.w2, 19, 18);
    out.push(field('SID', 79, 64, sid, hexPad(sid, 4), svt === 2 ? `bus range ${hexPad(sid >>> 8, 2)}..${hexPad(sid & 0xff, 2)} (start..end)` : `requester id ${formatRid(sid)}`));
    out.push(field('SQ', 81, 80, sq, String(sq), SQ_MEANINGS[sq]));
    out.push(
        field(
            'SVT',
            83,
            82,
            svt,
            SVT_NAMES[svt],
            ['no source validation', 'verify the requester id against SID under the SQ mask', 'verify the requester bus lies in SID[15:8]..SID[7:0]', 'reserved (spec: fault 0x24; QEMU: 0x26)'][svt],
            svt === 3,
        ),
    );
    if (postedView) {
        out.push(rsvd('reserved', 95, 84, bits32(w.w2, 31, 20), true));
        out.push(field('PDA[63:32]', 127, 96, w.w3 >>> 0, hex(w.w3 >>> 0), 'descriptor address high part'));
    } else {
        out.push(rsvd('reserved', 127, 84, (BigInt(w.w3 >>> 0) << 12n) | BigInt(w.w2 >>> 20), true));
    }
    return out;
}

/** `bb:dd.f` of a requester id. */
export function formatRid(rid: number): string {
    return `${hexPad(rid >>> 8, 2).slice(2)}:${hexPad((rid >>> 3) & 0x1f, 2).slice(2)}.${rid & 7}`;
}
