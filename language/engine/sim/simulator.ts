/**
 * The scenario simulator: runs a scenario's events in order against a machine, one step per stage, and
 * hands back the machine state after each step. Deterministic: the same scenario on the same machine gives
 * the same steps, so the debugger steps back by re-running an event from the state before it.
 *
 * Who decides what:
 * - a vector's masking and pending semantics: the engine's vector state machine (pci/vector-state.ts);
 * - where a message goes: the engine's route(), on a working copy of the machine that holds the current
 *   message, masks, IRTEs as the interrupt entry cache shows them, and KVM routes (machine-view.ts);
 * - IRTE layouts: the engine's IRTE encoder and decoder (vtd/irte.ts);
 * - what this file adds is the state in between: the interrupt entry cache and the fault log of each IOMMU
 *   (ROUTING.md §2.6), the CPUs' IRR / ISR (apic-state.ts), remote IRR of level-triggered vectors, and the
 *   scenario checks (findings.ts).
 *
 * The interrupt entry cache (VT-d "interrupt entry cache", IEC): a present IRTE the hardware fetched for a
 * request stays cached; rewriting the IRTE in memory does not change the cached copy, which the hardware
 * keeps using until software invalidates it (an index or global IEC invalidation; Linux modify_irte() →
 * qi_flush_iec()). Not-present entries are not cached. [The VT-d specification allows an implementation to
 * cache more eagerly (any present entry, at any time); the model caches exactly the entries deliveries
 * fetched, which is what makes a missing invalidation visible.]
 */
import { hex, hexGrouped } from '../bits.js';
import { decodeIrte, decodeMsiAddress, decodeMsiData } from '../decode.js';
import { gsiMappingOf, irqfdsOf } from '../kvm/routing.js';
import type { ElementId, Machine, Profile } from '../model.js';
import { msiVectorData } from '../pci/msi.js';
import {
    effectiveMask,
    fire as fireVector,
    mask as maskVector,
    setEnabled,
    setFunctionMask,
    unmask as unmaskVector,
    vectorStateOf,
    writeMessage,
    type VectorState,
    type VectorViolation,
} from '../pci/vector-state.js';
import { irteUsedBy, route } from '../route.js';
import { firmwareMessage, isSpaprRouted } from '../spapr/machine.js';
import type { ElementRef, Finding, RouteTrace, Stage, ValueDecode } from '../trace.js';
import { irteFieldsOf, irteReservedMask, irteReservedViolations, irteWords, type IrteFields } from '../vtd/irte.js';
import { decodeRemappableRequest } from '../vtd/remappable-msi.js';
import { composeCompatAddress, isInterruptAddress } from '../x86/msi-compat.js';
import { formatBdf, requesterIdOf } from '../vtd/source-id.js';
import { vectorHashingPick } from '../x86/apic-delivery.js';
import { deliveryModeLabel } from '../x86/delivery-mode.js';
import { endOfInterrupt, hasVector, IDLE_CPU, requestVector, specialDelivery } from './apic-state.js';
import { makeSimFinding, type SimDiagnosticCode } from './findings.js';
import { WorkingMachine } from './machine-view.js';
import { PArray } from './persistent-array.js';
import { irtePresent, patchIrte } from './retarget.js';
import type { Scenario, ScenarioEvent, VectorSource } from './scenario.js';
import { SimIndex } from './sim-index.js';
import { LazyStage } from '../lazy-stage.js';
import { initialState, SimState, withIommu, type DeviceFlags, type SimVector, type StateChange, type StateView } from './state.js';

export interface SimulateOptions {
    profile: Profile;
}

/** What happened at a step that a debugger may stop on (exception breakpoints) or print. */
export type StepNoteKind = 'fault' | 'pending' | 'lost' | 'stale' | 'info';

export interface StepNote {
    kind: StepNoteKind;
    message: string;
}

/** One delivery of a message within an event: the engine's trace of it. */
export interface SimDelivery {
    source: VectorSource;
    /** 'nic.msix[1]'. */
    name: string;
    trace: RouteTrace;
    /** Why the message was sent: 'fire', 'unmask', 'function mask cleared', 'MSI-X enabled', 'EOI'. */
    cause: string;
}

export interface SimStep {
    eventIndex: number;
    /** Position of the step within its event. */
    stageIndex: number;
    stage: Stage;
    /** The delivery this stage belongs to; undefined for what software does (a mask write, an IRTE update). */
    delivery?: SimDelivery;
    /** Position of `stage` within `delivery.trace.stages`. */
    traceStage?: number;
    /** The machine state after this stage. */
    state: SimState;
    notes: readonly StepNote[];
}

export interface EventRun {
    steps: SimStep[];
    /** The state after the event. */
    state: SimState;
    /** Scenario findings this event raised (some are about an earlier event, e.g. a stale IEC entry used). */
    findings: Finding[];
}

const NO_NOTES: readonly StepNote[] = Object.freeze([]);
/** Route traces kept per simulator (a million fires of a few vectors route a few times). */
const MEMO_LIMIT = 4096;

/** A message of a vector, with the IRTEs it selects and the traces routed for it. */
interface RouteMessage {
    address: bigint;
    data: number;
    irtes: number[];
    traces: Map<number | string, RouteTrace>;
}

/**
 * Mutable context of one event's run. It is itself a StateView: what the event changed so far, with a
 * SimState snapshot made only when a step is recorded (and only if something changed since the last one).
 */
class Run implements StateView {
    steps: SimStep[] = [];
    findings: Finding[] = [];
    vectors: SimState['vectors'];
    devices: SimState['devices'];
    cpus: SimState['cpus'];
    iec: SimState['iec'];
    irt: SimState['irt'];
    uninvalidated: SimState['uninvalidated'];
    pir: SimState['pir'];
    routes: SimState['routes'];
    faults: SimState['faults'];
    stats: SimState['stats'];
    private snap: SimState | undefined;

    constructor(
        start: SimState,
        readonly i: number,
        readonly ev: ScenarioEvent,
    ) {
        this.vectors = start.vectors;
        this.devices = start.devices;
        this.cpus = start.cpus;
        this.iec = start.iec;
        this.irt = start.irt;
        this.uninvalidated = start.uninvalidated;
        this.pir = start.pir;
        this.routes = start.routes;
        this.faults = start.faults;
        this.stats = start.stats;
        this.snap = start;
    }

    /** The state now (a snapshot). */
    get st(): SimState {
        return (this.snap ??= new SimState(this.vectors, this.devices, this.cpus, this.iec, this.irt, this.uninvalidated, this.pir, this.routes, this.faults, this.stats));
    }

    /** Call after assigning fields: the next snapshot is a new state. */
    changed(): void {
        this.snap = undefined;
    }

    update(c: StateChange): void {
        if (c.vectors) this.vectors = c.vectors;
        if (c.devices) this.devices = c.devices;
        if (c.cpus) this.cpus = c.cpus;
        if (c.iec) this.iec = c.iec;
        if (c.irt) this.irt = c.irt;
        if (c.uninvalidated) this.uninvalidated = c.uninvalidated;
        if (c.pir) this.pir = c.pir;
        if (c.routes) this.routes = c.routes;
        if (c.faults) this.faults = c.faults;
        if (c.stats) this.stats = c.stats;
        this.snap = undefined;
    }

    push(stage: Stage, notes: readonly StepNote[] = NO_NOTES, delivery?: SimDelivery, traceStage?: number): void {
        const step: SimStep = { eventIndex: this.i, stageIndex: this.steps.length, stage, state: this.st, notes, delivery, traceStage };
        this.steps.push(step);
    }

    /** Adds one to a counter. */
    count(what: keyof SimState['stats']): void {
        const s = this.stats;
        this.stats = {
            fired: s.fired + (what === 'fired' ? 1 : 0),
            delivered: s.delivered + (what === 'delivered' ? 1 : 0),
            heldPending: s.heldPending + (what === 'heldPending' ? 1 : 0),
            lost: s.lost + (what === 'lost' ? 1 : 0),
            faults: s.faults + (what === 'faults' ? 1 : 0),
        };
        this.snap = undefined;
    }

    find(code: SimDiagnosticCode | VectorViolation['code'], message: string, element: ElementRef, related: Finding['related'] = []): void {
        this.findings.push(makeSimFinding(code, message, element, related));
    }
}

export class Simulator {
    readonly index: SimIndex;
    readonly initial: SimState;
    readonly profile: Profile;
    private readonly wm: WorkingMachine;
    /** Route traces by vector key, then message, then what else the route read (memoRest). */
    private readonly messages = new Map<number, { last: RouteMessage | undefined; all: Map<string, RouteMessage> }>();
    private memoSize = 0;
    private readonly baseVectors = new Map<number, VectorState>();
    private readonly vectorElements = new Map<number, ElementId>();
    /** IRTE contents (lo, then hi) → a small id, so route traces are cached by contents without stringifying bigints. */
    private readonly contentIds = new Map<bigint, Map<bigint, number>>();
    private contentCount = 0;
    private readonly baseContentIds = new Map<number, number>();

