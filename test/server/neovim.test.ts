/**
 * A language server that works only in VS Code is not a language server: drive the bundled server from
 * Neovim's built-in LSP client (headless) and check that it sees exactly the diagnostics the headless
 * checker computes, and the engine's hover table. CI installs Neovim (.ci/run); a developer machine
 * without it skips this file with a message, CI never does.
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { spawnSync } from 'node:child_process';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createIrqHeadless } from '../../language/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const SERVER = join(ROOT, 'out', 'server.cjs');
const SCRIPT = join(ROOT, 'test', 'fixtures', 'server', 'nvim-lsp.lua');
const EXAMPLE = join(ROOT, 'examples', 'misconfigured.irq');

const hasNvim = spawnSync('nvim', ['--version'], { encoding: 'utf8' }).status === 0;
if (!hasNvim && process.env.CI) throw new Error('CI must have Neovim (installed by .ci/run) for the independent-client test');

test('Neovim: diagnostics and hover from the bundled server', { skip: hasNvim ? false : 'nvim not installed (apt-get install neovim)' }, async () => {
    // Line 36 (0-based 35) is `entry 5 address 0xfee0_1000 …`; character 30 sits inside the address literal.
    const run = spawnSync('nvim', ['--headless', '-u', 'NONE', '-c', `luafile ${SCRIPT}`, '--', SERVER, EXAMPLE, '35', '30'], {
        encoding: 'utf8',
        timeout: 60_000,
    });
    assert.equal(run.status, 0, run.stderr);
    const lines = run.stdout.split('\n');

    const { diagnostics } = await createIrqHeadless().loadFile(EXAMPLE);
    const expected = diagnostics
        .slice()
        .sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character)
        .map(d => `diag ${d.range.start.line + 1}:${d.range.start.character + 1} ${d.code}`);
    assert.equal(expected.length, 28);
    assert.deepEqual(lines.filter(l => l.startsWith('diag ')), expected);

    const hover = lines.filter(l => l.startsWith('hover ')).map(l => l.slice('hover '.length).trimEnd());
    assert.equal(hover[0], '**MSI address** `0xfee0_1000` — nic.msix[5]');
    assert.ok(hover.includes('| **4** | **Interrupt Format** | **0** | **compatibility format** |'), hover.join('\n'));
    assert.ok(hover.includes('| 19:12 | Destination ID | 0x1 | APIC ID (physical) |'), hover.join('\n'));
    assert.ok(hover.includes('On the bus (little-endian, lowest address first): `00 10 e0 fe`'), hover.join('\n'));
    assert.ok(hover.includes('- dmar0 blocks compatibility-format interrupts (CFI off): fault 0x25'), hover.join('\n'));
});
