/**
 * Text formatting for the command-line tool. Everything printed here is data the engine or the language
 * layer computed (decoded fields, stage summaries, finding messages, diagnostics); these helpers only lay
 * it out: aligned tables, indentation, `file:line:col` prefixes, counts, and JSON with bigints as hex.
 */
import type { CheckedFile, CliDiagnostic, SeverityName } from './diagnostics.js';
import type { DecodedField, Finding, Stage, ValueDecode } from './engine.js';
import { hex } from './engine.js';

export function plural(n: number, singular: string, pluralForm = `${singular}s`): string {
    return `${n} ${n === 1 ? singular : pluralForm}`;
}

/** Rows of cells as columns separated by two spaces, each column as wide as its widest cell; no trailing blanks. */
export function alignTable(rows: readonly (readonly string[])[], indent = ''): string[] {
    const widths: number[] = [];
    for (const row of rows) row.forEach((cell, i) => (widths[i] = Math.max(widths[i] ?? 0, [...cell].length)));
    return rows.map((row) => (indent + row.map((cell, i) => (i === row.length - 1 ? cell : cell + ' '.repeat(widths[i] - [...cell].length))).join('  ')).trimEnd());
}

/** Marks a field the engine flagged as the cause of a fault or warning. */
const FLAG = '  <-- flagged';

/** A decode's fields as a `bits  name  value  meaning` table (with that header row). */
export function fieldTable(fields: readonly DecodedField[], indent = ''): string[] {
    const rows = [['bits', 'name', 'value', 'meaning'], ...fields.map((f) => [f.bits, f.name, f.text, f.meaning + (f.flagged ? FLAG : '')])];
    return alignTable(rows, indent);
}

/**
 * A decode as printed by `route` and `decode`:
 *
 *     MSI address 0xfee0_0010: remappable format, handle 0x0 → IRTE 0x0
 *       context: device nic (00:03.0); behind dmar0 (…); profile spec
 *       bits   name          value  meaning
 *       31:20  base          0xfee  interrupt window
 *       …
 *       bus bytes: 10 00 e0 fe
 *       note: IRTE 0: present, vector 0x41 → dest 0x1 (CPU 1)
 */
export function formatDecode(d: ValueDecode, indent = '', valueText?: string): string[] {
    const inner = indent + '  ';
    const out = [`${indent}${d.title}${valueText ? ` ${valueText}` : ''}: ${d.summary}`];
    if (d.context.length > 0) out.push(`${inner}context: ${d.context.join('; ')}`);
    out.push(...fieldTable(d.fields, inner));
    if (d.busBytes && d.busBytes.length > 0) out.push(`${inner}bus bytes: ${d.busBytes.join(' ')}`);
    for (const n of d.notes) out.push(`${inner}note: ${n}`);
    return out;
}

/**
 * One stage of a route trace:
 *
 *     Stage 3: VT-d interrupt remapping (dmar0)
 *       element: irte:q35:dmar0:0 at q35.irq:12:5
 *       summary: IRTE 0: present, remapped, vector 0x41 → physical dest 0x1 (requester 00:03.0)
 *       <decodes>
 */
export function formatStage(stage: Stage, n: number, location?: string): string[] {
    const out = [`Stage ${n}: ${stage.title}`];
    if (stage.element) {
        const id = stage.element.property ? `${stage.element.id} (${stage.element.property})` : stage.element.id;
        out.push(`  element: ${id}${location ? ` at ${location}` : ''}`);
    }
    out.push(`  summary: ${stage.summary}`);
    for (const d of stage.decodes) out.push(...formatDecode(d, '  '));
    return out;
}

/** An engine finding as a compiler line: `file:line:col: severity code: message` (no prefix when unplaced). */
export function formatFinding(f: Finding, at?: string): string {
    return `${at ? `${at}: ` : ''}${f.severity} ${f.code}: ${f.message}`;
}

/** `file:line:col` with 1-based line and column. */
export function location(file: string, line0: number, character0: number): string {
    return `${file}:${line0 + 1}:${character0 + 1}`;
}

/** JSON.stringify that writes bigints as `0x`-prefixed lowercase hex (64-bit values never become numbers). */
export function toJson(value: unknown): string {
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? hex(v) : v), 2);
}

/** `file:line:col: severity code: message`, then `  related: file:line:col: message` lines. */
export function formatDiagnostic(file: string, d: CliDiagnostic): string[] {
    const out = [`${location(file, d.line - 1, d.column - 1)}: ${d.severity} ${d.code}: ${d.message}`];
    for (const r of d.related) out.push(`  related: ${location(r.file, r.line - 1, r.column - 1)}: ${r.message}`);
    return out;
}

/** `2 files: 3 errors, 1 warning` (info and hint counts only when there are any). */
export function summaryLine(files: readonly CheckedFile[]): string {
    const count = (s: SeverityName) => files.reduce((n, f) => n + f.diagnostics.filter((d) => d.severity === s).length, 0);
    const parts = [plural(count('error'), 'error'), plural(count('warning'), 'warning')];
    const infos = count('info');
    const hints = count('hint');
    if (infos > 0) parts.push(`${infos} info`);
    if (hints > 0) parts.push(plural(hints, 'hint'));
    return `${plural(files.length, 'file')}: ${parts.join(', ')}`;
}
