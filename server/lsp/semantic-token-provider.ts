/**
 * Semantic highlighting: what the TextMate grammar cannot know. Declarations versus references, what a
 * reference points at (a bus, an IOMMU and a PHB are places: `namespace`; a device: `class`; an MSI-X
 * entry / IMS slot / IRTE: `property`), numbers versus BDFs, the delivery / trigger / destination mode
 * words, and the values the engine faults on.
 *
 * Fault-causing values: a token inside the range of an engine finding of severity `error` (the range the
 * routing check puts the diagnostic on: the literal that caused it, or the element) keeps its token type
 * and gets the standard `deprecated` modifier. A custom modifier would need a theme rule nobody has;
 * `readonly` / `modification` have no default style; `deprecated` is the one standard modifier VS Code
 * styles by itself (strikethrough) in every theme, so a faulting value is visible at a glance, next to
 * the squiggle, without any configuration.
 *
 * BDFs are `string`: they are identifiers of a requester rather than quantities, and a different colour
 * from the addresses and data words around them keeps `00:03.0` apart from `0x0003` on a busy line.
 */
import { AstUtils, GrammarUtils, isReference, type AstNode, type CstNode, type LangiumDocument } from 'langium';
import { AbstractSemanticTokenProvider, type SemanticTokenAcceptor } from 'langium/lsp';
import { SemanticTokenModifiers, SemanticTokenTypes, type CancellationToken, type Range } from 'vscode-languageserver';
import type { IrqServices } from '../../language/index.js';
import * as Ast from '../../language/generated/ast.js';
import type { IrqLspServices } from '../irq-lsp-module.js';

/** The words of DeliveryMode, TriggerMode and DestMode (IRTE fields): enum members, not statements. */
const MODE_WORDS = new Set(['fixed', 'lowest-priority', 'smi', 'nmi', 'init', 'extint', 'edge', 'level', 'physical', 'logical']);

/** Token type of a named element, by kind; the same type is used for its references. */
function kindType(node: AstNode | undefined): string | undefined {
    if (!node) return undefined;
    if (Ast.isBus(node) || Ast.isIommu(node) || Ast.isPhb(node) || Ast.isMachine(node)) return SemanticTokenTypes.namespace;
    if (Ast.isDevice(node) || Ast.isBridge(node)) return SemanticTokenTypes.class;
    if (Ast.isMessageEntry(node) || Ast.isMsi(node) || Ast.isIrqAllocation(node) || Ast.isIrte(node)) return SemanticTokenTypes.property;
    if (Ast.isScenario(node) || Ast.isKvmSignal(node)) return SemanticTokenTypes.function;
    return undefined;
}

export class IrqSemanticTokenProvider extends AbstractSemanticTokenProvider {
    private readonly irq: IrqServices;
    /** Error ranges of the engine findings, per document being highlighted (passes are async and may overlap). */
    private readonly faultRanges = new WeakMap<LangiumDocument, Range[]>();

    constructor(services: IrqLspServices) {
        super(services);
        this.irq = services;
    }

    // The fault ranges are taken once per highlighting pass (a document object outlives its versions).
    protected override async computeHighlighting(document: LangiumDocument, acceptor: SemanticTokenAcceptor, cancelToken: CancellationToken): Promise<void> {
        this.faultRanges.set(document, this.engineErrorRanges(document));
        try {
            await super.computeHighlighting(document, acceptor, cancelToken);
        } finally {
            this.faultRanges.delete(document);
        }
    }

    protected override highlightElement(node: AstNode, acceptor: SemanticTokenAcceptor): void {
        const cst = node.$cstNode;
        if (!cst) return;
        const faults = this.faultRanges.get(AstUtils.getDocument(node)) ?? [];
        // Only the leaves this node owns: its children's leaves are highlighted when the walk reaches them.
        for (const leaf of leavesOf(cst, node)) {
            const token = this.classify(node, leaf);
            if (!token) continue;
            const modifiers = [...token.modifiers];
            if (faults.some(r => contains(r, leaf.range))) modifiers.push(SemanticTokenModifiers.deprecated);
            acceptor({ cst: leaf, type: token.type, modifier: modifiers });
        }
    }

    private classify(node: AstNode, leaf: CstNode): { type: string; modifiers: string[] } | undefined {
        const feature = GrammarUtils.findAssignment(leaf)?.feature;
        const value = feature ? (node as unknown as Record<string, unknown>)[feature] : undefined;
        if (isReference(value)) {
            const type = kindType(value.ref) ?? SemanticTokenTypes.variable;
            return { type, modifiers: [] };
        }
        if (feature === 'name') {
            const type = kindType(node);
            if (type) return { type, modifiers: [SemanticTokenModifiers.declaration] };
        }
        const tokenType = (leaf as { tokenType?: { name?: string } }).tokenType?.name;
        if (tokenType === 'NUMBER') return { type: SemanticTokenTypes.number, modifiers: [] };
        if (tokenType === 'BDF') return { type: SemanticTokenTypes.string, modifiers: [] };
        if (MODE_WORDS.has(leaf.text) && (feature === 'deliveryMode' || feature === 'trigger' || feature === 'destMode')) {
            return { type: SemanticTokenTypes.enumMember, modifiers: [] };
        }
        return undefined;
    }

    /** The ranges of the engine's error findings, as the routing check places them (suspect elements skipped). */
    private engineErrorRanges(document: LangiumDocument): Range[] {
        const out: Range[] = [];
        try {
            for (const machine of this.irq.analysis.DocumentAnalyzer.analyze(document).machines) {
                for (const finding of machine.report.findings) {
                    if (finding.severity !== 'error' || machine.suspect.has(finding.element.id)) continue;
                    const range = machine.rangeOf(finding.element);
                    if (range) out.push(range);
                }
            }
        } catch {
            // Highlighting must not fail because the analysis did: no fault marks then.
        }
        return out;
    }
}

function* leavesOf(cst: CstNode, owner: AstNode): Generator<CstNode> {
    const children = (cst as { content?: CstNode[] }).content;
    if (!children) {
        if (cst.astNode === owner && !cst.hidden) yield cst;
        return;
    }
    for (const child of children) {
        // A child composite that belongs to another AST node is that node's business.
        if ((child as { content?: CstNode[] }).content && child.astNode !== owner) continue;
        yield* leavesOf(child, owner);
    }
}

function before(a: { line: number; character: number }, b: { line: number; character: number }): boolean {
    return a.line < b.line || (a.line === b.line && a.character <= b.character);
}

function contains(outer: Range, inner: Range): boolean {
    return before(outer.start, inner.start) && before(inner.end, outer.end);
}
