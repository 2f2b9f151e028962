/**
 * The README documents every diagnostic code the product can report and every setting it contributes;
 * these tests fail when a code or setting is added without its documentation (or documented but gone).
 */
import { test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { DIAGNOSTIC_CODES } from '../language/engine/index.js';
import { IrqCodes } from '../language/index.js';

const ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..');
const README = readFileSync(join(ROOT, 'README.md'), 'utf8');

/** Rows of a markdown table whose first cell is a code: `code` → the other cells. */
function codeRows(): Map<string, string[]> {
    const rows = new Map<string, string[]>();
    for (const line of README.split('\n')) {
        const m = /^\| `([a-z0-9x-]+)` \|(.*)\|$/.exec(line);
        if (m) rows.set(m[1], m[2].split(' | ').map(c => c.trim()));
    }
    return rows;
}

test('every engine diagnostic code is in the README with its severity and title', () => {
    const rows = codeRows();
    const missing = Object.keys(DIAGNOSTIC_CODES).filter(c => !rows.has(c));
    assert.deepEqual(missing, []);
    for (const [code, info] of Object.entries(DIAGNOSTIC_CODES)) {
        const [severity, title] = rows.get(code)!;
        assert.equal(severity, info.severity, `severity of ${code}`);
        assert.equal(title, info.title, `title of ${code}`);
    }
});

test('every language diagnostic code is in the README', () => {
    const rows = codeRows();
    assert.deepEqual(Object.values(IrqCodes).filter(c => !rows.has(c)), []);
});

test('the README documents no code that does not exist', () => {
    const known = new Set<string>([...Object.keys(DIAGNOSTIC_CODES), ...Object.values(IrqCodes)]);
    assert.deepEqual([...codeRows().keys()].filter(c => !known.has(c)), []);
});

test('every contributed setting is documented', () => {
    const pkg = JSON.parse(readFileSync(join(ROOT, 'package.json'), 'utf8'));
    for (const key of Object.keys(pkg.contributes.configuration.properties)) assert.ok(README.includes(`\`${key}\``), key);
});
