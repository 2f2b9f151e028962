/**
 * NUMBER literals: hex (`0xfee0_0010`) or decimal (`4096`, `1_000`), `_` allowed as a separator.
 *
 * The text goes straight to `BigInt` (which reads `0x…` itself), never through `number`: a 64-bit address
 * or a 128-bit IRTE half above 2^53 must keep every bit (ARCHITECTURE.md "Values").
 */

/** The value of a NUMBER literal, or undefined when the text has no digits (e.g. `0x_`). */
export function parseNumberLiteral(text: string): bigint | undefined {
    const t = text.replace(/_/g, '');
    if (/^0[xX][0-9a-fA-F]+$/.test(t) || /^[0-9]+$/.test(t)) {
        return BigInt(t);
    }
    return undefined;
}

/** Number of bits needed to write `v` (0 for 0). */
export function bitLength(v: bigint): number {
    return v <= 0n ? 0 : v.toString(2).length;
}

/** True when `v` fits in an unsigned field of `width` bits. */
export function fitsBits(v: bigint, width: number): boolean {
    return v >= 0n && v < (1n << BigInt(width));
}

/** Lowercase hex with `0x` and `_` every four digits from the right, the way the file writes long values. */
export function formatHex(v: bigint): string {
    const raw = v.toString(16);
    const groups: string[] = [];
    for (let end = raw.length; end > 0; end -= 4) groups.unshift(raw.slice(Math.max(0, end - 4), end));
    return '0x' + groups.join('_');
}

/** Power of two (1, 2, 4, …)? */
export function isPowerOfTwo(v: bigint): boolean {
    return v > 0n && (v & (v - 1n)) === 0n;
}

/** log2 of a power of two. */
export function log2(v: bigint): number {
    return bitLength(v) - 1;
}
