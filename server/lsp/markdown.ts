/**
 * Markdown renderings of the engine's results, shared by hover and inlay-hint tooltips.
 *
 * Pure formatting: every name, bit range, meaning, summary and message comes from the engine's ValueDecode
 * or RouteTrace (or its one-line summaries); this file only lays them out as markdown.
 */
import { summarizeOutcome, type DecodedField, type Finding, type RouteTrace, type ValueDecode } from '../../language/engine/index.js';

/** Markdown table cells must not contain a bare `|` or a line break. */
export function cell(text: string): string {
    return text.replace(/\\/g, '\\\\').replace(/\|/g, '\\|').replace(/\r?\n/g, ' ');
}

/** Inline code that survives backticks in the text. */
export function code(text: string): string {
    return text.includes('`') ? `\`\` ${text} \`\`` : `\`${text}\``;
}

/** Lines that must each stay on a line of their own (markdown joins adjacent lines otherwise). */
export function lines(items: readonly string[]): string {
    return items.join('  \n');
}

function fieldRow(f: DecodedField): string {
    const cells = [f.bits, f.name, f.text, f.meaning].map(cell);
    // A flagged field caused the fault or warning: the whole row in bold so it stands out in the table.
    const shown = f.flagged ? cells.map(c => (c === '' ? c : `**${c}**`)) : cells;
    return `| ${shown.join(' | ')} |`;
}

/** `| bits | field | value | meaning |` with one row per decoded field, most significant first as the engine lists them. */
export function fieldTable(fields: readonly DecodedField[]): string {
    if (fields.length === 0) return '';
    return ['| bits | field | value | meaning |', '|---|---|---|---|', ...fields.map(fieldRow)].join('\n');
}

export interface DecodeHeading {
    /** What the value is, in the words of the file: `nic.msix[1]`, `irte 3 of dmar0`, `kvm route gsi 24`. */
    owner?: string;
    /** The literal as written. */
    literal?: string;
    /** Blocks shown between the context and the field table (an IRTE's encoded value). */
    preamble?: string[];
}

/**
 * A value decode: title line, context lines, the field table, the summary, the bus bytes and the notes, in
 * that order, separated by blank lines.
 */
export function renderDecode(decode: ValueDecode, heading: DecodeHeading = {}): string {
    const title = [`**${decode.title}**`];
    if (heading.literal) title.push(code(heading.literal));
    if (heading.owner) title.push(`— ${heading.owner}`);
    const blocks: string[] = [title.join(' ')];
    if (decode.context.length > 0) blocks.push(lines(decode.context.map(c => `_${c}_`)));
    if (heading.preamble) blocks.push(...heading.preamble);
    const table = fieldTable(decode.fields);
    if (table) blocks.push(table);
    if (decode.summary) blocks.push(decode.summary);
    if (decode.busBytes && decode.busBytes.length > 0) {
        blocks.push(`On the bus (little-endian, lowest address first): ${code(decode.busBytes.join(' '))}`);
    }
    if (decode.notes.length > 0) blocks.push(decode.notes.map(n => `- ${n}`).join('\n'));
    return blocks.join('\n\n');
}

const SEVERITY_MARK: Record<Finding['severity'], string> = { error: '✗', warning: '⚠', info: 'ℹ', hint: '·' };

/** One trace, stage by stage: what the inlay hint's tooltip and the hover on a vector show. */
export function renderTrace(trace: RouteTrace, options: { profile?: string } = {}): string {
    const blocks: string[] = [`**${trace.sourceName}** ${code(summarizeOutcome(trace))}`];
    if (options.profile) blocks.push(`_profile ${options.profile}_`);
    const o = trace.outcome;
    if (o.kind === 'pending' && o.whenUnmasked) {
        // The stages stop at the device; where the message goes once unmasked is the engine's second outcome.
        blocks.push(`Once unmasked: ${code(summarizeOutcome({ ...trace, outcome: o.whenUnmasked }))}`);
    }
    if (trace.stages.length > 0) {
        blocks.push(trace.stages.map((s, i) => `${i + 1}. **${s.title}** — ${s.summary}`).join('\n'));
    }
    if (trace.findings.length > 0) blocks.push(renderFindings(trace.findings));
    return blocks.join('\n\n');
}

/** Findings as a list: severity mark, code, message. */
export function renderFindings(findings: readonly Finding[]): string {
    return findings.map(f => `- ${SEVERITY_MARK[f.severity] ?? ''} ${code(f.code)} ${f.message}`).join('\n');
}

/** Several traces of one element (the vectors of an MSI capability), separated by rules. */
export function renderTraces(traces: readonly RouteTrace[], options: { profile?: string } = {}): string {
    return traces.map(t => renderTrace(t, options)).join('\n\n---\n\n');
}
