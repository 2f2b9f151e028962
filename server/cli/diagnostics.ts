/**
 * Diagnostics as the command-line tool reports them: the language server's LSP diagnostics (0-based
 * positions, numeric severities, Langium's lexer / parser / linker errors without a `code`) turned into
 * 1-based lines and columns, severity names, a code for every diagnostic, and related locations with the
 * path the user typed.
 */
import { relative } from 'node:path';
import { fileURLToPath } from 'node:url';
import type { Diagnostic } from 'vscode-languageserver-types';
import type { LoadedFile } from './load.js';

export type SeverityName = 'error' | 'warning' | 'info' | 'hint';

export interface CliRelated {
    file: string;
    line: number;
    column: number;
    endLine: number;
    endColumn: number;
    message: string;
}

/** One diagnostic as `--json` prints it: 1-based lines and columns, the end exclusive as in LSP. */
export interface CliDiagnostic {
    line: number;
    column: number;
    endLine: number;
    endColumn: number;
    severity: SeverityName;
    code: string;
    message: string;
    related: CliRelated[];
}

export interface CheckedFile {
    file: string;
    diagnostics: CliDiagnostic[];
}

const SEVERITIES: Record<number, SeverityName> = { 1: 'error', 2: 'warning', 3: 'info', 4: 'hint' };

/**
 * Langium's own lexer / parser / linker diagnostics carry no `code`, only `data.code`; the CLI names them
 * the way a compiler user expects.
 */
const LANGIUM_CODES: Record<string, string> = {
    'lexing-error': 'syntax',
    'parsing-error': 'syntax',
    'linking-error': 'linking',
};

function codeOf(d: Diagnostic): string {
    if (d.code !== undefined && d.code !== '') return String(d.code);
    const dataCode = (d.data as { code?: unknown } | undefined)?.code;
    if (typeof dataCode === 'string') return LANGIUM_CODES[dataCode] ?? dataCode;
    return 'irq';
}

/** A related location: the typed path for the same document, else a path relative to the working directory. */
function fileOfUri(uri: string, self: LoadedFile): string {
    if (uri === self.uri) return self.path;
    try {
        return relative(process.cwd(), fileURLToPath(uri)) || uri;
    } catch {
        return uri;
    }
}

export function toCliDiagnostics(file: LoadedFile): CliDiagnostic[] {
    const sorted = [...file.diagnostics].sort(
        (a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character || (a.severity ?? 1) - (b.severity ?? 1),
    );
    return sorted.map((d) => ({
        line: d.range.start.line + 1,
        column: d.range.start.character + 1,
        endLine: d.range.end.line + 1,
        endColumn: d.range.end.character + 1,
        severity: SEVERITIES[d.severity ?? 1] ?? 'error',
        code: codeOf(d),
        message: d.message,
        related: (d.relatedInformation ?? []).map((r) => ({
            file: fileOfUri(r.location.uri, file),
            line: r.location.range.start.line + 1,
            column: r.location.range.start.character + 1,
            endLine: r.location.range.end.line + 1,
            endColumn: r.location.range.end.character + 1,
            message: r.message,
        })),
    }));
}
