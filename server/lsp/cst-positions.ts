/**
 * Positions derived from the CST that several providers need: where a statement's last token ends (an
 * inlay hint goes there, before any trailing comment) and the short "header" of an element (`entry 0`,
 * `irte 5`, `device nic`) that a code lens or a symbol's selection range points at.
 */
import { CstUtils, GrammarUtils, isLeafCstNode, type AstNode, type CstNode } from 'langium';
import type { Position, Range } from 'vscode-languageserver';

/** End of the last visible token of `cst` (comments and whitespace are skipped). */
export function lastTokenEnd(cst: CstNode | undefined): Position | undefined {
    if (!cst) return undefined;
    let last: CstNode | undefined;
    for (const n of CstUtils.streamCst(cst)) {
        if (!n.hidden && isLeafCstNode(n) && n.length > 0) last = n;
    }
    return last?.range.end;
}

/**
 * From the node's keyword through its name or index: `device nic`, `irte 5`, `entry 0`, `msix table 4`.
 * Falls back to the node's first line when the parts are missing (half-typed input).
 */
export function headerRange(node: AstNode, keyword: string | undefined, property: string | undefined): Range | undefined {
    const cst = node.$cstNode;
    if (!cst) return undefined;
    const first = keyword ? GrammarUtils.findNodeForKeyword(cst, keyword) : undefined;
    const last = property ? GrammarUtils.findNodeForProperty(cst, property) : undefined;
    const start = (first ?? last ?? cst).range.start;
    const end = (last ?? first)?.range.end ?? (cst.range.start.line === cst.range.end.line ? cst.range.end : start);
    return { start, end };
}
