/**
 * The one check that asks the engine: every machine is lowered and routed (through the cached document
 * analysis), and every engine Finding becomes a diagnostic on the element it names. Severity, code,
 * message and quick-fix data come from the finding unchanged; only the ranges come from here.
 */
import type { ValidationAcceptor } from 'langium';
import type { DiagnosticRelatedInformation, Range } from 'vscode-languageserver-types';
import type { Finding } from '../engine/trace.js';
import type { IrqDocumentAnalyzer, MachineAnalysis } from '../analysis/document-analysis.js';
import type { Machine } from '../generated/ast.js';
import { rangeForProperty } from '../lowering/source-map.js';

export class RoutingCheck {
    constructor(private readonly analyzer: IrqDocumentAnalyzer) { }

    /** What the lowering could not put into the model (cheap: no routing). */
    checkLowering(machine: Machine, accept: ValidationAcceptor): void {
        for (const p of this.analyzer.loweredAt(machine)?.problems ?? []) {
            accept('error', p.message, { node: p.node, range: rangeForProperty(p.node, p.property), code: p.code });
        }
    }

    /** Every finding of the engine's whole-machine check. */
    checkRouting(machine: Machine, accept: ValidationAcceptor): void {
        const analysis = this.analyzer.analysisAt(machine);
        if (!analysis) return;
        const uri = machine.$container?.$document?.uri.toString() ?? '';
        const fallback = rangeForProperty(machine, undefined);
        const seen = new Set<string>();
        // A trace that went through a suspect element (a PHB without its window, a half-typed IRTE) used a
        // stand-in for it: what it found downstream restates that element's error in a confusing form.
        const tainted = new Set<Finding>();
        for (const trace of analysis.report.traces) {
            if (trace.stages.some(s => s.element !== undefined && analysis.suspect.has(s.element.id))) {
                for (const f of trace.findings) tainted.add(f);
            }
        }
        for (const finding of analysis.report.findings) {
            if (analysis.suspect.has(finding.element.id) || tainted.has(finding)) continue;
            const range = analysis.rangeOf(finding.element) ?? fallback;
            if (!range) continue;
            // A machine-level problem seen by several traces is one diagnostic.
            const key = `${finding.code}|${finding.message}|${range.start.line}:${range.start.character}`;
            if (seen.has(key)) continue;
            seen.add(key);
            accept(finding.severity, finding.message, {
                node: machine,
                range,
                code: finding.code,
                relatedInformation: relatedOf(finding, analysis, uri),
                // Langium's code-action plumbing looks for `data.code`; the finding's own data rides along.
                data: { ...(finding.data ?? {}), code: finding.code },
            });
        }
    }
}

function relatedOf(finding: Finding, analysis: MachineAnalysis, uri: string): DiagnosticRelatedInformation[] | undefined {
    const out: DiagnosticRelatedInformation[] = [];
    for (const r of finding.related) {
        const range: Range | undefined = analysis.rangeOf(r.element);
        if (range) out.push({ location: { uri, range }, message: r.message });
    }
    return out.length > 0 ? out : undefined;
}
