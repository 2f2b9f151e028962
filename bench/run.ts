/**
 * The benchmark (`npm run bench`, which builds first): prints figures, asserts nothing. Each figure has its
 * target beside it and PASS / MISS, so a regression shows up in the table rather than as a flaky test.
 *
 * 1. Document build of generated topologies (bench/generate.ts) of ~100k and ~10k lines:
 *    parse only (the parser service on the text), linking (index, scopes, references), validation (every
 *    category, including the engine's whole-machine routing check) and the full build; full / parse ≤ 3×.
 * 2. Editor latency on the ~10k-line file through the real LSP providers (server/irq-lsp-module.ts):
 *    hover on random value literals (median ≤ 10 ms, and p95), inlay hints for the whole file.
 * 3. Engine throughput: VT-d remapping with the plain remap function over a table, and full route()
 *    through a machine; ≥ 2,000,000 routes/s.
 *
 * Every measured run uses fresh services and a fresh document (no cache carried over); a warm-up run
 * comes first so the figures are about steady-state code, not the JIT's first pass.
 */
import { cpus, loadavg } from 'node:os';
import { readFileSync } from 'node:fs';
import { DocumentState, EmptyFileSystem, URI, type LangiumDocument } from 'langium';
import type { Position } from 'vscode-languageserver-types';
import { createIrqServices } from '../language/index.js';
import type { IrqFile } from '../language/generated/ast.js';
import {
    encodeIrte,
    irteWords,
    listSources,
    NO_SID,
    prepareVtdUnit,
    route,
    vtdRemap,
    type IrteWords,
    type Machine,
    type RemapRequest,
} from '../language/engine/index.js';
import { createIrqLspServices } from '../server/irq-lsp-module.js';
import { generatedPath, writeTopology } from './generate.js';

// ---------------------------------------------------------------------------------------------------------
// Statistics and the result table

function median(xs: readonly number[]): number {
    const s = [...xs].sort((a, b) => a - b);
    const m = s.length >> 1;
    return s.length % 2 ? s[m] : (s[m - 1] + s[m]) / 2;
}

function percentile(xs: readonly number[], p: number): number {
    const s = [...xs].sort((a, b) => a - b);
    return s[Math.min(s.length - 1, Math.ceil((p / 100) * s.length) - 1)];
}

interface Row {
    what: string;
    value: string;
    target: string;
    result: '' | 'PASS' | 'MISS';
}

const rows: Row[] = [];

function report(what: string, value: string, target = '', pass?: boolean): void {
    rows.push({ what, value, target, result: pass === undefined ? '' : pass ? 'PASS' : 'MISS' });
    // Progress as it comes: the whole run takes a minute or two.
    console.error(`  ${what}: ${value}${target ? `  (target ${target}: ${pass ? 'PASS' : 'MISS'})` : ''}`);
}

function printTable(): void {
    const header: Row = { what: 'measurement', value: 'value', target: 'target', result: '' };
    const all = [header, ...rows];
    const w = (k: keyof Row) => Math.max(...all.map((r) => [...r[k]].length));
    const line = (r: Row) => `${r.what.padEnd(w('what'))}  ${r.value.padStart(w('value'))}  ${r.target.padEnd(w('target'))}  ${r.result}`.trimEnd();
    console.log(line(header));
    console.log('-'.repeat(line(header).length + 6));
    for (const r of rows) console.log(line(r));
}

const ms = (x: number) => `${x.toFixed(x < 10 ? 2 : 0)} ms`;
const perSecond = (x: number) => `${Math.round(x).toLocaleString('en-US')}/s`;

// ---------------------------------------------------------------------------------------------------------
// 1. Document build

interface BuildTimes {
    parse: number;
    link: number;
    validation: number;
    full: number;
}

/**
 * Fresh core services with the parser already constructed: Langium creates services lazily, and building
 * the parser (Chevrotain's grammar analysis, ~0.1 s) happens once per process, not per document.
 */
function freshServices(): ReturnType<typeof createIrqServices> {
    const services = createIrqServices();
    services.Irq.parser.LangiumParser.parse('machine warm { }');
    return services;
}

/** Parse only: the parser service on the text, nothing else (no document, no index). */
function timeParse(text: string): number {
    const { Irq } = freshServices();
    const t0 = performance.now();
    const result = Irq.parser.LangiumParser.parse(text);
    const t = performance.now() - t0;
    if (result.lexerErrors.length || result.parserErrors.length) throw new Error('the generated topology does not parse');
    return t;
}

/**
 * A full build on fresh services, timed by phase: parse (the document factory parses), linking (export
 * index, local scopes, reference resolution: from the start of the build to Linked), validation (from
 * IndexedReferences to Validated: Langium's checks, ours, and the engine's routing check of every machine).
 */
