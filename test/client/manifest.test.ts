/**
 * package.json's extension manifest and the files it points at: one language id (`irq`), one extension
 * (`.irq`), paths that exist, settings that are documented, and a VSIX that holds only what runs.
 */
import { test, describe } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { createRequire } from 'node:module';
import { readJson, readText, repoPath, repoRoot } from './paths.js';

const pkg = readJson('package.json');
const contributes = pkg.contributes;

interface SettingSchema {
    type: string;
    default: unknown;
    enum?: string[];
    enumDescriptions?: string[];
    description?: string;
    markdownDescription?: string;
    scope?: string;
}
const settings: Record<string, SettingSchema> = contributes.configuration.properties;

describe('manifest', () => {
    test('names: package irq-topology, display name IRQ Topology', () => {
        assert.equal(pkg.name, 'irq-topology');
        assert.equal(pkg.displayName, 'IRQ Topology');
        assert.match(pkg.engines.vscode, /^\^1\.82\./);
    });

    test('main is the extension bundle esbuild builds from client/extension.ts', () => {
        assert.equal(pkg.main, './out/extension.cjs');
        const esbuild = readText('esbuild.mjs');
        assert.match(esbuild, /in:\s*'client\/extension\.ts',\s*out:\s*'out\/extension\.cjs'/);
        // The client starts this bundle; it must be the one esbuild writes for the server.
        assert.match(esbuild, /out:\s*'out\/server\.cjs'/);
        assert.match(readText('client/extension.ts'), /'out\/server\.cjs'/);
    });

    test('activates on .irq files, the irq debugger, the Simulate and New-topology commands only', () => {
        assert.deepEqual(pkg.activationEvents, [
            'onLanguage:irq', 'onDebugResolve:irq', 'onDebugDynamicConfigurations:irq', 'onCommand:irq.simulate', 'onCommand:irq.newTopology',
        ]);
    });

    test('commands: Simulate and New topology from template, in the IRQ Topology category, registered by the client', () => {
        assert.deepEqual(contributes.commands.map((c: { command: string }) => c.command), ['irq.simulate', 'irq.newTopology']);
        for (const command of contributes.commands) assert.equal(command.category, 'IRQ Topology');
        assert.equal(contributes.commands[1].title, 'New topology from template');
        assert.match(readText('client/new-topology.ts'), /NEW_TOPOLOGY_COMMAND = 'irq\.newTopology'/);
        assert.match(readText('client/extension.ts'), /registerNewTopology\(context\)/);
    });

    test('snippets for irq, from a file that exists', () => {
        assert.deepEqual(contributes.snippets, [{ language: 'irq', path: './snippets/irq.json' }]);
        assert.ok(existsSync(repoPath(contributes.snippets[0].path)));
    });

    test('a Get Started walkthrough of four steps, each with a markdown page that exists', () => {
        assert.equal(contributes.walkthroughs.length, 1);
        const [walkthrough] = contributes.walkthroughs;
        assert.deepEqual(walkthrough.steps.map((s: { id: string }) => s.id), ['create', 'diagnostics', 'routes', 'simulate']);
        assert.match(walkthrough.steps[0].description, /\(command:irq\.newTopology\)/);
        for (const step of walkthrough.steps) {
            assert.match(step.media.markdown, /^walkthrough\/[\w-]+\.md$/);
            assert.ok(existsSync(repoPath(step.media.markdown)), step.media.markdown);
            assert.ok(step.completionEvents.length > 0, step.id);
            // Events VS Code understands for walkthrough steps (an unknown one is ignored: the step never completes).
            for (const event of step.completionEvents) assert.match(event, /^(onCommand:|onSettingChanged:|onContext:|onView:|onLink:|extensionInstalled:|onStepSelected$)/, event);
        }
    });

    test('one language: id irq, extension .irq, with a configuration file that exists', () => {
        assert.equal(contributes.languages.length, 1);
        const [language] = contributes.languages;
        assert.equal(language.id, 'irq');
        assert.deepEqual(language.extensions, ['.irq']);
        assert.equal(language.aliases[0], 'IRQ Topology', 'the first alias is the name VS Code shows');
        assert.ok(existsSync(repoPath(language.configuration)), language.configuration);
        // Langium's generated module must agree on the language id and the file extension.
        const langium = readJson('langium-config.json');
        assert.deepEqual(langium.languages.map((l: { id: string }) => l.id), ['irq']);
        assert.deepEqual(langium.languages[0].fileExtensions, ['.irq']);
    });

    test('one grammar, for irq, at a path that exists, with the scope name of the file', () => {
        assert.equal(contributes.grammars.length, 1);
        const [grammar] = contributes.grammars;
        assert.equal(grammar.language, 'irq');
        assert.equal(grammar.scopeName, 'source.irq');
        assert.ok(existsSync(repoPath(grammar.path)), grammar.path);
        assert.equal(JSON.parse(readFileSync(repoPath(grammar.path), 'utf8')).scopeName, grammar.scopeName);
    });

    test('settings: irq.profile, irq.inlayHints.enabled, irq.trace.server, and nothing undocumented', () => {
        assert.deepEqual(Object.keys(settings).sort(), ['irq.inlayHints.enabled', 'irq.profile', 'irq.trace.server']);
        const profile = settings['irq.profile'];
        assert.equal(profile.type, 'string');
        assert.deepEqual(profile.enum, ['spec', 'qemu']);
        assert.equal(profile.default, 'spec');
        assert.equal(profile.enumDescriptions?.length, 2);
        assert.match(profile.enumDescriptions![1], /QEMU/);
        const hints = settings['irq.inlayHints.enabled'];
        assert.equal(hints.type, 'boolean');
        assert.equal(hints.default, true);
        const trace = settings['irq.trace.server'];
        assert.deepEqual(trace.enum, ['off', 'messages', 'verbose']);
        assert.equal(trace.default, 'off');
        for (const [key, schema] of Object.entries(settings)) {
            const text = schema.markdownDescription ?? schema.description ?? '';
            assert.ok(text.length >= 40, `${key} needs a description a user can act on`);
            if (schema.enum) assert.equal(schema.enumDescriptions?.length, schema.enum.length, `${key}: one description per value`);
            assert.ok(schema.default !== undefined, `${key} has a default`);
        }
    });

    test('the trace setting and the synchronised section match the client id', () => {
        // vscode-languageclient reads `<client id>.trace.server`; the server reads the section of its language id.
        const source = readText('client/extension.ts');
        const id = /export const CLIENT_ID = '([^']+)'/.exec(source)?.[1];
        assert.equal(id, 'irq');
        assert.ok(settings[`${id}.trace.server`]);
        for (const key of Object.keys(settings)) assert.ok(key.startsWith(`${id}.`), key);
    });

    test('works in untrusted workspaces, says what is limited in virtual ones', () => {
        assert.deepEqual(pkg.capabilities.untrustedWorkspaces, { supported: true });
        const virtual = pkg.capabilities.virtualWorkspaces;
        assert.ok(virtual === true || (virtual.supported === 'limited' && virtual.description.length > 20));
    });

    test('icon: a 128x128 PNG', () => {
        assert.equal(pkg.icon, 'images/icon.png');
        const png = readFileSync(repoPath(pkg.icon));
        assert.deepEqual([...png.subarray(0, 8)], [0x89, 0x50, 0x4e, 0x47, 0x0d, 0x0a, 0x1a, 0x0a]);
        assert.equal(png.toString('ascii', 12, 16), 'IHDR');
        assert.equal(png.readUInt32BE(16), 128);
        assert.equal(png.readUInt32BE(20), 128);
    });

    test('LICENSE is MIT, and the changelog has an entry for this version', () => {
        assert.equal(pkg.license, 'MIT');
        assert.match(readText('LICENSE'), /^MIT License\n\nCopyright \(c\) 2026 IRQ Topology contributors\n/);
        assert.match(readText('CHANGELOG.md'), new RegExp(`^## ${pkg.version.replace(/\./g, '\\.')}\\b`, 'm'));
    });

    test('every setting is mentioned in the changelog and, once it exists, the README', () => {
        const docs = [readText('CHANGELOG.md')];
        if (existsSync(repoPath('README.md'))) docs.push(readText('README.md'));
        for (const key of Object.keys(settings)) {
            for (const doc of docs) assert.ok(doc.includes(key), `${key} is not documented`);
        }
    });
});

