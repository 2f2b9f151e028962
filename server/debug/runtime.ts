/**
 * The debugger's runtime: walks a scenario simulated by the engine (language/engine/sim) position by
 * position, forward and backward, and decides where to stop. No protocol types here (like mock-debug's
 * MockRuntime); session.ts translates.
 *
 * Positions: for each event, its *entry* (stopped on the event's line, nothing of it has run) and then one
 * position per step of the event (a stage of a delivery, or what software did). The simulation is
 * deterministic, so the runtime keeps only the state before each event (cheap: snapshots share structure)
 * and re-runs an event to get its steps when it needs them.
 *
 * Stepping:
 *   stepIn          the next position (into an event's stages; the finest step)
 *   next            on an event's entry: over the whole event, to the next event's entry;
 *                   inside an event: the next stage
 *   stepOut         finish the event: the next event's entry
 *   continue        to the next breakpoint / exception, or the end
 *   stepBack        the previous position
 *   reverseContinue back to the previous breakpoint / exception, or the first event's entry
 * Running stops at a breakpoint (a line the position touches, with its condition) or an exception (a step
 * where an interrupt faults, ends pending or is lost, when that filter is on); never at the position it
 * started from.
 */
import type { Range } from 'vscode-languageserver-types';
import type { Stage } from '../../language/engine/trace.js';
import { describeEvent, Simulator, type SimState, type SimStep, type StepNote, type StepNoteKind } from '../../language/engine/sim/index.js';
import { parseCondition, type Condition, type ConditionContext } from './conditions.js';
import type { LoadedProgram } from './launch.js';

export type ExceptionFilter = 'fault' | 'pending' | 'lost';
export const EXCEPTION_FILTERS: readonly ExceptionFilter[] = ['fault', 'pending', 'lost'];

export interface Position {
    event: number;
    /** -1: the event's entry; else the index of the step within the event. */
    step: number;
}

export interface StopInfo {
    reason: 'entry' | 'step' | 'breakpoint' | 'exception' | 'end';
    /** For 'exception': the note that stopped it. */
    exception?: StepNote;
    /** Notes of the steps run through on the way (printed on the debug console). */
    passed: StepNote[];
}

export interface FrameInfo {
    name: string;
    /** 0-based. */
    line: number;
    column: number;
    event: number;
    /** A stage frame: the stage, and the step it belongs to. */
    stage?: Stage;
    step?: SimStep;
    /** Position of `stage` within its delivery's trace. */
    traceStage?: number;
}

export interface BreakpointRequest {
    /** 0-based. */
    line: number;
    condition?: string;
}

export interface BreakpointResult {
    line: number;
    verified: boolean;
    message?: string;
}

/** Frame names of a delivery's stages (the remapping and KVM stages keep their titles, which name the unit). */
const STAGE_LABELS: Partial<Record<Stage['kind'], string>> = {
    'device-write': 'device write',
    'host-bridge': 'host bridge',
    'apic-delivery': 'local APIC',
    xics: 'XICS',
    cpu: 'CPU',
};

/** Events whose steps are kept (the current one and its neighbours, for stepping back and forth). */
const STEP_CACHE = 32;
/** Notes printed per run (continue over a long scenario would otherwise flood the console). */
const PASSED_NOTES = 100;

export class IrqRuntime {
    readonly sim: Simulator;
    /** State before event i (index events.length: after the last). */
    private readonly checkpoints: SimState[] = [];
    private readonly stepCache = new Map<number, SimStep[]>();
    private readonly breakpoints = new Map<number, Condition | undefined>();
    private readonly filters = new Set<ExceptionFilter>();
    /** Lines a position can stop on (0-based). */
    readonly stoppableLines = new Set<number>();
    private pos: Position = { event: 0, step: -1 };
    private readonly deviceLines = new Map<string, number | undefined>();

    constructor(readonly program: LoadedProgram) {
        this.sim = new Simulator(program.machine.model, program.scenario, { profile: program.profile });
        let st = this.sim.initial;
        for (let e = 0; e < this.eventCount; e++) {
            this.checkpoints.push(st);
            this.stoppableLines.add(program.eventLines[e]);
            const run = this.sim.runEvent(st, e);
            if (e < STEP_CACHE) this.stepCache.set(e, run.steps);
            for (const step of run.steps) for (const line of this.linesOfStep(step)) this.stoppableLines.add(line);
            st = run.state;
        }
        this.checkpoints.push(st);
    }

    get eventCount(): number {
        return this.program.scenario.events.length;
    }

    get position(): Position {
        return { ...this.pos };
    }

    // ---------------------------------------------------------------------------------------------
    // Breakpoints

    setBreakpoints(requests: readonly BreakpointRequest[]): BreakpointResult[] {
        this.breakpoints.clear();
        return requests.map((r) => {
            if (!this.stoppableLines.has(r.line)) {
                return { line: r.line, verified: false, message: `Nothing in ${this.program.title} stops on line ${r.line + 1}: no event is written there and no delivery uses an element declared there.` };
            }
            let condition: Condition | undefined;
            if (r.condition && r.condition.trim()) {
                try {
                    condition = parseCondition(r.condition);
                } catch (e) {
                    return { line: r.line, verified: false, message: `Invalid condition: ${e instanceof Error ? e.message : String(e)}.` };
                }
            }
            this.breakpoints.set(r.line, condition);
            return { line: r.line, verified: true };
        });
    }

