/**
 * Shared by the server tests: where the repository is (from the compiled test's location), and positions of
 * text in a document computed from the text itself, so the expected ranges are exact without hard-coding
 * line numbers that every fixture edit would shift.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import type { Position, Range, TextEdit } from 'vscode-languageserver-types';

/** out-server/test/server/x.test.js → the repository root, three levels up. */
export const REPO_ROOT = fileURLToPath(new URL('../../../', import.meta.url));

export const FIXTURE_PATH = fileURLToPath(new URL('../../../test/fixtures/server/q35-lsp.irq', import.meta.url));

export function readFixture(): string {
    return readFileSync(FIXTURE_PATH, 'utf8');
}

/** Another fixture of test/fixtures/server, by file name. */
export function readServerFixture(name: string): string {
    return readFileSync(fileURLToPath(new URL(`../../../test/fixtures/server/${name}`, import.meta.url)), 'utf8');
}

/** Offset of the `occurrence`-th (0-based) `needle` in `text`, plus `delta`. Throws if absent: a broken fixture. */
export function offsetOf(text: string, needle: string, occurrence = 0, delta = 0): number {
    let at = -1;
    for (let i = 0; i <= occurrence; i++) {
        at = text.indexOf(needle, at + 1);
        if (at < 0) throw new Error(`'${needle}' (occurrence ${occurrence}) not in the text`);
    }
    return at + delta;
}

export function positionAt(text: string, offset: number): Position {
    const before = text.slice(0, offset);
    const line = before.split('\n').length - 1;
    return { line, character: offset - (before.lastIndexOf('\n') + 1) };
}

/** Position of `needle` (its first character, or `delta` characters in). */
export function pos(text: string, needle: string, occurrence = 0, delta = 0): Position {
    return positionAt(text, offsetOf(text, needle, occurrence, delta));
}

/** The range `needle` covers. */
export function rangeOf(text: string, needle: string, occurrence = 0): Range {
    const start = offsetOf(text, needle, occurrence);
    return { start: positionAt(text, start), end: positionAt(text, start + needle.length) };
}

/** The range of `part` inside the `occurrence`-th `context` (e.g. the `0x4045` of one specific line). */
export function rangeIn(text: string, context: string, part: string, occurrence = 0): Range {
    const base = offsetOf(text, context, occurrence);
    const inner = context.indexOf(part);
    if (inner < 0) throw new Error(`'${part}' not in '${context}'`);
    return { start: positionAt(text, base + inner), end: positionAt(text, base + inner + part.length) };
}

/** End of the line that contains `needle`, ignoring a trailing comment and trailing blanks. */
export function endOfCode(text: string, needle: string, occurrence = 0): Position {
    const at = offsetOf(text, needle, occurrence);
    const lineStart = text.lastIndexOf('\n', at) + 1;
    let lineEnd = text.indexOf('\n', at);
    if (lineEnd < 0) lineEnd = text.length;
    const line = text.slice(lineStart, lineEnd);
    const comment = line.indexOf('//');
    const code = (comment >= 0 ? line.slice(0, comment) : line).trimEnd();
    return positionAt(text, lineStart + code.length);
}

/** `text` after `edits` (non-overlapping, as LSP requires), applied from the last to the first. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
    const starts = [0];
    for (let i = 0; i < text.length; i++) if (text[i] === '\n') starts.push(i + 1);
    const offset = (p: Position) => starts[p.line] + p.character;
    let out = text;
    for (const e of [...edits].sort((a, b) => offset(b.range.start) - offset(a.range.start))) {
        out = out.slice(0, offset(e.range.start)) + e.newText + out.slice(offset(e.range.end));
    }
    return out;
}
