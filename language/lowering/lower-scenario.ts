/**
 * Lowering: one `scenario NAME on MACHINE { … }` block → the engine's Scenario (plain data), plus the maps
 * back to the source that the checker and the debugger need (event id ↔ AST node, (element, property) →
 * range for events and for the machine's elements).
 *
 * Every event gets the id `event:SCENARIO:N` (N = its position as written), so an id survives edits to other
 * events' contents. An event that cannot be lowered (an unresolved reference, a literal wider than its
 * field) is left out of the model: the linker or validation already reports it, and simulating a stand-in
 * would only add confusing consequences. Every device and IOMMU name of an event is a reference the
 * linker resolved in the scenario's machine (an unknown one is its error); lowering adds the capability
 * check of `function-mask` / `enable` / `disable` (a device without MSI-X, say), with the linker's code.
 */
import type { AstNode } from 'langium';
import type { Range } from 'vscode-languageserver-types';
import type * as Ast from '../generated/ast.js';
import type { Device, ElementId } from '../engine/model.js';
import type { IrtePatch, Scenario, ScenarioEvent, VectorSource } from '../engine/sim/scenario.js';
import type { ElementRef } from '../engine/trace.js';
import { parseBdf, requesterId } from '../values/bdf.js';
import { busRangeSid } from '../engine-api.js';
import { bitLength } from '../values/number-literal.js';
import type { LoweredMachine, LoweringProblem } from './lower-machine.js';
import { rangeForProperty } from './source-map.js';
import { IrqCodes } from '../validation/diagnostic-codes.js';

/** Code of an unknown device / IOMMU name (the linker's own code, so the CLI prints it as `linking`). */
export const UNKNOWN_NAME = 'linking-error';

/** Widths of the numbers of the events the shared width table (values/field-widths.ts) does not list. */
export const SCENARIO_FIELD_WIDTHS: Record<string, Record<string, { bits: number; label: string }>> = {
    InvalidateEvent: { index: { bits: 16, label: 'An IRTE index' } },
    AffinityEvent: { cpu: { bits: 32, label: 'A CPU index' } },
    EoiEvent: { cpu: { bits: 32, label: 'A CPU index' }, vector: { bits: 8, label: 'A vector' } },
    RouteUpdateEvent: { gsi: { bits: 32, label: 'A GSI' }, address: { bits: 64, label: 'A message address' }, data: { bits: 32, label: 'A message data word' } },
};
/** Widths already checked by the language's width check; the lowering only needs to skip such events. */
const CHECKED_ELSEWHERE: Record<string, Record<string, number>> = {
    WriteEvent: { address: 64, data: 32 },
    UpdateEvent: { vector: 8, dest: 32, descriptor: 64, avail: 4 },
};

export interface LoweredScenario {
    node: Ast.Scenario;
    model: Scenario;
    /** The lowering of the machine the scenario runs on. */
    machine: LoweredMachine;
    /** Event id → event node (also `scenario:NAME` → the scenario node). */
    idToNode: Map<ElementId, AstNode>;
    nodeToId: Map<AstNode, ElementId>;
    /** Where something about an event or a machine element belongs. */
    rangeOf(ref: ElementRef): Range | undefined;
    problems: LoweringProblem[];
}

export const ScenarioIds = {
    scenario: (name: string): ElementId => `scenario:${name}`,
    event: (scenario: string, index: number): ElementId => `event:${scenario}:${index}`,
} as const;

/**
 * Lowers a scenario against the lowering of its machine. Undefined when the scenario's machine is not among
 * `machines` (unresolved, or declared in another document).
 */
export function lowerScenario(node: Ast.Scenario, machines: readonly LoweredMachine[]): LoweredScenario | undefined {
    const target = node.machine?.ref;
    const machine = target && machines.find((m) => m.node === target);
    if (!machine) return undefined;
    return new ScenarioLowering(node, machine).run();
}

const cache = new WeakMap<Ast.Scenario, { machine: LoweredMachine; lowered: LoweredScenario }>();

/** lowerScenario, cached per (scenario node, machine lowering): both change on every reparse. */
export function lowerScenarioCached(node: Ast.Scenario, machines: readonly LoweredMachine[]): LoweredScenario | undefined {
    const target = node.machine?.ref;
    const machine = target && machines.find((m) => m.node === target);
    if (!machine) return undefined;
    const hit = cache.get(node);
    if (hit && hit.machine === machine) return hit.lowered;
    const lowered = new ScenarioLowering(node, machine).run();
    cache.set(node, { machine, lowered });
    return lowered;
}

class ScenarioLowering {
    private readonly name: string;
    private readonly idToNode = new Map<ElementId, AstNode>();
    private readonly nodeToId = new Map<AstNode, ElementId>();
    private readonly problems: LoweringProblem[] = [];

