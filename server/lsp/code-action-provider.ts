/**
 * Quick fixes for the diagnostics users hit most. Each fix is a text edit computed from the diagnostic's
 * code, range and `data` (the engine's Finding.data plus `code`) and the document's AST: every value that
 * needs a routing rule (the swapped bytes, the aligned data, the SID an IRTE should hold, the route limit)
 * comes from the engine's finding, so nothing here knows how interrupts are routed.
 */
import { AstUtils, CstUtils, GrammarUtils, type AstNode, type CstNode, type LangiumDocument } from 'langium';
import type { CodeActionProvider } from 'langium/lsp';
import type { CodeAction, CodeActionParams, Command, Diagnostic, Range, TextEdit } from 'vscode-languageserver';
import { CodeActionKind } from 'vscode-languageserver';
import { hexGrouped, parseHexBig } from '../../language/engine/bits.js';
import * as Ast from '../../language/generated/ast.js';
import type { IrqServices } from '../../language/index.js';

type Fix = (doc: LangiumDocument, d: Diagnostic, data: Record<string, unknown>) => CodeAction[];

export class IrqCodeActionProvider implements CodeActionProvider {
    constructor(private readonly services: IrqServices) { }

    getCodeActions(document: LangiumDocument, params: CodeActionParams): Array<Command | CodeAction> | undefined {
        const out: CodeAction[] = [];
        for (const d of params.context.diagnostics) {
            const data = (d.data ?? {}) as Record<string, unknown>;
            const code = typeof d.code === 'string' ? d.code : typeof data.code === 'string' ? data.code : undefined;
            const fix = code !== undefined && Object.hasOwn(FIXES, code) ? FIXES[code] : undefined;
            if (!fix) continue;
            try {
                out.push(...fix.call(this, document, d, data));
            } catch {
                // A fix that cannot be computed on half-typed text is simply not offered.
            }
        }
        return out.length ? out : undefined;
    }

    /** The AST node behind an engine ElementId carried in a finding's data. */
    nodeOfElement(at: AstNode, id: unknown): AstNode | undefined {
        if (typeof id !== 'string') return undefined;
        return this.services.analysis.DocumentAnalyzer.analysisAt(at)?.idToNode.get(id);
    }
}

// ------------------------------------------------------------------------------------------------------
// Edits

function action(title: string, doc: LangiumDocument, d: Diagnostic, edits: TextEdit[], preferred = false): CodeAction {
    return {
        title,
        kind: CodeActionKind.QuickFix,
        diagnostics: [d],
        isPreferred: preferred || undefined,
        edit: { changes: { [doc.uri.toString()]: edits } },
    };
}

function rangeOfCst(doc: LangiumDocument, n: CstNode): Range {
    return { start: doc.textDocument.positionAt(n.offset), end: doc.textDocument.positionAt(n.end) };
}

/** The AST node whose text contains the start of `range` (the innermost). */
function nodeAt(doc: LangiumDocument, range: Range): AstNode | undefined {
    const root = doc.parseResult.value.$cstNode;
    if (!root) return undefined;
    const leaf = CstUtils.findLeafNodeAtOffset(root, doc.textDocument.offsetAt(range.start));
    return leaf?.astNode;
}

function indentOf(doc: LangiumDocument, offset: number): string {
    const text = doc.textDocument.getText();
    const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
    return /^[ \t]*/.exec(text.slice(lineStart))![0];
}

/** Edit that sets `keyword value` in a block: replaces the existing value, or inserts a line after the `{`. */
function setInBlock(doc: LangiumDocument, block: AstNode, property: string, keyword: string, value: string): TextEdit | undefined {
    const existing = block.$cstNode ? GrammarUtils.findNodeForProperty(block.$cstNode, property) : undefined;
    if (existing) return { range: rangeOfCst(doc, existing), newText: value };
    const brace = block.$cstNode ? GrammarUtils.findNodeForKeyword(block.$cstNode, '{') : undefined;
    if (!brace || !block.$cstNode) return undefined;
    const pos = doc.textDocument.positionAt(brace.end);
    const indent = indentOf(doc, block.$cstNode.offset) + '  ';
    return { range: { start: pos, end: pos }, newText: `\n${indent}${keyword} ${value}` };
}