    private readonly events: readonly ScenarioEvent[];

    constructor(
        readonly machine: Machine,
        readonly scenario: Scenario,
        options: SimulateOptions,
    ) {
        this.profile = options.profile;
        this.events = scenario.events;
        this.index = new SimIndex(machine);
        this.wm = new WorkingMachine(machine, this.index);
        this.initial = initialState(machine.iommus.length);
    }

    get eventCount(): number {
        return this.scenario.events.length;
    }

    // ---------------------------------------------------------------------------------------------
    // Reading the state

    /** A vector's state now: the model's, overlaid with what the scenario changed. */
    vector(st: StateView, key: number, source: VectorSource): { vs: VectorState; sv: SimVector | undefined; msiBase?: number } {
        let base = this.baseVectors.get(key);
        const layout = this.index.layoutOfKey(key);
        if (!base) {
            // pseries: an entry the model does not list holds what firmware (ibm,change-msi) programmed.
            const firmware = isSpaprRouted(this.machine) && layout.device.irqAllocation ? firmwareMessage(this.machine, layout.device, source.kind, source.index) : undefined;
            base = vectorStateOf(layout.device, source.kind, source.index, firmware);
            if (!base) throw new Error(`${this.index.nameOf(source)} does not exist`);
            this.baseVectors.set(key, base);
        }
        const sv = st.vectors.get(key);
        const flags = st.devices.get(layout.pos);
        // Field by field rather than a spread: this runs for every event.
        const vs: VectorState = {
            kind: base.kind,
            index: base.index,
            enabled: base.enabled,
            functionMasked: base.functionMasked,
            masked: base.masked,
            maskable: base.maskable,
            pending: base.pending,
            address: base.address,
            data: base.data,
            latches: base.latches,
        };
        if (sv) {
            vs.masked = sv.masked;
            vs.pending = sv.pending;
            if (source.kind !== 'msi') {
                vs.address = sv.address;
                vs.data = sv.data;
            }
        }
        let msiBase: number | undefined;
        if (source.kind === 'msi') {
            const cap = layout.device.msi!;
            if (flags?.msiEnabled !== undefined) vs.enabled = flags.msiEnabled;
            if (flags?.msiAddress !== undefined) vs.address = flags.msiAddress;
            msiBase = flags?.msiData ?? cap.data;
            vs.data = msiVectorData(msiBase, Math.min(Math.max(cap.mme, 0), 5), source.index);
        } else if (source.kind === 'msix' && flags) {
            if (flags.msixEnabled !== undefined) vs.enabled = flags.msixEnabled;
            if (flags.functionMasked !== undefined) vs.functionMasked = flags.functionMasked;
        }
        return { vs, sv, msiBase };
    }

    /** The element that holds a vector's message (MSI-X entry / IMS entry / MSI capability). */
    vectorElement(key: number, source: VectorSource): ElementId {
        let id = this.vectorElements.get(key);
        if (!id) {
            const d = this.index.deviceAt(source.device)!.device;
            if (source.kind === 'msi') id = d.msi?.id ?? d.id;
            else {
                const store = source.kind === 'msix' ? d.msix : d.ims;
                id = store?.entries.find((e) => e.index === source.index)?.id ?? store?.id ?? d.id;
            }
            this.vectorElements.set(key, id);
        }
        return id;
    }

    /** The IRTE in the table now (as the scenario wrote it, else the model's); undefined: never written. */
    tableIrte(st: StateView, iommu: number, index: number): { lo: bigint; hi: bigint } | undefined {
        return st.irt[iommu]?.get(index) ?? this.index.baseSlot(iommu, index);
    }

    /** The IRTE the hardware uses now: the interrupt entry cache's copy, else the table's. */
    visibleIrte(st: StateView, iommu: number, index: number): { lo: bigint; hi: bigint } | undefined {
        return st.iec[iommu]?.get(index) ?? this.tableIrte(st, iommu, index);
    }

    /** The id of IRTE contents (0: never written). */
    contentId(lo: bigint, hi: bigint): number {
        let byHi = this.contentIds.get(lo);
        if (!byHi) this.contentIds.set(lo, (byHi = new Map()));
        let id = byHi.get(hi);
        if (id === undefined) byHi.set(hi, (id = ++this.contentCount));
        return id;
    }

    private tableCid(st: StateView, iommu: number, index: number): number {
        const w = st.irt[iommu]?.get(index);
        if (w) return w.cid;
        const k = iommu * 0x1_0000 + index;
        let id = this.baseContentIds.get(k);
        if (id === undefined) {
            const slot = this.index.baseSlot(iommu, index);
            id = slot ? this.contentId(slot.lo, slot.hi) : 0;
            this.baseContentIds.set(k, id);
        }
        return id;
    }

    private visibleCid(st: StateView, iommu: number, index: number): number {
        return st.iec[iommu]?.get(index)?.cid ?? this.tableCid(st, iommu, index);
    }

    /** The engine's trace of a vector's message in state `st` (the vector's masks as `vs` says). */
    routeTrace(st: StateView, source: VectorSource, key: number, vs: VectorState, msiBase?: number): RouteTrace {
        const m = this.message(key, vs);
        const rest = this.memoRest(st, source, key, vs, m);
        const hit = m.traces.get(rest);
        if (hit) return hit;
        this.wm.useState(st);
        this.wm.applyVector(source, vs, msiBase);
        const trace = route(this.wm.machine, source, { profile: this.profile });
        // Decodes read the working copy lazily: read them now, while it holds this state.
        for (const s of trace.stages) void s.decodes;
        if (++this.memoSize > MEMO_LIMIT) {
            this.messages.clear();
            this.memoSize = 1;
        }
        m.traces.set(rest, trace);
        return trace;
    }

    /** The route cache of a vector's message (kept per message: the last one is found without a lookup). */
    private message(key: number, vs: VectorState): RouteMessage {
        let byKey = this.messages.get(key);
        if (!byKey) this.messages.set(key, (byKey = { last: undefined, all: new Map() }));
        const last = byKey.last;
        if (last && last.address === vs.address && last.data === vs.data) return last;
        const text = `${vs.address}|${vs.data}`;
        let m = byKey.all.get(text);
        if (!m) byKey.all.set(text, (m = { address: vs.address, data: vs.data, irtes: this.selectedIrtes(vs.address, vs.data), traces: new Map() }));
        byKey.last = m;
        return m;
    }

    /**
     * The rest of what a route of this vector reads that the state can change: its masks, the IRTEs its
     * message selects as the IOMMU sees them now (by content id), and the KVM route an irqfd hands it to.
     * Keyed on contents, so a vector that returns to an earlier configuration routes from the cache.
     */
    private memoRest(st: StateView, source: VectorSource, key: number, vs: VectorState, m: RouteMessage): number | string {
        const flags = (vs.enabled ? 1 : 0) | (vs.functionMasked ? 2 : 0) | (vs.masked ? 4 : 0);
        const iommu = this.index.layoutOfKey(key).iommu;
        const irqfd = this.machine.kvm.irqfds?.length ? irqfdsOf(this.machine, source)[0] : undefined;
        // The usual case (one IRTE or none, no irqfd) is a number: no string to build and hash.
        if (!irqfd && m.irtes.length <= 1) return iommu < 0 || m.irtes.length === 0 ? flags : flags + 8 * this.visibleCid(st, iommu, m.irtes[0]);
        let k = `${flags}`;
        if (iommu >= 0) for (const i of m.irtes) k += `|${this.visibleCid(st, iommu, i)}`;
        if (irqfd) {
            const routes = this.machine.kvm.routes ?? [];
            routes.forEach((r, pos) => {
                if (r.gsi !== irqfd.gsi) return;
                const cur = this.currentRoute(st, pos);
                k += `|gsi${r.gsi}:${cur.address}/${cur.data}`;
                if (iommu >= 0) for (const i of this.selectedIrtes(cur.address, cur.data)) k += `|${i}:${this.visibleCid(st, iommu, i)}`;
            });
        }
        return k;
    }

    /**
     * The IRTE indexes a route of this message reads: the interrupt index, the handle (the address decode
     * shows its entry) and the index wrapped at 16 bits (QEMU). None for a compatibility-format message.
     */
    private selectedIrtes(address: bigint, data: number): number[] {
        const lo = Number(address & 0xffff_ffffn);
        if (!isInterruptAddress(lo) || (lo & 0x10) === 0) return [];
        const req = decodeRemappableRequest(lo, data);
        return req.index === req.handle ? [req.handle] : [req.handle, req.index, req.index & 0xffff];
    }

    // ---------------------------------------------------------------------------------------------
    // Running

