/**
 * Code lenses: above each device, the engine's summary of where its interrupt sources end up
 * (`4 vectors: 3 delivered, 1 fault`); and, for a client that can start the interrupt-delivery debugger, a
 * "Simulate" lens above each vector (MSI-X / IMS entry, MSI capability) and each scenario.
 *
 * The device summary runs no command; VS Code only shows a lens that has a command, so it carries a
 * title-only command with an empty command id (clicking it does nothing).
 *
 * "Simulate" needs a command the client runs (it starts a debug session). The VS Code extension names it in
 * `initializationOptions.simulateCommand` (client/debug.ts); other clients get no such lens, rather than one
 * that does nothing.
 */
import { AstUtils, type LangiumDocument } from 'langium';
import type { CancellationToken } from 'vscode-languageserver';
import type { CodeLens, CodeLensParams, Range } from 'vscode-languageserver';
import type { CodeLensProvider, LangiumServices } from 'langium/lsp';
import { summarizeDevice } from '../../language/engine/index.js';
import type { IrqServices } from '../../language/index.js';
import type * as Ast from '../../language/generated/ast.js';
import { allDeviceTraces, analysisOf, deviceOf, deviceTraces, enclosingDevice } from './analysis-context.js';
import { headerRange } from './cst-positions.js';

/** What the "Simulate" command receives (client/debug.ts SimulateArguments). */
export interface SimulateArguments {
    uri: string;
    scenario?: string;
    vector?: string;
    machine?: string;
}

export class IrqCodeLensProvider implements CodeLensProvider {
    /** The client's command that starts a simulation, if it has one. */
    protected simulateCommand: string | undefined;

    constructor(protected readonly irq: IrqServices) {
        // The language server is created before `initialize`; in-process uses (tests, tools) have none.
        const server = (irq as unknown as Partial<LangiumServices>).shared?.lsp?.LanguageServer;
        server?.onInitialize((params) => {
            const command = (params.initializationOptions as { simulateCommand?: unknown } | undefined)?.simulateCommand;
            if (typeof command === 'string' && command) this.simulateCommand = command;
        });
    }

    provideCodeLens(document: LangiumDocument, _params: CodeLensParams, _cancelToken?: CancellationToken): CodeLens[] {
        const lenses: CodeLens[] = [];
        const root = document.parseResult?.value;
        if (!root) return lenses;
        const uri = document.uri.toString();
        for (const node of AstUtils.streamAllContents(root)) {
            try {
                if (node.$type === 'Device') {
                    const lens = this.deviceLens(node as Ast.Device);
                    if (lens) lenses.push(lens);
                } else if (this.simulateCommand) {
                    const lens = this.simulateLens(node, uri);
                    if (lens) lenses.push(lens);
                }
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

    /** "Simulate" above a scenario, an MSI-X / IMS entry, or an MSI capability (its vector 0). */
    protected simulateLens(node: { $type: string }, uri: string): CodeLens | undefined {
        let range: Range | undefined;
        let args: SimulateArguments | undefined;
        if (node.$type === 'Scenario') {
            const scenario = node as Ast.Scenario;
            range = headerRange(scenario, 'scenario', 'name');
            if (scenario.name) args = { uri, scenario: scenario.name };
        } else if (node.$type === 'MessageEntry' || node.$type === 'Msi') {
            const device = enclosingDevice(node as Ast.MessageEntry | Ast.Msi);
            const machine = AstUtils.getContainerOfType(node as Ast.MessageEntry, (n): n is Ast.Machine => n.$type === 'Machine');
            if (!device?.name || !machine?.name) return undefined;
            if (node.$type === 'Msi') {
                range = headerRange(node as Ast.Msi, 'msi', undefined);
                args = { uri, vector: `${device.name}.msi[0]`, machine: machine.name };
            } else {
                const entry = node as Ast.MessageEntry;
                const kind = entry.$container?.$type === 'Ims' ? 'ims' : entry.$container?.$type === 'Msix' ? 'msix' : undefined;
                if (!kind || entry.index === undefined) return undefined;
                range = headerRange(entry, 'entry', 'index');
                args = { uri, vector: `${device.name}.${kind}[${entry.index}]`, machine: machine.name };
            }
        }
        if (!range || !args || !this.simulateCommand) return undefined;
        return { range, command: { title: 'Simulate', command: this.simulateCommand, arguments: [args] } };
    }
}
