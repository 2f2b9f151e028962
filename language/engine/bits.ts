/**
 * Bit helpers shared by every decoder.
 *
 * Why two kinds of helper: 64-bit addresses and 128-bit IRTE halves are `bigint` end to end (they must never
 * round through `number`, ARCHITECTURE.md "Values"), while 32-bit words are `number` kept unsigned with
 * `>>> 0`. Hot paths (vtd/remap.ts) split bigints into 32-bit words once and then work on numbers only.
 */
import type { DecodedField } from './trace.js';

export const MASK32 = 0xffff_ffffn;

/** Bits hi..lo (inclusive) of a 32-bit number, unsigned. */
export function bits32(v: number, hi: number, lo: number): number {
    const width = hi - lo + 1;
    if (width >= 32) return (v >>> lo) >>> 0;
    return ((v >>> lo) & ((1 << width) - 1)) >>> 0;
}

/** Low 32 bits of a bigint as an unsigned number. */
export function lo32(v: bigint): number {
    // A bigint comparison allocates nothing; `&` and `>>` make new bigints. Most addresses are 32-bit.
    return v >= 0n && v <= MASK32 ? Number(v) : Number(v & MASK32);
}

/** Bits 63:32 of a bigint as an unsigned number. */
export function hi32(v: bigint): number {
    return v >= 0n && v <= MASK32 ? 0 : Number((v >> 32n) & MASK32);
}

/** Joins two unsigned 32-bit words into a 64-bit bigint. */
export function join64(lo: number, hi: number): bigint {
    return (BigInt(hi >>> 0) << 32n) | BigInt(lo >>> 0);
}

/**
 * A 64-bit MSI address as the two dwords a device stores (Message Address, Message Upper Address):
 * bits 31:0 and 63:32, unsigned. Exact: each half is below 2^32.
 */
export function splitAddress(address: bigint): { lo: number; hi: number } {
    return { lo: lo32(address), hi: hi32(address) };
}

/** The inverse of splitAddress: the 64-bit address of a low and a high dword. */
export function joinAddress(lo: number, hi: number): bigint {
    return join64(lo, hi);
}

/**
 * The 128-bit value of an IRTE from its two 64-bit halves (ROUTING.md §2.3: bits 63:0 are the low half,
 * 127:64 the high half), each taken as 64 bits.
 */
export function irteValue128(lo: bigint, hi: bigint): bigint {
    return (BigInt.asUintN(64, hi) << 64n) | BigInt.asUintN(64, lo);
}

/** Lowercase hex with `0x`, no padding: `0x41`. */
export function hex(v: number | bigint): string {
    const n = typeof v === 'bigint' ? v : BigInt(v);
    return '0x' + n.toString(16);
}

/** Lowercase hex padded to `digits` digits: `hexPad(0x41, 4)` = `0x0041`. */
export function hexPad(v: number | bigint, digits: number): string {
    const n = BigInt.asUintN(128, typeof v === 'bigint' ? v : BigInt(v));
    return '0x' + n.toString(16).padStart(digits, '0');
}

/** The `0x%016x` form the conformance schema uses for IRTE halves and the posted-descriptor address. */
export function hex64(v: bigint): string {
    return hexPad(v & 0xffff_ffff_ffff_ffffn, 16);
}

/** `0xfee0_0010`-style grouping for long values shown to users (groups of 4 digits from the right). */
export function hexGrouped(v: number | bigint, digits = 8): string {
    const raw = BigInt.asUintN(128, typeof v === 'bigint' ? v : BigInt(v)).toString(16).padStart(digits, '0');
    const groups: string[] = [];
    for (let end = raw.length; end > 0; end -= 4) groups.unshift(raw.slice(Math.max(0, end - 4), end));
    return '0x' + groups.join('_');
}

/**
 * Parses a hex string (with or without `0x`, underscores allowed) into a bigint. Never through `number`:
 * a float parse loses every bit above 2^53.
 */
export function parseHexBig(s: string): bigint {
    const t = s.trim().replace(/_/g, '');
    const body = /^0x/i.test(t) ? t.slice(2) : t;
    if (!/^[0-9a-f]+$/i.test(body)) throw new SyntaxError(`not a hex number: '${s}'`);
    return BigInt('0x' + body);
}

/** Accepts a JSON number (< 2^53) or a hex string and returns a bigint. */
export function toBig(v: number | string | bigint): bigint {
    if (typeof v === 'bigint') return v;
    if (typeof v === 'string') return parseHexBig(v);
    if (!Number.isSafeInteger(v) || v < 0) throw new RangeError(`not a non-negative safe integer: ${v}`);
    return BigInt(v);
}

/** Bit-range label as DecodedField.bits wants it: '19:12' or '4'. */
export function bitsLabel(hi: number, lo: number): string {
    return hi === lo ? String(lo) : `${hi}:${lo}`;
}

/** Builds a DecodedField. */
export function field(
    name: string,
    hi: number,
    lo: number,
    value: number | bigint,
    text: string,
    meaning: string,
    flagged?: boolean,
): DecodedField {
    const f: DecodedField = { name, bits: bitsLabel(hi, lo), value: typeof value === 'bigint' ? value : BigInt(value), text, meaning };
    if (flagged) f.flagged = true;
    return f;
}

/** Reverses the 4 bytes of a 32-bit word. */
export function byteSwap32(v: number): number {
    return (((v & 0xff) << 24) | ((v & 0xff00) << 8) | ((v >>> 8) & 0xff00) | ((v >>> 24) & 0xff)) >>> 0;
}

/** Reverses the 8 bytes of a 64-bit value. */
export function byteSwap64(v: bigint): bigint {
    return join64(byteSwap32(hi32(v)), byteSwap32(lo32(v)));
}

/**
 * The little-endian bytes of `value` as they cross the bus, lowest address first, as 2-digit hex strings
 * (ARCHITECTURE.md "Values": the bus carries little-endian bytes).
 */
export function leBytes(value: number | bigint, nbytes: number): string[] {
    let v = typeof value === 'bigint' ? value : BigInt(value >>> 0);
    const out: string[] = [];
    for (let i = 0; i < nbytes; i++) {
        out.push((v & 0xffn).toString(16).padStart(2, '0'));
        v >>= 8n;
    }
    return out;
}


/**
 * JSON.stringify replacer for traces and decodes: bigints (addresses, IRTE halves, field values) become
 * `0x…` hex strings, since JSON has no 64-bit integers.
 */
export function bigintReplacer(_key: string, value: unknown): unknown {
    return typeof value === 'bigint' ? '0x' + value.toString(16) : value;
}
