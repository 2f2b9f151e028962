// Bundles the extension, the language server and the command-line tool into single CommonJS files under out/.
// The VSIX ships only these bundles (see .vscodeignore), so nothing under node_modules is needed at run time.
import * as esbuild from 'esbuild';
import { existsSync } from 'node:fs';

const watch = process.argv.includes('--watch');
const minify = process.argv.includes('--minify');

/** Langium 4.2+ would need an Object.groupBy polyfill here (TOOLCHAIN.md); 4.1 does not. */
const common = {
    bundle: true,
    platform: 'node',
    target: 'node20',
    format: 'cjs',
    sourcemap: true,
    minify,
    logLevel: 'warning',
    // Langium and vscode-languageserver are ESM/CJS mixes; esbuild resolves both. `vscode` is provided by the host.
    external: ['vscode'],
    // import.meta.url is used by ESM sources to find sibling files; map it to the CJS equivalent.
    define: { 'import.meta.url': 'importMetaUrl' },
    banner: { js: "const importMetaUrl = require('url').pathToFileURL(__filename).href;" },
};

const entries = [
    { in: 'client/extension.ts', out: 'out/extension.cjs' },
    { in: 'server/main.ts', out: 'out/server.cjs' },
    { in: 'server/cli/main.ts', out: 'out/cli.cjs', shebang: true },
    { in: 'server/debug/main.ts', out: 'out/debug-adapter.cjs' },
];

const contexts = [];
for (const e of entries) {
    if (!existsSync(e.in)) continue;
    const options = {
        ...common,
        entryPoints: [e.in],
        outfile: e.out,
        banner: { js: (e.shebang ? '#!/usr/bin/env node\n' : '') + common.banner.js },
    };
    if (watch) {
        const ctx = await esbuild.context(options);
        await ctx.watch();
        contexts.push(ctx);
    } else {
        await esbuild.build(options);
    }
}
if (!watch) console.log(`esbuild: ${entries.filter(e => existsSync(e.in)).map(e => e.out).join(', ')}`);
