/**
 * client/extension.ts without VS Code: module hooks replace `vscode` and `vscode-languageclient/node.js` by
 * recording fakes, so the test sees exactly what the extension asks for (server module, transport, selector,
 * synchronised section) and that deactivate stops what activate started.
 */
import { test, describe, before, after } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, mkdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { builtinModules, createRequire, register } from 'node:module';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { repoPath } from './paths.js';

interface RecordedClient {
    id: string;
    name: string;
    serverOptions: any;
    clientOptions: any;
    started: number;
    stopped: number;
    running: boolean;
}

/** What the fakes record, shared with the hook-loaded modules through globalThis. */
interface FakeState {
    clients: RecordedClient[];
    errors: string[];
    watchers: string[];
    startFails: boolean;
}

const state: FakeState = { clients: [], errors: [], watchers: [], startFails: false };
(globalThis as any).__irqFake = {
    state,
    vscode: {
        window: {
            showErrorMessage: (message: string) => {
                state.errors.push(message);
                return Promise.resolve(undefined);
            },
        },
        workspace: {
            createFileSystemWatcher: (glob: string) => {
                state.watchers.push(glob);
                return { glob, dispose() {} };
            },
        },
    },
    languageclient: {
        // The real enum's values (vscode-languageclient 9): stdio 0, ipc 1, pipe 2, socket 3.
        TransportKind: { stdio: 0, ipc: 1, pipe: 2, socket: 3 },
        LanguageClient: class {
            readonly record: RecordedClient;
            constructor(id: string, name: string, serverOptions: unknown, clientOptions: unknown) {
                this.record = { id, name, serverOptions, clientOptions, started: 0, stopped: 0, running: false };
                state.clients.push(this.record);
            }
            start(): Promise<void> {
                this.record.started++;
                if (state.startFails) return Promise.reject(new Error('server exited'));
                this.record.running = true;
                return Promise.resolve();
            }
            isRunning(): boolean {
                return this.record.running;
            }
            stop(): Promise<void> {
                if (!this.record.running) throw new Error('Client is not running and can\'t be stopped.');
                this.record.stopped++;
                this.record.running = false;
                return Promise.resolve();
            }
        },
    },
};

