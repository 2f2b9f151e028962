/**
 * Formatting: a canonical layout that only ever changes whitespace inside a line, so the line count, every
 * token and every number stay as written (and range formatting can map lines one to one).
 *
 * - 2 spaces of indentation per block level (`{` … `}`), a line starting with N `}` N levels less;
 * - one blank between tokens, none at the end of a line; a line holds the statements it held;
 * - runs of sibling `entry` lines get aligned columns (`address`, `data`, flags), runs of `irte N` lines an
 *   aligned `{` (or `raw`);
 * - trailing `//` comments of consecutive lines line up, at the furthest of their columns (never closer than
 *   two blanks after the code), so a hand-aligned comment column survives and the result is idempotent;
 * - lines inside a multi-line `/* … *\/` comment are left exactly as they are.
 */
import type { LangiumDocument } from 'langium';
import type { Formatter } from 'langium/lsp';
import type {
    DocumentFormattingParams, DocumentOnTypeFormattingOptions, DocumentRangeFormattingParams, TextEdit,
} from 'vscode-languageserver';

interface Line {
    /** Code tokens (strings and one-line block comments are single tokens). */
    tokens: string[];
    /** The trailing `//` comment, if any. */
    comment?: string;
    /** Column the comment started at in the input. */
    commentColumn: number;
    /** Inside (or opening / closing) a multi-line block comment: kept verbatim. */
    verbatim: boolean;
    original: string;
}

