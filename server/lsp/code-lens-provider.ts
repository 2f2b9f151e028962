/**
 * Code lenses: above each device, the engine's summary of where its interrupt sources end up
 * (`4 vectors: 3 delivered, 1 fault`).
 *
 * No command runs yet; VS Code only shows a lens that has a command, so each carries a title-only command
 * with an empty command id (clicking it does nothing).
 */
import { AstUtils, type LangiumDocument } from 'langium';
import type { CancellationToken } from 'vscode-languageserver';
import type { CodeLens, CodeLensParams } from 'vscode-languageserver';
import type { CodeLensProvider } from 'langium/lsp';
import { summarizeDevice } from '../../language/engine/index.js';
import type { IrqServices } from '../../language/index.js';
import type * as Ast from '../../language/generated/ast.js';
import { allDeviceTraces, analysisOf, deviceOf, deviceTraces } from './analysis-context.js';
import { headerRange } from './cst-positions.js';

export class IrqCodeLensProvider implements CodeLensProvider {
    constructor(protected readonly irq: IrqServices) { }

    provideCodeLens(document: LangiumDocument, _params: CodeLensParams, _cancelToken?: CancellationToken): CodeLens[] {
        const lenses: CodeLens[] = [];
        const root = document.parseResult?.value;
        if (!root) return lenses;
        for (const node of AstUtils.streamAllContents(root)) {
            if (node.$type !== 'Device') continue;
            try {
                const lens = this.deviceLens(node as Ast.Device);
                if (lens) lenses.push(lens);
            } catch (err) {
                console.error('irq code lens failed:', err);
            }
        }
        return lenses;
    }

    protected deviceLens(node: Ast.Device): CodeLens | undefined {
        const analysis = analysisOf(this.irq, node);
        const device = analysis && deviceOf(analysis, node);
        const range = headerRange(node, 'device', 'name');
        if (!device || !range) return undefined;
        const traces = deviceTraces(analysis, node);
        // A device whose sources the engine did not trace (a machine it does not route yet), or whose every
        // source holds a value validation rejects, gets no lens rather than a misleading "no interrupt sources".
        if (traces.length === 0 && (device.msi || device.msix || device.ims || allDeviceTraces(analysis, node).length > 0)) return undefined;
        const title = summarizeDevice(traces);
        return { range, command: { title, command: '' } };
    }
}
