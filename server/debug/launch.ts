/**
 * From a launch configuration to something to simulate: reads the `.irq` file with the language's headless
 * loader, finds the scenario (or builds a one-event scenario that fires a single vector), and says exactly
 * what is wrong when it cannot (LaunchError): the debugger shows the message and ends the launch.
 */
import { existsSync, statSync } from 'node:fs';
import { resolve } from 'node:path';
import type { Range } from 'vscode-languageserver-types';
import type { ElementId, Profile } from '../../language/engine/model.js';
import type { Scenario, VectorSource } from '../../language/engine/sim/scenario.js';
import type { ElementRef } from '../../language/engine/trace.js';
import { createIrqHeadless, lowerScenario, type LoweredMachine } from '../../language/index.js';
import type { IrqFile } from '../../language/generated/ast.js';

/** The attributes of an `irq` launch configuration (package.json contributes.debuggers). */
export interface IrqLaunchArguments {
    /** The `.irq` file. */
    program?: string;
    /** A scenario of the file. */
    scenario?: string;
    /** A single vector to fire instead of a scenario: `nic.msix[3]`, `nvme.msi[0]`, `gpu.ims[1]`. */
    vector?: string;
    /** The machine that has the vector, when several do. */
    machine?: string;
    /** `spec` (default) or `qemu`. */
    profile?: string;
    stopOnEntry?: boolean;
}

export class LaunchError extends Error {}

/** What the runtime simulates, with the maps back to the file. */
export interface LoadedProgram {
    /** Absolute path of the `.irq` file. */
    file: string;
    profile: Profile;
    /** 'scenario affinity-change' or 'fire nic.msix[3]'. */
    title: string;
    machine: LoweredMachine;
    scenario: Scenario;
    /** Where an event or a machine element is written (0-based lines). */
    rangeOf(ref: ElementRef): Range | undefined;
    /** The line of each event (0-based), in model order. */
    eventLines: number[];
    /** Problems that do not stop the launch (errors in the file outside what is simulated). */
    warnings: string[];
}

const VECTOR_RE = /^\s*([A-Za-z_][\w-]*)\s*\.\s*(msi|msix|ims)\s*\[\s*(0[xX][0-9a-fA-F_]+|[0-9][0-9_]*)\s*\]\s*$/;

export async function loadProgram(args: IrqLaunchArguments): Promise<LoadedProgram> {
    if (!args.program || typeof args.program !== 'string') {
        throw new LaunchError('The launch configuration has no `program`: set it to the .irq file to simulate (for example "${file}").');
    }
    const profile = args.profile ?? 'spec';
    if (profile !== 'spec' && profile !== 'qemu') throw new LaunchError(`\`profile\` must be "spec" or "qemu", not "${profile}".`);
    if (args.scenario !== undefined && args.vector !== undefined) {
        throw new LaunchError('Give either `scenario` (a scenario of the file) or `vector` (one vector to fire), not both.');
    }
    const file = resolve(args.program);
    if (!existsSync(file)) throw new LaunchError(`Cannot simulate ${args.program}: there is no such file.`);
    if (!statSync(file).isFile()) throw new LaunchError(`Cannot simulate ${args.program}: it is not a file.`);
    if (!file.endsWith('.irq')) throw new LaunchError(`Cannot simulate ${args.program}: the program must be an .irq file.`);

    const headless = createIrqHeadless({ profile });
    const loaded = await headless.loadFile(file, { profile });
    const root = loaded.document.parseResult.value as IrqFile;
    const warnings: string[] = [];
    const errors = loaded.diagnostics.filter((d) => d.severity === 1);
    if (loaded.hasSyntaxErrors) {
        const first = errors[0];
        throw new LaunchError(`${args.program} has syntax errors${first ? ` (line ${first.range.start.line + 1}: ${first.message})` : ''}; fix them before simulating.`);
    }
    for (const d of errors) warnings.push(`${args.program}:${d.range.start.line + 1}: ${d.message}`);
    const machines = loaded.analysis.machines;

    if (args.vector !== undefined) return singleVector(args, file, profile, machines, warnings);

    const scenarios = root.scenarios ?? [];
    let node = args.scenario !== undefined ? scenarios.find((s) => s.name === args.scenario) : undefined;
    if (args.scenario !== undefined && !node) {
        throw new LaunchError(
            scenarios.length
                ? `There is no scenario '${args.scenario}' in ${args.program}; its scenarios are: ${scenarios.map((s) => s.name).join(', ')}.`
                : `There is no scenario '${args.scenario}' in ${args.program}: the file has no scenario. Set \`vector\` to fire one vector instead (for example ${exampleVector(machines)}).`,
        );
    }
    if (!node) {
        if (scenarios.length === 1) node = scenarios[0];
        else if (scenarios.length === 0) {
            throw new LaunchError(`${args.program} has no scenario: set \`vector\` in the launch configuration to fire one vector (for example ${exampleVector(machines)}), or add a scenario.`);
        } else {
            throw new LaunchError(`${args.program} has ${scenarios.length} scenarios (${scenarios.map((s) => s.name).join(', ')}): set \`scenario\` to the one to simulate.`);
        }
    }
    const target = node.machine?.ref;
    if (!target) throw new LaunchError(`Scenario ${node.name} runs on machine '${node.machine?.$refText ?? ''}', which does not exist.`);
    const lowered = lowerScenario(node, machines);
    if (!lowered) throw new LaunchError(`Scenario ${node.name} runs on machine ${target.name}, which is not declared in ${args.program}; the debugger simulates one file.`);
    for (const p of lowered.problems) warnings.push(`${args.program}:${(p.node.$cstNode?.range.start.line ?? 0) + 1}: ${p.message}`);
    if (lowered.model.events.length === 0) throw new LaunchError(`Scenario ${node.name} has no event to simulate.`);
    const eventLines = lowered.model.events.map((e) => lowered.rangeOf({ id: e.id })?.start.line ?? 0);
    return { file, profile, title: `scenario ${node.name}`, machine: lowered.machine, scenario: lowered.model, rangeOf: lowered.rangeOf, eventLines, warnings };
}

