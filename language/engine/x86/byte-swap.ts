/**
 * Byte-order suspicion for MSI values. The bus carries little-endian bytes (ARCHITECTURE.md "Values"); a
 * driver or a hand-written topology that stores the value big-endian produces e.g. address 0x1000e0fe
 * for 0xfee00010, or data 0x41000000 for 0x41 (the byte-order confusion of context thread 000).
 * A value is reported only when it is implausible as written and plausible reversed.
 */
import { byteSwap32, byteSwap64, hi32, lo32 } from '../bits.js';
import { isInterruptAddress } from './msi-compat.js';

/**
 * The byte-reversed address when the address misses the interrupt window and its reversal hits it.
 * `lo` / `hi` are the address's bits 31:0 / 63:32 when the caller has them already.
 */
export function swappedAddressCandidate(address: bigint, lo = lo32(address), hi = hi32(address)): bigint | undefined {
    if (isInterruptAddress(lo) && hi === 0) return undefined;
    if (hi === 0) {
        const s = byteSwap32(lo);
        return isInterruptAddress(s) ? BigInt(s) : undefined;
    }
    // A 64-bit value stored big-endian: 0xfee00010 becomes 0x1000e0fe_00000000.
    const s64 = byteSwap64(address);
    if (hi32(s64) === 0 && isInterruptAddress(lo32(s64))) return s64;
    return undefined;
}

/**
 * The byte-reversed data word when only the upper half is set as written and the reversal is a plausible
 * message data: a 16-bit value that, in compatibility format, has a legal vector (≥ 0x10); or, in
 * compatibility format, a 16-bit word stored big-endian (swappedData16).
 */
export function swappedDataCandidate(data: number, format: 'compat' | 'remappable'): number | undefined {
    data >>>= 0;
    if (format === 'compat' && data >>> 16 === 0) return swappedData16(data);
    if ((data & 0xffff) !== 0 || data >>> 16 === 0) return undefined;
    const s = byteSwap32(data);
    if (s > 0xffff) return undefined;
    if (format === 'compat' && (s & 0xff) < 0x10) return undefined;
    return s;
}

/**
 * The MSI capability's Message Data register is 16 bits wide (PCI Local Bus 3.0 §6.8.1.8; the extended
 * message data above it is optional): a big-endian 16-bit store turns vector 0x41 into data 0x4100. Suspect
 * it when the compatibility-format vector as written is illegal (< 0x10, Intel SDM Vol. 3A §11.11.2) and the
 * reversed halfword is a legal vector with fixed or lowest-priority delivery (bits 10:8 = 000b / 001b).
 */
function swappedData16(data: number): number | undefined {
    if ((data & 0xff) >= 0x10 || data >>> 8 === 0) return undefined;
    const s = ((data & 0xff) << 8) | (data >>> 8);
    const mode = (s >>> 8) & 0x7;
    return (s & 0xff) >= 0x10 && mode <= 1 ? s : undefined;
}
