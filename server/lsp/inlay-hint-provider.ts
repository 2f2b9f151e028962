/**
 * Inlay hints: where each interrupt source ends up, beside it, in the engine's one-line summary
 * (`→ IRTE 0 → CPU 3 · vec 0x41 · fixed · edge`, `pending · PBA qword 0 bit 1 (entry masked)`,
 * `✗ VT-d fault 0x25 IR_REQ_COMPAT (…)`), with the full trace as the tooltip.
 *
 * One hint at the end of each MSI-X entry and IMS entry; after an MSI capability one hint per enabled vector,
 * prefixed with `msi[k]` when there are several. `irq.inlayHints.enabled: false` turns them all off.
 */
import { AbstractInlayHintProvider, type InlayHintAcceptor } from 'langium/lsp';
import type { AstNode, LangiumDocument } from 'langium';
import type { CancellationToken } from 'vscode-languageserver';
import type { InlayHint, InlayHintParams } from 'vscode-languageserver';
import { summarizeOutcome } from '../../language/engine/index.js';
import type { IrqServices } from '../../language/index.js';
import type * as Ast from '../../language/generated/ast.js';
import { analysisOf, tracesOf } from './analysis-context.js';
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
        if (node.$type !== 'MessageEntry' && node.$type !== 'Msi') return;
        try {
            const source = node as Ast.MessageEntry | Ast.Msi;
            const position = lastTokenEnd(source.$cstNode);
            const analysis = analysisOf(this.irq, source);
            if (!position || !analysis) return;
            const traces = tracesOf(analysis, source);
            const prefixed = source.$type === 'Msi' && traces.length > 1;
            for (const trace of traces) {
                const summary = summarizeOutcome(trace);
                acceptor({
                    position,
                    label: prefixed ? `${trace.source.kind}[${trace.source.index}] ${summary}` : summary,
                    paddingLeft: true,
                    tooltip: { kind: 'markdown', value: renderTrace(trace, { profile: analysis.profile }) },
                });
            }
        } catch (err) {
            // One broken node must not cost the other hints (or the whole request).
            console.error('irq inlay hint failed:', err);
        }
    }
}
