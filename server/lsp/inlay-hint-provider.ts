/**
 * Inlay hints: where each interrupt source ends up, beside it, in the engine's one-line summary
 * (`→ IRTE 0 → CPU 3 · vec 0x41 · fixed · edge`, `pending · PBA qword 0 bit 1 (entry masked)`,
 * `✗ VT-d fault 0x25 IR_REQ_COMPAT (…)`), with the full trace as the tooltip.
 *
 * One hint at the end of each MSI-X entry and IMS entry; after an MSI capability one hint per enabled vector,
 * prefixed with `msi[k]` when there are several. pseries: after `irq base …`, one hint per MSI-X entry that
 * firmware programmed and the file does not list (`msix[k] → PHB phb0 slot 1 vec 3 → XICS 0x1107 → …`).
 * KVM: after an irqfd, where the vector it carries ends up (`→ GSI 24 → IRTE 0 → CPU 3 · …`); after a GSI
 * route, each vector that goes through it (`nic.msix[0] → GSI 24 → …`); after a KVM_SIGNAL_MSI, its outcome.
 * `irq.inlayHints.enabled: false` turns them all off.
 */
import { AbstractInlayHintProvider, type InlayHintAcceptor } from 'langium/lsp';
import type { AstNode, LangiumDocument } from 'langium';
import type { CancellationToken } from 'vscode-languageserver';
import type { InlayHint, InlayHintParams } from 'vscode-languageserver';
import { summarizeOutcome, type RouteTrace } from '../../language/engine/index.js';
import type { IrqServices } from '../../language/index.js';
import type * as Ast from '../../language/generated/ast.js';
import { analysisOf, firmwareTraces, irqfdTrace, routeTraces, signalTrace, tracesOf } from './analysis-context.js';
import { lastTokenEnd } from './cst-positions.js';
import { renderTrace } from './markdown.js';
import type { IrqLspServices } from '../irq-lsp-module.js';
import type { IrqServerSettings } from './settings-sync.js';

export class IrqInlayHintProvider extends AbstractInlayHintProvider {
    protected readonly irq: IrqServices;
    protected readonly serverSettings: IrqServerSettings;

    constructor(services: IrqLspServices) {
        super();
        this.irq = services;
        this.serverSettings = services.server.Settings;
    }

    override async getInlayHints(document: LangiumDocument, params: InlayHintParams, cancelToken?: CancellationToken): Promise<InlayHint[] | undefined> {
        if (!this.serverSettings.inlayHintsEnabled) return [];
        return super.getInlayHints(document, params, cancelToken);
    }

    override computeInlayHint(node: AstNode, acceptor: InlayHintAcceptor): void {
        if (!HINTED.has(node.$type)) return;
        try {
            const position = lastTokenEnd(node.$cstNode);
            const analysis = analysisOf(this.irq, node);
            if (!position || !analysis) return;
            const hint = (trace: RouteTrace, label: string) => acceptor({
                position, label, paddingLeft: true,
                tooltip: { kind: 'markdown', value: renderTrace(trace, { profile: analysis.profile }) },
            });
            switch (node.$type) {
                case 'MessageEntry': case 'Msi': {
                    const traces = tracesOf(analysis, node as Ast.MessageEntry | Ast.Msi);
                    const prefixed = node.$type === 'Msi' && traces.length > 1;
                    for (const trace of traces) hint(trace, prefixed ? `${vectorLabel(trace)} ${summarizeOutcome(trace)}` : summarizeOutcome(trace));
                    break;
                }
                case 'IrqAllocation':
                    for (const trace of firmwareTraces(analysis, (node as Ast.IrqAllocation).$container)) hint(trace, `${vectorLabel(trace)} ${summarizeOutcome(trace)}`);
                    break;
                case 'KvmIrqfd': {
                    const trace = irqfdTrace(analysis, node as Ast.KvmIrqfd);
                    if (trace) hint(trace, summarizeOutcome(trace));
                    break;
                }
                case 'KvmRoute':
                    for (const trace of routeTraces(analysis, node as Ast.KvmRoute)) hint(trace, `${trace.sourceName} ${summarizeOutcome(trace)}`);
                    break;
                case 'KvmSignal': {
                    const trace = signalTrace(analysis, node as Ast.KvmSignal);
                    if (trace) hint(trace, summarizeOutcome(trace));
                    break;
                }
            }
        } catch (err) {
            // One broken node must not cost the other hints (or the whole request).
            console.error('irq inlay hint failed:', err);
        }
    }
}

/** The statements that get hints. */
const HINTED = new Set(['MessageEntry', 'Msi', 'IrqAllocation', 'KvmIrqfd', 'KvmRoute', 'KvmSignal']);

/** `msi[1]`, `msix[3]`: which vector of a statement that stands for several. */
function vectorLabel(trace: RouteTrace): string {
    return `${trace.source.kind}[${trace.source.index}]`;
}