    setExceptionFilters(filters: readonly string[]): void {
        this.filters.clear();
        for (const f of filters) if ((EXCEPTION_FILTERS as readonly string[]).includes(f)) this.filters.add(f as ExceptionFilter);
    }

    // ---------------------------------------------------------------------------------------------
    // Moving

    /** Starts at the first event's entry; stops there, or runs to the first breakpoint (which may be there). */
    start(stopOnEntry: boolean): StopInfo {
        this.pos = { event: 0, step: -1 };
        if (stopOnEntry) return { reason: 'entry', passed: [] };
        const here = this.hit(this.pos);
        if (here) return { ...here, passed: [] };
        return this.continue();
    }

    stepIn(): StopInfo {
        const next = this.advance(this.pos);
        if (!next) return this.toEnd([]);
        this.pos = next;
        return { reason: 'step', passed: [] };
    }

    next(): StopInfo {
        if (this.pos.step >= 0) return this.stepIn();
        return this.runTo((p) => p.step === -1 && p.event === this.pos.event + 1);
    }

    stepOut(): StopInfo {
        const event = this.pos.event;
        return this.runTo((p) => p.step === -1 && p.event === event + 1);
    }

    continue(): StopInfo {
        return this.runTo(() => false);
    }

    stepBack(): StopInfo {
        const prev = this.retreat(this.pos);
        if (!prev) return { reason: 'entry', passed: [] };
        this.pos = prev;
        return { reason: 'step', passed: [] };
    }

    reverseContinue(): StopInfo {
        let p = this.retreat(this.pos);
        while (p) {
            const hit = this.hit(p);
            if (hit) {
                this.pos = p;
                return { ...hit, passed: [] };
            }
            const prev = this.retreat(p);
            if (!prev) break;
            p = prev;
        }
        this.pos = { event: 0, step: -1 };
        return { reason: 'entry', passed: [] };
    }

    /** Runs forward until `target(p)` or a breakpoint / exception; the end if neither comes. */
    private runTo(target: (p: Position) => boolean): StopInfo {
        const passed: StepNote[] = [];
        let p = this.advance(this.pos);
        while (p) {
            const hit = this.hit(p);
            if (hit) {
                this.pos = p;
                return { ...hit, passed };
            }
            if (target(p)) {
                this.pos = p;
                return { reason: 'step', passed };
            }
            if (p.step >= 0 && passed.length < PASSED_NOTES) passed.push(...this.stepAt(p)!.notes);
            p = this.advance(p);
        }
        return this.toEnd(passed);
    }

    private toEnd(passed: StepNote[]): StopInfo {
        this.pos = { event: this.eventCount, step: -1 };
        return { reason: 'end', passed };
    }

    private advance(p: Position): Position | undefined {
        if (p.event >= this.eventCount) return undefined;
        const steps = this.stepsOf(p.event);
        if (p.step + 1 < steps.length) return { event: p.event, step: p.step + 1 };
        if (p.event + 1 < this.eventCount) return { event: p.event + 1, step: -1 };
        return undefined;
    }

    private retreat(p: Position): Position | undefined {
        if (p.event >= this.eventCount) {
            const last = this.eventCount - 1;
            return last < 0 ? undefined : { event: last, step: this.stepsOf(last).length - 1 };
        }
        if (p.step >= 0) return { event: p.event, step: p.step - 1 };
        if (p.event === 0) return undefined;
        return { event: p.event - 1, step: this.stepsOf(p.event - 1).length - 1 };
    }

    /** Why a position stops a run: an exception of an active filter first, then a breakpoint. */
    private hit(p: Position): Omit<StopInfo, 'passed'> | undefined {
        const step = p.step >= 0 ? this.stepAt(p) : undefined;
        if (step && this.filters.size) {
            const note = step.notes.find((n) => this.filters.has(n.kind as ExceptionFilter));
            if (note) return { reason: 'exception', exception: note };
        }
        if (this.breakpoints.size === 0) return undefined;
        let ctx: ConditionContext | undefined;
        for (const line of this.linesOf(p)) {
            if (!this.breakpoints.has(line)) continue;
            const condition = this.breakpoints.get(line);
            if (!condition) return { reason: 'breakpoint' };
            ctx ??= this.conditionContext(p);
            if (condition(ctx)) return { reason: 'breakpoint' };
        }
        return undefined;
    }

    // ---------------------------------------------------------------------------------------------
    // What a position shows

    /** The steps of an event (re-run from the state before it when not cached). */
    stepsOf(event: number): SimStep[] {
        let steps = this.stepCache.get(event);
        if (!steps) {
            steps = this.sim.runEvent(this.checkpoints[event], event).steps;
            if (this.stepCache.size >= STEP_CACHE) this.stepCache.delete(this.stepCache.keys().next().value!);
            this.stepCache.set(event, steps);
        }
        return steps;
    }

