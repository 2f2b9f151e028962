/**
 * Numbers typed on the command line: hex (`0xfee0_0010`) or decimal (`4161`), `_` allowed between digits
 * as in `.irq` files. Parsed with BigInt only: a 64-bit address or IRTE half must never pass through a JS
 * `number` (ARCHITECTURE.md "Values"), and parseInt would silently accept `12abc`.
 */
import { hexGrouped } from './engine.js';
import { CliError } from './errors.js';

const HEX = /^0[xX][0-9a-fA-F](?:_?[0-9a-fA-F])*$/;
const DEC = /^[0-9](?:_?[0-9])*$/;

/**
 * Parses `text` as an unsigned integer of at most `bits` bits. `what` names the argument in the error
 * (`ADDRESS`, `DATA`, `--irte LO`).
 */
export function parseUnsigned(text: string, what: string, bits: number): bigint {
    const t = text.trim();
    if (!HEX.test(t) && !DEC.test(t)) {
        throw new CliError(`${what} '${text}' is not a number: write hex (0xfee0_0010) or decimal (4276092944)`);
    }
    const value = BigInt(t.replace(/_/g, ''));
    if (value >> BigInt(bits) !== 0n) {
        throw new CliError(`${what} '${text}' does not fit in ${bits} bits (at most ${hexGrouped((1n << BigInt(bits)) - 1n, Math.ceil(bits / 4))})`);
    }
    return value;
}
