/**
 * `irq-topology route FILE DEVICE.VECTOR [--machine NAME]`, or `route FILE signal NAME`: the engine's route
 * trace of one interrupt source (a device vector, or a KVM_SIGNAL_MSI injection), stage by stage (title, element and where it is defined, summary, every decode as a field
 * table), then the outcome and the findings along the way.
 *
 * The trace is the one the document analysis computed (the same the language server shows); the command
 * only picks the source and prints.
 */
import type { MachineAnalysis } from '../../language/index.js';
import { toCliDiagnostics } from './diagnostics.js';
import { CliError, EXIT_OK, EXIT_PROBLEMS } from './errors.js';
import { listSignals, listSources, route, sourceName, summarizeOutcome, type ElementRef, type Profile, type RouteTrace, type SourceKind, type SourceRef } from './engine.js';
import { formatFinding, formatStage, location, plural, toJson } from './format.js';
import { FileLoader } from './load.js';
import { parseUnsigned } from './numbers.js';
import type { Output } from './output.js';

export interface RouteOptions {
    profile: Profile;
    machine?: string;
    json?: boolean;
}

/** A device vector, or a KVM_SIGNAL_MSI by name (`signal ipi0`) or by position (`kvm.signal[0]`). */
type SourceSpec =
    | { device: string; kind: Exclude<SourceKind, 'signal'>; index: number }
    | { device?: undefined; signal: string }
    | { device?: undefined; signalIndex: number };

const SOURCE_SPEC = /^([_a-zA-Z][\w-]*)\.(msi|msix|ims)\[\s*([^\]]*?)\s*\]$/;
const SIGNAL_NAME = /^signal\s+(\S+)$/;
const SIGNAL_INDEX = /^kvm\.signal\[\s*([^\]]*?)\s*\]$/;
const EXAMPLES = 'e.g. nic.msix[0], nvme.msi[1], gpu.ims[0], signal ipi0';
const MAX_LISTED = 64;

export function parseSourceSpec(text: string): SourceSpec {
    const trimmed = text.trim();
    const named = SIGNAL_NAME.exec(trimmed);
    if (named) {
        const byIndex = SIGNAL_INDEX.exec(named[1]);
        return byIndex ? { signalIndex: Number(parseUnsigned(byIndex[1], `the index in '${text}'`, 32)) } : { signal: named[1] };
    }
    const positional = SIGNAL_INDEX.exec(trimmed);
    if (positional) return { signalIndex: Number(parseUnsigned(positional[1], `the index in '${text}'`, 32)) };
    const m = SOURCE_SPEC.exec(trimmed);
    if (!m) throw new CliError(`'${text}' is not an interrupt source: write DEVICE.msi[N], DEVICE.msix[N], DEVICE.ims[N] or signal NAME (${EXAMPLES})`);
    const index = Number(parseUnsigned(m[3], `the index in '${text}'`, 32));
    return { device: m[1], kind: m[2] as Exclude<SourceKind, 'signal'>, index };
}

/** The name a trace gives a KVM_SIGNAL_MSI: its own, else `kvm.signal[i]` (as the engine names it). */
function signalNameAt(machine: MachineAnalysis, i: number): string {
    return machine.model.kvm.signals?.[i]?.name ?? `kvm.signal[${i}]`;
}

function sourceNames(machine: MachineAnalysis): string[] {
    const byId = new Map(machine.model.devices.map((d) => [d.id, d]));
    const vectors = listSources(machine.model).map((s) => sourceName(byId.get(s.device)!, s));
    const signals = listSignals(machine.model).map((s) => `signal ${signalNameAt(machine, s.index)}`);
    return [...vectors, ...signals];
}

function listing(names: readonly string[]): string {
    if (names.length === 0) return 'none (no device has MSI, MSI-X or IMS entries, and no KVM_SIGNAL_MSI is declared)';
    const shown = names.slice(0, MAX_LISTED).join(', ');
    return names.length > MAX_LISTED ? `${shown}, … (${names.length - MAX_LISTED} more)` : shown;
}

function pickMachine(machines: readonly MachineAnalysis[], file: string, spec: SourceSpec, wanted: string | undefined): MachineAnalysis {
    const names = machines.map((m) => m.model.name);
    if (machines.length === 0) throw new CliError(`'${file}' declares no machine`);
    if (wanted !== undefined) {
        const m = machines.find((x) => x.model.name === wanted);
        if (!m) throw new CliError(`'${file}' has no machine '${wanted}'; machines: ${names.join(', ')}`);
        return m;
    }
    if (machines.length === 1) return machines[0];
    const holders = machines.filter((m) => (spec.device !== undefined
        ? m.model.devices.some((d) => d.name === spec.device)
        : 'signal' in spec ? (m.model.kvm.signals ?? []).some((_, i) => signalNameAt(m, i) === spec.signal)
        : spec.signalIndex < (m.model.kvm.signals ?? []).length));
    if (holders.length === 1) return holders[0];
    if (holders.length === 0) {
        const all = machines.map((m) => `machine ${m.model.name}: ${listing(sourceNames(m))}`).join('; ');
        const what = spec.device !== undefined ? `a device '${spec.device}'` : 'signal' in spec ? `a KVM_SIGNAL_MSI '${spec.signal}'` : `a KVM_SIGNAL_MSI at position ${spec.signalIndex}`;
        throw new CliError(`no machine in '${file}' has ${what}; available sources: ${all}`);
    }
    throw new CliError(`'${file}' declares several machines (${names.join(', ')}); choose one with --machine NAME`);
}