    constructor(private readonly node: Ast.Scenario, private readonly machine: LoweredMachine) {
        this.name = node.name ?? '';
    }

    run(): LoweredScenario {
        const id = ScenarioIds.scenario(this.name);
        this.idToNode.set(id, this.node);
        this.nodeToId.set(this.node, id);
        const events: ScenarioEvent[] = [];
        (this.node.events ?? []).forEach((ev, i) => {
            const eventId = ScenarioIds.event(this.name, i);
            this.idToNode.set(eventId, ev);
            this.nodeToId.set(ev, eventId);
            if (tooWide(ev)) return;
            const lowered = this.lowerEvent(ev, eventId);
            if (lowered) events.push(lowered);
        });
        const idToNode = this.idToNode;
        const machine = this.machine;
        return {
            node: this.node,
            model: { id, name: this.name, machine: machine.model.id, events },
            machine,
            idToNode,
            nodeToId: this.nodeToId,
            problems: this.problems,
            rangeOf(ref: ElementRef): Range | undefined {
                const n = idToNode.get(ref.id);
                return n ? rangeForProperty(n, ref.property) : machine.rangeOf(ref);
            },
        };
    }

    private lowerEvent(ev: Ast.ScenarioEvent, id: ElementId): ScenarioEvent | undefined {
        switch (ev.$type) {
            case 'FireEvent':
            case 'MaskEvent':
            case 'UnmaskEvent': {
                const source = this.source(ev.source);
                if (!source) return undefined;
                return { id, kind: ev.$type === 'FireEvent' ? 'fire' : ev.$type === 'MaskEvent' ? 'mask' : 'unmask', source };
            }
            case 'WriteEvent': {
                const source = this.source(ev.source);
                if (!source) return undefined;
                const out: ScenarioEvent = { id, kind: 'write', source };
                if (ev.address !== undefined) out.address = ev.address;
                if (ev.data !== undefined) out.data = Number(ev.data);
                return out;
            }
            case 'UpdateEvent': {
                const iommu = ev.iommu?.ref;
                const text = ev.irte?.$refText;
                if (!iommu?.name || !ev.irte?.ref || !text || !/^[0-9]+$/.test(text)) return undefined;
                const iommuId = this.machine.nodeToId.get(iommu);
                if (!iommuId) return undefined;
                const contradiction = contradictoryFlag(ev);
                if (contradiction) {
                    this.problems.push({ code: IrqCodes.DuplicateSetting, message: `\`${contradiction.set}\` and \`${contradiction.clear}\` contradict each other: write one of them.`, node: ev, property: contradiction.property });
                    return undefined;
                }
                return { id, kind: 'update-irte', iommu: iommuId, index: Number(text), patch: irtePatchOf(ev), invalidate: ev.invalidate ?? false };
            }
            case 'InvalidateEvent': {
                // An unresolved name is the linker's error already.
                const node = ev.iommu?.ref;
                const iommuId = node && this.machine.nodeToId.get(node);
                const iommu = iommuId ? this.machine.model.iommus.find((m) => m.id === iommuId) : undefined;
                if (!iommu) return undefined;
                const out: ScenarioEvent = { id, kind: 'invalidate-iec', iommu: iommu.id };
                if (ev.index !== undefined) out.index = Number(ev.index);
                return out;
            }
            case 'FunctionMaskEvent': {
                const device = this.device(ev, 'msix');
                return device && ev.state ? { id, kind: 'function-mask', device: device.id, on: ev.state === 'on' } : undefined;
            }
            case 'EnableEvent':
            case 'DisableEvent': {
                const device = this.device(ev, ev.kind);
                return device && ev.kind ? { id, kind: 'enable', device: device.id, capability: ev.kind, on: ev.$type === 'EnableEvent' } : undefined;
            }
            case 'AffinityEvent': {
                const source = this.source(ev.source);
                if (!source || ev.cpu === undefined) return undefined;
                return { id, kind: 'affinity', source, cpu: Number(ev.cpu), unsafe: ev.unsafe ?? false };
            }
            case 'EoiEvent': {
                if (ev.cpu === undefined) return undefined;
                const out: ScenarioEvent = { id, kind: 'eoi', cpu: Number(ev.cpu) };
                if (ev.vector !== undefined) out.vector = Number(ev.vector);
                return out;
            }
            case 'RouteUpdateEvent': {
                if (ev.gsi === undefined) return undefined;
                const out: ScenarioEvent = { id, kind: 'route-update', gsi: Number(ev.gsi) };
                if (ev.address !== undefined) out.address = ev.address;
                if (ev.data !== undefined) out.data = Number(ev.data);
                return out;
            }
            default:
                return undefined;
        }
    }