/** A hex literal in the style of the one it replaces: `_`-grouped by four when the original is grouped. */
function literalLike(original: string, value: string): string {
    const v = parseHexBig(value);
    if (!original.includes('_')) return value;
    const digits = original.replace(/^0[xX]/, '').replace(/_/g, '').length;
    return hexGrouped(v, Math.max(digits, 1));
}

// ------------------------------------------------------------------------------------------------------
// The fixes, by diagnostic code

function fixEim(doc: LangiumDocument, d: Diagnostic): CodeAction[] {
    const node = nodeAt(doc, d.range);
    const iommu = node && AstUtils.getContainerOfType(node, Ast.isIommu);
    const out: CodeAction[] = [];
    const eim = iommu && setInBlock(doc, iommu, 'eim', 'eim', 'on');
    if (iommu && eim) out.push(action(`Set \`eim on\` on ${iommu.name}`, doc, d, [eim], true));
    const machine = node && AstUtils.getContainerOfType(node, Ast.isMachine);
    const apic = machine?.members.find(Ast.isApicDecl);
    if (machine && apic?.mode === 'xapic') out.push(...fixX2apic(doc, d));
    return out;
}

function fixX2apic(doc: LangiumDocument, d: Diagnostic): CodeAction[] {
    const node = nodeAt(doc, d.range);
    const machine = node && AstUtils.getContainerOfType(node, Ast.isMachine);
    if (!machine?.$cstNode) return [];
    const apic = machine.members.find(Ast.isApicDecl);
    let edit: TextEdit;
    if (apic?.$cstNode) {
        edit = { range: rangeOfCst(doc, apic.$cstNode), newText: 'apic x2apic' };
    } else {
        // After `arch …` when there is one (the usual order), else right after the `{`.
        const arch = machine.members.find(Ast.isArchDecl);
        const after = arch?.$cstNode ?? GrammarUtils.findNodeForKeyword(machine.$cstNode, '{');
        if (!after) return [];
        const pos = doc.textDocument.positionAt(after.end);
        edit = { range: { start: pos, end: pos }, newText: `\n${indentOf(doc, machine.$cstNode.offset)}  apic x2apic` };
    }
    return [action('Switch the machine to x2APIC (`apic x2apic`)', doc, d, [edit])];
}

function fixByteSwap(doc: LangiumDocument, d: Diagnostic, data: Record<string, unknown>): CodeAction[] {
    if (typeof data.swapBytes !== 'string') return [];
    const value = literalLike(doc.textDocument.getText(d.range), data.swapBytes);
    return [action(`Swap the bytes: ${value}`, doc, d, [{ range: d.range, newText: value }], true)];
}

function fixUnaligned(doc: LangiumDocument, d: Diagnostic, data: Record<string, unknown>): CodeAction[] {
    if (typeof data.data !== 'string') return [];
    const value = literalLike(doc.textDocument.getText(d.range), data.data);
    return [action(`Clear the low bits: ${value}`, doc, d, [{ range: d.range, newText: value }], true)];
}

function fixRouteLimit(doc: LangiumDocument, d: Diagnostic, data: Record<string, unknown>): CodeAction[] {
    // The engine leaves the suggestion out when no limit up to KVM_MAX_IRQ_ROUTES would help.
    if (typeof data.suggestedMaxRoutes !== 'number') return [];
    const node = nodeAt(doc, d.range);
    const kvm = node && AstUtils.getContainerOfType(node, Ast.isKvm);
    const edit = kvm && setInBlock(doc, kvm, 'maxRoutes', 'max-routes', String(data.suggestedMaxRoutes));
    return edit ? [action(`Raise the route limit: max-routes ${data.suggestedMaxRoutes}`, doc, d, [edit], true)] : [];
}

function fixSid(this: IrqCodeActionProvider, doc: LangiumDocument, d: Diagnostic, data: Record<string, unknown>): CodeAction[] {
    if (typeof data.expectedSidText !== 'string') return [];
    const at = nodeAt(doc, d.range);
    const irte = at && this.nodeOfElement(at, data.irte);
    // A raw IRTE is a dump of real memory: rewriting its bits is not a one-field edit, so it is left alone.
    if (!irte || !Ast.isIrte(irte) || irte.raw || !irte.$cstNode) return [];
    const edits: TextEdit[] = [];
    const sid = irte.sid?.$cstNode;
    if (sid) {
        edits.push({ range: rangeOfCst(doc, sid), newText: data.expectedSidText });
    } else {
        const close = GrammarUtils.findNodeForKeyword(irte.$cstNode, '}');
        if (!close) return [];
        const pos = doc.textDocument.positionAt(close.offset);
        edits.push({ range: { start: pos, end: pos }, newText: `sid ${data.expectedSidText} ` });
    }
    const svtWanted = data.expectedSvt === 'bus' ? 'bus-range' : data.expectedSvt;
    const svt = GrammarUtils.findNodeForProperty(irte.$cstNode, 'svt');
    if (svt && typeof svtWanted === 'string' && irte.svt !== svtWanted) edits.push({ range: rangeOfCst(doc, svt), newText: svtWanted });
    return [action(`Set the IRTE's sid to ${data.expectedSidText}`, doc, d, edits, true)];
}

