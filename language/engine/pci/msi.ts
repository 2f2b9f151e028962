/**
 * PCI MSI multiple-message rules.
 *
 * ROUTING.md §7 (Message Control: MMC bits 3:1, MME bits 6:4, values 6 and 7 reserved, at most 32 vectors;
 * with 2^MME vectors enabled the device replaces the low MME bits of the data with the vector number, so
 * software writes base data with those bits clear). Linux include/uapi/linux/pci_regs.h PCI_MSI_FLAGS_*.
 */
import { field } from '../bits.js';
import type { DecodedField } from '../trace.js';

/** Largest architected MMC / MME value (32 vectors). */
export const MSI_MAX_LOG2 = 5;

export function msiVectorCount(mme: number): number {
    return 1 << mme;
}

/** The data word vector k sends: base data with its low MME bits replaced by k. */
export function msiVectorData(baseData: number, mme: number, k: number): number {
    const nvec = msiVectorCount(mme);
    return ((baseData & ~(nvec - 1)) | (k & (nvec - 1))) >>> 0;
}

/** True when the base data has some of the low MME bits set (the device overwrites them). */
export function msiBaseDataUnaligned(baseData: number, mme: number): boolean {
    return (baseData & (msiVectorCount(mme) - 1)) !== 0;
}

/** Where vector k's pending bit sits (per-vector masking capability). */
export function msiPendingWhere(k: number): string {
    return `MSI Pending bit ${k}`;
}

/**
 * Errors of the `msi_vector` rule (names chosen here; the conformance README does not list them):
 * - MMC_RESERVED: MMC above 5 (encodings 6 and 7 are reserved; at most 32 vectors)
 * - MME_EXCEEDS_MMC: software enabled more vectors than the function supports
 * - VECTOR_OUT_OF_RANGE: vector index k is not below 2^MME
 * - ADDR_HI_WITHOUT_64BIT: a non-zero upper address on a 32-bit-only capability (there is no register to hold it)
 */
export type MsiVectorError = 'MMC_RESERVED' | 'MME_EXCEEDS_MMC' | 'VECTOR_OUT_OF_RANGE' | 'ADDR_HI_WITHOUT_64BIT';

export interface MsiVectorInput {
    mmc: number;
    mme: number;
    k: number;
    data: number;
    /** Default true (the capability is 64-bit capable). */
    is64bit?: boolean;
    addrHi?: number;
}

export type MsiVectorResult =
    | { ok: true; nvec: number; data: number; warning?: 'BASE_DATA_LOW_BITS_NOT_ZERO' }
    | { ok: false; error: MsiVectorError };

export function msiVectorRule(i: MsiVectorInput): MsiVectorResult {
    if (!Number.isInteger(i.mmc) || i.mmc < 0 || i.mmc > MSI_MAX_LOG2) return { ok: false, error: 'MMC_RESERVED' };
    if (!Number.isInteger(i.mme) || i.mme < 0 || i.mme > i.mmc) return { ok: false, error: 'MME_EXCEEDS_MMC' };
    const nvec = msiVectorCount(i.mme);
    if (!Number.isInteger(i.k) || i.k < 0 || i.k >= nvec) return { ok: false, error: 'VECTOR_OUT_OF_RANGE' };
    if (i.is64bit === false && (i.addrHi ?? 0) !== 0) return { ok: false, error: 'ADDR_HI_WITHOUT_64BIT' };
    const r: MsiVectorResult = { ok: true, nvec, data: msiVectorData(i.data, i.mme, i.k) };
    if (msiBaseDataUnaligned(i.data >>> 0, i.mme)) r.warning = 'BASE_DATA_LOW_BITS_NOT_ZERO';
    return r;
}

/**
 * log2 of a vector count as the language writes it (`msi vectors 4`): the count must be a power of two
 * from 1 to 32, because MMC/MME encode log2 of the count.
 */
export function msiLog2OfCount(count: number): { ok: true; log2: number } | { ok: false; message: string } {
    if (!Number.isInteger(count) || count < 1) return { ok: false, message: `an MSI vector count must be a positive integer, got ${count}` };
    if (count > 32) return { ok: false, message: `MSI supports at most 32 vectors, got ${count}; use MSI-X for more` };
    if ((count & (count - 1)) !== 0) {
        const up = 1 << Math.ceil(Math.log2(count));
        return { ok: false, message: `an MSI vector count must be a power of two (1, 2, 4, 8, 16 or 32), got ${count}; use ${up}` };
    }
    return { ok: true, log2: Math.log2(count) };
}

/** MSI Message Control (ROUTING.md §7), as fields for hover. */
export function msiMessageControlFields(c: { enabled: boolean; mmc: number; mme: number; is64: boolean; perVectorMask: boolean }): DecodedField[] {
    return [
        field('MSI Enable', 0, 0, c.enabled ? 1 : 0, c.enabled ? '1' : '0', c.enabled ? 'MSI enabled' : 'MSI disabled: the function does not send MSIs'),
        field('Multiple Message Capable', 3, 1, c.mmc, String(c.mmc), c.mmc > MSI_MAX_LOG2 ? 'reserved encoding (6, 7)' : `${msiVectorCount(c.mmc)} vector(s) supported`, c.mmc > MSI_MAX_LOG2),
        field(
            'Multiple Message Enable',
            6,
            4,
            c.mme,
            String(c.mme),
            c.mme > c.mmc ? `exceeds MMC (${c.mmc})` : `${msiVectorCount(c.mme)} vector(s) enabled: the device puts the vector number in data[${c.mme ? `${c.mme - 1}:0` : '-'}]`,
            c.mme > c.mmc,
        ),
        field('64 Bit Address Capable', 7, 7, c.is64 ? 1 : 0, c.is64 ? '1' : '0', c.is64 ? 'has a Message Upper Address register' : '32-bit message address only'),
        field('Per-Vector Masking Capable', 8, 8, c.perVectorMask ? 1 : 0, c.perVectorMask ? '1' : '0', c.perVectorMask ? 'has Mask Bits and Pending Bits registers' : 'vectors cannot be masked'),
    ];
}
