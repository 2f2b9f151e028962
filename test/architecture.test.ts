/**
 * Keeps ARCHITECTURE.md true: every import in the sources must respect the layer table there.
 * Imports are read from the TypeScript sources as text (static `import … from '…'` and `export … from '…'`).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync, statSync } from 'node:fs';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');

function sources(dir: string): string[] {
    const out: string[] = [];
    for (const name of readdirSync(join(ROOT, dir))) {
        const rel = join(dir, name);
        if (name === 'generated' || name === 'node_modules') continue;
        if (statSync(join(ROOT, rel)).isDirectory()) out.push(...sources(rel));
        else if (name.endsWith('.ts')) out.push(rel);
    }
    return out;
}

/** Every module specifier a file imports, resolved to a repo-relative path for relative imports. */
function importsOf(file: string): string[] {
    const text = readFileSync(join(ROOT, file), 'utf8');
    const specs = [...text.matchAll(/^\s*(?:import|export)\s[^'"]*?from\s+['"]([^'"]+)['"]/gm), ...text.matchAll(/^\s*import\s+['"]([^'"]+)['"]/gm)].map(m => m[1]);
    return specs.map(s => (s.startsWith('.') ? relative(ROOT, resolve(ROOT, dirname(file), s)) : s));
}

interface Rule {
    layer: string;
    files: (f: string) => boolean;
    allowed: (spec: string) => boolean;
}

const isNodeBuiltin = (s: string) => s.startsWith('node:');
const inDir = (d: string) => (s: string) => s === d || s.startsWith(d + '/');

const RULES: Rule[] = [
    {
        layer: 'language/engine',
        files: inDir('language/engine'),
        allowed: inDir('language/engine'),
    },
    {
        layer: 'language (not engine)',
        files: f => inDir('language')(f) && !inDir('language/engine')(f),
        allowed: s => inDir('language')(s) || s === 'langium' || s === 'langium/node' || s.startsWith('vscode-languageserver-types') || s === 'vscode-uri' || isNodeBuiltin(s),
    },
    {
        layer: 'server/cli',
        files: inDir('server/cli'),
        allowed: s => inDir('language')(s) || inDir('server/cli')(s) || s === 'commander' || isNodeBuiltin(s) || s === 'langium' || s === 'langium/node' || s === 'vscode-languageserver-types',
    },
    {
        layer: 'server (not cli)',
        files: f => inDir('server')(f) && !inDir('server/cli')(f),
        allowed: s =>
            inDir('language')(s) || (inDir('server')(s) && !inDir('server/cli')(s)) || s === 'langium' || s === 'langium/lsp' || s === 'langium/node' ||
            s.startsWith('vscode-languageserver') || s.startsWith('vscode-jsonrpc') || s.startsWith('@vscode/debug') || isNodeBuiltin(s),
    },
    {
        layer: 'client',
        files: inDir('client'),
        allowed: s => inDir('client')(s) || s === 'vscode' || s.startsWith('vscode-languageclient') || isNodeBuiltin(s),
    },
];

for (const rule of RULES) {
    test(`${rule.layer}: imports stay inside the layers ARCHITECTURE.md allows`, () => {
        const files = ['language', 'server', 'client'].flatMap(sources).filter(rule.files);
        assert.ok(files.length > 0, `no files for ${rule.layer}`);
        const violations = files.flatMap(f => importsOf(f).filter(s => !rule.allowed(s)).map(s => `${f} imports ${s}`));
        assert.deepEqual(violations, []);
    });
}
