/**
 * A minimal LSP client for the protocol tests: spawns the bundled server (`out/server.cjs --stdio`), speaks
 * JSON-RPC through vscode-languageserver-protocol, answers the server's requests (configuration,
 * registrations, refreshes) and records what it pushes (diagnostics, refresh requests, log messages).
 *
 * Waiting is event-driven (a promise per awaited notification), never by sleeping.
 */
import { spawn, type ChildProcess } from 'node:child_process';
import {
    CodeLensRefreshRequest, ConfigurationRequest, createProtocolConnection, DidChangeConfigurationNotification,
    DidOpenTextDocumentNotification, ExitNotification, InitializedNotification, InitializeRequest,
    InlayHintRefreshRequest, LogMessageNotification, PublishDiagnosticsNotification, RegistrationRequest,
    ShowMessageNotification, ShutdownRequest, StreamMessageReader, StreamMessageWriter, UnregistrationRequest,
    type ClientCapabilities, type InitializeResult, type ProtocolConnection, type PublishDiagnosticsParams,
} from 'vscode-languageserver-protocol/node.js';

export interface Waiter<T> {
    predicate: (value: T) => boolean;
    resolve: (value: T) => void;
}

export class LspTestClient {
    readonly connection: ProtocolConnection;
    readonly child: ChildProcess;
    /** The `irq` section the client answers `workspace/configuration` with (mutable by tests). */
    settings: Record<string, unknown> = { profile: 'spec', inlayHints: { enabled: true } };
    /** Every section the server asked for, in order. */
    readonly configurationRequests: string[] = [];
    readonly diagnostics = new Map<string, PublishDiagnosticsParams[]>();
    readonly logs: string[] = [];
    refreshes = { inlayHints: 0, codeLenses: 0 };
    private readonly diagnosticWaiters: Waiter<PublishDiagnosticsParams>[] = [];
    private readonly refreshWaiters: Waiter<'inlayHints' | 'codeLenses'>[] = [];
    readonly exited: Promise<{ code: number | null; signal: NodeJS.Signals | null }>;
    stderr = '';

    constructor(serverBundle: string, cwd: string) {
        this.child = spawn(process.execPath, [serverBundle, '--stdio'], { cwd, stdio: ['pipe', 'pipe', 'pipe'] });
        this.child.stderr!.on('data', (chunk: Buffer) => { this.stderr += chunk.toString(); });
        this.exited = new Promise(resolve => this.child.on('exit', (code, signal) => resolve({ code, signal })));
        this.connection = createProtocolConnection(new StreamMessageReader(this.child.stdout!), new StreamMessageWriter(this.child.stdin!));

        this.connection.onRequest(ConfigurationRequest.type, params => params.items.map(item => {
            this.configurationRequests.push(item.section ?? '');
            return item.section === 'irq' ? this.settings : null;
        }));
        this.connection.onRequest(RegistrationRequest.type, () => null);
        this.connection.onRequest(UnregistrationRequest.type, () => null);
        this.connection.onRequest(InlayHintRefreshRequest.type, () => { this.refreshed('inlayHints'); return null; });
        this.connection.onRequest(CodeLensRefreshRequest.type, () => { this.refreshed('codeLenses'); return null; });
        this.connection.onNotification(LogMessageNotification.type, p => this.logs.push(p.message));
        this.connection.onNotification(ShowMessageNotification.type, p => this.logs.push(p.message));
        this.connection.onNotification(PublishDiagnosticsNotification.type, p => {
            const list = this.diagnostics.get(p.uri) ?? [];
            list.push(p);
            this.diagnostics.set(p.uri, list);
            for (const w of [...this.diagnosticWaiters]) {
                if (w.predicate(p)) {
                    this.diagnosticWaiters.splice(this.diagnosticWaiters.indexOf(w), 1);
                    w.resolve(p);
                }
            }
        });
        this.connection.listen();
    }

    private refreshed(kind: 'inlayHints' | 'codeLenses'): void {
        this.refreshes[kind]++;
        for (const w of [...this.refreshWaiters]) {
            if (w.predicate(kind)) {
                this.refreshWaiters.splice(this.refreshWaiters.indexOf(w), 1);
                w.resolve(kind);
            }
        }
    }

    async initialize(): Promise<InitializeResult> {
        const capabilities: ClientCapabilities = {
            workspace: {
                configuration: true,
                didChangeConfiguration: { dynamicRegistration: true },
                inlayHint: { refreshSupport: true },
                codeLens: { refreshSupport: true },
                workspaceFolders: true,
            },
            textDocument: {
                hover: { contentFormat: ['markdown', 'plaintext'] },
                documentSymbol: { hierarchicalDocumentSymbolSupport: true },
                definition: { linkSupport: true },
                inlayHint: {},
                codeLens: {},
                publishDiagnostics: { relatedInformation: true, codeDescriptionSupport: true, dataSupport: true },
            },
        };
        const result = await this.connection.sendRequest(InitializeRequest.type, {
            processId: process.pid, rootUri: null, workspaceFolders: null, capabilities,
        });
        await this.connection.sendNotification(InitializedNotification.type, {});
        return result;
    }

    /** The next publishDiagnostics for `uri` (that also satisfies `predicate`), from now on. */
    nextDiagnostics(uri: string, predicate: (p: PublishDiagnosticsParams) => boolean = () => true): Promise<PublishDiagnosticsParams> {
        return new Promise(resolve => this.diagnosticWaiters.push({ predicate: p => p.uri === uri && predicate(p), resolve }));
    }

    nextRefresh(kind: 'inlayHints' | 'codeLenses'): Promise<unknown> {
        return new Promise(resolve => this.refreshWaiters.push({ predicate: k => k === kind, resolve }));
    }

    async open(uri: string, text: string, version = 1): Promise<PublishDiagnosticsParams> {
        const published = this.nextDiagnostics(uri);
        await this.connection.sendNotification(DidOpenTextDocumentNotification.type, {
            textDocument: { uri, languageId: 'irq', version, text },
        });
        return published;
    }

    /** Push-style change (VS Code): the new section rides along. */
    async pushSettings(settings: Record<string, unknown>): Promise<void> {
        this.settings = settings;
        await this.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: { irq: settings } });
    }

    /** Pull-style change (Neovim and others): `settings: null`, the server asks again. */
    async pullSettings(settings: Record<string, unknown>): Promise<void> {
        this.settings = settings;
        await this.connection.sendNotification(DidChangeConfigurationNotification.type, { settings: null });
    }

    async shutdown(): Promise<{ code: number | null; signal: NodeJS.Signals | null }> {
        await this.connection.sendRequest(ShutdownRequest.type);
        await this.connection.sendNotification(ExitNotification.type);
        const result = await this.exited;
        this.connection.dispose();
        return result;
    }

    /** For a failed test: make sure the server does not outlive it. */
    kill(): void {
        if (this.child.exitCode === null && this.child.signalCode === null) this.child.kill();
    }
}
