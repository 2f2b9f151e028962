/**
 * VT-d interrupt remapping of one MSI write: the processing order of ROUTING.md §2.6, in both profiles.
 *
 * Source: qemu hw/i386/intel_iommu.c vtd_interrupt_remap_msi / vtd_remap_irq_get / vtd_irte_get,
 * hw/i386/intel_iommu_internal.h (VTDFaultReason), x86-iommu.c x86_iommu_irq_to_msi_message (output
 * composition, "pass whole remapped addresses to apic"). Where QEMU differs from the specification
 * (§10.2–10.5) the `qemu` profile follows QEMU.
 *
 * This is the hot path (benchmark: millions of routes per second): numbers only, no bigint, no field
 * tables. Everything a view wants to show is rebuilt from the returned numbers by the trace layer.
 */
import type { Profile } from '../model.js';
import { checkSourceId, NO_SID } from './source-id.js';
import { irteHasReservedBits, irteReservedMask, type IrteReservedMask, type IrteWords } from './irte.js';

/** VT-d interrupt-remapping fault reasons (qemu VTDFaultReason; Linux irq_remap_fault_reasons). */
export const VTD_FAULTS: Readonly<Record<number, { name: string; title: string }>> = {
    0x20: { name: 'IR_REQ_RSVD', title: 'reserved field set in the interrupt request' },
    0x21: { name: 'IR_INDEX_OVER', title: 'interrupt index beyond the table size' },
    0x22: { name: 'IR_ENTRY_P', title: 'IRTE not present' },
    0x23: { name: 'IR_ROOT_INVAL', title: 'IRTE could not be read (table address invalid)' },
    0x24: { name: 'IR_IRTE_RSVD', title: 'reserved field set in a present IRTE' },
    0x25: { name: 'IR_REQ_COMPAT', title: 'compatibility-format interrupt blocked' },
    0x26: { name: 'IR_SID_ERR', title: 'source-id validation failed' },
};

export interface VtdUnitConfig {
    /** GSTS.IRES. */
    enabled: boolean;
    /** IRTA.EIME. */
    eime: boolean;
    /** GSTS.CFIS. */
    cfis: boolean;
    /** IRTA.S: 2^(S+1) entries. */
    irtaS: number;
    /** ECAP.PI. */
    postedSupported: boolean;
    /**
     * How many entries can be read before the table runs past the host address width (fault 0x23).
     * Undefined: the whole table is readable.
     */
    readableEntries?: number;
}

/** A unit with its derived constants, computed once (prepareVtdUnit) and reused for every request. */
export interface PreparedVtdUnit extends Required<VtdUnitConfig> {
    entries: number;
    rsvdSpecRemapped: IrteReservedMask;
    rsvdSpecPosted: IrteReservedMask;
    rsvdQemu: IrteReservedMask;
}

/**
 * The IRTA.S a table of `size` entries needs: the table has 2^(S+1) entries, S = 0..15, so the size is a
 * power of two from 2 to 65536 (ROUTING.md §2.2). Otherwise an error message for the author.
 */
export function irtaSizeRule(size: bigint): { s: number } | { error: string } {
    if (size >= 2n && size <= 65536n && (size & (size - 1n)) === 0n) return { s: size.toString(2).length - 2 };
    return { error: `The IRTE table size must be a power of two from 2 to 65536 (IRTA.S = log2(size) − 1); ${size} is not.` };
}

export function prepareVtdUnit(cfg: VtdUnitConfig): PreparedVtdUnit {
    const s = Math.max(0, Math.min(15, cfg.irtaS | 0));
    return {
        enabled: cfg.enabled,
        eime: cfg.eime,
        cfis: cfg.cfis,
        irtaS: s,
        postedSupported: cfg.postedSupported,
        readableEntries: cfg.readableEntries ?? Number.POSITIVE_INFINITY,
        entries: 2 ** (s + 1),
        rsvdSpecRemapped: irteReservedMask(false, 'spec', cfg.eime, cfg.postedSupported),
        rsvdSpecPosted: irteReservedMask(true, 'spec', cfg.eime, cfg.postedSupported),
        rsvdQemu: irteReservedMask(false, 'qemu', cfg.eime, cfg.postedSupported),
    };
}

/**
 * Reads IRTE `index`: the entry's words, `undefined` for an entry never written (reads as all-zero),
 * or `null` when the read itself fails (fault 0x23).
 */
export type IrteReader = (index: number) => IrteWords | undefined | null;

