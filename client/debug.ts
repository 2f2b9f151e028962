/**
 * The interrupt-delivery debugger in VS Code: the `irq` debug type runs the debug adapter bundle
 * (out/debug-adapter.cjs, a Debug Adapter Protocol server over stdio), F5 on an open `.irq` file needs no
 * launch.json, and the `irq.simulate` command (behind the language server's "Simulate" code lenses) starts
 * a session for one scenario or one vector.
 *
 * Nothing here knows about interrupts: the adapter loads and simulates the file itself.
 */
import * as vscode from 'vscode';

export const DEBUG_TYPE = 'irq';
export const SIMULATE_COMMAND = 'irq.simulate';
/** The bundle esbuild writes for server/debug/main.ts (see esbuild.mjs); the VSIX ships it. */
export const DEBUG_ADAPTER_BUNDLE = 'out/debug-adapter.cjs';
/**
 * Told to the language server in `initializationOptions`: it shows "Simulate" lenses only to a client that
 * can run this command (another editor's LSP client would show lenses that do nothing).
 */
export const SIMULATE_LENS_OPTIONS = { simulateCommand: SIMULATE_COMMAND };

/** What the "Simulate" lenses pass to the command. */
export interface SimulateArguments {
    uri: string;
    scenario?: string;
    vector?: string;
    machine?: string;
}

export function registerDebugger(context: vscode.ExtensionContext): void {
    // An editor hosting the extension without VS Code's debug API gets the language features only.
    if (typeof vscode.debug?.registerDebugAdapterDescriptorFactory !== 'function') return;
    const adapter = context.asAbsolutePath(DEBUG_ADAPTER_BUNDLE);
    context.subscriptions.push(
        vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, {
            // `node` makes VS Code fork the adapter with its own Node runtime: no Node install needed.
            createDebugAdapterDescriptor: () => new vscode.DebugAdapterExecutable('node', [adapter]),
        }),
        vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new IrqConfigurationProvider(), vscode.DebugConfigurationProviderTriggerKind.Initial),
        vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new IrqDynamicConfigurations(), vscode.DebugConfigurationProviderTriggerKind.Dynamic),
        vscode.commands.registerCommand(SIMULATE_COMMAND, simulate),
    );
}

/** The profile the editor uses (`irq.profile`), so the debugger simulates what the diagnostics describe. */
function profileSetting(): string {
    return vscode.workspace.getConfiguration('irq').get<string>('profile') ?? 'spec';
}

function activeIrqDocument(): vscode.TextDocument | undefined {
    const doc = vscode.window.activeTextEditor?.document;
    return doc && doc.languageId === 'irq' ? doc : undefined;
}

class IrqConfigurationProvider implements vscode.DebugConfigurationProvider {
    provideDebugConfigurations(): vscode.DebugConfiguration[] {
        return [{ type: DEBUG_TYPE, request: 'launch', name: 'Simulate the current .irq file', program: '${file}', stopOnEntry: true }];
    }

    /** F5 without a launch.json (an empty configuration): simulate the open `.irq` file. */
    resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
        if (!config.type && !config.request && !config.name) {
            const doc = activeIrqDocument();
            if (!doc) {
                void vscode.window.showInformationMessage('IRQ Topology: open an .irq file to simulate it, or add an "irq" launch configuration.');
                return undefined;
            }
            config = { type: DEBUG_TYPE, request: 'launch', name: 'Simulate', program: doc.uri.fsPath, stopOnEntry: true };
        }
        if (!config.program) {
            const doc = activeIrqDocument();
            if (doc) config.program = doc.uri.fsPath;
        }
        config.profile ??= profileSetting();
        return config;
    }
}

/** One configuration per scenario of the open `.irq` file (the "Run and Debug" dropdown). */
class IrqDynamicConfigurations implements vscode.DebugConfigurationProvider {
    provideDebugConfigurations(): vscode.DebugConfiguration[] {
        const doc = activeIrqDocument();
        if (!doc) return [];
        const names = [...doc.getText().matchAll(/^\s*scenario\s+([A-Za-z_][\w-]*)\s+on\b/gm)].map((m) => m[1]);
        return names.map((scenario) => ({ type: DEBUG_TYPE, request: 'launch', name: `Simulate ${scenario}`, program: doc.uri.fsPath, scenario, stopOnEntry: true }));
    }
}

/** `irq.simulate`: from a lens (with arguments) or the command palette (the active file). */
async function simulate(args?: SimulateArguments): Promise<boolean> {
    const uri = args?.uri ? vscode.Uri.parse(args.uri) : activeIrqDocument()?.uri;
    if (!uri) {
        void vscode.window.showInformationMessage('IRQ Topology: open an .irq file to simulate it.');
        return false;
    }
    const what = args?.scenario ? `scenario ${args.scenario}` : args?.vector ? `fire ${args.vector}` : 'the current file';
    const config: vscode.DebugConfiguration = { type: DEBUG_TYPE, request: 'launch', name: `Simulate ${what}`, program: uri.fsPath, stopOnEntry: true, profile: profileSetting() };
    if (args?.scenario) config.scenario = args.scenario;
    if (args?.vector) config.vector = args.vector;
    if (args?.machine) config.machine = args.machine;
    return vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(uri), config);
}