    /** Runs event `i` from `state` (the state after events 0..i−1). Pure: `state` is not changed. */
    runEvent(state: SimState, i: number): EventRun {
        const ev = this.events[i];
        const run = new Run(state, i, ev);
        switch (ev.kind) {
            case 'fire':
                this.fire(run, ev.source);
                break;
            case 'mask':
                this.mask(run, ev.source);
                break;
            case 'unmask':
                this.unmask(run, ev.source);
                break;
            case 'write':
                this.write(run, ev.source, { address: ev.address, data: ev.data }, false);
                break;
            case 'update-irte':
                this.updateIrte(run, ev.iommu, ev.index, ev.patch, ev.invalidate);
                break;
            case 'invalidate-iec':
                this.invalidateIec(run, ev.iommu, ev.index);
                break;
            case 'function-mask':
                this.functionMask(run, ev.device, ev.on);
                break;
            case 'enable':
                this.enable(run, ev.device, ev.capability, ev.on);
                break;
            case 'affinity':
                this.affinity(run, ev.source, ev.cpu, ev.unsafe);
                break;
            case 'eoi':
                this.eoi(run, ev.cpu, ev.vector);
                break;
            case 'route-update':
                this.routeUpdate(run, ev.gsi, ev.address, ev.data);
                break;
        }
        // The last step shows the state after the whole event.
        const last = run.steps[run.steps.length - 1];
        if (last) last.state = run.st;
        return { steps: run.steps, state: run.st, findings: run.findings };
    }

    /** Every step of the scenario, in order. */
    *steps(): Generator<SimStep, SimState> {
        let st = this.initial;
        for (let i = 0; i < this.events.length; i++) {
            const r = this.runEvent(st, i);
            const steps = r.steps;
            for (let j = 0; j < steps.length; j++) yield steps[j];
            st = r.state;
        }
        return st;
    }

    /** Runs the whole scenario; the state before each event and after the last (length events + 1). */
    checkpoints(): SimState[] {
        const out: SimState[] = [this.initial];
        let st = this.initial;
        for (let i = 0; i < this.scenario.events.length; i++) {
            st = this.runEvent(st, i).state;
            out.push(st);
        }
        return out;
    }

    /** The scenario checks: every event's findings, then what is wrong once the scenario has ended. */
    check(): Finding[] {
        const out: Finding[] = [];
        let st = this.initial;
        for (let i = 0; i < this.scenario.events.length; i++) {
            const r = this.runEvent(st, i);
            out.push(...r.findings);
            st = r.state;
        }
        out.push(...this.endFindings(st));
        return out;
    }

    // ---------------------------------------------------------------------------------------------
    // Vectors

    private key(run: Run, source: VectorSource): number | undefined {
        const key = this.index.vectorKey(source);
        if (key === undefined) {
            run.push(new LazyStage('device-write', 'No such vector', `${this.index.nameOf(source)} does not exist in ${this.machine.name}`, { id: run.ev.id }), [
                { kind: 'info', message: `${this.index.nameOf(source)} does not exist in ${this.machine.name}: the event does nothing.` },
            ]);
        }
        return key;
    }

    private putVector(run: Run, key: number, source: VectorSource, vs: VectorState, extra: Partial<SimVector> = {}, drop: (keyof SimVector)[] = []): void {
        const old = run.vectors.get(key);
        const msi = source.kind === 'msi';
        // Built field by field (never `delete`): every SimVector keeps one shape.
        const next: SimVector = {
            masked: vs.masked,
            pending: vs.pending,
            // MSI address / data live in the capability's registers (DeviceFlags); the per-vector ones stay inert.
            address: msi ? 0n : vs.address,
            data: msi ? 0 : vs.data,
            pendingSince: vs.pending ? ('pendingSince' in extra ? extra.pendingSince : old?.pendingSince) : undefined,
            remoteIrr: drop.includes('remoteIrr') ? undefined : 'remoteIrr' in extra ? extra.remoteIrr : old?.remoteIrr,
            held: drop.includes('held') ? undefined : 'held' in extra ? extra.held : old?.held,
        };
        run.vectors = run.vectors.set(key, next);
        run.changed();
    }

    private putFlags(run: Run, device: ElementId, change: Partial<DeviceFlags>, drop: (keyof DeviceFlags)[] = []): void {
        const pos = this.index.deviceAt(device)!.pos;
        const old = run.devices.get(pos);
        const pick = <K extends keyof DeviceFlags>(k: K): DeviceFlags[K] => (drop.includes(k) ? undefined : k in change ? change[k] : old?.[k]);
        const next: DeviceFlags = {
            msiEnabled: pick('msiEnabled'),
            msixEnabled: pick('msixEnabled'),
            functionMasked: pick('functionMasked'),
            msiAddress: pick('msiAddress'),
            msiData: pick('msiData'),
            disabledWithPending: pick('disabledWithPending'),
        };
        run.devices = run.devices.set(pos, next);
        run.changed();
    }

    /** The device raises a vector: sent, held pending by a mask, held by remote IRR, or dropped. */
    private fire(run: Run, source: VectorSource): void {
        const key = this.key(run, source);
        if (key === undefined) return;
        run.count('fired');
        this.raise(run, source, key, 'fire');
    }

    private raise(run: Run, source: VectorSource, key: number, cause: string): void {
        const name = this.index.nameOf(source);
        const { vs, sv, msiBase } = this.vector(run, key, source);
        if (sv?.remoteIrr) {
            // Level-triggered and still in service: like an I/O APIC pin with remote IRR set, the request waits.
            const cpu = this.index.cpuAt(sv.remoteIrr.cpu);
            this.putVector(run, key, source, vs, { held: true });
            const message = `${name} is level-triggered and vector ${hex(sv.remoteIrr.vector)} is still in service on CPU ${cpu.index} (remote IRR): the request waits for its EOI.`;
            run.count('heldPending');
            run.push(new LazyStage('device-write', `${name} raises its interrupt`, `held until CPU ${cpu.index} EOIs vector ${hex(sv.remoteIrr.vector)} (remote IRR)`, { id: this.vectorElement(key, source) }), [
                { kind: 'pending', message },
            ]);
            return;
        }
        const r = fireVector(vs);
        if (r.effect?.kind === 'dropped') {
            const trace = this.routeTrace(run, source, key, vs, msiBase);
            const cap = source.kind === 'msi' ? 'MSI' : source.kind === 'msix' ? 'MSI-X' : 'the IMS store';
            const message = `${name} fired while ${cap} is disabled: nothing is sent and nothing is recorded, the interrupt is lost (ROUTING.md §7).`;
            run.count('lost');
            run.find('scenario-pending-lost', `${message} Enable ${cap} before the device raises the vector.`, { id: run.ev.id }, [
                { element: { id: this.vectorElement(key, source) }, message: `${name}` },
            ]);
            run.push(trace.stages[0], [{ kind: 'lost', message }], { source, name, trace, cause }, 0);
            return;
        }
        if (r.effect?.kind === 'pending') {
            const merged = vs.pending;
            this.putVector(run, key, source, r.state, { pendingSince: merged ? sv?.pendingSince ?? run.i : run.i });
            const trace = this.routeTrace(run, source, key, vs, msiBase);
            const where = trace.outcome.kind === 'pending' ? trace.outcome.where : 'pending bit';
            let note: StepNote;
            if (merged) {
                note = { kind: 'lost', message: `${name} fired again while already pending (${where}): one pending bit holds one interrupt, so the two merge and one is lost.` };
                run.count('lost');
                run.find('scenario-pending-lost', `${note.message} Unmask it before it fires again, or make the handler poll for all work.`, { id: run.ev.id }, [
                    { element: { id: this.vectorElement(key, source) }, message: `${name}` },
                ]);
            } else {
                note = { kind: 'pending', message: `${name} is masked (${r.effect.reason.replace('-', ' ')}): the interrupt waits in ${where} until it is unmasked.` };
                run.count('heldPending');
            }
            run.push(trace.stages[0], [note], { source, name, trace, cause }, 0);
            return;
        }
        this.deliver(run, source, key, vs, msiBase, cause);
    }

    /** Routes a message that is sent now and applies each stage's effect on the state. */
    private deliver(run: Run, source: VectorSource, key: number, vs: VectorState, msiBase: number | undefined, cause: string): void {
        const name = this.index.nameOf(source);
        const trace = this.routeTrace(run, source, key, vs, msiBase);
        const delivery: SimDelivery = { source, name, trace, cause };
        const last = trace.stages.length - 1;
        const stages = trace.stages;
        for (let j = 0; j <= last; j++) {
            const stage = stages[j];
            let notes: StepNote[] | undefined;
            if (stage.kind === 'interrupt-remapping') notes = this.remapEffect(run, trace, name, notes);
            if (j === last) notes = this.outcomeEffect(run, source, key, trace, name, notes);
            run.push(stage, notes ?? NO_NOTES, delivery, j);
        }
    }

