/**
 * The CST nodes of each property of an AST node, found in one walk over the node's own CST and cached.
 *
 * Why not Langium's `findNodesForProperty`: it walks the node's CST once per property asked for, and looks
 * up the grammar assignment of every CST node on the way. The checks ask for up to fifteen properties of
 * every IRTE (repeats, widths, ranges); on a 40k-line file that was most of the validation time. Here each
 * node's CST is walked once, and the grammar element → property lookup is memoised (the grammar does not
 * change).
 */
import { GrammarAST, type AstNode, type CstNode } from 'langium';

const featureOfElement = new WeakMap<object, string | null>();
const byNode = new WeakMap<AstNode, Map<string, CstNode[]>>();

function featureOf(cst: CstNode): string | undefined {
    const element = cst.grammarSource;
    if (!element) return undefined;
    let feature = featureOfElement.get(element);
    if (feature === undefined) {
        let cur: GrammarAST.AbstractElement | undefined = element as GrammarAST.AbstractElement;
        feature = null;
        while (cur) {
            if (GrammarAST.isAssignment(cur)) { feature = cur.feature; break; }
            cur = cur.$container as GrammarAST.AbstractElement | undefined;
        }
        featureOfElement.set(element, feature);
    }
    return feature ?? undefined;
}

/** property name → the CST nodes assigned to it, in source order (several when a setting is repeated). */
export function propertyCstNodes(node: AstNode): Map<string, CstNode[]> {
    let map = byNode.get(node);
    if (!map) {
        map = new Map();
        const root = node.$cstNode;
        if (root && 'content' in root) visit(root as CstNode & { content: CstNode[] }, node, map);
        byNode.set(node, map);
    }
    return map;
}

function visit(parent: CstNode & { content: CstNode[] }, element: AstNode, out: Map<string, CstNode[]>): void {
    for (const child of parent.content) {
        const feature = featureOf(child);
        if (feature) {
            const list = out.get(feature);
            if (list) list.push(child); else out.set(feature, [child]);
        } else if ('content' in child && child.astNode === element) {
            visit(child as CstNode & { content: CstNode[] }, element, out);
        }
    }
}

/** The first CST node of `property`, like Langium's findNodeForProperty. */
export function propertyCstNode(node: AstNode, property: string): CstNode | undefined {
    return propertyCstNodes(node).get(property)?.[0];
}