export interface RemapRequest {
    /** Address bits 31:0. */
    addrLo: number;
    /** Address bits 63:32. */
    addrHi: number;
    data: number;
    /** Requester id, or NO_SID (-1). */
    sid: number;
    /** The write comes from an IOAPIC RTE (enables the §2.6 step 10 consistency warnings). */
    ioapic: boolean;
}

/** Why the result is what it is; lets the trace layer explain a fault without redoing the work. */
export type RemapCause =
    | 'ir-disabled'
    | 'compat'
    | 'addr-hi'
    | 'addr-window'
    | 'compat-blocked'
    | 'shv-data'
    | 'index'
    | 'read'
    | 'not-present'
    | 'reserved'
    | 'svt-reserved'
    | 'sid-mismatch'
    | 'bus-out-of-range'
    | 'ok';

export const WARN_IOAPIC_VECTOR = 1;
export const WARN_IOAPIC_TRIGGER = 2;

export interface RemapOutput {
    result: 'passthrough' | 'remapped' | 'posted' | 'fault';
    cause: RemapCause;
    /** 0x20..0x26, or 0. */
    faultReason: number;
    /** FPD of the IRTE read, or -1 when no IRTE was read. */
    fpd: -1 | 0 | 1;
    /** Remappable requests: handle, SHV and subhandle as decoded. */
    handle: number;
    shv: 0 | 1;
    subhandle: number;
    /** The interrupt index used (after QEMU's 16-bit wrap in the qemu profile), or -1. */
    index: number;
    irte: IrteWords | undefined;
    vector: number;
    deliveryMode: number;
    trigger: 0 | 1;
    destMode: 0 | 1;
    redirectionHint: 0 | 1;
    dest: number;
    /** The message composed for the APIC (remapped only). */
    outAddrLo: number;
    outAddrHi: number;
    outData: number;
    /** WARN_IOAPIC_* bits. */
    warnings: number;
    /** Posted only. */
    urgent: 0 | 1;
}

const ZERO_IRTE: IrteWords = Object.freeze({ w0: 0, w1: 0, w2: 0, w3: 0 });

function out(result: RemapOutput['result'], cause: RemapCause, faultReason: number): RemapOutput {
    return {
        result,
        cause,
        faultReason,
        fpd: -1,
        handle: -1,
        shv: 0,
        subhandle: 0,
        index: -1,
        irte: undefined,
        vector: 0,
        deliveryMode: 0,
        trigger: 0,
        destMode: 0,
        redirectionHint: 0,
        dest: 0,
        outAddrLo: 0,
        outAddrHi: 0,
        outData: 0,
        warnings: 0,
        urgent: 0,
    };
}

/** Handle of a remappable-format address: addr[19:5] = handle[14:0], addr[2] = handle[15] (§2.1). */
export function remappableHandle(addrLo: number): number {
    return ((addrLo >>> 5) & 0x7fff) | (((addrLo >>> 2) & 1) << 15);
}

/**
 * The remappable-format MSI address that selects `handle` (the inverse of remappableHandle): 0xFEE in
 * bits 31:20, handle[14:0] in 19:5, Interrupt Format = 1 in bit 4, SHV in bit 3, handle[15] in bit 2 (§2.1).
 */
export function remappableAddress(handle: number, shv: 0 | 1 = 0): number {
    return (0xfee0_0000 | ((handle & 0x7fff) << 5) | 0x10 | (shv << 3) | (((handle >>> 15) & 1) << 2)) >>> 0;
}