    /** The IRTE fetch: cached by the IEC, or served from a stale cached copy. */
    private remapEffect(run: Run, trace: RouteTrace, name: string, notes: StepNote[] | undefined): StepNote[] | undefined {
        const used = irteUsedBy(trace);
        if (!used) return notes;
        const p = this.index.iommuPos.get(used.iommu);
        if (p === undefined) return notes;
        const st = run;
        const cached = st.iec[p].get(used.index);
        if (!cached) {
            const table = this.tableIrte(st, p, used.index);
            if (table && irtePresent(table.lo, table.hi)) {
                run.iec = withIommu(st.iec, p, st.iec[p].set(used.index, { lo: table.lo, hi: table.hi, cid: this.tableCid(st, p, used.index), since: run.i }));
                run.changed();
            }
            return notes;
        }
        if (cached.cid === this.tableCid(st, p, used.index)) return notes;
        // The IOMMU used its cached copy while the table holds something else: a missing invalidation.
        const iommu = this.index.iommuAt(p);
        const table = this.tableIrte(st, p, used.index) ?? { lo: 0n, hi: 0n };
        const diff = irteDiff(cached, table, iommu.eim);
        const message = `${iommu.name} used its cached copy of IRTE ${used.index} (fetched at event ${cached.since + 1}); the table holds a newer entry (${diff}) that was never invalidated.`;
        (notes ??= []).push({ kind: 'stale', message });
        const pending = st.uninvalidated[p].get(used.index);
        if (pending && pending.staleUseAt === undefined) {
            run.uninvalidated = withIommu(st.uninvalidated, p, st.uninvalidated[p].set(used.index, { event: pending.event, affinity: pending.affinity, staleUseAt: run.i }));
            run.changed();
            const updateEvent = this.scenario.events[pending.event];
            run.find(
                pending.affinity ? 'scenario-affinity-unsafe' : 'scenario-irte-not-invalidated',
                `IRTE ${used.index} of ${iommu.name} was rewritten here (${diff}) without invalidating the interrupt entry cache: the later \`${describeEvent(run.ev, this.index)}\` (event ${run.i + 1}) still went through the cached old entry. Invalidate it (\`update … and invalidate\`, or \`invalidate ${iommu.name}.iec index ${used.index}\`), as Linux's modify_irte() does with qi_flush_iec().`,
                { id: updateEvent.id },
                [{ element: { id: run.ev.id }, message: `${name} used the stale cached IRTE ${used.index}` }],
            );
        }
        return notes;
    }

    /** What the outcome does to the machine: IRR / ISR, the fault log, a posted descriptor's PIR. */
    private outcomeEffect(run: Run, source: VectorSource, key: number, trace: RouteTrace, name: string, notes: StepNote[] | undefined): StepNote[] | undefined {
        const o = trace.outcome;
        switch (o.kind) {
            case 'delivered': {
                const n = o.targets.length;
                if (o.xics && n > 0) {
                    // pseries: the XICS presentation controller (XIRR / CPPR) is not modelled; the IRQ reached its server.
                    run.count('delivered');
                    return notes;
                }
                if (n === 0) {
                    const message = `${name}: no CPU accepts ${o.destMode} destination ${hex(o.destId)}; the interrupt is lost.`;
                    (notes ??= []).push({ kind: 'lost', message });
                    run.count('lost');
                    run.find('scenario-pending-lost', `${message} Point the ${o.irte ? `IRTE's` : `message's`} destination at a CPU that exists and whose local APIC is enabled.`, { id: run.ev.id }, this.faultRelated(run, trace, name, 'x86-dest-unreachable'));
                    return notes;
                }
                let targets: number[];
                if (n === 1) targets = [this.index.cpuPos.get(o.targets[0].cpu)!];
                else {
                    targets = o.targets.map((t) => this.index.cpuPos.get(t.cpu)!).sort((a, b) => a - b);
                    // Lowest priority: KVM's vector hashing picks the (vector mod n)-th candidate (ROUTING.md §1.5).
                    if (o.lowestPriority) targets = [targets[vectorHashingPick(o.vector, targets.length)]];
                }
                const viaIrr = o.deliveryModeName === 'fixed' || o.deliveryModeName === 'lowest_priority';
                const level = o.trigger === 'level';
                let cpus = run.cpus;
                let accepted = 0;
                let remote: SimVector['remoteIrr'];
                for (const pos of targets) {
                    const cpu = cpus.get(pos) ?? IDLE_CPU;
                    if (!viaIrr) {
                        cpus = cpus.set(pos, specialDelivery(cpu));
                        accepted++;
                        continue;
                    }
                    const r = requestVector(cpu, o.vector, level);
                    cpus = cpus.set(pos, r.cpu);
                    if (r.coalesced) {
                        const label = this.index.cpuAt(pos).index;
                        const message = `vector ${hex(o.vector)} was already requested on CPU ${label} (IRR bit set): ${name}'s interrupt merges into that request and is lost.`;
                        (notes ??= []).push({ kind: 'lost', message });
                        run.count('lost');
                        run.find('scenario-pending-lost', `${name}: ${message}`, { id: run.ev.id }, [{ element: { id: this.index.cpuAt(pos).id }, message: `CPU ${label}` }]);
                        continue;
                    }
                    accepted++;
                    if (level && !remote) remote = { cpu: pos, vector: o.vector };
                }
                run.cpus = cpus;
                run.changed();
                if (accepted) run.count('delivered');
                if (remote) {
                    const { vs } = this.vector(run, key, source);
                    this.putVector(run, key, source, vs, { remoteIrr: remote }, ['held']);
                }
                return notes;
            }
            case 'posted': {
                const p = this.index.iommuPos.get(o.irte.iommu);
                if (p !== undefined) {
                    const pir = run.pir[p];
                    run.pir = withIommu(run.pir, p, pir.set(o.irte.index, (pir.get(o.irte.index) ?? 0n) | (1n << BigInt(o.vector & 0xff))));
                    run.changed();
                }
                run.count('delivered');
                return notes;
            }
            case 'pending':
                (notes ??= []).push({ kind: 'pending', message: `${name}: ${o.reason.replace('-', ' ')} (${o.where}).` });
                run.count('heldPending');
                return notes;
            case 'fault': {
                run.count('faults');
                let recorded = '';
                if (o.faultReason !== undefined) {
                    const p = o.irte ? this.index.iommuPos.get(o.irte.iommu) : this.faultIommu(source);
                    if (o.fpd === 1) recorded = ' Not recorded: the IRTE has FPD=1.';
                    else if (p !== undefined) {
                        const device = this.index.deviceAt(source.device)!.device;
                        const record = {
                            event: run.i,
                            iommu: this.index.iommuAt(p).id,
                            reason: o.faultReason,
                            name: o.name,
                            index: o.irte?.index ?? -1,
                            requester: formatBdf({ ...device.bdf, ...ridBdf(requesterIdOf(this.machine, device).rid, device.bdf.segment) }),
                            source: name,
                        };
                        const count = (run.faults?.count ?? 0) + 1;
                        run.faults = { record, prev: run.faults, count };
                        run.changed();
                        recorded = ` Recorded in ${this.index.iommuAt(p).name}'s fault log (#${count}).`;
                    }
                }
                (notes ??= []).push({ kind: 'fault', message: `${o.message}${recorded}` });
                run.find('scenario-fault', `${name} faults here (\`${describeEvent(run.ev, this.index)}\`): ${o.message}${o.fpd === 1 ? '' : recorded}`, { id: run.ev.id }, this.faultRelated(run, trace, name));
                return notes;
            }
        }
    }

    /**
     * Related information of a delivery that failed: the element the engine blames (the IRTE field, the
     * entry's address, …; an IRTE the model does not declare is its IOMMU), and the event that last wrote
     * the IRTE the IOMMU read, when the scenario wrote it.
     */
    private faultRelated(run: Run, trace: RouteTrace, name: string, code?: string): Finding['related'] {
        const o = trace.outcome;
        const finding = trace.findings.find((f) => f.code === (code ?? (o.kind === 'fault' ? o.code : undefined)));
        const detail = o.kind === 'fault' ? o.detail ?? o.name : o.kind === 'delivered' ? `${o.destMode} dest ${hex(o.destId)}` : undefined;
        const out: Finding['related'] = [];
        const irte = o.kind === 'fault' ? o.irte : o.kind === 'delivered' ? o.irte : undefined;
        const p = irte ? this.index.iommuPos.get(irte.iommu) : undefined;
        if (irte && p !== undefined) {
            const base = this.index.baseSlot(p, irte.index);
            const iommu = this.index.iommuAt(p);
            const property = base && finding?.element.id === base.id ? finding.element.property : undefined;
            const element: ElementRef = base ? (property ? { id: base.id, property } : { id: base.id }) : { id: iommu.id };
            out.push({ element, message: detail?.includes(`IRTE ${irte.index}`) ? `${iommu.name}: ${detail}` : `IRTE ${irte.index} of ${iommu.name}${detail ? `: ${detail}` : ''}` });
            // The copy the IOMMU read: the table's, unless the interrupt entry cache holds another one.
            const written = run.irt[p].get(irte.index);
            const cached = run.iec[p].get(irte.index);
            if (written && (!cached || cached.cid === written.cid)) {
                const by = this.scenario.events[written.by];
                out.push({ element: { id: by.id }, message: `IRTE ${irte.index} as \`${describeEvent(by, this.index)}\` (event ${written.by + 1}) wrote it` });
            }
            return out;
        }
        if (finding) out.push({ element: finding.element, message: detail ? `${name}: ${detail}` : name });
        else out.push({ element: { id: trace.sourceElement }, message: name });
        return out;
    }