/** Splits a line into tokens; `open` is true when it starts inside a block comment. */
function scan(text: string, open: boolean): { line: Line; open: boolean } {
    const line: Line = { tokens: [], commentColumn: -1, verbatim: open, original: text };
    let i = 0;
    if (open) {
        const end = text.indexOf('*/');
        if (end < 0) return { line, open: true };
        // The rest of a closing line is rare; keeping the whole line verbatim is the safe choice.
        return { line, open: false };
    }
    while (i < text.length) {
        const c = text[i];
        if (c === ' ' || c === '\t' || c === '\r') { i++; continue; }
        if (text.startsWith('//', i)) { line.comment = text.slice(i).trimEnd(); line.commentColumn = i; break; }
        if (text.startsWith('/*', i)) {
            const end = text.indexOf('*/', i + 2);
            if (end < 0) { line.verbatim = true; return { line, open: true }; }
            line.tokens.push(text.slice(i, end + 2)); i = end + 2; continue;
        }
        if (c === '{' || c === '}') { line.tokens.push(c); i++; continue; }
        let j = i;
        if (c === '"') {
            j = text.indexOf('"', i + 1);
            j = j < 0 ? text.length : j + 1;
        } else {
            while (j < text.length && !/[\s{}"]/.test(text[j]) && !text.startsWith('//', j) && !text.startsWith('/*', j)) j++;
        }
        line.tokens.push(text.slice(i, j)); i = j;
    }
    return { line, open: false };
}

/** Fields of an `entry` line: `entry N`, then `address X` / `data Y` pairs and single flags. */
function entryFields(tokens: string[]): string[] {
    const out = [`${tokens[0]} ${tokens[1] ?? ''}`.trimEnd()];
    for (let i = 2; i < tokens.length; i++) {
        if ((tokens[i] === 'address' || tokens[i] === 'data') && i + 1 < tokens.length) { out.push(`${tokens[i]} ${tokens[i + 1]}`); i++; }
        else out.push(tokens[i]);
    }
    return out;
}

/** Fields of an `irte N …` line: `irte N`, then the rest as one field (so the `{` / `raw` lines up). */
function irteFields(tokens: string[]): string[] {
    return tokens.length > 2 ? [`${tokens[0]} ${tokens[1]}`, tokens.slice(2).join(' ')] : [tokens.join(' ')];
}

function kindOf(l: Line): 'entry' | 'irte' | undefined {
    if (l.verbatim || l.tokens.length < 2) return undefined;
    if (l.tokens[0] === 'entry') return 'entry';
    if (l.tokens[0] === 'irte') return 'irte';
    return undefined;
}

/** The formatted text; always the same number of lines as `text`. */
export function formatIrqText(text: string): string {
    const eol = text.includes('\r\n') ? '\r\n' : '\n';
    const raw = text.split(/\r?\n/);
    const lines: Line[] = [];
    let open = false;
    for (const r of raw) {
        const s = scan(r, open);
        lines.push(s.line);
        open = s.open;
    }
    // Indentation by brace depth.
    const indent: number[] = [];
    let depth = 0;
    for (const l of lines) {
        // A line that starts by closing blocks sits at the level of the line that opened them: `} }` closing
        // two blocks opened on one line (`device d … { msix table 2 {`) lines up with that line.
        let closers = 0;
        while (l.tokens[closers] === '}') closers++;
        indent.push(Math.max(0, depth - closers));
        for (const t of l.tokens) depth += t === '{' ? 1 : t === '}' ? -1 : 0;
        depth = Math.max(depth, 0);
    }
    // Code text per line, with aligned fields in runs of sibling entry / irte lines.
    const code: string[] = lines.map((l) => l.tokens.join(' '));
    for (let i = 0; i < lines.length;) {
        const kind = kindOf(lines[i]);
        let j = i + 1;
        if (kind) while (j < lines.length && kindOf(lines[j]) === kind && indent[j] === indent[i]) j++;
        if (kind && j - i > 1) {
            const fields = lines.slice(i, j).map((l) => (kind === 'entry' ? entryFields(l.tokens) : irteFields(l.tokens)));
            const widths: number[] = [];
            for (const f of fields) f.forEach((x, k) => { widths[k] = Math.max(widths[k] ?? 0, x.length); });
            fields.forEach((f, n) => {
                code[i + n] = f.map((x, k) => (k < f.length - 1 ? x.padEnd(widths[k]) : x)).join(' ');
            });
        }
        i = kind ? j : i + 1;
    }
    const out: string[] = lines.map((l, n) => {
        if (l.verbatim) return l.original;
        const pad = ' '.repeat(indent[n] * 2);
        if (code[n] === '') return l.comment ? pad + l.comment : '';
        return pad + code[n];
    });
    // Trailing comments of consecutive code lines line up.
    for (let i = 0; i < lines.length;) {
        const has = (n: number) => !lines[n].verbatim && code[n] !== '' && lines[n].comment !== undefined;
        if (!has(i)) { i++; continue; }
        let j = i;
        let column = 0;
        while (j < lines.length && has(j)) {
            column = Math.max(column, lines[j].commentColumn, out[j].length + 2);
            j++;
        }
        for (let n = i; n < j; n++) out[n] = out[n].padEnd(column) + lines[n].comment;
        i = j;
    }
    return out.join(eol);
}

/** Edits that turn `before` into `after`, line by line (both have the same lines), limited to [first, last]. */
function lineEdits(before: string, after: string, first = 0, last = Number.MAX_SAFE_INTEGER): TextEdit[] {
    const a = before.split(/\r?\n/);
    const b = after.split(/\r?\n/);
    const edits: TextEdit[] = [];
    for (let n = Math.max(0, first); n < a.length && n <= last; n++) {
        if (a[n] !== b[n]) {
            edits.push({ range: { start: { line: n, character: 0 }, end: { line: n, character: a[n].length } }, newText: b[n] });
        }
    }
    return edits;
}

export class IrqFormatter implements Formatter {
    formatDocument(document: LangiumDocument, _params: DocumentFormattingParams): TextEdit[] {
        const text = document.textDocument.getText();
        return lineEdits(text, formatIrqText(text));
    }

    /** Whole lines of the range (the alignment of a run is computed over the whole document). */
    formatDocumentRange(document: LangiumDocument, params: DocumentRangeFormattingParams): TextEdit[] {
        const text = document.textDocument.getText();
        return lineEdits(text, formatIrqText(text), params.range.start.line, params.range.end.line);
    }

    formatDocumentOnType(): TextEdit[] {
        return [];
    }

    get formatOnTypeOptions(): DocumentOnTypeFormattingOptions | undefined {
        return undefined;
    }
}