/** Remaps one request. Pure: reads the IRTE through `read`, returns a fresh result. */
export function vtdRemap(req: RemapRequest, unit: PreparedVtdUnit, read: IrteReader, profile: Profile): RemapOutput {
    const addrLo = req.addrLo >>> 0;
    const data = req.data >>> 0;
    const qemu = profile === 'qemu';
    // Step 0: remapping disabled.
    if (!unit.enabled) return out('passthrough', 'ir-disabled', 0);
    // Step 1: address bits 63:32 must be 0.
    if (req.addrHi >>> 0 !== 0) return out('fault', 'addr-hi', 0x20);
    // Step 2: address[31:20] must be 0xFEE.
    if (addrLo >>> 20 !== 0xfee) return out('fault', 'addr-window', 0x20);
    // Step 3: compatibility format.
    if ((addrLo & 0x10) === 0) {
        if (!qemu && (unit.eime || !unit.cfis)) return out('fault', 'compat-blocked', 0x25);
        return out('passthrough', 'compat', 0);
    }
    const handle = remappableHandle(addrLo);
    const shv = ((addrLo >>> 3) & 1) as 0 | 1;
    const subhandle = shv ? data & 0xffff : 0;
    // Step 4 (spec order): SHV=1 with data[31:16] set.
    if (!qemu && shv && data >>> 16 !== 0) {
        const r = out('fault', 'shv-data', 0x20);
        r.handle = handle;
        r.shv = shv;
        r.subhandle = subhandle;
        return r;
    }
    // Step 5: index range. QEMU keeps the index in a uint16_t (§10.3).
    let index = handle + subhandle;
    if (qemu) index &= 0xffff;
    const r = out('fault', 'ok', 0);
    r.handle = handle;
    r.shv = shv;
    r.subhandle = subhandle;
    r.index = index;
    if (index >= unit.entries) {
        r.cause = 'index';
        r.faultReason = 0x21;
        return r;
    }
    // Step 6: reading the entry.
    const got = index >= unit.readableEntries ? null : read(index);
    if (got === null) {
        r.cause = 'read';
        r.faultReason = 0x23;
        return r;
    }
    const w = got ?? ZERO_IRTE;
    r.irte = w;
    r.fpd = (w.w0 & 2 ? 1 : 0) as 0 | 1;
    // Step 7: present.
    if ((w.w0 & 1) === 0) {
        r.cause = 'not-present';
        r.faultReason = 0x22;
        return r;
    }
    // Step 8: reserved bits.
    const posted = !qemu && (w.w0 & 0x8000) !== 0 && unit.postedSupported;
    const mask = qemu ? unit.rsvdQemu : (w.w0 & 0x8000) !== 0 ? unit.rsvdSpecPosted : unit.rsvdSpecRemapped;
    if (irteHasReservedBits(w, mask)) {
        r.cause = 'reserved';
        r.faultReason = 0x24;
        return r;
    }
    // Step 9: source-id validation.
    const w2 = w.w2;
    const sidCheck = checkSourceId((w2 >>> 18) & 3, (w2 >>> 16) & 3, w2 & 0xffff, req.sid === NO_SID ? NO_SID : req.sid & 0xffff, profile);
    if (sidCheck === 'mismatch' || sidCheck === 'bus-out-of-range' || sidCheck === 'svt-reserved') {
        r.cause = sidCheck === 'mismatch' ? 'sid-mismatch' : sidCheck;
        r.faultReason = 0x26;
        return r;
    }
    // QEMU checks the SHV reserved data bits only after a successful fetch (§10.5).
    if (qemu && shv && data >>> 16 !== 0) {
        r.cause = 'shv-data';
        r.faultReason = 0x20;
        r.fpd = -1;
        return r;
    }
    r.cause = 'ok';
    r.faultReason = 0;
    const w0 = w.w0;
    r.vector = (w0 >>> 16) & 0xff;
    if (posted) {
        r.result = 'posted';
        r.urgent = ((w0 >>> 14) & 1) as 0 | 1;
        return r;
    }
    r.result = 'remapped';
    r.destMode = ((w0 >>> 2) & 1) as 0 | 1;
    r.redirectionHint = ((w0 >>> 3) & 1) as 0 | 1;
    r.trigger = ((w0 >>> 4) & 1) as 0 | 1;
    r.deliveryMode = (w0 >>> 5) & 7;
    r.dest = unit.eime ? w.w1 >>> 0 : (w.w1 >>> 8) & 0xff;
    // Step 10: an IOAPIC RTE's vector and trigger should equal the IRTE's; the IRTE wins either way.
    if (req.ioapic && !shv) {
        if ((data & 0xff) !== r.vector) r.warnings |= WARN_IOAPIC_VECTOR;
        if (((data >>> 15) & 1) !== r.trigger) r.warnings |= WARN_IOAPIC_TRIGGER;
    }
    // Step 11: compose the message for the APIC; dest[31:8] travels in address_hi as KVM expects.
    r.outAddrLo = (0xfee0_0000 | ((r.dest & 0xff) << 12) | (r.redirectionHint << 3) | (r.destMode << 2) | (addrLo & 3)) >>> 0;
    r.outAddrHi = (r.dest & 0xffff_ff00) >>> 0;
    r.outData = (r.vector | (r.deliveryMode << 8) | (1 << 14) | (r.trigger << 15)) >>> 0;
    return r;
}
