/**
 * PCI MSI-X table, PBA and masking rules.
 *
 * ROUTING.md §7: Message Control bits 10:0 = table size − 1 (≤ 2047), bit 14 Function Mask, bit 15 Enable;
 * entry k is 16 bytes at 16·k (address low, address high, data, vector control with bit 0 = mask); the PBA
 * bit for entry k is bit k mod 64 of qword k/64; a masked vector (entry or function mask) records pending
 * instead of sending; software must not change address/data while the entry is unmasked (context 002/004).
 */
import { field, hi32, lo32 } from '../bits.js';
import type { DecodedField } from '../trace.js';

export const MSIX_MAX_ENTRIES = 2048;
export const MSIX_ENTRY_SIZE = 16;

/**
 * Errors of the `msix_entry` rule (names chosen here; the conformance README does not list them):
 * - QSIZE_OUT_OF_RANGE: Message Control table size field above 2047 (it is 11 bits)
 * - ENTRY_OUT_OF_RANGE: entry index k is not below the table size
 */
export type MsixEntryError = 'QSIZE_OUT_OF_RANGE' | 'ENTRY_OUT_OF_RANGE';

export type MsixEntryResult =
    | { ok: true; tableSize: number; entryOffset: number; pbaQword: number; pbaBit: number }
    | { ok: false; error: MsixEntryError };

export function msixEntryLocation(qsize: number, k: number): MsixEntryResult {
    if (!Number.isInteger(qsize) || qsize < 0 || qsize > MSIX_MAX_ENTRIES - 1) return { ok: false, error: 'QSIZE_OUT_OF_RANGE' };
    const tableSize = qsize + 1;
    if (!Number.isInteger(k) || k < 0 || k >= tableSize) return { ok: false, error: 'ENTRY_OUT_OF_RANGE' };
    return { ok: true, tableSize, entryOffset: k * MSIX_ENTRY_SIZE, pbaQword: k >>> 6, pbaBit: k & 63 };
}

/** 'PBA qword 0 bit 1'. */
export function pbaWhere(k: number): string {
    return `PBA qword ${k >>> 6} bit ${k & 63}`;
}

export interface MsixState {
    entryMasked: boolean;
    functionMasked: boolean;
    enabled: boolean;
}

/** The fields of an entry that hold the message; `vector_ctrl` (the mask) may always be written. */
export function isMessageField(fieldName: string): boolean {
    return !/^(vector_?ctrl|vector_?control|ctrl|control|mask)$/i.test(fieldName);
}

/**
 * Writing an entry's address or data while it can fire (MSI-X enabled, neither the entry nor the function
 * masked) is undefined: the device may send a mix of old and new fields. Linux masks, writes, then unmasks.
 */
export function msixWriteRule(s: MsixState, fieldName: string): { ok: true } | { ok: false; error: 'MODIFY_UNMASKED_ENTRY_UNDEFINED' } {
    if (isMessageField(fieldName) && s.enabled && !s.entryMasked && !s.functionMasked) {
        return { ok: false, error: 'MODIFY_UNMASKED_ENTRY_UNDEFINED' };
    }
    return { ok: true };
}

export type MsixFireReason = 'msix_disabled' | 'function_masked' | 'entry_masked';

/**
 * What happens when the function raises entry k: with MSI-X disabled nothing is sent and nothing is
 * pending; a function mask or an entry mask sets the PBA bit instead of sending. The function mask is
 * reported first when both apply (QEMU msix_vector_masked tests the function mask first).
 */
export function msixFireRule(s: MsixState): { delivered: boolean; pending: boolean; reason?: MsixFireReason } {
    if (!s.enabled) return { delivered: false, pending: false, reason: 'msix_disabled' };
    if (s.functionMasked) return { delivered: false, pending: true, reason: 'function_masked' };
    if (s.entryMasked) return { delivered: false, pending: true, reason: 'entry_masked' };
    return { delivered: true, pending: false };
}

/** MSI-X Message Control (ROUTING.md §7), as fields for hover. */
export function msixMessageControlFields(c: { tableSize: number; functionMask: boolean; enabled: boolean }): DecodedField[] {
    const q = c.tableSize - 1;
    return [
        field('MSI-X Enable', 15, 15, c.enabled ? 1 : 0, c.enabled ? '1' : '0', c.enabled ? 'MSI-X enabled' : 'MSI-X disabled: nothing is sent and nothing becomes pending'),
        field('Function Mask', 14, 14, c.functionMask ? 1 : 0, c.functionMask ? '1' : '0', c.functionMask ? 'every vector masked: raised vectors set their PBA bit' : 'vectors follow their own mask bits'),
        field('Table Size', 10, 0, q < 0 ? 0 : q, String(q), q < 0 || q > MSIX_MAX_ENTRIES - 1 ? `invalid: a table holds 1 to ${MSIX_MAX_ENTRIES} entries` : `${c.tableSize} entries (field holds size − 1)`, q < 0 || q > MSIX_MAX_ENTRIES - 1),
    ];
}

/**
 * The 16-byte MSI-X table entry as fields (bit numbers within the entry): address low at offset 0, address
 * high at 4, data at 8, Vector Control at 12 with bit 0 = mask.
 */
/**
 * Message Address bits 1:0 of an MSI-X table entry: software must write 0 there for DWORD alignment, the
 * result is undefined otherwise (PCI Local Bus 3.0 §6.8.2.4, "Message Address for MSI-X Table Entries").
 */
export function msixAddressUnaligned(address: bigint): boolean {
    return (address & 3n) !== 0n;
}

export function msixEntryFields(e: { index: number; address: bigint; data: number; masked: boolean }): DecodedField[] {
    const lo = lo32(e.address);
    const hi = hi32(e.address);
    return [
        field('Message Address', 31, 0, lo, `0x${lo.toString(16)}`, `table offset 0x${(e.index * MSIX_ENTRY_SIZE).toString(16)} (entry ${e.index} × 16); bits 1:0 must be 0`, msixAddressUnaligned(e.address)),
        field('Message Upper Address', 63, 32, hi, `0x${hi.toString(16)}`, 'address bits 63:32'),
        field('Message Data', 95, 64, e.data >>> 0, `0x${(e.data >>> 0).toString(16)}`, 'data written with the message'),
        field('Vector Control: Mask', 96, 96, e.masked ? 1 : 0, e.masked ? '1' : '0', e.masked ? `masked: a raised vector sets ${pbaWhere(e.index)}` : 'unmasked: software must not change address/data now'),
    ];
}