    private faultIommu(source: VectorSource): number | undefined {
        const p = this.index.deviceAt(source.device)?.iommu;
        return p === undefined || p < 0 ? undefined : p;
    }

    private maskStage(key: number, source: VectorSource, title: string, summary: string): LazyStage {
        return new LazyStage('device-write', title, summary, { id: this.vectorElement(key, source), property: 'masked' });
    }

    private mask(run: Run, source: VectorSource): void {
        const key = this.key(run, source);
        if (key === undefined) return;
        const name = this.index.nameOf(source);
        const { vs } = this.vector(run, key, source);
        const r = maskVector(vs);
        const notes: StepNote[] = [];
        if (r.violation) {
            notes.push({ kind: 'info', message: r.violation.message });
            run.find(r.violation.code, r.violation.message, { id: run.ev.id }, [{ element: { id: this.vectorElement(key, source) }, message: name }]);
        } else this.putVector(run, key, source, r.state);
        run.push(this.maskStage(key, source, `${name} masked`, r.violation ? `${name} cannot be masked: it keeps firing` : `software sets ${maskRegister(source)}: a raised vector now sets its pending bit`), notes);
    }

    private unmask(run: Run, source: VectorSource, cause = 'unmask'): void {
        const key = this.key(run, source);
        if (key === undefined) return;
        const name = this.index.nameOf(source);
        const { vs, msiBase } = this.vector(run, key, source);
        const r = unmaskVector(vs);
        this.putVector(run, key, source, r.state);
        const held = effectiveMask(r.state);
        const summary = r.effect
            ? `software clears ${maskRegister(source)}: the pending message is sent now`
            : vs.pending
              ? `software clears ${maskRegister(source)}; still held (${held ?? 'masked'})`
              : `software clears ${maskRegister(source)}: nothing was pending`;
        run.push(this.maskStage(key, source, `${name} unmasked`, summary));
        if (r.effect?.kind === 'delivered') this.deliver(run, source, key, r.state, msiBase, cause);
    }

    /** Software writes a vector's message; `affinity` names the affinity change it is part of. */
    private write(run: Run, source: VectorSource, msg: { address?: bigint; data?: number }, affinity: boolean | 'safe'): void {
        const key = this.key(run, source);
        if (key === undefined) return;
        const name = this.index.nameOf(source);
        const { vs } = this.vector(run, key, source);
        const r = writeMessage(vs, msg);
        const notes: StepNote[] = [];
        if (source.kind === 'msi') {
            const change: Partial<DeviceFlags> = {};
            if (msg.address !== undefined) change.msiAddress = msg.address;
            if (msg.data !== undefined) change.msiData = msg.data >>> 0;
            this.putFlags(run, source.device, change);
        } else {
            this.putVector(run, key, source, r.state);
        }
        if (r.violation) {
            const v = r.violation;
            const related = [{ element: { id: this.vectorElement(key, source) }, message: name }];
            if (affinity === true) {
                run.find('scenario-affinity-unsafe', `affinity change without the mask around the write: ${v.message}`, { id: run.ev.id }, related);
            } else if (v.code === 'msi-latch-unknown' || (affinity === 'safe' && v.code === 'msi-may-tear')) {
                // The kernel cannot mask an MSI without per-vector masking: what the engine says is all there is.
                run.find(v.code, v.message, { id: run.ev.id }, related);
            } else {
                run.find('scenario-write-unmasked', v.message, { id: run.ev.id }, related);
            }
            notes.push({ kind: 'info', message: v.message });
        }
        const now = this.vector(run, key, source);
        const address = now.vs.address;
        // MSI: the Message Data register as written (the device puts the vector number in its low MME bits).
        const data = source.kind === 'msi' ? now.msiBase ?? now.vs.data : now.vs.data;
        const ctx = { profile: this.profile, machine: this.machine, deviceId: source.device };
        const what = [msg.address !== undefined ? `address ${hexGrouped(address, address > 0xffff_ffffn ? 16 : 8)}` : '', msg.data !== undefined ? `data ${hex(data)}` : ''].filter(Boolean).join(', ');
        const pendingNote = vs.pending ? '; pending: the new message is sent on unmask' : '';
        const where = source.kind === 'msi' ? 'MSI Message Address / Data registers' : 'entry';
        run.push(
            new LazyStage('device-write', `${name} written`, `software writes ${what || 'nothing'} to the ${where}${pendingNote}`, { id: this.vectorElement(key, source), property: msg.address !== undefined ? 'address' : 'data' }, () => [
                decodeMsiAddress(address, ctx),
                decodeMsiData(data, { ...ctx, address }),
            ]),
            notes,
        );
    }

    // ---------------------------------------------------------------------------------------------
    // Device capabilities

    private functionMask(run: Run, device: ElementId, on: boolean): void {
        const d = this.index.deviceAt(device)?.device;
        if (!d?.msix) {
            run.push(new LazyStage('device-write', 'Function Mask', `${d?.name ?? device} has no MSI-X capability`, { id: run.ev.id }), [{ kind: 'info', message: `${d?.name ?? device} has no MSI-X capability: the event does nothing.` }]);
            return;
        }
        this.putFlags(run, device, { functionMasked: on });
        run.push(
            new LazyStage(
                'device-write',
                `${d.name} MSI-X Function Mask ${on ? 'set' : 'cleared'}`,
                on ? 'Message Control bit 14 = 1: every vector of the function is masked, raised vectors set their PBA bits' : 'Message Control bit 14 = 0: vectors follow their own masks; pending ones are sent now',
                { id: d.msix.id, property: 'functionMask' },
            ),
        );
        if (!on) this.release(run, device, 'msix', 'function mask cleared', (vs) => setFunctionMask({ ...vs, functionMasked: true }, false));
    }

    private enable(run: Run, device: ElementId, capability: 'msi' | 'msix', on: boolean): void {
        const d = this.index.deviceAt(device)?.device;
        const cap = capability === 'msi' ? d?.msi : d?.msix;
        const capName = capability === 'msi' ? 'MSI' : 'MSI-X';
        if (!d || !cap) {
            run.push(new LazyStage('device-write', `${capName} Enable`, `${d?.name ?? device} has no ${capName} capability`, { id: run.ev.id }), [{ kind: 'info', message: `${d?.name ?? device} has no ${capName} capability: the event does nothing.` }]);
            return;
        }
        const pending = this.pendingVectors(run, device, capability);
        const notes: StepNote[] = [];
        if (on) this.putFlags(run, device, capability === 'msi' ? { msiEnabled: true } : { msixEnabled: true }, ['disabledWithPending']);
        else {
            this.putFlags(run, device, capability === 'msi' ? { msiEnabled: false } : { msixEnabled: false }, pending.length ? [] : ['disabledWithPending']);
            if (pending.length) {
                this.putFlags(run, device, { disabledWithPending: run.i });
                notes.push({ kind: 'info', message: `${capName} disabled with ${pending.map((p) => this.index.nameOf(p.source)).join(', ')} pending: nothing is sent until ${capName} is enabled again.` });
            }
        }
        run.push(
            new LazyStage('device-write', `${d.name} ${capName} ${on ? 'enabled' : 'disabled'}`, `${capName} Enable = ${on ? 1 : 0}${on && pending.length ? ': pending vectors whose masks are clear are sent now' : ''}`, { id: cap.id, property: 'enabled' }),
            notes,
        );
        if (on) this.release(run, device, capability, `${capName} enabled`, (vs) => setEnabled({ ...vs, enabled: false }, true));
    }

    /** The pending vectors of a device's capability, in index order. */
    private pendingVectors(st: StateView, device: ElementId, kind: VectorSource['kind']): { source: VectorSource; key: number }[] {
        const range = this.index.keyRange(device, kind);
        const d = this.index.deviceAt(device)?.device;
        if (!range || !d) return [];
        const candidates = new Map<number, VectorSource>();
        // Vectors the scenario touched, and vectors the model declares pending.
        for (const [key] of st.vectors.entries()) {
            if (key >= range[0] && key < range[1]) {
                const s = this.index.sourceOfKey(key);
                if (s) candidates.set(key, s);
            }
        }
        const declared: number[] = [];
        if (kind === 'msi' && d.msi) for (let k = 0; k < 32; k++) if ((d.msi.pendingBits >>> k) & 1) declared.push(k);
        if (kind === 'msix' && d.msix) for (const e of d.msix.entries) if (e.pending) declared.push(e.index);
        if (kind === 'ims' && d.ims) for (const e of d.ims.entries) if (e.pending) declared.push(e.index);
        for (const k of declared) {
            const source: VectorSource = { device, kind, index: k };
            const key = this.index.vectorKey(source);
            if (key !== undefined && !candidates.has(key)) candidates.set(key, source);
        }
        return [...candidates.entries()]
            .sort((a, b) => a[1].index - b[1].index)
            .filter(([key, source]) => this.vector(st, key, source).vs.pending)
            .map(([key, source]) => ({ key, source }));
    }

