/**
 * sPAPR (pseries) PHB MSI decode, both QEMU models. Pure functions.
 *
 * ROUTING.md §5. Legacy model (2012, "pseries: added MSI/MSIX support"): per-PHB window of 32 × 64 KiB
 * slots, ndev = off >> 16, vec = ((off & 0xFFFF) >> 2) | data, irq = msi_table[ndev].irq + vec; the 2012
 * code checked none of ndev / vec / configuration (§10.9) — the checks here are the topology validator's.
 * Current model (spapr_msi_write): one window for the machine, the data is the global XICS irq number.
 * IRQ space: §5.3 (ICS sources ics_offset .. ics_offset + nr_irqs − 1).
 */
import { lo32 } from '../bits.js';

export type SpaprError =
    | 'OUTSIDE_MSI_WINDOW'
    | 'NDEV_OVERFLOW'
    | 'MSI_NOT_CONFIGURED'
    | 'VECTOR_OUT_OF_RANGE'
    | 'IRQ_OUT_OF_ICS'
    | 'IRQ_NOT_CLAIMED';

export interface SpaprIcs {
    /** First XICS source number of the ICS (XICS_IRQ_BASE, 0x1000). */
    icsOffset: number;
    nrIrqs: number;
}

export interface SpaprLegacyPhb extends SpaprIcs {
    msiWinAddr: bigint;
    /** Default 32 × 64 KiB. */
    windowSize?: bigint;
    /** msi_table indexed by ndev: first irq of the block and its vector count (0 = not configured). */
    msiTable: readonly { irq: number; nvec: number }[];
    /** SPAPR_MSIX_MAX_DEVS, default 32. */
    maxDevs?: number;
}

export interface SpaprCurrentPhb extends SpaprIcs {
    msiWinAddr: bigint;
    /** Default one 4 KiB page. */
    windowSize?: bigint;
    /** IRQs allocated by ibm,change-msi; undefined = not tracked. */
    claimed?: readonly number[];
}

export type SpaprResult =
    | { ok: true; irq: number; icsSource: number; ndev?: number; vec?: number }
    | { ok: false; error: SpaprError; ndev?: number; vec?: number; irq?: number };

export const SPAPR_LEGACY_SLOT_SIZE = 0x1_0000n;
export const SPAPR_LEGACY_MAX_DEVS = 32;

function icsCheck(ics: SpaprIcs, irq: number): boolean {
    return irq >= ics.icsOffset && irq < ics.icsOffset + ics.nrIrqs;
}

/** The parts of a legacy-model window write (ROUTING.md §5.1): its slot, the vector firmware put in the address, the vector. */
export interface SpaprLegacyParts {
    /** off >> 16: the msi_table slot. */
    ndev: number;
    /** (off & 0xFFFF) >> 2: the MSI-X vector number firmware put in the address. */
    addrVec: number;
    /** addrVec | data: the vector within the slot's block. */
    vec: number;
}

/** The slot and vector of a write at offset `off` into a legacy-model window (spapr_msi_write, 2012). */
export function spaprLegacyParts(off: bigint, data: number): SpaprLegacyParts {
    const ndev = Number(off >> 16n);
    const addrVec = (lo32(off) & 0xffff) >>> 2;
    return { ndev, addrVec, vec: (addrVec | data) >>> 0 };
}

export function spaprLegacyDecode(phb: SpaprLegacyPhb, addr: bigint, data: number): SpaprResult {
    const size = phb.windowSize ?? BigInt(SPAPR_LEGACY_MAX_DEVS) * SPAPR_LEGACY_SLOT_SIZE;
    if (addr < phb.msiWinAddr || addr - phb.msiWinAddr >= size) return { ok: false, error: 'OUTSIDE_MSI_WINDOW' };
    const { ndev, vec } = spaprLegacyParts(addr - phb.msiWinAddr, data);
    // msi_table has max_devs entries in QEMU; the table given here may be shorter: past its end is an overflow too.
    if (ndev >= (phb.maxDevs ?? SPAPR_LEGACY_MAX_DEVS) || ndev >= phb.msiTable.length) return { ok: false, error: 'NDEV_OVERFLOW', ndev };
    const entry = phb.msiTable[ndev];
    if (entry.nvec <= 0) return { ok: false, error: 'MSI_NOT_CONFIGURED', ndev };
    if (vec >= entry.nvec) return { ok: false, error: 'VECTOR_OUT_OF_RANGE', ndev, vec };
    const irq = entry.irq + vec;
    if (!icsCheck(phb, irq)) return { ok: false, error: 'IRQ_OUT_OF_ICS', irq };
    return { ok: true, irq, icsSource: irq - phb.icsOffset, ndev, vec };
}

export function spaprCurrentDecode(phb: SpaprCurrentPhb, addr: bigint, data: number): SpaprResult {
    const size = phb.windowSize ?? 0x1000n;
    if (addr < phb.msiWinAddr || addr - phb.msiWinAddr >= size) return { ok: false, error: 'OUTSIDE_MSI_WINDOW' };
    const irq = data >>> 0;
    if (!icsCheck(phb, irq)) return { ok: false, error: 'IRQ_OUT_OF_ICS', irq };
    if (phb.claimed && !phb.claimed.includes(irq)) return { ok: false, error: 'IRQ_NOT_CLAIMED', irq };
    return { ok: true, irq, icsSource: irq - phb.icsOffset };
}