function findSource(machine: MachineAnalysis, spec: SourceSpec, text: string): SourceRef {
    if (spec.device === undefined) {
        const signals = listSignals(machine.model);
        const found = 'signal' in spec ? signals.find((s) => signalNameAt(machine, s.index) === spec.signal) : signals[spec.signalIndex];
        if (!found) {
            const why = 'signal' in spec ? `no KVM_SIGNAL_MSI '${spec.signal}'` : `no KVM_SIGNAL_MSI at position ${spec.signalIndex}`;
            throw new CliError(`machine ${machine.model.name} has ${why} (from '${text}'); available sources: ${listing(sourceNames(machine))}`);
        }
        return found;
    }
    const device = machine.model.devices.find((d) => d.name === spec.device);
    const found = device && listSources(machine.model).find((s) => s.device === device.id && s.kind === spec.kind && s.index === spec.index);
    if (!found) {
        const why = device ? `no source ${spec.device}.${spec.kind}[${spec.index}]` : `no device '${spec.device}'`;
        throw new CliError(`machine ${machine.model.name} has ${why} (from '${text}'); available sources: ${listing(sourceNames(machine))}`);
    }
    return found;
}

function sameSource(a: SourceRef, b: SourceRef): boolean {
    return a.device === b.device && a.kind === b.kind && a.index === b.index;
}

/** The analysis's cached trace of the source when it has one, else a fresh route (same engine call). */
function traceOf(machine: MachineAnalysis, source: SourceRef, profile: Profile): RouteTrace {
    return machine.report.traces.find((t) => sameSource(t.source, source)) ?? route(machine.model, source, { profile });
}

export async function routeCommand(file: string, sourceText: string, options: RouteOptions, out: Output): Promise<number> {
    const spec = parseSourceSpec(sourceText);
    const loader = new FileLoader(options.profile);
    const [{ text }] = await loader.readAll([file]);
    const loaded = await loader.load(file, text);
    const machine = pickMachine(loaded.analysis.machines, file, spec, options.machine);
    const source = findSource(machine, spec, sourceText);
    const trace = traceOf(machine, source, options.profile);

    // Routing findings are the trace's business; what makes a trace incomplete is text that did not parse or link.
    const broken = toCliDiagnostics(loaded).filter((d) => d.severity === 'error' && (d.code === 'syntax' || d.code === 'linking')).length;
    if (broken > 0) {
        out.stderr(`irq-topology: warning: '${file}' has ${plural(broken, 'syntax or linking error')}; the trace follows what could be read (see \`irq-topology check ${file}\`)`);
    }

    const where = (ref: ElementRef | undefined) => {
        const range = ref ? machine.rangeOf(ref) : undefined;
        return range ? { file, line: range.start.line + 1, column: range.start.character + 1 } : undefined;
    };
    const whereText = (ref: ElementRef | undefined) => {
        const w = where(ref);
        return w ? location(w.file, w.line - 1, w.column - 1) : undefined;
    };

    if (options.json) {
        out.stdout(
            toJson({
                file,
                machine: machine.model.name,
                profile: options.profile,
                source: trace.sourceName,
                stages: trace.stages.map((s) => ({
                    kind: s.kind,
                    title: s.title,
                    element: s.element ? { ...s.element, location: where(s.element) } : undefined,
                    summary: s.summary,
                    decodes: s.decodes,
                })),
                outcome: trace.outcome,
                summary: summarizeOutcome(trace),
                findings: trace.findings.map((f) => ({ ...f, location: where(f.element) })),
            }),
        );
    } else {
        out.stdout(`Route of ${trace.sourceName} in machine ${machine.model.name} (profile ${options.profile})`);
        trace.stages.forEach((s, i) => {
            out.stdout('');
            for (const line of formatStage(s, i + 1, whereText(s.element))) out.stdout(line);
        });
        out.stdout('');
        out.stdout(`Outcome: ${summarizeOutcome(trace)}`);
        if (trace.findings.length > 0) {
            out.stdout('Findings:');
            for (const f of trace.findings) out.stdout(`  ${formatFinding(f, whereText(f.element))}`);
        }
    }
    // Problems found: the route faults, or the engine reports an error on the way (an unreachable
    // destination or an illegal vector can still end in a "delivered" outcome to no CPU or a bad vector).
    const errors = trace.findings.some((f) => f.severity === 'error');
    return trace.outcome.kind === 'fault' || errors ? EXIT_PROBLEMS : EXIT_OK;
}