function exampleVector(machines: readonly LoweredMachine[]): string {
    for (const m of machines) {
        for (const d of m.model.devices) {
            if (d.msix?.entries.length) return `${d.name}.msix[${d.msix.entries[0].index}]`;
            if (d.msi) return `${d.name}.msi[0]`;
            if (d.ims?.entries.length) return `${d.name}.ims[${d.ims.entries[0].index}]`;
        }
    }
    return 'nic.msix[0]';
}

/** A scenario of one event: fire the vector. */
function singleVector(args: IrqLaunchArguments, file: string, profile: Profile, machines: readonly LoweredMachine[], warnings: string[]): LoadedProgram {
    const text = String(args.vector);
    const m = VECTOR_RE.exec(text);
    if (!m) throw new LaunchError(`\`vector\` must name one vector as DEVICE.msi[N], DEVICE.msix[N] or DEVICE.ims[N] (for example ${exampleVector(machines)}), not '${text}'.`);
    const [, deviceName, kind, indexText] = m;
    const index = Number(BigInt(indexText.replace(/_/g, '')));
    let candidates = machines.filter((l) => l.model.devices.some((d) => d.name === deviceName));
    if (args.machine !== undefined) {
        const named = machines.find((l) => l.model.name === args.machine);
        if (!named) throw new LaunchError(`There is no machine '${args.machine}' in ${args.program}; its machines are: ${machines.map((l) => l.model.name).join(', ') || 'none'}.`);
        candidates = candidates.filter((l) => l === named);
        if (candidates.length === 0) throw new LaunchError(`Machine ${args.machine} has no device '${deviceName}'.`);
    }
    if (candidates.length === 0) {
        throw new LaunchError(`There is no device '${deviceName}' in ${args.program}${machines.length ? ` (machine${machines.length > 1 ? 's' : ''} ${machines.map((l) => l.model.name).join(', ')})` : ''}.`);
    }
    if (candidates.length > 1) {
        throw new LaunchError(`Device '${deviceName}' is in machines ${candidates.map((l) => l.model.name).join(' and ')}: set \`machine\` to the one to simulate.`);
    }
    const lowered = candidates[0];
    const device = lowered.model.devices.find((d) => d.name === deviceName)!;
    const source: VectorSource = { device: device.id, kind: kind as VectorSource['kind'], index };
    let element: ElementId | undefined;
    if (kind === 'msi') {
        if (!device.msi) throw new LaunchError(`${deviceName} has no MSI capability.`);
        const count = 2 ** Math.min(Math.max(device.msi.mme, 0), 5);
        if (index >= count) throw new LaunchError(`${deviceName} has no MSI vector ${index}: its MSI capability has ${count} vector${count === 1 ? '' : 's'}.`);
        element = device.msi.id;
    } else {
        const store = kind === 'msix' ? device.msix : device.ims;
        const what = kind === 'msix' ? 'MSI-X' : 'IMS';
        if (!store) throw new LaunchError(`${deviceName} has no ${kind === 'msix' ? 'MSI-X table' : 'IMS store'}.`);
        const size = kind === 'msix' ? device.msix!.tableSize : device.ims!.size;
        // An entry the file does not list still exists below the table size (reset value, or programmed by
        // firmware on pseries): its line is the table's.
        element = store.entries.find((e) => e.index === index)?.id ?? (index < size ? store.id : undefined);
        if (!element) throw new LaunchError(`${deviceName} has no ${what} entry ${index}: its ${kind === 'msix' ? 'table' : 'store'} has ${size} entr${size === 1 ? 'y' : 'ies'}${store.entries.length ? `; the file lists ${store.entries.map((e) => e.index).join(', ')}` : ''}.`);
    }
    const eventId = `event:fire:0`;
    const scenario: Scenario = { id: 'scenario:fire', name: `fire ${deviceName}.${kind}[${index}]`, machine: lowered.model.id, events: [{ id: eventId, kind: 'fire', source }] };
    const vectorElement = element;
    const rangeOf = (ref: ElementRef): Range | undefined => lowered.rangeOf(ref.id === eventId ? { id: vectorElement } : ref);
    return { file, profile, title: scenario.name, machine: lowered, scenario, rangeOf, eventLines: [rangeOf({ id: eventId })?.start.line ?? 0], warnings };
}
