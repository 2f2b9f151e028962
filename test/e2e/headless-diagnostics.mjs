// What the language computes for every example without an editor, in both profiles: the oracle the e2e suite
// compares VS Code's diagnostics with (test/examples/examples.test.ts pins these same headless results line by
// line, so "VS Code shows exactly the headless diagnostics" covers every example, new ones included).
//
// Runs in the runner's Node (not in the extension host): it imports the tsc output under out/ (npm run build).
// Output: { "<file>.irq": { "spec": ["L:C-L:C severity code", ...], "qemu": [...] } }, 1-based, sorted by position,
// the same shape as describeDiagnostics in suite/util.ts.
import { readdirSync } from 'node:fs';
import { join } from 'node:path';
import { pathToFileURL } from 'node:url';

const SEVERITY = ['', 'error', 'warning', 'info', 'hint'];

export async function headlessDiagnostics(repo, examplesDir) {
    const { createIrqHeadless } = await import(pathToFileURL(join(repo, 'out', 'language', 'index.js')).href);
    const result = {};
    for (const profile of ['spec', 'qemu']) {
        const headless = createIrqHeadless({ profile });
        for (const file of readdirSync(examplesDir).filter(f => f.endsWith('.irq')).sort()) {
            const { diagnostics } = await headless.loadFile(join(examplesDir, file), { profile });
            const pos = p => `${p.line + 1}:${p.character + 1}`;
            (result[file] ??= {})[profile] = [...diagnostics]
                .sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character
                    || a.range.end.line - b.range.end.line || a.range.end.character - b.range.end.character
                    || String(a.code).localeCompare(String(b.code)))
                .map(d => `${pos(d.range.start)}-${pos(d.range.end)} ${SEVERITY[d.severity ?? 1]} ${d.code}`);
        }
    }
    return result;
}