async function timeBuild(text: string, n: number): Promise<BuildTimes> {
    const { shared } = freshServices();
    const at = new Map<DocumentState, number>();
    for (const state of [DocumentState.Linked, DocumentState.IndexedReferences, DocumentState.Validated]) {
        shared.workspace.DocumentBuilder.onBuildPhase(state, () => void at.set(state, performance.now()));
    }
    const t0 = performance.now();
    const document = shared.workspace.LangiumDocumentFactory.fromString<IrqFile>(text, URI.parse(`memory:///bench-${n}.irq`));
    const tParsed = performance.now();
    shared.workspace.LangiumDocuments.addDocument(document);
    await shared.workspace.DocumentBuilder.build([document], { validation: { categories: ['built-in', 'fast', 'slow'] } });
    const tEnd = performance.now();
    if ((document.diagnostics ?? []).some((d) => d.severity === 1)) throw new Error('the generated topology has errors');
    return {
        parse: tParsed - t0,
        link: at.get(DocumentState.Linked)! - tParsed,
        validation: at.get(DocumentState.Validated)! - at.get(DocumentState.IndexedReferences)!,
        full: tEnd - t0,
    };
}

async function benchBuild(lines: number, runs: number): Promise<void> {
    const path = generatedPath(lines);
    const text = readFileSync(path, 'utf8');
    const actualLines = text.split('\n').length;
    const label = `${Math.round(actualLines / 1000)}k lines`;
    console.error(`build of ${path} (${actualLines} lines), ${runs} runs after a warm-up:`);
    timeParse(text);
    await timeBuild(text, 0);
    const parse: number[] = [];
    const builds: BuildTimes[] = [];
    for (let i = 0; i < runs; i++) {
        parse.push(timeParse(text));
        builds.push(await timeBuild(text, i + 1));
    }
    const p = median(parse);
    const link = median(builds.map((b) => b.link));
    const validation = median(builds.map((b) => b.validation));
    const full = median(builds.map((b) => b.full));
    report(`parse only (${label})`, ms(p));
    report(`link (${label})`, ms(link));
    report(`validation, all categories (${label})`, ms(validation));
    report(`full build (${label})`, ms(full));
    report(`full build / parse (${label})`, `${(full / p).toFixed(2)}×`, '≤ 3× parse', full <= 3 * p);
}

// ---------------------------------------------------------------------------------------------------------
// 2. Editor latency through the LSP providers

/** Deterministic pseudo-random numbers (mulberry32), so every run hovers the same literals. */
function random(seed: number): () => number {
    let a = seed >>> 0;
    return () => {
        a = (a + 0x6d2b79f5) >>> 0;
        let t = a;
        t = Math.imul(t ^ (t >>> 15), t | 1);
        t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
        return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
    };
}

/** Keywords whose hex literal is an interrupt value a user hovers: MSI address / data, IRTE fields and halves. */
const VALUE_LITERAL = /(?<=\b(?:address|data|vector|descriptor|raw)\s+|\braw\s+0x[0-9a-fA-F_]+\s+)0x[0-9a-fA-F_]+/g;

/** Positions in the middle of value literals (addresses, data words, vectors, raw IRTE halves, descriptors). */
function valueLiteralPositions(text: string): Position[] {
    const out: Position[] = [];
    text.split('\n').forEach((line, i) => {
        const code = line.replace(/\/\/.*$/, '');
        for (const m of code.matchAll(VALUE_LITERAL)) out.push({ line: i, character: m.index! + Math.floor(m[0].length / 2) });
    });
    return out;
}

async function benchEditor(lines: number, hovers: number): Promise<void> {
    const path = generatedPath(lines);
    const text = readFileSync(path, 'utf8');
    const label = `${Math.round(text.split('\n').length / 1000)}k-line file`;
    console.error(`editor latency on ${path} through server/irq-lsp-module.ts:`);
    const { shared, Irq } = createIrqLspServices({ ...EmptyFileSystem });
    // No client will send configuration: without this the build waits for one forever.
    void shared.workspace.ConfigurationProvider.initialized({});
    const uri = URI.parse('memory:///bench-editor.irq');
    const document: LangiumDocument = shared.workspace.LangiumDocumentFactory.fromString(text, uri);
    shared.workspace.LangiumDocuments.addDocument(document);
    await shared.workspace.DocumentBuilder.build([document], { validation: true });
    const hover = Irq.lsp.HoverProvider!;
    const inlay = Irq.lsp.InlayHintProvider!;
    const textDocument = { uri: uri.toString() };

    const literals = valueLiteralPositions(text);
    const next = random(42);
    const pick = () => literals[Math.floor(next() * literals.length)];
    for (let i = 0; i < 20; i++) await hover.getHoverContent(document, { textDocument, position: pick() });
    const times: number[] = [];
    let answered = 0;
    for (let i = 0; i < hovers; i++) {
        const position = pick();
        const t0 = performance.now();
        const h = await hover.getHoverContent(document, { textDocument, position });
        times.push(performance.now() - t0);
        if (h) answered++;
    }
    report(`hover median (${hovers} value literals, ${label})`, ms(median(times)), '≤ 10 ms median', median(times) <= 10);
    report(`hover p95 (${label})`, ms(percentile(times, 95)));
    if (answered < hovers) report('hovers without content', `${hovers - answered} of ${hovers}`);

    const range = { start: { line: 0, character: 0 }, end: document.textDocument.positionAt(text.length) };
    await inlay.getInlayHints(document, { textDocument, range });
    const inlayTimes: number[] = [];
    let count = 0;
    for (let i = 0; i < 10; i++) {
        const t0 = performance.now();
        const hints = await inlay.getInlayHints(document, { textDocument, range });
        inlayTimes.push(performance.now() - t0);
        count = hints?.length ?? 0;
    }
    report(`inlay hints, whole ${label} (${count} hints)`, ms(median(inlayTimes)));
}

