/**
 * Shared helpers for the language tests: one headless service set, loading from text, and compact views of
 * diagnostics (code, message, 0-based range) so tests can compare them exactly.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import { dirname, join } from 'node:path';
import type { AstNode, LangiumDocument } from 'langium';
import type { Diagnostic, Range } from 'vscode-languageserver-types';
import { createIrqHeadless, type LoadedIrq, type LoadOptions } from '../../language/headless.js';
import type { IrqFile } from '../../language/generated/ast.js';

export const irq = createIrqHeadless();

export function load(text: string, options?: LoadOptions): Promise<LoadedIrq> {
    return irq.loadText(text, options);
}

/** Parse only (no linking, no validation): for grammar tests. */
export function parse(text: string): { value: IrqFile; lexerErrors: string[]; parserErrors: string[] } {
    const r = irq.services.parser.LangiumParser.parse<IrqFile>(text);
    return { value: r.value, lexerErrors: r.lexerErrors.map(e => e.message), parserErrors: r.parserErrors.map(e => e.message) };
}

/** `l:c-l:c`, 0-based like LSP. */
export function rangeText(r: Range | undefined): string {
    return r ? `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}` : '<none>';
}

export interface Diag {
    code: string;
    severity: number;
    message: string;
    range: string;
}

/** Diagnostics as { code, severity, message, range } (the code of Langium's built-ins is in `data.code`). */
export function diags(ds: Diagnostic[] | undefined): Diag[] {
    return (ds ?? []).map(d => ({
        code: String(d.code ?? (d.data as { code?: string } | undefined)?.code ?? ''),
        severity: d.severity ?? 0,
        message: d.message,
        range: rangeText(d.range),
    }));
}

/** Only the diagnostics with one of the codes. */
export function withCodes(ds: Diagnostic[] | undefined, ...codes: string[]): Diag[] {
    return diags(ds).filter(d => codes.includes(d.code));
}

/** The 0-based range of the n-th occurrence (0-based) of `needle` in `text`. */
export function rangeOfText(text: string, needle: string, occurrence = 0): string {
    return rangeOfPart(text, needle, needle, occurrence);
}

/** The range of `part` (its last occurrence) inside the n-th occurrence of `context`: for a literal that also appears elsewhere. */
export function rangeOfPart(text: string, context: string, part: string, occurrence = 0): string {
    let at = -1;
    for (let i = 0; i <= occurrence; i++) {
        at = text.indexOf(context, at + 1);
        if (at < 0) throw new Error(`'${context}' (occurrence ${occurrence}) not in text`);
    }
    const inner = context.lastIndexOf(part);
    if (inner < 0) throw new Error(`'${part}' not in '${context}'`);
    const start = at + inner;
    return `${position(text, start)}-${position(text, start + part.length)}`;
}

function position(text: string, offset: number): string {
    const before = text.slice(0, offset).split('\n');
    return `${before.length - 1}:${before[before.length - 1].length}`;
}

export function cstText(node: AstNode | undefined): string | undefined {
    return node?.$cstNode?.text;
}

const here = dirname(fileURLToPath(import.meta.url));
/** Fixture files live in the source tree (test/fixtures/language), next to the compiled tests' sources. */
export function fixturePath(name: string): string {
    // Compiled to out-*/test/language/helpers.js; fixtures are not copied, so go back to the repository.
    const candidates = [join(here, '../fixtures/language', name), join(here, '../../../test/fixtures/language', name)];
    for (const c of candidates) {
        try { readFileSync(c); return c; } catch { /* try the next */ }
    }
    return candidates[candidates.length - 1];
}

export type Doc = LangiumDocument<IrqFile>;
