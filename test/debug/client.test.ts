/**
 * client/debug.ts without VS Code: a module hook replaces `vscode` by a recording fake, so the test sees
 * what the extension registers (the adapter executable, the configuration providers, the `irq.simulate`
 * command) and what F5 and the "Simulate" lenses launch.
 */
import { test, describe, before } from 'node:test';
import assert from 'node:assert/strict';
import { register } from 'node:module';
import { join } from 'node:path';

interface Fake {
    factories: Record<string, { createDebugAdapterDescriptor(): unknown }>;
    providers: { type: string; provider: any; trigger: number }[];
    commands: Record<string, (...args: any[]) => unknown>;
    started: { folder: unknown; config: any }[];
    messages: string[];
    activeEditor: { document: { languageId: string; uri: { fsPath: string }; getText(): string } } | undefined;
}

const fake: Fake = { factories: {}, providers: [], commands: {}, started: [], messages: [], activeEditor: undefined };

class DebugAdapterExecutable {
    constructor(
        readonly command: string,
        readonly args: string[],
    ) {}
}

(globalThis as any).__irqDebugFake = {
    get debug() {
        return {
            registerDebugAdapterDescriptorFactory: (type: string, factory: any) => {
                fake.factories[type] = factory;
                return { dispose() {} };
            },
            registerDebugConfigurationProvider: (type: string, provider: any, trigger: number) => {
                fake.providers.push({ type, provider, trigger });
                return { dispose() {} };
            },
            startDebugging: (folder: unknown, config: unknown) => {
                fake.started.push({ folder, config });
                return Promise.resolve(true);
            },
        };
    },
    commands: {
        registerCommand: (id: string, f: (...args: any[]) => unknown) => {
            fake.commands[id] = f;
            return { dispose() {} };
        },
    },
    window: {
        get activeTextEditor() {
            return fake.activeEditor;
        },
        showInformationMessage: (m: string) => {
            fake.messages.push(m);
            return Promise.resolve(undefined);
        },
    },
    workspace: {
        getConfiguration: () => ({ get: (key: string) => (key === 'profile' ? 'qemu' : undefined) }),
        getWorkspaceFolder: () => ({ name: 'ws' }),
    },
    Uri: { parse: (s: string) => ({ fsPath: s.replace(/^file:\/\//, '') }) },
    DebugAdapterExecutable,
    DebugConfigurationProviderTriggerKind: { Initial: 1, Dynamic: 2 },
};

const hooks = `
export async function resolve(specifier, context, next) {
    if (specifier === 'vscode') return { url: 'irq-debug-fake:vscode', shortCircuit: true };
    return next(specifier, context);
}
export async function load(url, context, next) {
    if (url === 'irq-debug-fake:vscode') {
        const names = ['debug', 'commands', 'window', 'workspace', 'Uri', 'DebugAdapterExecutable', 'DebugConfigurationProviderTriggerKind'];
        return { format: 'module', source: names.map(n => 'export const ' + n + ' = globalThis.__irqDebugFake.' + n + ';').join('\\n'), shortCircuit: true };
    }
    return next(url, context);
}`;
register(`data:text/javascript,${encodeURIComponent(hooks)}`);

type DebugModule = typeof import('../../client/debug.js');
let debug: DebugModule;
const context = { subscriptions: [] as unknown[], asAbsolutePath: (p: string) => join('/ext', p) };

const irqEditor = (text: string) => ({ document: { languageId: 'irq', uri: { fsPath: '/w/q35.irq' }, getText: () => text } });

describe('client debugger registration', () => {
    before(async () => {
        debug = await import('../../client/debug.js');
        debug.registerDebugger(context as any);
    });

    test('the irq debug type runs the adapter bundle with VS Code\'s Node', () => {
        const d = fake.factories.irq.createDebugAdapterDescriptor() as DebugAdapterExecutable;
        assert.ok(d instanceof DebugAdapterExecutable);
        assert.deepEqual([d.command, d.args], ['node', [join('/ext', 'out/debug-adapter.cjs')]]);
        assert.deepEqual(fake.providers.map((p) => [p.type, p.trigger]), [['irq', 1], ['irq', 2]]);
        assert.equal(context.subscriptions.length, 4, 'everything registered is disposed with the extension');
        assert.deepEqual(debug.SIMULATE_LENS_OPTIONS, { simulateCommand: 'irq.simulate' });
    });

    test('F5 without launch.json simulates the open .irq file, with the editor\'s profile', () => {
        const provider = fake.providers.find((p) => p.trigger === 1)!.provider;
        fake.activeEditor = irqEditor('');
        assert.deepEqual(provider.resolveDebugConfiguration(undefined, {}), {
            type: 'irq',
            request: 'launch',
            name: 'Simulate',
            program: '/w/q35.irq',
            stopOnEntry: true,
            profile: 'qemu',
        });
        assert.deepEqual(provider.resolveDebugConfiguration(undefined, { type: 'irq', request: 'launch', name: 'x', program: '/a.irq', profile: 'spec' }), {
            type: 'irq',
            request: 'launch',
            name: 'x',
            program: '/a.irq',
            profile: 'spec',
        });
        fake.activeEditor = undefined;
        assert.equal(provider.resolveDebugConfiguration(undefined, {}), undefined);
        assert.deepEqual(fake.messages, ['IRQ Topology: open an .irq file to simulate it, or add an "irq" launch configuration.']);
        assert.deepEqual(provider.provideDebugConfigurations(), [{ type: 'irq', request: 'launch', name: 'Simulate the current .irq file', program: '${file}', stopOnEntry: true }]);
    });

    test('dynamic configurations: one per scenario of the open file', () => {
        const provider = fake.providers.find((p) => p.trigger === 2)!.provider;
        fake.activeEditor = irqEditor('machine q35 {}\nscenario bring-up on q35 {\n}\n  scenario stale on q35 { }\n// scenario not-this on q35\n');
        assert.deepEqual(provider.provideDebugConfigurations().map((c: any) => [c.name, c.scenario, c.program]), [
            ['Simulate bring-up', 'bring-up', '/w/q35.irq'],
            ['Simulate stale', 'stale', '/w/q35.irq'],
        ]);
    });

    test('irq.simulate (the lenses\' command) starts a session for a scenario or a vector', async () => {
        fake.started.length = 0;
        await fake.commands['irq.simulate']({ uri: 'file:///w/q35.irq', scenario: 'bring-up' });
        await fake.commands['irq.simulate']({ uri: 'file:///w/q35.irq', vector: 'nic.msix[1]', machine: 'q35' });
        assert.deepEqual(fake.started.map((s) => s.config), [
            { type: 'irq', request: 'launch', name: 'Simulate scenario bring-up', program: '/w/q35.irq', stopOnEntry: true, profile: 'qemu', scenario: 'bring-up' },
            { type: 'irq', request: 'launch', name: 'Simulate fire nic.msix[1]', program: '/w/q35.irq', stopOnEntry: true, profile: 'qemu', vector: 'nic.msix[1]', machine: 'q35' },
        ]);
    });
    // A host without the debug API: test/client/extension.test.ts activates the extension with a `vscode` that has none.
});