// ---------------------------------------------------------------------------------------------------------
// 3. Engine throughput

const ROUTES_TARGET = 2_000_000;

/** Calls `step(i)` for about `seconds`, checking the clock every 64k calls; returns calls per second. */
function throughput(seconds: number, step: (i: number) => number): { rate: number; sink: number } {
    let sink = 0;
    let i = 0;
    const t0 = performance.now();
    const until = t0 + seconds * 1000;
    let now = t0;
    while (now < until) {
        for (let k = 0; k < 65536; k++, i++) sink += step(i);
        now = performance.now();
    }
    return { rate: (i / (now - t0)) * 1000, sink };
}

function benchRemap(): void {
    console.error('engine throughput:');
    // A remapping unit in extended interrupt mode with a full table of 4096 present entries, each admitting
    // its own requester; requests are remappable-format messages for every handle.
    const entries = 4096;
    const unit = prepareVtdUnit({ enabled: true, eime: true, cfis: false, irtaS: 11, postedSupported: false });
    const table: IrteWords[] = [];
    const requests: RemapRequest[] = [];
    for (let h = 0; h < entries; h++) {
        const sid = ((h >> 5) << 8) | ((h & 31) << 3);
        const { lo, hi } = encodeIrte({ vector: 0x30 + (h % 0xc0), dest: h % 288, sid }, { eim: true });
        table.push(irteWords(lo, hi));
        const addrLo = (0xfee0_0000 | ((h & 0x7fff) << 5) | 0x10) >>> 0;
        requests.push({ addrLo, addrHi: 0, data: 0, sid: h % 8 === 7 ? NO_SID : sid, ioapic: false });
    }
    const read = (i: number) => table[i];
    const remap = (i: number) => vtdRemap(requests[i & (entries - 1)], unit, read, 'spec').vector;
    throughput(0.3, remap);
    const plain = throughput(1.5, remap);
    report(`VT-d remap, plain function over a ${entries}-entry table`, perSecond(plain.rate), '≥ 2,000,000/s', plain.rate >= ROUTES_TARGET);
}

async function benchRoute(lines: number): Promise<void> {
    const { shared, Irq } = createIrqServices();
    const text = readFileSync(generatedPath(lines), 'utf8');
    const document = shared.workspace.LangiumDocumentFactory.fromString<IrqFile>(text, URI.parse('memory:///bench-route.irq'));
    shared.workspace.LangiumDocuments.addDocument(document);
    await shared.workspace.DocumentBuilder.build([document], { validation: false });
    const machine: Machine = Irq.analysis.DocumentAnalyzer.lower(document)[0].model;
    const sources = listSources(machine);
    const step = (i: number) => {
        const o = route(machine, sources[i % sources.length], { profile: 'spec' }).outcome;
        return o.kind === 'delivered' || o.kind === 'posted' ? o.vector : 0;
    };
    throughput(0.3, step);
    const full = throughput(1.5, step);
    report(`route() through a machine (${sources.length} sources, VT-d)`, perSecond(full.rate), '≥ 2,000,000/s', full.rate >= ROUTES_TARGET);
}

// ---------------------------------------------------------------------------------------------------------

async function main(): Promise<void> {
    // Regenerated every run (it takes a fraction of a second), so the files always match the generator.
    for (const n of [10_000, 100_000]) writeTopology(n);
    const cpu = cpus();
    console.log(`IRQ Topology benchmark · node ${process.version} · ${cpu[0]?.model ?? 'unknown CPU'} · ${cpu.length} cores`);
    // Other work on the machine inflates every figure; the load average says how much to trust them.
    const load = () => loadavg().map((x) => x.toFixed(2)).join(' ');
    console.log(`load average at start: ${load()}`);
    console.log('hover and inlay hints: the real LSP providers (server/irq-lsp-module.ts), called in-process');
    console.log('');
    await benchBuild(100_000, 3);
    await benchBuild(10_000, 5);
    await benchEditor(10_000, 200);
    benchRemap();
    await benchRoute(10_000);
    console.log(`load average at end: ${load()}`);
    console.log('');
    printTable();
}

main().catch((e: unknown) => {
    console.error(e);
    process.exitCode = 1;
});