    /** `nic.msix[0]` → the vector, when the device and the entry resolve in the lowered machine. */
    private source(ref: Ast.VectorRef | undefined): VectorSource | undefined {
        const device = ref?.device?.ref;
        const text = ref?.entry?.$refText;
        if (!ref || !device || !ref.entry?.ref || !ref.kind || !text || !/^[0-9]+$/.test(text)) return undefined;
        const id = this.machine.nodeToId.get(device);
        if (!id || !this.machine.model.devices.some((d) => d.id === id)) return undefined;
        return { device: id, kind: ref.kind, index: Number(text) };
    }

    /** The device the event names (resolved by the linker), with the capability the event needs. */
    private device(ev: Ast.FunctionMaskEvent | Ast.EnableEvent | Ast.DisableEvent, capability: 'msi' | 'msix' | undefined): Device | undefined {
        // An unresolved name is the linker's error already.
        const node = ev.device?.ref;
        const deviceId = node && this.machine.nodeToId.get(node);
        const device = deviceId ? this.machine.model.devices.find((d) => d.id === deviceId) : undefined;
        if (!device) return undefined;
        if (capability && !device[capability]) {
            this.problems.push({ code: UNKNOWN_NAME, message: `${device.name} has no ${capability === 'msi' ? 'MSI' : 'MSI-X'} capability.`, node: ev, property: 'device' });
            return undefined;
        }
        return device;
    }
}

/** True when a number of the event is wider than its field (validation reports it on the literal). */
function tooWide(ev: AstNode): boolean {
    const record = ev as unknown as Record<string, unknown>;
    const widths = { ...(CHECKED_ELSEWHERE[ev.$type] ?? {}) };
    for (const [k, w] of Object.entries(SCENARIO_FIELD_WIDTHS[ev.$type] ?? {})) widths[k] = w.bits;
    return Object.entries(widths).some(([property, bits]) => typeof record[property] === 'bigint' && bitLength(record[property] as bigint) > bits);
}

/** The fields an `update` names, as the engine's patch (numbers already checked against their widths). */
/** The flags an `update` can set and clear: (set property, clear property, how each is written). */
const FLAG_PAIRS = [
    ['notPresent', 'present', 'not-present', 'present'],
    ['posted', 'postedOff', 'posted', 'posted off'],
    ['rh', 'rhOff', 'rh', 'rh off'],
    ['fpd', 'fpdOff', 'fpd', 'fpd off'],
    ['urgent', 'urgentOff', 'urgent', 'urgent off'],
] as const;

/** A flag the event both sets and clears (`rh … rh off`), with the property to put the error on (the clearing one). */
function contradictoryFlag(ev: Ast.UpdateEvent): { set: string; clear: string; property: string } | undefined {
    for (const [on, off, setText, clearText] of FLAG_PAIRS) if (ev[on] && ev[off]) return { set: setText, clear: clearText, property: off };
    return undefined;
}

export function irtePatchOf(ev: Ast.UpdateEvent): IrtePatch {
    const patch: IrtePatch = {};
    if (ev.posted) patch.posted = true;
    if (ev.postedOff) patch.posted = false;
    if (ev.present) patch.present = true;
    if (ev.notPresent) patch.present = false;
    if (ev.rhOff) patch.redirectionHint = false;
    if (ev.fpdOff) patch.fpd = false;
    if (ev.urgentOff) patch.urgent = false;
    if (ev.vector !== undefined) patch.vector = Number(ev.vector & 0xffn);
    if (ev.dest !== undefined) patch.dest = Number(ev.dest & 0xffff_ffffn);
    if (ev.deliveryMode !== undefined) patch.deliveryMode = ev.deliveryMode;
    if (ev.trigger !== undefined) patch.trigger = ev.trigger;
    if (ev.destMode !== undefined) patch.destMode = ev.destMode;
    if (ev.rh) patch.redirectionHint = true;
    if (ev.fpd) patch.fpd = true;
    if (ev.urgent) patch.urgent = true;
    if (ev.descriptor !== undefined) patch.pda = ev.descriptor & 0xffff_ffff_ffff_ffffn;
    if (ev.avail !== undefined) patch.avail = Number(ev.avail & 0xfn);
    const sid = ev.sid;
    if (sid) {
        if (sid.$type === 'SidBdf') {
            const b = sid.bdf ? parseBdf(sid.bdf) : undefined;
            patch.sid = b ? requesterId(b) : 0;
        } else if (sid.$type === 'SidRaw') {
            patch.sid = Number((sid.value ?? 0n) & 0xffffn);
        } else {
            patch.sid = busRangeSid({ start: Number((sid.start ?? 0n) & 0xffn), end: Number((sid.end ?? 0n) & 0xffn) });
            patch.svt = 'bus-range';
        }
    }
    if (ev.sq !== undefined) patch.sq = ev.sq;
    if (ev.svt !== undefined) patch.svt = ev.svt;
    return patch;
}