// Module hooks run off the main thread; they only redirect the two specifiers to modules that read the fakes
// above from the main thread's globalThis.
const hooks = `
const fakes = {
    'vscode': 'export const window = globalThis.__irqFake.vscode.window; export const workspace = globalThis.__irqFake.vscode.workspace;',
    'vscode-languageclient/node.js': 'export const LanguageClient = globalThis.__irqFake.languageclient.LanguageClient; export const TransportKind = globalThis.__irqFake.languageclient.TransportKind;',
};
export async function resolve(specifier, context, next) {
    if (specifier in fakes) return { url: 'irq-fake:' + specifier, shortCircuit: true };
    return next(specifier, context);
}
export async function load(url, context, next) {
    if (url.startsWith('irq-fake:')) return { format: 'module', source: fakes[url.slice('irq-fake:'.length)], shortCircuit: true };
    return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

type Extension = typeof import('../../client/extension.js');
let extension: Extension;

const folders: string[] = [];
after(() => {
    for (const dir of folders) rmSync(dir, { recursive: true, force: true });
});

/** An extension folder like the installed one; with or without the server bundle. */
function extensionFolder(withServer: boolean): string {
    const dir = mkdtempSync(join(tmpdir(), 'irq-client-'));
    folders.push(dir);
    if (withServer) {
        mkdirSync(join(dir, 'out'));
        writeFileSync(join(dir, 'out', 'server.cjs'), '');
    }
    return dir;
}

function context(dir: string): any {
    return { subscriptions: [] as { dispose(): void }[], asAbsolutePath: (p: string) => join(dir, p) };
}

function reset(): void {
    state.clients.length = 0;
    state.errors.length = 0;
    state.watchers.length = 0;
    state.startFails = false;
}

describe('extension', () => {
    before(async () => {
        extension = await import('../../client/extension.js');
    });

    test('activate starts a language client on the server bundle over IPC', async () => {
        reset();
        const dir = extensionFolder(true);
        const ctx = context(dir);
        await extension.activate(ctx);
        assert.equal(state.clients.length, 1);
        const [client] = state.clients;
        assert.equal(client.id, 'irq');
        assert.equal(client.name, 'IRQ Topology');
        assert.equal(client.started, 1);

        const server = join(dir, 'out', 'server.cjs');
        assert.equal(client.serverOptions.run.module, server);
        assert.equal(client.serverOptions.run.transport, 1, 'run: TransportKind.ipc');
        assert.equal(client.serverOptions.debug.module, server);
        assert.equal(client.serverOptions.debug.transport, 1, 'debug: TransportKind.ipc');
        assert.ok(client.serverOptions.debug.options.execArgv.some((a: string) => a.startsWith('--inspect')));
        assert.ok(!client.serverOptions.run.options?.execArgv, 'an installed extension does not open an inspector port');

        assert.deepEqual(client.clientOptions.documentSelector, [
            { scheme: 'file', language: 'irq' },
            { scheme: 'untitled', language: 'irq' },
        ]);
        assert.equal(client.clientOptions.synchronize.configurationSection, 'irq');
        assert.deepEqual(state.watchers, ['**/*.irq']);
        assert.equal(client.clientOptions.synchronize.fileEvents.glob, '**/*.irq');
        assert.ok(ctx.subscriptions.includes(client.clientOptions.synchronize.fileEvents), 'the watcher is disposed with the extension');
        assert.deepEqual(state.errors, []);

        await extension.deactivate();
        assert.equal(client.stopped, 1);
        assert.equal(extension.deactivate(), undefined, 'a second deactivate has nothing to stop');
    });

    test('a missing server bundle is reported, not thrown', async () => {
        reset();
        await extension.activate(context(extensionFolder(false)));
        assert.equal(state.clients.length, 0);
        assert.equal(state.errors.length, 1);
        assert.match(state.errors[0], /out\/server\.cjs/);
        assert.match(state.errors[0], /npm run build/);
        assert.equal(extension.deactivate(), undefined);
    });

    test('a server that fails to start leaves activation successful and deactivate quiet', async () => {
        reset();
        state.startFails = true;
        await extension.activate(context(extensionFolder(true)));
        assert.equal(state.clients.length, 1);
        assert.equal(state.clients[0].started, 1);
        assert.equal(extension.deactivate(), undefined, 'nothing to stop');
        assert.equal(state.clients[0].stopped, 0);
    });
});

describe('extension bundle', () => {
    const bundle = repoPath('out/extension.cjs');
    const built = existsSync(bundle);

    test('needs nothing at run time but Node built-ins and vscode', { skip: !built && 'out/extension.cjs is not built' }, () => {
        // The VSIX has no node_modules: every other dependency must be inlined by esbuild.
        const source = readFileSync(bundle, 'utf8');
        const required = new Set([...source.matchAll(/\brequire\((["'])([^"']+)\1\)/g)].map(m => m[2]));
        const builtins = new Set(builtinModules.flatMap(m => [m, `node:${m}`]));
        const external = [...required].filter(r => r !== 'vscode' && !builtins.has(r));
        assert.deepEqual(external, []);
        assert.ok(required.has('vscode'), 'vscode stays external');
    });

    test('loads as CommonJS and exports activate and deactivate', { skip: !built && 'out/extension.cjs is not built' }, () => {
        // A stand-in for the vscode module that answers every property, call and `new` with another stand-in:
        // enough for vscode-languageclient's module-level code, which only reads from vscode.
        const standIn = (): any =>
            new Proxy(function () {}, {
                get: (_t, p) => (p === 'then' ? undefined : p === Symbol.toPrimitive ? () => 0 : standIn()),
                apply: () => standIn(),
                construct: () => standIn(),
            });
        const require = createRequire(import.meta.url);
        const Module = require('node:module') as { _load: (request: string, ...rest: unknown[]) => unknown };
        const load = Module._load;
        Module._load = function (request: string, ...rest: unknown[]) {
            return request === 'vscode' ? standIn() : load.call(this, request, ...rest);
        };
        try {
            const exports = require(bundle) as Record<string, unknown>;
            assert.equal(typeof exports.activate, 'function');
            assert.equal(typeof exports.deactivate, 'function');
        } finally {
            Module._load = load;
        }
    });
});