    stepAt(p: Position = this.pos): SimStep | undefined {
        if (p.step < 0 || p.event >= this.eventCount) return undefined;
        return this.stepsOf(p.event)[p.step];
    }

    /** The machine state at a position: after its step, or before its event on an entry. */
    stateAt(p: Position = this.pos): SimState {
        return this.stepAt(p)?.state ?? this.checkpoints[Math.min(p.event, this.eventCount)];
    }

    get atEnd(): boolean {
        return this.pos.event >= this.eventCount;
    }

    private range(ref: Stage['element']): Range | undefined {
        return ref ? this.program.rangeOf(ref) : undefined;
    }

    private deviceLine(deviceId: string): number | undefined {
        if (!this.deviceLines.has(deviceId)) this.deviceLines.set(deviceId, this.program.rangeOf({ id: deviceId })?.start.line);
        return this.deviceLines.get(deviceId);
    }

    /** The lines a step touches: its element's line (else the event's); a device write also the device's. */
    private linesOfStep(step: SimStep): number[] {
        const own = this.range(step.stage.element)?.start.line ?? this.program.eventLines[step.eventIndex];
        if (step.delivery && step.stage.kind === 'device-write') {
            const d = this.deviceLine(step.delivery.source.device);
            if (d !== undefined && d !== own) return [own, d];
        }
        return [own];
    }

    linesOf(p: Position): number[] {
        if (p.event >= this.eventCount) return [];
        if (p.step < 0) return [this.program.eventLines[p.event]];
        return this.linesOfStep(this.stepAt(p)!);
    }

    /** The frames of the current position, innermost first: the stages of the delivery so far, then the event. */
    frames(): FrameInfo[] {
        const p = this.pos;
        if (p.event >= this.eventCount) return [];
        const event = this.program.scenario.events[p.event];
        const eventLine = this.program.eventLines[p.event];
        const eventRange = this.program.rangeOf({ id: event.id });
        const eventFrame: FrameInfo = { name: `event ${p.event + 1}: ${describeEvent(event, this.sim.index)}`, line: eventLine, column: eventRange?.start.character ?? 0, event: p.event };
        const step = this.stepAt(p);
        if (!step) return [eventFrame];
        const frame = (stage: Stage, traceStage?: number): FrameInfo => {
            const r = this.range(stage.element);
            // Stages of a delivery are named by what they are; what software did, by its own title.
            const label = traceStage === undefined ? stage.title : (STAGE_LABELS[stage.kind] ?? stage.title);
            return { name: `${label}: ${stage.summary}`, line: r?.start.line ?? eventLine, column: r?.start.character ?? 0, event: p.event, stage, step, traceStage };
        };
        const out: FrameInfo[] = [];
        if (step.delivery && step.traceStage !== undefined) {
            const stages = step.delivery.trace.stages;
            for (let j = step.traceStage; j >= 0; j--) out.push(frame(stages[j], j));
        } else out.push(frame(step.stage));
        out.push(eventFrame);
        return out;
    }

    /** What conditions of conditional breakpoints can ask about a position. */
    conditionContext(p: Position = this.pos): ConditionContext {
        const event = this.program.scenario.events[p.event];
        const ctx: ConditionContext = { event: p.event + 1, kind: event?.kind };
        if (event && 'source' in event) ctx.source = this.sim.index.nameOf(event.source);
        if (event && (event.kind === 'eoi' || event.kind === 'affinity')) ctx.cpu = event.cpu;
        if (event?.kind === 'update-irte' || (event?.kind === 'invalidate-iec' && event.index !== undefined)) ctx.irte = event.index;
        if (event?.kind === 'eoi' && event.vector !== undefined) ctx.vector = event.vector;
        const step = p.step >= 0 ? this.stepAt(p) : undefined;
        if (!step) return ctx;
        ctx.stage = step.stage.kind;
        const d = step.delivery;
        if (!d) return ctx;
        ctx.source = d.name;
        let o = d.trace.outcome;
        if (o.kind === 'pending' && o.whenUnmasked) o = o.whenUnmasked;
        if (o.kind === 'delivered') {
            ctx.vector = o.vector;
            ctx.dest = o.destId;
            ctx.trigger = o.trigger;
            ctx.cpu = o.targets.map((t) => t.index);
            if (o.irte) ctx.irte = o.irte.index;
        } else if (o.kind === 'posted') {
            ctx.vector = o.vector;
            ctx.irte = o.irte.index;
        } else if (o.kind === 'fault') {
            ctx.fault = o.code;
            if (o.irte) ctx.irte = o.irte.index;
        }
        return ctx;
    }

    /** Notes of a kind at the current step (for exception info). */
    notesAt(kind?: StepNoteKind): StepNote[] {
        const notes = this.stepAt()?.notes ?? [];
        return kind ? notes.filter((n) => n.kind === kind) : [...notes];
    }
}
