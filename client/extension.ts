/**
 * The VS Code extension: starts the IRQ Topology language server and connects it to `.irq` documents.
 *
 * Everything the editor shows beyond highlighting (diagnostics, hovers, inlay hints, code lenses ...) comes from
 * the server over the Language Server Protocol, so this file stays small: it knows where the server bundle is,
 * which documents it serves, and which settings it forwards.
 */
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import { LanguageClient, TransportKind } from 'vscode-languageclient/node.js';
import type { LanguageClientOptions, ServerOptions } from 'vscode-languageclient/node.js';
import { registerDebugger, SIMULATE_LENS_OPTIONS } from './debug.js';
import { registerNewTopology } from './new-topology.js';

/**
 * The client id. vscode-languageclient reads the trace setting from `<id>.trace.server`, and the server asks for
 * the configuration section of its language id, so the id, the language id and the settings prefix are all `irq`.
 */
export const CLIENT_ID = 'irq';
export const CLIENT_NAME = 'IRQ Topology';
/** The bundle esbuild writes for server/main.ts (see esbuild.mjs); the VSIX ships it next to this one. */
export const SERVER_BUNDLE = 'out/server.cjs';
/**
 * Fixed so that a "Attach to language server" launch configuration can find it; only used when VS Code runs the
 * extension in development mode (F5), never for installed copies.
 */
export const SERVER_INSPECT_PORT = 6009;

let client: LanguageClient | undefined;

export async function activate(context: vscode.ExtensionContext): Promise<void> {
    registerDebugger(context);
    // Registered before the server starts: creating a topology needs no server.
    registerNewTopology(context);
    const serverModule = context.asAbsolutePath(SERVER_BUNDLE);
    if (!fs.existsSync(serverModule)) {
        // Only a source checkout that has not been built gets here; say so instead of failing with a fork error.
        void vscode.window.showErrorMessage(
            `${CLIENT_NAME}: the language server bundle ${SERVER_BUNDLE} is missing. Run \`npm run build\` and reload the window.`,
        );
        return;
    }

    const serverOptions: ServerOptions = {
        // IPC: the server is a Node process forked by the extension host; no port, no stdio framing to get wrong.
        run: { module: serverModule, transport: TransportKind.ipc },
        debug: {
            module: serverModule,
            transport: TransportKind.ipc,
            // --nolazy so that breakpoints set before a function first runs still bind.
            options: { execArgv: ['--nolazy', `--inspect=${SERVER_INSPECT_PORT}`] },
        },
    };

    const watcher = vscode.workspace.createFileSystemWatcher('**/*.irq');
    context.subscriptions.push(watcher);

    const clientOptions: LanguageClientOptions = {
        documentSelector: [
            { scheme: 'file', language: 'irq' },
            // Pasting a topology into a new editor and choosing the language is how people try things out.
            { scheme: 'untitled', language: 'irq' },
        ],
        synchronize: {
            // Changing `irq.profile` or `irq.inlayHints.enabled` re-sends the section, so the server re-checks open
            // documents without a reload.
            configurationSection: CLIENT_ID,
            // The server learns about .irq files changed outside the editor (git checkout, generators).
            fileEvents: watcher,
        },
        diagnosticCollectionName: CLIENT_ID,
        initializationOptions: SIMULATE_LENS_OPTIONS,
    };

    client = new LanguageClient(CLIENT_ID, CLIENT_NAME, serverOptions, clientOptions);
    // If the server cannot start, the client has already shown the error and logged it to the output channel;
    // activation still succeeds so highlighting and the language configuration keep working.
    await client.start().catch(() => undefined);
}

export function deactivate(): Thenable<void> | undefined {
    const running = client;
    client = undefined;
    // stop() throws unless the client is running (e.g. the server failed to start); then there is nothing to stop.
    if (!running?.isRunning()) return undefined;
    return running.stop();
}
