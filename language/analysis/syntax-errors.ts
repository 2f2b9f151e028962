/**
 * Where the lexer and parser reported errors, so that checks on a half-typed statement can stay quiet: the
 * syntax error already says what is missing (`irte 0 { vector 0x41 dest` does not also need "IRTE 0 has no
 * destination").
 */
import type { AstNode, LangiumDocument } from 'langium';

const cache = new WeakMap<object, number[]>();

/** Offsets of lexer / parser errors, sorted (cached per parse result). */
export function syntaxErrorOffsets(document: LangiumDocument): number[] {
    const key = document.parseResult;
    let out = cache.get(key);
    if (!out) {
        out = [];
        for (const e of document.parseResult.lexerErrors) out.push(e.offset);
        for (const e of document.parseResult.parserErrors) {
            // Tokens inserted by error recovery have no offset; the error sits after the previous token.
            const at = isNaN(e.token.startOffset) ? (e as { previousToken?: { endOffset?: number } }).previousToken?.endOffset : e.token.startOffset;
            if (at !== undefined && !isNaN(at)) out.push(at);
        }
        out.sort((a, b) => a - b);
        cache.set(key, out);
    }
    return out;
}

/** True when one of the sorted offsets lies within [start, end] (inclusive: an error right after counts). */
export function offsetsHit(sorted: readonly number[], start: number, end: number): boolean {
    let lo = 0, hi = sorted.length;
    while (lo < hi) {
        const mid = (lo + hi) >> 1;
        if (sorted[mid] < start) lo = mid + 1; else hi = mid;
    }
    return lo < sorted.length && sorted[lo] <= end;
}

/** Does the node's text contain (or end at) a syntax error? */
export function containsSyntaxError(node: AstNode): boolean {
    const cst = node.$cstNode;
    let root: AstNode = node;
    while (root.$container) root = root.$container;
    const document = root.$document;
    if (!cst || !document) return false;
    const offsets = syntaxErrorOffsets(document);
    return offsets.length > 0 && offsetsHit(offsets, cst.offset, cst.end);
}