    /** Sends every pending vector the change released (`step` is the engine's transition for one vector). */
    private release(run: Run, device: ElementId, kind: VectorSource['kind'], cause: string, step: (vs: VectorState) => { state: VectorState; effect?: { kind: string } }): void {
        for (const { key, source } of this.pendingVectors(run, device, kind)) {
            const { vs, msiBase } = this.vector(run, key, source);
            const r = step(vs);
            if (r.effect?.kind !== 'delivered') continue;
            this.putVector(run, key, source, r.state);
            this.deliver(run, source, key, r.state, msiBase, cause);
        }
    }

    // ---------------------------------------------------------------------------------------------
    // VT-d: IRTE updates and the interrupt entry cache

    private irteElement(p: number, index: number): ElementRef {
        const slot = this.index.baseSlot(p, index);
        return slot ? { id: slot.id } : { id: this.index.iommuAt(p).id };
    }

    private updateIrte(run: Run, iommuId: ElementId, index: number, patch: Parameters<typeof patchIrte>[2], invalidate: boolean): void {
        const p = this.index.iommuPos.get(iommuId);
        if (p === undefined) {
            run.push(new LazyStage('interrupt-remapping', 'IRTE update', `no IOMMU ${iommuId}`, { id: run.ev.id }), [{ kind: 'info', message: `${iommuId} is not an IOMMU of ${this.machine.name}.` }]);
            return;
        }
        const iommu = this.index.iommuAt(p);
        const old = this.tableIrte(run, p, index) ?? { lo: 0n, hi: 0n };
        let next: { lo: bigint; hi: bigint };
        try {
            next = patchIrte(old.lo, old.hi, patch, iommu.eim);
        } catch (e) {
            const why = errorText(e);
            const message = `IRTE ${index} cannot be written: ${why}.`;
            run.push(new LazyStage('interrupt-remapping', `IRTE ${index} update (${iommu.name})`, message, this.irteElement(p, index)), [{ kind: 'info', message }]);
            run.find('scenario-update-unencodable', `IRTE ${index} of ${iommu.name} cannot be written: ${why}. The IRTE is not changed: the rest of the scenario runs with the entry it had.`, { id: run.ev.id, property: patchPropertyOf(why) }, [
                { element: this.irteElement(p, index), message: `IRTE ${index} of ${iommu.name}${iommu.eim ? '' : ' (EIM off: 8-bit destinations)'}` },
            ]);
            return;
        }
        this.writeIrte(run, p, index, next, invalidate, false, '');
    }

    private writeIrte(run: Run, p: number, index: number, next: { lo: bigint; hi: bigint }, invalidate: boolean, affinity: boolean, prefix: string): void {
        const iommu = this.index.iommuAt(p);
        const st = run;
        const old = this.tableIrte(st, p, index) ?? { lo: 0n, hi: 0n };
        const cached = st.iec[p].get(index);
        run.update({
            irt: withIommu(st.irt, p, st.irt[p].set(index, { lo: next.lo, hi: next.hi, cid: this.contentId(next.lo, next.hi), by: run.i })),
            uninvalidated: withIommu(st.uninvalidated, p, st.uninvalidated[p].set(index, invalidate ? undefined : { event: run.i, affinity })),
        });
        const summary = () => {
            const staleNote = cached && !invalidate && !sameIrte(cached, next) ? `; the interrupt entry cache still holds the old entry (fetched at event ${cached.since + 1})` : '';
            return `${prefix}IRTE ${index}: ${irteDiff(old, next, iommu.eim)} in memory${staleNote}`;
        };
        const ctx = { profile: this.profile, machine: this.machine, iommuId: iommu.id, index };
        run.push(
            new LazyStage('interrupt-remapping', `IRTE ${index} written (${iommu.name})`, summary, this.irteElement(p, index), () => {
                const out: ValueDecode[] = [{ ...decodeIrte(next.lo, next.hi, ctx), title: `IRTE ${index} in memory (new)` }];
                if (cached) out.push({ ...decodeIrte(cached.lo, cached.hi, ctx), title: `IRTE ${index} in the interrupt entry cache` });
                else out.push({ ...decodeIrte(old.lo, old.hi, ctx), title: `IRTE ${index} before` });
                return out;
            }),
        );
        if (invalidate) this.invalidateIec(run, iommu.id, index);
    }

    private invalidateIec(run: Run, iommuId: ElementId, index: number | undefined): void {
        const p = this.index.iommuPos.get(iommuId);
        if (p === undefined) {
            run.push(new LazyStage('interrupt-remapping', 'IEC invalidation', `no IOMMU ${iommuId}`, { id: run.ev.id }), [{ kind: 'info', message: `${iommuId} is not an IOMMU of ${this.machine.name}.` }]);
            return;
        }
        const iommu = this.index.iommuAt(p);
        // A snapshot: the summary below is computed later, when `run` has moved on.
        const st = run.st;
        const iec = st.iec[p];
        const dropped: [number, { lo: bigint; hi: bigint; cid: number }][] = index === undefined ? [...iec.entries()] : iec.get(index) ? [[index, iec.get(index)!]] : [];
        run.update({
            iec: withIommu(st.iec, p, index === undefined ? PArray.empty() : iec.set(index, undefined)),
            uninvalidated: withIommu(st.uninvalidated, p, index === undefined ? PArray.empty() : st.uninvalidated[p].set(index, undefined)),
        });
        const scope = index === undefined ? 'global' : `index ${index}`;
        const what = () => {
            const stale = dropped.filter(([i, c]) => c.cid !== this.tableCid(st, p, i));
            return dropped.length === 0 ? `nothing was cached${index === undefined ? '' : ` for IRTE ${index}`}` : `dropped ${dropped.length === 1 ? `IRTE ${dropped[0][0]}` : `${dropped.length} entries (IRTE ${dropped.map(([i]) => i).join(', ')})`}${stale.length ? `; the next delivery fetches the new ${stale.length === 1 ? 'entry' : 'entries'} (${stale.map(([i, c]) => `IRTE ${i}: ${irteDiff(c, this.tableIrte(st, p, i) ?? { lo: 0n, hi: 0n }, iommu.eim)}`).join('; ')})` : ''}`;
        };
        run.push(new LazyStage('interrupt-remapping', `IEC invalidation (${iommu.name}, ${scope})`, () => `${iommu.name}: interrupt entry cache invalidated (${scope}): ${what()}`, index === undefined ? { id: iommu.id } : this.irteElement(p, index)));
    }

    // ---------------------------------------------------------------------------------------------
    // Affinity