function fixWriteUnmasked(doc: LangiumDocument, d: Diagnostic): CodeAction[] {
    const node = nodeAt(doc, d.range);
    const write = node && AstUtils.getContainerOfType(node, Ast.isWriteEvent);
    const ref = write?.source?.$cstNode;
    if (!write?.$cstNode || !ref) return [];
    const text = ref.text;
    const indent = indentOf(doc, write.$cstNode.offset);
    const start = doc.textDocument.positionAt(write.$cstNode.offset);
    const end = doc.textDocument.positionAt(write.$cstNode.end);
    return [action('Mask before writing', doc, d, [
        { range: { start, end: start }, newText: `mask ${text}\n${indent}` },
        { range: { start: end, end }, newText: `\n${indent}unmask ${text}` },
    ], true)];
}

/**
 * A vector that selects no IRTE (0x21: beyond the table; 0x22: no entry at that index): point it at the free
 * index the engine found (the address composed by the engine), adding a present IRTE there; or, for 0x22,
 * add the missing IRTE where it points.
 */
function fixMissingIrte(this: IrqCodeActionProvider, doc: LangiumDocument, d: Diagnostic, data: Record<string, unknown>): CodeAction[] {
    const { freeIrte, freeIrteAddress, expectedSidText, skeletonDest, index } = data;
    if (typeof freeIrte !== 'number' || typeof freeIrteAddress !== 'string' || typeof expectedSidText !== 'string' || typeof skeletonDest !== 'string') return [];
    const at = nodeAt(doc, d.range);
    const iommu = at && this.nodeOfElement(at, data.iommu);
    if (!iommu || !Ast.isIommu(iommu) || !iommu.$cstNode) return [];
    const close = GrammarUtils.findNodeForKeyword(iommu.$cstNode, '}');
    if (!close) return [];
    // At the end of the block, after the last member, at the indentation of the block's members.
    const text = doc.textDocument.getText();
    const lineStart = text.lastIndexOf('\n', close.offset - 1) + 1;
    const closeAlone = text.slice(lineStart, close.offset).trim() === '';
    const outer = indentOf(doc, iommu.$cstNode.offset);
    const indent = outer + '  ';
    const insertAt = doc.textDocument.positionAt(closeAlone ? lineStart : close.offset);
    const skeleton = (n: number) => `${closeAlone ? '' : '\n'}${indent}irte ${n} { vector 0x30 dest ${skeletonDest} fixed edge physical sid ${expectedSidText} }\n${closeAlone ? '' : outer}`;
    const insert = (n: number): TextEdit => ({ range: { start: insertAt, end: insertAt }, newText: skeleton(n) });
    const literal = literalLike(doc.textDocument.getText(d.range), freeIrteAddress);
    const out = [action(`Point at a free IRTE: irte ${freeIrte} (${literal})`, doc, d, [{ range: d.range, newText: literal }, insert(freeIrte)], true)];
    if (d.code === 'vtd-fault-0x22' && typeof index === 'number') out.push(action(`Add \`irte ${index} { … }\``, doc, d, [insert(index)]));
    return out;
}

const FIXES: Record<string, Fix> = {
    'vtd-fault-0x21': fixMissingIrte as Fix,
    'vtd-fault-0x22': fixMissingIrte as Fix,
    'vtd-irte-dest-needs-eim': fixEim,
    'x86-dest-needs-x2apic': fixX2apic,
    'msi-byte-swapped': fixByteSwap,
    'msi-data-unaligned': fixUnaligned,
    'kvm-route-limit': fixRouteLimit,
    'kvm-route-limit-near': fixRouteLimit,
    'vtd-fault-0x26': fixSid as Fix,
    'scenario-write-unmasked': fixWriteUnmasked,
};