describe('VSIX contents', () => {
    /** What the VSIX may hold: the manifest and its docs, the language files, and the bundles. */
    const allowed = [
        /^package\.json$/,
        /^README\.md$/,
        /^CHANGELOG\.md$/,
        /^LICENSE$/,
        /^images\/icon\.png$/,
        // the README's screenshots (taken in the real VS Code by the e2e suite; see test/e2e/update-readme-images.mjs)
        /^images\/screenshots\/[\w-]+\.png$/,
        /^language-configuration\.json$/,
        /^syntaxes\/[^/]+\.json$/,
        /^out\/(extension|server|debug-adapter|cli)\.cjs$/,
        // small, and the walkthrough opens them (.vscodeignore keeps examples/**)
        /^examples\//,
        // contributed snippets and the walkthrough's pages
        /^snippets\/irq\.json$/,
        /^walkthrough\/[\w-]+\.md$/,
    ];

    test('vsce packages only allowed files, and everything the manifest points at', async () => {
        const require = createRequire(import.meta.url);
        const vsce = require('@vscode/vsce') as {
            listFiles(options: { cwd: string; packageManager: number }): Promise<string[]>;
            PackageManager: { None: number };
        };
        const files = await vsce.listFiles({ cwd: repoRoot, packageManager: vsce.PackageManager.None });
        const unexpected = files.filter(f => !allowed.some(re => re.test(f)));
        assert.deepEqual(unexpected, [], 'files that should not ship');
        const required = ['package.json', 'LICENSE', 'CHANGELOG.md', pkg.icon, 'language-configuration.json', 'syntaxes/irq.tmLanguage.json', 'snippets/irq.json',
            ...contributes.walkthroughs[0].steps.map((s: { media: { markdown: string } }) => s.media.markdown)];
        // Every image the README shows ships with it: VS Code's details page loads them from the installed
        // extension (the VSIX is packaged with --no-rewrite-relative-links; there is no repository URL).
        const images = [...readText('README.md').matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map(m => m[1]);
        assert.ok(images.length >= 4, `the README shows screenshots: ${images.join(', ')}`);
        for (const img of images) {
            assert.ok(!/^\w+:/.test(img), `${img}: a relative path into the extension, not a download`);
            assert.ok(existsSync(repoPath(img)), `${img} (named by the README) exists`);
            required.push(img);
        }
        assert.match(pkg.scripts.package, /--no-rewrite-relative-links/);
        for (const f of required) assert.ok(files.includes(f), `${f} is missing from the VSIX`);
        // The bundles ship when they are built (a fresh checkout has none yet).
        for (const f of ['out/extension.cjs', 'out/server.cjs', 'out/cli.cjs', 'out/debug-adapter.cjs', 'README.md']) {
            if (existsSync(repoPath(f))) assert.ok(files.includes(f), `${f} exists but is not packaged`);
        }
        assert.ok(!files.some(f => f.endsWith('.map')), 'no source maps');
    });
});
