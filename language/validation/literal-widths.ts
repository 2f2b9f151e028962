/**
 * Field widths of every NUMBER the language accepts. A literal wider than its field is an error on the
 * literal, whatever the field: numbers are bigints, so nothing is lost before this check sees it.
 */
import type { AstNode, ValidationAcceptor } from 'langium';
import { propertyCstNode, propertyCstNodes } from '../values/cst-properties.js';
import { bitLength, parseNumberLiteral } from '../values/number-literal.js';
import { IrqCodes } from './diagnostic-codes.js';
import { FIELD_WIDTHS, fieldWidth as f, type FieldWidth } from '../values/field-widths.js';

/** Index texts in references (`nic.msix[…]`, `dmar0.irte …`) are decimal renderings of NUMBERs. */
const INDEX_REFERENCES: Record<string, { property: string; width: FieldWidth }> = {
    VectorRef: { property: 'entry', width: f(32, 'An entry index') },
    UpdateEvent: { property: 'irte', width: f(16, 'An IRTE index') },
};

/** Node types whose references carry index texts to check. */
export const LITERAL_REFERENCE_TYPES = Object.keys(INDEX_REFERENCES);

export function checkLiteralWidths(node: AstNode, accept: ValidationAcceptor): void {
    const fields = FIELD_WIDTHS[node.$type];
    if (fields) {
        const record = node as unknown as Record<string, unknown>;
        for (const [property, width] of Object.entries(fields)) {
            const value = record[property];
            if (typeof value !== 'bigint') continue;
            // A repeated setting (reported on its own) holds the last value written: check that literal.
            const written = propertyCstNodes(node).get(property);
            const cst = written?.[written.length - 1];
            const text = cst?.text ?? value.toString();
            if (value === 0n && parseNumberLiteral(text) === undefined) {
                accept('error', `Malformed number '${text}': it has no digits.`, { node, range: cst?.range, property, code: IrqCodes.MalformedNumber });
                continue;
            }
            const bits = bitLength(value);
            if (bits > width.bits) {
                accept('error', `${width.label} is ${width.bits} bits wide; ${text} needs ${bits} bits.`, {
                    node, range: cst?.range, property, code: IrqCodes.LiteralTooWide,
                });
            }
        }
    }
    const indexRef = INDEX_REFERENCES[node.$type];
    if (indexRef) {
        const ref = (node as unknown as Record<string, { $refText?: string } | undefined>)[indexRef.property];
        const text = ref?.$refText;
        if (text && /^[0-9]+$/.test(text)) {
            const bits = bitLength(BigInt(text));
            if (bits > indexRef.width.bits) {
                const cst = propertyCstNode(node, indexRef.property);
                accept('error', `${indexRef.width.label} is ${indexRef.width.bits} bits wide; ${cst?.text ?? text} needs ${bits} bits.`, {
                    node, range: cst?.range, property: indexRef.property, code: IrqCodes.LiteralTooWide,
                });
            }
        }
    }
}
