/**
 * Quick fixes for the diagnostics users hit most. Each fix is a text edit computed from the diagnostic's
 * code, range and `data` (the engine's Finding.data plus `code`) and the document's AST: every value that
 * needs a routing rule (the swapped bytes, the aligned data, the SID and SQ an IRTE should hold, the route
 * limit, which MSI routes are identical) comes from the engine's finding, or (the vector of a new IRTE) from
 * an engine function over the engine's report, so nothing here knows how interrupts are routed.
 */
import { AstUtils, CstUtils, GrammarAST, GrammarUtils, type AstNode, type CstNode, type LangiumDocument } from 'langium';
import type { CodeActionProvider } from 'langium/lsp';
import type { CodeAction, CodeActionParams, Command, Diagnostic, Range, TextEdit } from 'vscode-languageserver';
import { CodeActionKind } from 'vscode-languageserver';
import { freeVectors, hex, hexGrouped, parseHexBig, parseSq, type MachineReport } from '../../language/engine/index.js';
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

    /**
     * The `sq` keyword of the grammar's SourceQualifier that the engine reads as SQ `value` (parseSq): the
     * grammar gives the spelling, the engine the meaning.
     */
    sourceQualifierText(value: number): string | undefined {
        const rule = this.services.Grammar.rules.find((r) => r.name === 'SourceQualifier');
        if (!rule) return undefined;
        return AstUtils.streamAllContents(rule).filter(GrammarAST.isKeyword).map((k) => k.value)
            .find((k) => { try { return parseSq(k) === value; } catch { return false; } });
    }

    /** The engine's report (every source's trace) of the machine that declares `at`. */
    reportAt(at: AstNode): MachineReport | undefined {
        return this.services.analysis.DocumentAnalyzer.analysisAt(at)?.report;
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

/**
 * kvm-route-limit / -near: raise `max-routes` (preferred; the engine leaves the suggestion out when no limit
 * up to KVM_MAX_IRQ_ROUTES would help), and share identical MSI routes when the engine found some.
 */
function fixRouteLimit(this: IrqCodeActionProvider, doc: LangiumDocument, d: Diagnostic, data: Record<string, unknown>): CodeAction[] {
    const node = nodeAt(doc, d.range);
    const kvm = node && AstUtils.getContainerOfType(node, Ast.isKvm);
    if (!kvm) return [];
    const out: CodeAction[] = [];
    const edit = typeof data.suggestedMaxRoutes === 'number' ? setInBlock(doc, kvm, 'maxRoutes', 'max-routes', String(data.suggestedMaxRoutes)) : undefined;
    if (edit) out.push(action(`Raise the route limit: max-routes ${data.suggestedMaxRoutes}`, doc, d, [edit], true));
    const share = shareRoutes.call(this, doc, d, data, kvm);
    if (share) out.push(share);
    return out;
}

interface ShareGroup {
    keep: { gsi: number; route: string };
    share: { gsi: number; route: string; irqfds: string[] }[];
}

function isShareGroup(g: unknown): g is ShareGroup {
    const x = g as ShareGroup;
    return typeof x === 'object' && x !== null && typeof x.keep?.gsi === 'number' && typeof x.keep.route === 'string' && Array.isArray(x.share)
        && x.share.every((s) => typeof s?.gsi === 'number' && typeof s.route === 'string' && Array.isArray(s.irqfds) && s.irqfds.every((f) => typeof f === 'string'));
}

/**
 * The engine's groups of identical MSI routes (data.shareRoutes): delete each redundant `route gsi …`
 * statement and bind the irqfds of its GSI to the kept GSI. A group is left out when a scenario on the
 * machine rewrites one of its GSIs (`route-update gsi N`): that scenario would then lose its route, or move
 * every vector of the group at once.
 */
function shareRoutes(this: IrqCodeActionProvider, doc: LangiumDocument, d: Diagnostic, data: Record<string, unknown>, kvm: Ast.Kvm): CodeAction | undefined {
    if (!Array.isArray(data.shareRoutes)) return undefined;
    const machine = kvm.$container;
    const updated = new Set<bigint>();
    const root = AstUtils.findRootNode(kvm);
    for (const scenario of Ast.isIrqFile(root) ? root.scenarios : []) {
        if (scenario.machine?.ref !== machine) continue;
        for (const ev of scenario.events) if (Ast.isRouteUpdateEvent(ev) && ev.gsi !== undefined) updated.add(ev.gsi);
    }
    const text = doc.textDocument.getText();
    const deletions: [number, number][] = [];
    const rebinds: TextEdit[] = [];
    let freed = 0;
    for (const group of data.shareRoutes) {
        if (!isShareGroup(group)) continue;
        if ([group.keep, ...group.share].some((r) => updated.has(BigInt(r.gsi)))) continue;
        const keep = this.nodeOfElement(kvm, group.keep.route);
        const keepGsi = keep && Ast.isKvmRoute(keep) && keep.$cstNode ? GrammarUtils.findNodeForProperty(keep.$cstNode, 'gsi')?.text : undefined;
        const routes = group.share.map((s) => this.nodeOfElement(kvm, s.route));
        const irqfds = group.share.flatMap((s) => s.irqfds).map((id) => this.nodeOfElement(kvm, id));
        // Every node or none: a half-applied group would leave an irqfd on a GSI without a route.
        if (keepGsi === undefined || !routes.every((r) => r && Ast.isKvmRoute(r) && r.$cstNode) || !irqfds.every((f) => f && Ast.isKvmIrqfd(f) && f.$cstNode)) continue;
        for (const r of routes) deletions.push(statementDeletion(text, r!.$cstNode!.offset, r!.$cstNode!.end));
        for (const f of irqfds) {
            const gsi = GrammarUtils.findNodeForProperty(f!.$cstNode, 'gsi');
            if (gsi) rebinds.push({ range: rangeOfCst(doc, gsi), newText: keepGsi });
        }
        freed += routes.length;
    }
    if (!freed) return undefined;
    const edits: TextEdit[] = [...mergeRanges(deletions).map(([start, end]) => ({ range: { start: doc.textDocument.positionAt(start), end: doc.textDocument.positionAt(end) }, newText: '' })), ...rebinds];
    edits.sort((x, y) => doc.textDocument.offsetAt(x.range.start) - doc.textDocument.offsetAt(y.range.start));
    return action(`Share identical MSI routes (frees ${freed})`, doc, d, edits);
}

/**
 * The text to delete for a statement at [start, end): its whole line when nothing else but blanks (and a
 * trailing `//` comment) is on it; else the statement and the blanks after it, or, when only blanks or a
 * comment follow it, the blanks before it.
 */
function statementDeletion(text: string, start: number, end: number): [number, number] {
    const lineStart = text.lastIndexOf('\n', start - 1) + 1;
    const nl = text.indexOf('\n', end);
    const lineEnd = nl < 0 ? text.length : nl;
    const before = text.slice(lineStart, start);
    const after = text.slice(end, lineEnd).trim();
    if (before.trim() === '' && (after === '' || after.startsWith('//'))) return [lineStart, nl < 0 ? lineEnd : nl + 1];
    const blank = (c: string | undefined) => c === ' ' || c === '\t';
    let e = end;
    while (e < lineEnd && blank(text[e])) e++;
    if (e < lineEnd && !text.startsWith('//', e) && text[e] !== '\r') return [start, e];
    let s = start;
    while (s > lineStart && blank(text[s - 1])) s--;
    return [s, end];
}

/**
 * Overlapping or touching ranges joined: two statements of one line can claim the same blanks, and
 * consecutive lines are one deletion.
 */
function mergeRanges(ranges: [number, number][]): [number, number][] {
    const sorted = [...ranges].sort((a, b) => a[0] - b[0]);
    const out: [number, number][] = [];
    for (const r of sorted) {
        const last = out[out.length - 1];
        if (last && r[0] <= last[1]) last[1] = Math.max(last[1], r[1]);
        else out.push([...r]);
    }
    return out;
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
    // The source qualifier (`sq all | ignore-bit2 | …`) masks the requester-id bits compared: a written `sq`
    // other than the one the engine expects is set too. An absent `sq` is SQ 0, which needs no edit when 0 is
    // what is expected.
    const sqWanted = typeof data.expectedSq === 'number' ? this.sourceQualifierText(data.expectedSq) : undefined;
    const sq = GrammarUtils.findNodeForProperty(irte.$cstNode, 'sq');
    if (sqWanted !== undefined && (sq ? irte.sq !== sqWanted : data.expectedSq !== 0)) {
        if (sq) {
            edits.push({ range: rangeOfCst(doc, sq), newText: sqWanted });
        } else {
            const close = GrammarUtils.findNodeForKeyword(irte.$cstNode, '}');
            if (close) {
                const pos = doc.textDocument.positionAt(close.offset);
                edits.push({ range: { start: pos, end: pos }, newText: `sq ${sqWanted} ` });
            }
        }
    }
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
 * add the missing IRTE where it points. The new IRTE delivers to the CPU the engine chose (`skeletonDest`)
 * with the lowest device vector no other source already arrives with there (engine freeVectors over the
 * machine's report); when that CPU has none left, no IRTE is offered.
 */
function fixMissingIrte(this: IrqCodeActionProvider, doc: LangiumDocument, d: Diagnostic, data: Record<string, unknown>): CodeAction[] {
    const { freeIrte, freeIrteAddress, expectedSidText, skeletonDest, skeletonCpu, index } = data;
    if (typeof freeIrte !== 'number' || typeof freeIrteAddress !== 'string' || typeof expectedSidText !== 'string' || typeof skeletonDest !== 'string' || typeof skeletonCpu !== 'string') return [];
    const at = nodeAt(doc, d.range);
    const iommu = at && this.nodeOfElement(at, data.iommu);
    if (!iommu || !Ast.isIommu(iommu) || !iommu.$cstNode) return [];
    const report = this.reportAt(iommu);
    const [vector] = report ? freeVectors(report.traces, { cpu: skeletonCpu }) : [];
    if (vector === undefined) return [];
    const close = GrammarUtils.findNodeForKeyword(iommu.$cstNode, '}');
    if (!close) return [];
    // At the end of the block, after the last member, at the indentation of the block's members.
    const text = doc.textDocument.getText();
    const lineStart = text.lastIndexOf('\n', close.offset - 1) + 1;
    const closeAlone = text.slice(lineStart, close.offset).trim() === '';
    const outer = indentOf(doc, iommu.$cstNode.offset);
    const indent = outer + '  ';
    const insertAt = doc.textDocument.positionAt(closeAlone ? lineStart : close.offset);
    const skeleton = (n: number) => `${closeAlone ? '' : '\n'}${indent}irte ${n} { vector ${hex(vector)} dest ${skeletonDest} fixed edge physical sid ${expectedSidText} }\n${closeAlone ? '' : outer}`;
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
    'kvm-route-limit': fixRouteLimit as Fix,
    'kvm-route-limit-near': fixRouteLimit as Fix,
    'vtd-fault-0x26': fixSid as Fix,
    'scenario-write-unmasked': fixWriteUnmasked,
};