    private affinity(run: Run, source: VectorSource, cpuIndex: number, unsafe: boolean): void {
        const key = this.key(run, source);
        if (key === undefined) return;
        const name = this.index.nameOf(source);
        const pos = this.index.cpuByIndex.get(cpuIndex);
        if (pos === undefined) {
            const message = `${this.machine.name} has no CPU ${cpuIndex}: the affinity does not change.`;
            run.push(new LazyStage('cpu', `${name} affinity`, message, { id: run.ev.id }), [{ kind: 'info', message }]);
            this.unknownCpu(run, cpuIndex, `${name}'s affinity does not change`);
            return;
        }
        const cpu = this.index.cpuAt(pos);
        const { vs, msiBase } = this.vector(run, key, source);
        // Where the message goes when sent: the masks do not matter, the message and the IRTE do.
        const probe = this.routeTrace(run, source, key, { ...vs, enabled: true, functionMasked: false, masked: false }, msiBase);
        const o = probe.outcome;
        const via = `affinity of ${name} → CPU ${cpu.index} (APIC ID ${hex(cpu.apicId)}): `;
        if (o.kind === 'posted') {
            const message = `${name} is posted through IRTE ${o.irte.index}: its destination is the vCPU's posted-interrupt descriptor, not the IRTE; nothing to rewrite here.`;
            run.push(new LazyStage('interrupt-remapping', `${name} affinity`, message, { id: o.irte.element }), [{ kind: 'info', message }]);
            return;
        }
        if (o.kind === 'delivered' && o.irte) {
            // Interrupt remapping: same handle, new destination in the IRTE (intel_ir_set_affinity → modify_irte).
            const p = this.index.iommuPos.get(o.irte.iommu)!;
            const iommu = this.index.iommuAt(p);
            const table = this.tableIrte(run, p, o.irte.index) ?? { lo: 0n, hi: 0n };
            let next: { lo: bigint; hi: bigint };
            try {
                next = patchIrte(table.lo, table.hi, { dest: cpu.apicId, destMode: 'physical' }, iommu.eim);
            } catch (e) {
                const message = `${via}IRTE ${o.irte.index} cannot hold it: ${errorText(e)}.`;
                run.push(new LazyStage('interrupt-remapping', `${name} affinity`, message, { id: o.irte.element }), [{ kind: 'info', message }]);
                run.find('scenario-update-unencodable', `${message} The IRTE is not changed.`, { id: run.ev.id, property: 'cpu' }, [
                    { element: this.irteElement(p, o.irte.index), message: `IRTE ${o.irte.index} of ${iommu.name}${iommu.eim ? '' : ' (EIM off: 8-bit destinations)'}` },
                ]);
                return;
            }
            this.writeIrte(run, p, o.irte.index, next, !unsafe, true, unsafe ? `${via}(unsafe: no IEC invalidation) ` : via);
            return;
        }
        // Compatibility format: a new message, written with the mask around it (the kernel's sequence).
        const kvm = this.machine.kvm;
        const rt = composeCompatAddress(vs.address, cpu.apicId, { x2apicFormat: kvm.x2apicApi, extDestId: kvm.extDestId });
        if (!rt.ok) {
            const message = `${via}${rt.reason}; the message is not changed.`;
            run.push(new LazyStage('device-write', `${name} affinity`, message, { id: this.vectorElement(key, source), property: 'address' }), [{ kind: 'info', message }]);
            run.find('scenario-update-unencodable', message, { id: run.ev.id, property: 'cpu' }, [
                { element: { id: this.vectorElement(key, source), property: 'address' }, message: `${name}'s message` },
                { element: { id: cpu.id, property: 'apicId' }, message: `CPU ${cpu.index} has APIC ID ${hex(cpu.apicId)}` },
            ]);
            return;
        }
        const oldMessage = { address: vs.address, data: vs.data };
        const bracket = !unsafe && vs.maskable && !vs.masked && vs.enabled;
        if (bracket) this.mask(run, source);
        this.write(run, source, { address: rt.address }, unsafe ? true : 'safe');
        if (bracket) this.unmask(run, source, 'unmask after the affinity change');
        this.mirrorKvmRoute(run, source, oldMessage, { address: rt.address, data: vs.data });
    }

    /**
     * A vector carried by an irqfd on a routed GSI: QEMU rewrites the GSI's MSI route when the guest changes
     * the vector's message (kvm_irqchip_update_msi_route, ROUTING.md §6).
     */
    private mirrorKvmRoute(run: Run, source: VectorSource, old: { address: bigint; data: number }, next: { address: bigint; data: number }): void {
        const irqfd = irqfdsOf(this.machine, source)[0];
        if (!irqfd || gsiMappingOf(this.machine) !== 'routed') return;
        const routes = this.machine.kvm.routes ?? [];
        const pos = routes.findIndex((r) => r.gsi === irqfd.gsi && r.kind === 'msi');
        if (pos < 0) return;
        const cur = this.currentRoute(run, pos);
        if (cur.address !== old.address || cur.data >>> 0 !== old.data >>> 0) return;
        this.setRoute(run, pos, next, `QEMU updates GSI ${irqfd.gsi}'s route with the new message (kvm_irqchip_update_msi_route)`);
    }

    // ---------------------------------------------------------------------------------------------
    // CPUs and KVM

    private eoi(run: Run, cpuIndex: number, vector: number | undefined): void {
        const pos = this.index.cpuByIndex.get(cpuIndex);
        if (pos === undefined) {
            const message = `${this.machine.name} has no CPU ${cpuIndex}.`;
            run.push(new LazyStage('cpu', 'EOI', message, { id: run.ev.id }), [{ kind: 'info', message }]);
            this.unknownCpu(run, cpuIndex, 'the EOI does nothing');
            return;
        }
        const element: ElementRef = { id: this.index.cpuAt(pos).id };
        const cpu = run.cpus.get(pos) ?? IDLE_CPU;
        if (vector !== undefined && !hasVector(cpu.isr, vector)) {
            const message = `vector ${hex(vector)} is not in service on CPU ${cpuIndex}${cpu.isr.length ? ` (in service: ${cpu.isr.map((v) => hex(v)).join(', ')})` : ''}: the EOI ends nothing.`;
            run.push(new LazyStage('cpu', `CPU ${cpuIndex} EOI`, message, element), [{ kind: 'info', message }]);
            return;
        }
        const r = endOfInterrupt(cpu, vector);
        run.cpus = run.cpus.set(pos, r.cpu);
        run.changed();
        const summary = () => {
            const parts: string[] = [];
            if (r.ended === undefined) parts.push('nothing in service: the EOI is ignored');
            else parts.push(`vector ${hex(r.ended)} ends${r.level ? ' (level-triggered: the EOI is broadcast, remote IRR clears)' : ''}`);
            if (r.taken.length) parts.push(`then takes ${r.taken.map((v) => hex(v)).join(', ')} from IRR`);
            return parts.join('; ');
        };
        run.push(new LazyStage('cpu', `CPU ${cpuIndex} EOI`, summary, element), r.ended === undefined ? [{ kind: 'info', message: `CPU ${cpuIndex} has nothing in service: the EOI is ignored.` }] : NO_NOTES);
        if (!r.level || r.ended === undefined) return;
        // The EOI broadcast clears remote IRR of the vector(s) waiting on it; held requests are sent now.
        const waiting: [number, SimVector][] = [];
        run.vectors.forEach((sv, key) => {
            if (sv.remoteIrr && sv.remoteIrr.cpu === pos && sv.remoteIrr.vector === r.ended) waiting.push([key, sv]);
        });
        for (const [key, sv] of waiting) {
            const source = this.index.sourceOfKey(key)!;
            const { vs } = this.vector(run, key, source);
            this.putVector(run, key, source, vs, {}, ['remoteIrr', 'held']);
            if (sv.held) this.raise(run, source, key, 'EOI: the held request is sent');
        }
    }

    private unknownCpu(run: Run, cpuIndex: number, effect: string): void {
        const known = this.machine.cpus.map((c) => c.index);
        run.find(
            'scenario-unknown-cpu',
            `${this.machine.name} has no CPU ${cpuIndex}${known.length ? ` (its CPUs: ${cpuList(known)})` : ' (it declares no CPUs)'}: ${effect}.`,
            { id: run.ev.id, property: 'cpu' },
            [{ element: { id: this.machine.id }, message: `machine ${this.machine.name}` }],
        );
    }

    private currentRoute(st: StateView, pos: number): { address: bigint; data: number } {
        const o = st.routes.get(pos);
        const b = (this.machine.kvm.routes ?? [])[pos];
        return o ?? { address: b?.address ?? 0n, data: b?.data ?? 0 };
    }

    private setRoute(run: Run, pos: number, next: { address: bigint; data: number }, summary: string): void {
        const route = (this.machine.kvm.routes ?? [])[pos];
        run.routes = run.routes.set(pos, { address: next.address, data: next.data >>> 0, by: run.i });
        run.changed();
        const ctx = { profile: this.profile, machine: this.machine };
        run.push(
            new LazyStage('kvm-route', `KVM GSI ${route.gsi} route`, `${summary}: ${hexGrouped(next.address, next.address > 0xffff_ffffn ? 16 : 8)} ← ${hex(next.data)}`, { id: route.id }, () => [
                decodeMsiAddress(next.address, ctx),
                decodeMsiData(next.data, { ...ctx, address: next.address }),
            ]),
        );
    }

    private routeUpdate(run: Run, gsi: number, address: bigint | undefined, data: number | undefined): void {
        const routes = this.machine.kvm.routes ?? [];
        const pos = routes.findIndex((r) => r.gsi === gsi && r.kind === 'msi');
        if (pos < 0) {
            const message = `${this.machine.name} has no MSI route for GSI ${gsi} in its model: the update is recorded only.`;
            run.push(new LazyStage('kvm-route', `KVM GSI ${gsi} route`, message, { id: run.ev.id }), [{ kind: 'info', message }]);
            return;
        }
        const cur = this.currentRoute(run, pos);
        this.setRoute(run, pos, { address: address ?? cur.address, data: data ?? cur.data }, `the VMM rewrites GSI ${gsi}'s route (KVM_SET_GSI_ROUTING)`);
    }

    // ---------------------------------------------------------------------------------------------
    // End of the scenario

