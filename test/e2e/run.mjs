#!/usr/bin/env node
// End-to-end tests in a real VS Code: runs the extension-host suite (test/e2e/suite, mocha + the `vscode` API)
// against the packaged extension, inside code-server (VS Code's server and web workbench) driven by headless
// Chromium. `npm run test:e2e` packages the VSIX first and then runs this file.
//
// How (and why this way):
// - code-server is VS Code 1.139 from npm; these machines cannot download VS Code for @vscode/test-electron.
//   test/e2e/setup-tools.sh installs it (with the Node 24 it needs) into a cache outside the repository.
// - The extension under test is the VSIX, installed by code-server's own installer into a scratch folder and
//   then loaded as the "extension under development": tests then run against exactly what users install
//   (.vscodeignore allowlist, self-contained bundles), and a test entry is only accepted for a development
//   extension. IRQ_E2E_EXTENSION=source loads the repository folder instead (no packaging; out/ must be built).
// - VS Code's server loads development extensions from its own `extensionDevelopmentPath` argument (passed with
//   code-server's --vscode-option). The test entry (extensionTestsPath) reaches the extension host through the
//   workbench: a built workbench reads it from the URL's `payload` only when the server runs with
//   `enable-smoke-test-driver`. The web workbench reports the end of the tests by calling
//   window.codeAutomationExit(code), which this script exposes through playwright.
// - The suite streams its results through a folder (IRQ_E2E_CHANNEL, see suite/channel.ts) and asks this
//   script for screenshots and DOM reads of the workbench at chosen moments. Before VS Code starts, this script
//   puts there what the language computes headlessly for every example (headless-diagnostics.mjs, from out/):
//   the diagnostics VS Code must show.
//
// Environment (all optional):
//   IRQ_E2E_CACHE        tool cache (default ~/.cache/irq-topology-e2e), see setup-tools.sh
//   IRQ_E2E_CODE_SERVER, IRQ_E2E_NODE   use these instead of running setup-tools.sh
//   IRQ_E2E_EXTENSION    vsix (default) | source
//   IRQ_E2E_VSIX         the VSIX to test (default irq-topology.vsix)
//   IRQ_E2E_SHOTS        where screenshots go (default test/e2e/screenshots, gitignored)
//   IRQ_E2E_GREP         run only the tests whose full title matches
//   IRQ_E2E_TIMEOUT_S    give up after this long (default 600)
//   IRQ_E2E_KEEP=1       keep the scratch folder (server log, browser log, user data)
//   IRQ_E2E_HOST=electron  run the same suite with @vscode/test-electron (needs to download VS Code)
// Exit status: 0 when every test passed (skips allowed), 1 otherwise. The last line is `N passed, M failed`.
import { spawn, spawnSync } from 'node:child_process';
import { cpSync, existsSync, mkdirSync, mkdtempSync, readFileSync, readdirSync, renameSync, rmSync, statSync, writeFileSync, appendFileSync } from 'node:fs';
import { createServer } from 'node:net';
import { tmpdir } from 'node:os';
import { dirname, join, relative, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';
import { headlessDiagnostics } from './headless-diagnostics.mjs';

const REPO = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..');
const env = process.env;
const MODE = env.IRQ_E2E_EXTENSION ?? 'vsix';
const HOST = env.IRQ_E2E_HOST ?? 'code-server';
const SHOTS = resolve(env.IRQ_E2E_SHOTS ?? join(REPO, 'test', 'e2e', 'screenshots'));
const TIMEOUT_MS = Number(env.IRQ_E2E_TIMEOUT_S ?? 600) * 1000;
const SUITE_OUT = join(REPO, 'out-e2e');
const TEST_ENTRY = join(SUITE_OUT, 'suite', 'index.js');

const t0 = Date.now();
const elapsed = () => `${((Date.now() - t0) / 1000).toFixed(1)}s`;
const log = (...a) => console.log(`[e2e ${elapsed()}]`, ...a);
const timings = {};

/** A setup step failed: thrown, so that the servers started so far are stopped before the summary. */
class SetupError extends Error {}
function fail(message) { throw new SetupError(message); }

function run(cmd, args, options = {}) {
    const r = spawnSync(cmd, args, { encoding: 'utf8', ...options });
    if (r.status !== 0) fail(`${cmd} ${args.join(' ')} exited ${r.status}\n${r.stdout ?? ''}${r.stderr ?? ''}`);
    return r.stdout ?? '';
}

// --- 1. A scratch folder: the workspace (a copy of examples/), profiles, the channel ----------------------------
const scratch = mkdtempSync(join(tmpdir(), 'irq-e2e-'));
const workspace = join(scratch, 'workspace');
const channel = join(scratch, 'channel');
const userData = join(scratch, 'user-data');
mkdirSync(channel, { recursive: true });
mkdirSync(join(userData, 'User'), { recursive: true });
mkdirSync(workspace, { recursive: true });
for (const f of readdirSync(join(REPO, 'examples')).filter(f => f.endsWith('.irq'))) cpSync(join(REPO, 'examples', f), join(workspace, f));
// Quiet, deterministic settings; no network lookups that would only time out here.
writeFileSync(join(userData, 'User', 'settings.json'), JSON.stringify({
    'workbench.startupEditor': 'none',
    'security.workspace.trust.enabled': false,
    'telemetry.telemetryLevel': 'off',
    'extensions.autoCheckUpdates': false,
    'extensions.autoUpdate': false,
    'extensions.ignoreRecommendations': true,
    'workbench.tips.enabled': false,
    'workbench.enableExperiments': false,
    'update.mode': 'none',
    'chat.disableAIFeatures': true,
    'workbench.secondarySideBar.defaultVisibility': 'hidden',
    'git.enabled': false,
    // Screenshots: more room for inlay hints, no minimap; hovers stay until the next command.
    'editor.minimap.enabled': false,
    'editor.hover.sticky': true,
    'editor.hover.above': false,
    'editor.stickyScroll.enabled': false,
    'window.commandCenter': false,
    'workbench.layoutControl.enabled': false,
}, null, 2));

// Screenshots of this run only (the folder is gitignored); a partial run (IRQ_E2E_GREP) keeps the others.
if (existsSync(SHOTS) && !env.IRQ_E2E_GREP) for (const f of readdirSync(SHOTS).filter(f => f.endsWith('.png'))) rmSync(join(SHOTS, f));

let exitCode = 1;
const cleanups = [];
async function cleanup() {
    for (const c of cleanups.reverse()) {
        try { await c(); } catch { /* best effort: the run's outcome is already decided */ }
    }
    if (env.IRQ_E2E_KEEP === '1') log('kept', scratch);
    else rmSync(scratch, { recursive: true, force: true });
}
process.on('SIGINT', async () => { await cleanup(); process.exit(130); });
process.on('SIGTERM', async () => { await cleanup(); process.exit(143); });

try {
    compileSuite();
    // The oracle for every example's diagnostics (see headless-diagnostics.mjs); the suite reads it from the channel.
    if (!existsSync(join(REPO, 'out', 'language', 'index.js'))) fail('out/language/index.js is missing: run `npm run build` first');
    writeFileSync(join(channel, 'headless-diagnostics.json'), JSON.stringify(await headlessDiagnostics(REPO, workspace), null, 1));
    exitCode = HOST === 'electron' ? await runElectron() : await runCodeServer();
} catch (e) {
    console.error(`[e2e] ${e instanceof SetupError ? e.message : e?.stack ?? e}`);
    console.log('0 passed, 1 failed');
    exitCode = 1;
} finally {
    await cleanup();
}
process.exit(exitCode);

// ------------------------------------------------------------------------------------------------------------
/** The suite is compiled on its own (CommonJS, test/e2e/tsconfig.json): the root tsconfig excludes it. */
function compileSuite() {
    const t1 = Date.now();
    rmSync(SUITE_OUT, { recursive: true, force: true });   // no stale test files from renamed sources
    run(process.execPath, [join(REPO, 'node_modules', 'typescript', 'bin', 'tsc'), '-p', join(REPO, 'test', 'e2e', 'tsconfig.json')]);
    // The root package.json says "type": "module"; this marks the compiled suite as CommonJS for Node.
    writeFileSync(join(SUITE_OUT, 'package.json'), '{ "type": "commonjs" }\n');
    timings.compile = Date.now() - t1;
}

async function runCodeServer() {
    // --- 2. Tools: Node 24 + code-server, from the cache --------------------------------------------------------
    let t = Date.now();
    let codeServer = env.IRQ_E2E_CODE_SERVER, node24 = env.IRQ_E2E_NODE;
    if (!codeServer || !node24) {
        const out = run('bash', [join(REPO, 'test', 'e2e', 'setup-tools.sh')], { stdio: ['ignore', 'pipe', 'inherit'] });
        for (const line of out.split('\n')) {
            const m = /^(IRQ_E2E_NODE|IRQ_E2E_CODE_SERVER)=(.*)$/.exec(line.trim());
            if (m?.[1] === 'IRQ_E2E_NODE') node24 = m[2];
            if (m?.[1] === 'IRQ_E2E_CODE_SERVER') codeServer = m[2];
        }
    }
    if (!codeServer || !existsSync(codeServer) || !node24 || !existsSync(node24)) fail(`code-server or Node 24 not found (${codeServer}, ${node24})`);
    timings.tools = Date.now() - t;
    // code-server's bin is `#!/usr/bin/env node`: Node 24 first on PATH.
    // No extension gallery (EXTENSIONS_GALLERY='{}'): nothing to reach here, and without one VS Code resolves
    // `extension.open` (the details page) from the installed extensions instead of querying open-vsx.org first.
    const csEnv = { ...env, PATH: `${dirname(node24)}:${env.PATH}`, IRQ_E2E_CHANNEL: channel, EXTENSIONS_GALLERY: '{}' };
    const config = join(scratch, 'config.yaml');
    writeFileSync(config, 'auth: none\n');   // without --config, code-server writes one into ~/.config
    const common = ['--config', config, '--user-data-dir', userData];

    // --- 3. The extension under test ------------------------------------------------------------------------------
    t = Date.now();
    let devPath;
    let extensionsDir = join(scratch, 'extensions');
    if (MODE === 'source') {
        if (!existsSync(join(REPO, 'out', 'extension.cjs'))) fail('out/extension.cjs is missing: run `npm run build` first');
        devPath = REPO;
    } else {
        const vsix = resolve(env.IRQ_E2E_VSIX ?? join(REPO, 'irq-topology.vsix'));
        if (!existsSync(vsix)) fail(`${relative(REPO, vsix)} is missing: run \`npm run package\` (npm run test:e2e does)`);
        const installed = join(scratch, 'vsix-extensions');
        run(codeServer, [...common, '--extensions-dir', installed, '--install-extension', vsix], { env: csEnv });
        const dir = readdirSync(installed).find(d => d.startsWith('irq-topology.irq-topology-'));
        if (!dir) fail(`code-server did not install ${vsix} (found: ${readdirSync(installed).join(', ')})`);
        devPath = join(installed, dir);
        // The server also sees it as installed (as a user's VS Code would): the development copy of the same
        // folder takes precedence, and the extension has a details page (`extension.open`) showing its README.
        extensionsDir = installed;
        log(`testing ${relative(REPO, vsix)} (${Math.round(statSync(vsix).size / 1024)} KB), installed as ${dir}`);
    }
    timings.install = Date.now() - t;

    // --- 4. code-server on 127.0.0.1 ------------------------------------------------------------------------------
    t = Date.now();
    const port = await freePort();
    const authority = `127.0.0.1:${port}`;
    const serverLog = join(scratch, 'code-server.log');
    // detached: its own process group, so that the extension host and language server it forks stop with it.
    const server = spawn(codeServer, [...common, '--extensions-dir', extensionsDir,
        '--bind-addr', authority, '--auth', 'none', '--disable-telemetry', '--disable-update-check',
        '--disable-workspace-trust', '--disable-getting-started-override',
        '--vscode-option', 'enable-smoke-test-driver',
        '--vscode-option', `extensionDevelopmentPath=${devPath}`,
        workspace], { env: csEnv, stdio: ['ignore', 'pipe', 'pipe'], detached: true });
    let serverOut = '';
    let serverExited = null;
    const onOut = d => { serverOut += d; appendFileSync(serverLog, d); };
    server.stdout.on('data', onOut);
    server.stderr.on('data', onOut);
    server.on('exit', code => { serverExited = code ?? -1; });
    cleanups.push(() => stopGroup(server));
    await waitUntil(() => /HTTP server listening/.test(serverOut) || serverExited !== null, 60_000);
    if (serverExited !== null || !/HTTP server listening/.test(serverOut)) throw new Error(`code-server did not start:\n${serverOut}`);
    timings.server = Date.now() - t;
    log(`code-server listening on ${authority}`);

    // --- 5. Headless Chromium opens the workbench with the test payload -------------------------------------------
    t = Date.now();
    const { chromium } = await import('playwright-core');
    const browser = await chromium.launch({
        executablePath: env.CHROMIUM ?? '/usr/bin/chromium', headless: true,
        args: ['--no-sandbox', '--disable-gpu', '--disable-quic', '--no-first-run', '--disable-background-networking',
            '--disable-component-update', '--disable-sync', '--disable-dev-shm-usage'],
    });
    cleanups.push(() => browser.close());
    const page = await browser.newPage({ viewport: { width: 1200, height: 700 } });
    const browserLog = join(scratch, 'browser.log');
    page.on('console', m => appendFileSync(browserLog, `[${m.type()}] ${m.text()}\n`));
    page.on('pageerror', e => appendFileSync(browserLog, `[pageerror] ${e.stack ?? e}\n`));
    let automationExit = null;
    await page.exposeFunction('codeAutomationExit', code => { automationExit = code; });
    const remote = p => `vscode-remote://${authority}${p}`;
    const payload = [['extensionDevelopmentPath', remote(devPath)], ['extensionTestsPath', remote(TEST_ENTRY)]];
    await page.goto(`http://${authority}/?folder=${encodeURIComponent(workspace)}&payload=${encodeURIComponent(JSON.stringify(payload))}`);
    log('workbench loading; the suite starts when the extension host is up');

    // --- 6. Follow the suite's events until it ends -----------------------------------------------------------------
    const results = { pass: [], fail: [], skip: [], end: null };
    const shots = new Set();
    const events = join(channel, 'events.jsonl');
    let offset = 0, pending = '';
    const deadline = Date.now() + TIMEOUT_MS;
    let suiteStarted = null;
    while (!results.end && automationExit === null && serverExited === null && Date.now() < deadline) {
        await sleep(200);
        if (!existsSync(events)) continue;
        const buf = readFileSync(events);
        if (buf.length <= offset) continue;
        pending += buf.subarray(offset).toString('utf8');
        offset = buf.length;
        const lines = pending.split('\n');
        pending = lines.pop();
        for (const line of lines.filter(Boolean)) {
            const e = JSON.parse(line);
            if (e.event === 'begin') { suiteStarted = Date.now(); timings.workbench = Date.now() - t; log(`suite started: ${e.total} tests`); }
            else if (e.event === 'pass') { results.pass.push(e); console.log(`  ✓ ${e.title} (${e.ms} ms)`); }
            else if (e.event === 'fail') { results.fail.push(e); console.log(`  ✗ ${e.title}\n${indent(e.error)}`); }
            else if (e.event === 'skip') { results.skip.push(e); console.log(`  - ${e.title} (skipped${e.reason ? `: ${e.reason}` : ''})`); }
            else if (e.event === 'snapshot') { shots.add(`${e.name}.png`); await answerSnapshot(page, e); }
            else if (e.event === 'end') results.end = e;
        }
    }
    timings.suite = suiteStarted ? Date.now() - suiteStarted : 0;

    // --- 7. Summary -------------------------------------------------------------------------------------------------
    const problems = [];
    if (!results.end) {
        problems.push(serverExited !== null ? `code-server exited (${serverExited}) before the suite ended`
            : automationExit !== null ? `the extension host ended (code ${automationExit}) before the suite reported its end`
            : `the suite did not finish within ${TIMEOUT_MS / 1000} s`);
        console.log('\n--- code-server log (last 40 lines) ---\n' + tail(serverOut, 40));
        if (existsSync(browserLog)) console.log('--- browser console errors (last 20) ---\n' + tail(readFileSync(browserLog, 'utf8').split('\n').filter(l => l.startsWith('[error]') || l.startsWith('[pageerror]')).join('\n'), 20));
    } else if (results.fail.length === 0 && automationExit !== null && automationExit !== 0) {
        problems.push(`the extension host reported exit code ${automationExit}`);
    }
    if (results.fail.length) {
        console.log('\nFailures:');
        for (const f of results.fail) console.log(`  ✗ ${f.title}\n${indent(f.stack || f.error)}`);
    }
    for (const p of problems) console.log(`\n[e2e] ${p}`);
    if (shots.size) console.log(`\nScreenshots: ${[...shots].map(s => relative(process.cwd(), join(SHOTS, s))).join(', ')}`);
    console.log(`Timings: compile ${s(timings.compile)}, tools ${s(timings.tools)}, VSIX install ${s(timings.install)}, ` +
        `server start ${s(timings.server)}, workbench to first test ${s(timings.workbench)}, suite ${s(timings.suite)}, total ${elapsed()}`);
    if (results.skip.length) console.log(`${results.skip.length} skipped`);
    const failed = results.fail.length + problems.length;
    console.log(`${results.pass.length} passed, ${failed} failed`);
    return failed === 0 && results.pass.length > 0 ? 0 : 1;
}

/** Screenshot (clipped to the requested part) + a DOM read, answered through ack-<id>.json. */
async function answerSnapshot(page, e) {
    mkdirSync(SHOTS, { recursive: true });
    const file = join(SHOTS, `${e.name}.png`);
    // 'workbench' keeps the editor and the panel but not the activity and status bars: each PNG stays < 200 KB.
    const parts = { editor: ['.part.editor'], panel: ['.part.panel'], workbench: ['.part.editor', '.part.panel'],
        debug: ['.part.sidebar', '.part.editor'] }[e.clip] ?? [];
    const boxes = (await Promise.all(parts.map(p => page.locator(p).first().boundingBox().catch(() => null)))).filter(Boolean);
    const clip = boxes.length ? union(boxes) : null;
    // Park the pointer on the empty middle of the activity bar: no tooltip or hover of its own in the picture.
    await page.mouse.move(10, 400);
    await page.screenshot({ path: file, ...(clip ? { clip } : {}) });
    const state = await page.evaluate(domState);
    state.screenshot = file;
    state.webviewImages = await webviewImages(page);
    // With IRQ_E2E_KEEP=1 the workbench's HTML is kept next to the logs: what to read when VS Code renames a class.
    if (env.IRQ_E2E_KEEP === '1') writeFileSync(join(scratch, `${e.name}-${e.id}.html`), await page.content());
    const ack = join(channel, `ack-${e.id}.json`);
    writeFileSync(`${ack}.tmp`, JSON.stringify(state));
    renameSync(`${ack}.tmp`, ack);   // the suite reads it as soon as it exists: make it appear complete
}

/**
 * The images inside webviews (the extension details page renders the README in one): their `src` as written
 * and whether the browser loaded them (naturalWidth > 0). A webview is a nested iframe, so each frame is asked.
 */
async function webviewImages(page) {
    const out = [];
    for (const frame of page.frames()) {
        if (frame === page.mainFrame()) continue;
        try {
            out.push(...await frame.evaluate(() => [...document.images].map(i => ({ src: i.getAttribute('src') ?? '', width: i.naturalWidth, alt: i.alt }))));
        } catch { /* a frame that navigated away meanwhile */ }
    }
    return out;
}

/** Runs in the page: what the workbench renders right now. Selectors are VS Code 1.139's class names. */
function domState() {
    const flat = el => (el.innerText ?? el.textContent ?? '').replace(/\s+/g, ' ').trim();
    const editor = document.querySelector('.part.editor .editor-group-container.active .monaco-editor')
        ?? document.querySelector('.part.editor .monaco-editor');
    const count = cls => (editor ? editor.querySelectorAll(`.${cls}`).length : 0);
    // Lines are absolutely positioned: a text line and its line number share their `top`.
    const lineAt = new Map();
    for (const n of editor?.querySelectorAll('.margin-view-overlays .line-numbers') ?? []) lineAt.set(parseFloat(n.parentElement.style.top), Number(n.textContent.trim()));
    const tops = [...lineAt.keys()].sort((a, b) => a - b);
    const inlayHints = [];
    for (const line of editor?.querySelectorAll('.view-lines .view-line') ?? []) {
        const n = lineAt.get(parseFloat(line.style.top));
        // An inlay hint is injected text: an empty `dyn-rule-*-0` span (its padding) and the label span.
        for (const span of line.querySelectorAll('span[class*="dyn-rule-"]')) {
            const text = flat(span);
            if (text) inlayHints.push(`${n}: ${text}`);
        }
    }
    // A code lens is a content widget in the view zone above its line: the first line below the widget.
    const codeLenses = [...(editor?.querySelectorAll('.codelens-decoration') ?? [])].map(w => {
        const top = parseFloat(w.style.top);
        const below = tops.find(t => t > top);
        return `${below === undefined ? '?' : lineAt.get(below)}: ${flat(w)}`;
    });
    const hover = [...document.querySelectorAll('.monaco-hover')].find(h => !h.classList.contains('hidden') && h.offsetParent !== null);
    const badge = [...document.querySelectorAll('.part.panel .composite-bar .action-item')]
        .find(a => a.querySelector('.action-label')?.textContent?.trim() === 'Problems');
    return {
        problems: [...document.querySelectorAll('.markers-panel .monaco-list-row')].map(flat).filter(Boolean),
        problemsBadge: badge?.querySelector('.badge-content')?.textContent?.trim() || null,
        squiggles: { error: count('squiggly-error'), warning: count('squiggly-warning'), info: count('squiggly-info'), hint: count('squiggly-hint') },
        // Each squiggle sits in its line's overlay div, which has the line's `top`.
        squiggleLines: [...(editor?.querySelectorAll('[class*="squiggly-"]') ?? [])]
            .map(q => `${lineAt.get(parseFloat(q.parentElement.style.top)) ?? '?'}: ${/squiggly-(\w+)/.exec(q.className)[1]}`),
        // innerText keeps the table's cell and row separators (tabs, newlines), which the suite matches on.
        hover: hover ? hover.innerText.trim() : null,
        inlayHints,
        codeLenses,
        // The debugger's current line: a whole-line decoration in the line's overlay div.
        stackFrameLines: [...(editor?.querySelectorAll('.debug-top-stack-frame-line') ?? [])]
            .map(d => lineAt.get(parseFloat(d.parentElement.style.top))).filter(n => n !== undefined),
        callStack: [...document.querySelectorAll('.debug-call-stack .monaco-list-row')].map(flat).filter(Boolean),
        // Text drawn struck through (Monaco's `mtks` class: the `deprecated` semantic token modifier), `line: text`.
        struck: [...(editor?.querySelectorAll('.view-lines .view-line') ?? [])].flatMap(line =>
            [...line.querySelectorAll('span.mtks')].map(sp => `${lineAt.get(parseFloat(line.style.top))}: ${flat(sp)}`)),
        // The code action menu (light bulb / Ctrl+.): its rows.
        actionWidget: [...document.querySelectorAll('.action-widget .monaco-list-row')].filter(r => r.offsetParent !== null).map(flat).filter(Boolean),
        // The Welcome / walkthrough editor's text (titles of the category and its steps).
        gettingStarted: flat(document.querySelector('.part.editor .gettingStartedContainer') ?? document.createElement('div')) || null,
    };
}

async function runElectron() {
    // Where VS Code can be downloaded: @vscode/test-electron runs the same suite in desktop VS Code, against the
    // repository folder (npm run build). There is no browser to screenshot (IRQ_E2E_BROWSER=0): the workbench
    // tests skip themselves. Results come through the same channel, read once VS Code has exited.
    const { runTests } = await import('@vscode/test-electron');
    const problems = [];
    try {
        await runTests({
            extensionDevelopmentPath: REPO,
            extensionTestsPath: TEST_ENTRY,
            launchArgs: [workspace, '--disable-extensions', '--user-data-dir', userData, '--disable-workspace-trust'],
            extensionTestsEnv: { IRQ_E2E_CHANNEL: channel, IRQ_E2E_BROWSER: '0', IRQ_E2E_GREP: env.IRQ_E2E_GREP ?? '' },
        });
    } catch (e) {
        problems.push(`@vscode/test-electron: ${e?.message ?? e}`);
    }
    const results = { pass: [], fail: [], skip: [], end: null };
    const events = join(channel, 'events.jsonl');
    for (const line of existsSync(events) ? readFileSync(events, 'utf8').split('\n').filter(Boolean) : []) {
        const e = JSON.parse(line);
        if (e.event === 'end') results.end = e;
        else results[e.event]?.push(e);
    }
    if (!results.end && !problems.length) problems.push('the suite did not report its end');
    if (results.fail.length) {
        console.log('\nFailures:');
        for (const f of results.fail) console.log(`  ✗ ${f.title}\n${indent(f.stack || f.error)}`);
    }
    for (const p of problems) console.log(`\n[e2e] ${p}`);
    if (results.skip.length) console.log(`${results.skip.length} skipped`);
    const failed = results.fail.length + problems.length;
    console.log(`${results.pass.length} passed, ${failed} failed`);
    return failed === 0 && results.pass.length > 0 ? 0 : 1;
}

// --- helpers -----------------------------------------------------------------------------------------------------
function sleep(ms) { return new Promise(r => setTimeout(r, ms)); }
async function waitUntil(cond, ms) { const end = Date.now() + ms; while (!cond() && Date.now() < end) await sleep(100); }
function indent(text) { return String(text ?? '').split('\n').map(l => `      ${l}`).join('\n'); }
function tail(text, n) { return String(text).split('\n').slice(-n).join('\n'); }
function union(boxes) {
    const x = Math.min(...boxes.map(b => b.x)), y = Math.min(...boxes.map(b => b.y));
    return { x, y, width: Math.max(...boxes.map(b => b.x + b.width)) - x, height: Math.max(...boxes.map(b => b.y + b.height)) - y };
}
function s(ms) { return ms === undefined ? '-' : `${(ms / 1000).toFixed(1)}s`; }
function freePort() {
    return new Promise((res, rej) => {
        const srv = createServer();
        srv.unref();
        srv.on('error', rej);
        srv.listen(0, '127.0.0.1', () => { const { port } = srv.address(); srv.close(() => res(port)); });
    });
}
async function stopGroup(child) {
    if (child.exitCode !== null || child.signalCode !== null) return;
    try { process.kill(-child.pid, 'SIGTERM'); } catch { return; }
    await waitUntil(() => child.exitCode !== null || child.signalCode !== null, 5000);
    try { process.kill(-child.pid, 'SIGKILL'); } catch { /* already gone */ }
}