    /** What is still wrong once every event ran: IRTE updates never invalidated, interrupts never delivered. */
    endFindings(st: SimState): Finding[] {
        const out: Finding[] = [];
        st.uninvalidated.forEach((list, p) => {
            const iommu = this.index.iommuAt(p);
            for (const [index, u] of list.entries()) {
                if (u.staleUseAt !== undefined) continue;
                const ev = this.scenario.events[u.event];
                out.push(
                    makeSimFinding(
                        u.affinity ? 'scenario-affinity-unsafe' : 'scenario-irte-not-invalidated',
                        `IRTE ${index} of ${iommu.name} is rewritten here and the interrupt entry cache is never invalidated for it: the IOMMU may keep using the entry it cached before. Write \`update … and invalidate\`, or \`invalidate ${iommu.name}.iec index ${index}\` after the update (Linux modify_irte() → qi_flush_iec()).`,
                        { id: ev.id },
                        [{ element: this.irteElement(p, index), message: `IRTE ${index}` }],
                    ),
                );
            }
        });
        for (const [key, sv] of st.vectors.entries()) {
            if (!sv.pending) continue;
            const source = this.index.sourceOfKey(key);
            if (!source) continue;
            const layout = this.index.deviceAt(source.device)!;
            const { vs } = this.vector(st, key, source);
            const name = this.index.nameOf(source);
            const flags = st.devices.get(layout.pos);
            const element = { element: { id: this.vectorElement(key, source) }, message: name };
            if (!vs.enabled && flags?.disabledWithPending !== undefined) {
                const cap = source.kind === 'msi' ? 'MSI' : 'MSI-X';
                out.push(
                    makeSimFinding(
                        'scenario-pending-lost',
                        `${cap} of ${layout.device.name} is disabled here while ${name} is pending, and never enabled again: the pending interrupt is never delivered. Let the vector be delivered (unmask) before disabling, or enable ${cap} again.`,
                        { id: this.scenario.events[flags.disabledWithPending].id },
                        [element],
                    ),
                );
            } else if (sv.pendingSince !== undefined) {
                out.push(
                    makeSimFinding(
                        'scenario-left-pending',
                        `${name} is still pending when the scenario ends (raised here while masked): it is delivered only when it is unmasked.`,
                        { id: this.scenario.events[sv.pendingSince].id },
                        [element],
                    ),
                );
            }
        }
        return out;
    }
}

/** Every step of a scenario on a machine, in order (a generator: nothing is kept). */
export function simulate(machine: Machine, scenario: Scenario, options: SimulateOptions): Generator<SimStep, SimState> {
    return new Simulator(machine, scenario, options).steps();
}

/** The scenario checks' findings (their elements are event ids, and the machine's elements in `related`). */
export function checkScenario(machine: Machine, scenario: Scenario, options: SimulateOptions): Finding[] {
    return new Simulator(machine, scenario, options).check();
}

// ---------------------------------------------------------------------------------------------------------

/** '0..7, 16' (sorted CPU indexes, runs collapsed). */
function cpuList(indexes: number[]): string {
    const sorted = [...new Set(indexes)].sort((a, b) => a - b);
    const parts: string[] = [];
    for (let i = 0; i < sorted.length; ) {
        let j = i;
        while (j + 1 < sorted.length && sorted[j + 1] === sorted[j] + 1) j++;
        parts.push(j === i ? String(sorted[i]) : `${sorted[i]}..${sorted[j]}`);
        i = j + 1;
    }
    return parts.join(', ');
}

function errorText(e: unknown): string {
    return e instanceof Error ? e.message : String(e);
}

/** The `update` field an IRTE encoder error names ('IRTE dest 0x1000000 cannot …' → 'dest'), for the diagnostic's range. */
function patchPropertyOf(message: string): string | undefined {
    const field = /^IRTE (\w+)/.exec(message)?.[1];
    const properties: Record<string, string> = { dest: 'dest', pda: 'descriptor', vector: 'vector', avail: 'avail', sid: 'sid' };
    return field ? properties[field] : undefined;
}

function maskRegister(source: VectorSource): string {
    return source.kind === 'msix' ? 'the entry\'s Vector Control mask bit' : source.kind === 'msi' ? `MSI Mask bit ${source.index}` : 'the IMS entry\'s mask';
}

function sameIrte(a: { lo: bigint; hi: bigint } | undefined, b: { lo: bigint; hi: bigint } | undefined): boolean {
    return a === b || (!!a && !!b && a.lo === b.lo && a.hi === b.hi);
}

/** 'dest 0x3 → 0x5, vector 0x41 → 0x42' (the fields as the engine decodes them). */
export function irteDiff(a: { lo: bigint; hi: bigint }, b: { lo: bigint; hi: bigint }, eim: boolean): string {
    const x = irteFieldsOf(a.lo, a.hi, { eim });
    const y = irteFieldsOf(b.lo, b.hi, { eim });
    const out: string[] = [];
    const cmp = (label: string, u: unknown, v: unknown, fmt: (w: never) => string = (w) => String(w)) => {
        if (u !== v) out.push(`${label} ${fmt(u as never)} → ${fmt(v as never)}`);
    };
    cmp('present', x.present, y.present);
    cmp('format', x.posted ? 'posted' : 'remapped', y.posted ? 'posted' : 'remapped');
    cmp('vector', x.vector, y.vector, (v: number) => hex(v));
    // Without EIM the hardware reads an 8-bit destination (bits 47:40); a wider one written by the scenario sits
    // in the reserved bits 63:48 (what the encoder does so that it faults rather than aliasing): show it all.
    if (!x.posted || !y.posted) cmp('dest', destText(a, x, eim), destText(b, y, eim));
    cmp('delivery', x.deliveryMode, y.deliveryMode, (v: number) => deliveryModeLabel(v));
    cmp('trigger', x.trigger, y.trigger);
    cmp('dest mode', x.destMode, y.destMode);
    cmp('rh', x.redirectionHint, y.redirectionHint);
    cmp('fpd', x.fpd, y.fpd);
    cmp('urgent', x.urgent, y.urgent);
    cmp('descriptor', x.pda, y.pda, (v: bigint) => hex(v));
    cmp('sid', x.sid, y.sid, (v: number) => hex(v));
    cmp('sq', x.sq, y.sq);
    cmp('svt', x.svt, y.svt);
    cmp('avail', x.avail, y.avail);
    cmp('reserved bits', reservedText(a, x.posted, eim), reservedText(b, y.posted, eim));
    return out.length ? out.join(', ') : 'unchanged';
}

/** An IRTE's destination as written: without EIM, dest[7:0] from bits 47:40 and dest[23:8] from the reserved 63:48. */
function destText(e: { lo: bigint; hi: bigint }, f: IrteFields, eim: boolean): string {
    if (eim || f.posted) return hex(f.dest);
    const w1 = irteWords(e.lo, e.hi).w1;
    const wide = (w1 >>> 16) & 0xffff;
    return wide === 0 ? hex(f.dest) : `${hex(((wide << 8) | f.dest) >>> 0)} (needs EIM: dest[23:8] is in the reserved bits 63:48)`;
}

/**
 * The reserved bits an IRTE sets (as the specification counts them, with posted-interrupt support), other
 * than the xAPIC destination overflow destText shows: 'none', or '13:12, 39:32'.
 */
function reservedText(e: { lo: bigint; hi: bigint }, posted: boolean, eim: boolean): string {
    const w = irteWords(e.lo, e.hi);
    if (!eim && !posted) w.w1 = w.w1 & 0xffff;
    const bits = irteReservedViolations(w, irteReservedMask(posted, 'spec', eim, true));
    return bits.length ? bits.join(', ') : 'none';
}

function ridBdf(rid: number, segment: number): { segment: number; bus: number; device: number; fn: number } {
    return { segment, bus: (rid >>> 8) & 0xff, device: (rid >>> 3) & 0x1f, fn: rid & 7 };
}

/** An event as the language writes it ('fire nic.msix[0]', 'update dmar0.irte 0'). */
export function describeEvent(ev: ScenarioEvent, index: SimIndex): string {
    const iommuName = (id: ElementId) => index.machine.iommus.find((m) => m.id === id)?.name ?? id;
    const deviceName = (id: ElementId) => index.deviceAt(id)?.device.name ?? id;
    switch (ev.kind) {
        case 'fire':
        case 'mask':
        case 'unmask':
            return `${ev.kind} ${index.nameOf(ev.source)}`;
        case 'write':
            return `write ${index.nameOf(ev.source)}`;
        case 'update-irte':
            return `update ${iommuName(ev.iommu)}.irte ${ev.index}`;
        case 'invalidate-iec':
            return `invalidate ${iommuName(ev.iommu)}.iec${ev.index === undefined ? '' : ` index ${ev.index}`}`;
        case 'function-mask':
            return `function-mask ${deviceName(ev.device)} ${ev.on ? 'on' : 'off'}`;
        case 'enable':
            return `${ev.on ? 'enable' : 'disable'} ${deviceName(ev.device)}.${ev.capability}`;
        case 'affinity':
            return `affinity ${index.nameOf(ev.source)} cpu ${ev.cpu}${ev.unsafe ? ' unsafe' : ''}`;
        case 'eoi':
            return `eoi cpu ${ev.cpu}${ev.vector === undefined ? '' : ` vector ${hex(ev.vector)}`}`;
        case 'route-update':
            return `route-update gsi ${ev.gsi}`;
    }
}

