/**
 * The debug adapter: Debug Adapter Protocol requests translated to the runtime (runtime.ts) and back. No
 * interrupt knowledge here: positions, stops, frames and variables come from the runtime, the simulator and
 * the engine.
 *
 * Protocol notes:
 * - `launch` loads the file and answers only after `configurationDone` (breakpoints set in between must
 *   count, TOOLCHAIN.md); `initialized` is sent once the file is loaded, so that breakpoints are verified
 *   against the scenario that runs. A wrong configuration fails `launch` with a message that says what is
 *   wrong (VS Code shows it and ends the session).
 * - One thread: the scenario. Frames: the stages of the current delivery, innermost first, then the event.
 * - Lines and columns are 1-based on this side (the library converts for clients that count from 0).
 */
import { basename } from 'node:path';
import {
    Breakpoint,
    ExitedEvent,
    Handles,
    InitializedEvent,
    LoggingDebugSession,
    OutputEvent,
    Scope,
    Source,
    StackFrame,
    StoppedEvent,
    TerminatedEvent,
    Thread,
} from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { evaluateExpression } from './evaluate.js';
import { LaunchError, loadProgram, type IrqLaunchArguments } from './launch.js';
import { IrqRuntime, type FrameInfo, type StopInfo } from './runtime.js';
import { elementNodes, machineStateNodes, messageNodes, type VarNode } from './variables.js';

const THREAD_ID = 1;
/** How long `launch` waits for `configurationDone` from a client that never sends it. */
const CONFIGURATION_TIMEOUT_MS = 3000;

export const EXCEPTION_BREAKPOINT_FILTERS: DebugProtocol.ExceptionBreakpointsFilter[] = [
    { filter: 'fault', label: 'Faults', description: 'Stop where a delivery faults (a VT-d fault, a write outside the interrupt window, a route KVM refuses).', default: true },
    { filter: 'pending', label: 'Interrupts left pending', description: 'Stop where a raised interrupt is held pending by a mask (or by remote IRR).', default: false },
    { filter: 'lost', label: 'Lost interrupts', description: 'Stop where an interrupt is lost: dropped while disabled, merged into a pending bit or IRR, or reaching no CPU.', default: true },
];

type LaunchRequestArguments = DebugProtocol.LaunchRequestArguments & IrqLaunchArguments;

export class IrqDebugSession extends LoggingDebugSession {
    private runtime: IrqRuntime | undefined;
    private launchArgs: LaunchRequestArguments | undefined;
    private configurationDone!: Promise<void>;
    private signalConfigurationDone!: () => void;
    private readonly variables = new Handles<() => VarNode[]>();
    private frames: FrameInfo[] = [];
    private frameIds = new Map<number, FrameInfo>();
    /** The last breakpoints request of each source (breakpoints in other files must not clear ours). */
    private readonly breakpointArgs = new Map<string, DebugProtocol.SetBreakpointsArguments>();
    private exceptionFilters: string[] = [];
    private nextBreakpointId = 1;

    constructor() {
        super();
        this.setDebuggerLinesStartAt1(true);
        this.setDebuggerColumnsStartAt1(true);
        this.resetConfiguration();
    }

    private resetConfiguration(): void {
        this.configurationDone = new Promise((resolve) => (this.signalConfigurationDone = resolve));
    }

    protected override initializeRequest(response: DebugProtocol.InitializeResponse, _args: DebugProtocol.InitializeRequestArguments): void {
        response.body = {
            ...response.body,
            supportsConfigurationDoneRequest: true,
            supportsStepBack: true,
            supportsConditionalBreakpoints: true,
            supportsEvaluateForHovers: true,
            supportsExceptionInfoRequest: true,
            supportsRestartRequest: true,
            supportsTerminateRequest: true,
            exceptionBreakpointFilters: EXCEPTION_BREAKPOINT_FILTERS,
        };
        this.sendResponse(response);
    }

    protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse, args: DebugProtocol.ConfigurationDoneArguments): void {
        super.configurationDoneRequest(response, args);
        this.signalConfigurationDone();
    }

    protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchRequestArguments): Promise<void> {
        this.launchArgs = args;
        try {
            this.runtime = new IrqRuntime(await loadProgram(args));
        } catch (e) {
            this.fail(response, e);
            return;
        }
        for (const w of this.runtime.program.warnings) this.print(`warning: ${w}\n`, 'stderr');
        this.sendEvent(new InitializedEvent());
        await Promise.race([this.configurationDone, new Promise((r) => setTimeout(r, CONFIGURATION_TIMEOUT_MS))]);
        this.applyBreakpoints();
        this.runtime.setExceptionFilters(this.exceptionFilters);
        this.print(`Simulating ${this.runtime.program.title} (${this.runtime.eventCount} event${this.runtime.eventCount === 1 ? '' : 's'}, profile ${this.runtime.program.profile}) from ${basename(this.runtime.program.file)}.\n`);
        this.sendResponse(response);
        this.report(this.runtime.start(args.stopOnEntry ?? false));
    }

    protected override restartRequest(response: DebugProtocol.RestartResponse, args: DebugProtocol.RestartArguments): void {
        const launch = ((args.arguments as LaunchRequestArguments | undefined) ?? this.launchArgs)!;
        loadProgram(launch).then(
            (program) => {
                this.runtime = new IrqRuntime(program);
                this.launchArgs = launch;
                this.applyBreakpoints();
                this.runtime.setExceptionFilters(this.exceptionFilters);
                this.sendResponse(response);
                this.report(this.runtime.start(launch.stopOnEntry ?? false));
            },
            (e) => this.fail(response, e),
        );
    }

    private fail(response: DebugProtocol.Response, e: unknown): void {
        const message = e instanceof LaunchError ? e.message : `The simulator failed: ${e instanceof Error ? e.message : String(e)}. Please report this.`;
        this.sendErrorResponse(response, { id: 1001, format: message, showUser: true });
    }

    // ---------------------------------------------------------------------------------------------
    // Breakpoints

    protected override setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): void {
        const path = args.source.path === undefined ? '' : this.convertClientPathToDebugger(args.source.path);
        this.breakpointArgs.set(path, args);
        response.body = { breakpoints: this.breakpointsOf(path) };
        this.sendResponse(response);
    }

    /** Gives the runtime the breakpoints of the simulated file (after launch, or when they change). */
    private applyBreakpoints(): void {
        if (this.runtime) this.breakpointsOf(this.runtime.program.file);
    }

    /** The breakpoints of one source, verified against the scenario when it is the simulated file. */
    private breakpointsOf(path: string): DebugProtocol.Breakpoint[] {
        const args = this.breakpointArgs.get(path);
        if (!args) return [];
        const requested: DebugProtocol.SourceBreakpoint[] = args.breakpoints ?? (args.lines ?? []).map((line) => ({ line }));
        const runtime = this.runtime;
        if (!runtime || !samePath(path, runtime.program.file)) {
            return requested.map((b) => {
                const bp = new Breakpoint(false, b.line) as DebugProtocol.Breakpoint;
                bp.message = runtime ? `This session simulates ${basename(runtime.program.file)}.` : 'Not verified until the simulation starts.';
                return bp;
            });
        }
        const results = runtime.setBreakpoints(requested.map((b) => ({ line: this.convertClientLineToDebugger(b.line) - 1, condition: b.condition })));
        return results.map((r) => {
            const bp = new Breakpoint(r.verified, this.convertDebuggerLineToClient(r.line + 1), undefined, new Source(basename(runtime.program.file), runtime.program.file)) as DebugProtocol.Breakpoint;
            bp.id = this.nextBreakpointId++;
            if (r.message) bp.message = r.message;
            return bp;
        });
    }

    protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
        this.exceptionFilters = [...(args.filters ?? []), ...(args.filterOptions ?? []).map((f) => f.filterId)];
        this.runtime?.setExceptionFilters(this.exceptionFilters);
        response.body = { breakpoints: this.exceptionFilters.map(() => ({ verified: true })) };
        this.sendResponse(response);
    }

    protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse, _args: DebugProtocol.ExceptionInfoArguments): void {
        const notes = this.runtime?.notesAt() ?? [];
        const note = notes.find((n) => n.kind === 'fault' || n.kind === 'lost' || n.kind === 'pending');
        response.body = {
            exceptionId: note?.kind ?? 'none',
            description: note?.message ?? 'No interrupt faulted, ended pending or was lost at this step.',
            breakMode: 'always',
            details: note ? { message: note.message, typeName: note.kind } : undefined,
        };
        this.sendResponse(response);
    }

    // ---------------------------------------------------------------------------------------------
    // Running

    protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
        response.body = { allThreadsContinued: true };
        this.sendResponse(response);
        this.report(this.runtime!.continue());
    }

    protected override nextRequest(response: DebugProtocol.NextResponse): void {
        this.sendResponse(response);
        this.report(this.runtime!.next());
    }

    protected override stepInRequest(response: DebugProtocol.StepInResponse): void {
        this.sendResponse(response);
        this.report(this.runtime!.stepIn());
    }

    protected override stepOutRequest(response: DebugProtocol.StepOutResponse): void {
        this.sendResponse(response);
        this.report(this.runtime!.stepOut());
    }

    protected override stepBackRequest(response: DebugProtocol.StepBackResponse): void {
        this.sendResponse(response);
        this.report(this.runtime!.stepBack());
    }

    protected override reverseContinueRequest(response: DebugProtocol.ReverseContinueResponse): void {
        this.sendResponse(response);
        this.report(this.runtime!.reverseContinue());
    }

    protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
        // The simulation never runs in the background: it is always stopped by the time a pause arrives.
        this.sendResponse(response);
    }

    protected override terminateRequest(response: DebugProtocol.TerminateResponse): void {
        this.sendResponse(response);
        this.sendEvent(new TerminatedEvent());
    }

    private report(stop: StopInfo): void {
        this.variables.reset();
        this.frameIds.clear();
        for (const note of stop.passed) this.print(`${note.kind}: ${note.message}\n`);
        if (stop.reason === 'end') {
            this.print(`${this.runtime!.program.title}: end of the scenario.\n`);
            this.sendEvent(new ExitedEvent(0));
            this.sendEvent(new TerminatedEvent());
            return;
        }
        for (const note of this.runtime!.notesAt()) if (note.kind === 'stale' || note.kind === 'info') this.print(`${note.kind}: ${note.message}\n`);
        const event = new StoppedEvent(stop.reason, THREAD_ID, stop.exception?.message) as DebugProtocol.StoppedEvent;
        if (stop.exception) event.body.description = stop.exception.kind === 'fault' ? 'Fault' : stop.exception.kind === 'lost' ? 'Interrupt lost' : 'Interrupt pending';
        this.sendEvent(event);
    }

    private print(text: string, category: 'console' | 'stderr' = 'console'): void {
        this.sendEvent(new OutputEvent(text, category));
    }

    // ---------------------------------------------------------------------------------------------
    // Inspecting

    protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
        response.body = { threads: [new Thread(THREAD_ID, this.runtime?.program.title ?? 'interrupt delivery')] };
        this.sendResponse(response);
    }

    protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
        const runtime = this.runtime!;
        this.frames = runtime.frames();
        const source = new Source(basename(runtime.program.file), this.convertDebuggerPathToClient(runtime.program.file));
        const start = args.startFrame ?? 0;
        const count = args.levels ? args.levels : this.frames.length;
        const frames = this.frames.slice(start, start + count).map((f, i) => {
            const id = this.frameIds.size + 1;
            this.frameIds.set(id, f);
            const frame = new StackFrame(id, f.name, source, this.convertDebuggerLineToClient(f.line + 1), this.convertDebuggerColumnToClient(f.column + 1));
            if (!f.stage && start + i > 0) frame.presentationHint = 'label';
            return frame;
        });
        response.body = { stackFrames: frames, totalFrames: this.frames.length };
        this.sendResponse(response);
    }

    protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
        const runtime = this.runtime!;
        const frame = this.frameIds.get(args.frameId);
        const state = frame?.step?.state ?? runtime.stateAt();
        const where = frame ? `line ${frame.line + 1}` : undefined;
        const scopes: DebugProtocol.Scope[] = [];
        if (frame?.stage) {
            scopes.push(new Scope('Message', this.variables.create(() => messageNodes(frame.step, frame.stage, frame.traceStage)), false));
            scopes.push(new Scope('Element', this.variables.create(() => elementNodes(frame.stage, where)), false));
        } else {
            scopes.push(new Scope('Event', this.variables.create(() => eventNodes(runtime, frame)), false));
        }
        scopes.push(new Scope('Machine state', this.variables.create(() => machineStateNodes(runtime.sim, state)), false));
        response.body = { scopes };
        this.sendResponse(response);
    }

    protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
        const make = this.variables.get(args.variablesReference);
        const nodes = make ? make() : [];
        response.body = { variables: nodes.map((n) => this.toVariable(n)) };
        this.sendResponse(response);
    }

    private toVariable(n: VarNode): DebugProtocol.Variable {
        return { name: n.name, value: n.value, variablesReference: n.children ? this.variables.create(n.children) : 0 };
    }

    protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
        const runtime = this.runtime;
        if (!runtime) {
            this.sendErrorResponse(response, { id: 1002, format: 'Nothing is being simulated.', showUser: false });
            return;
        }
        const frame = args.frameId !== undefined ? this.frameIds.get(args.frameId) : undefined;
        const state = frame?.step?.state ?? runtime.stateAt();
        try {
            const r = evaluateExpression(runtime.sim, state, args.expression);
            response.body = { result: r.result, variablesReference: r.node?.children ? this.variables.create(r.node.children) : 0 };
            this.sendResponse(response);
        } catch (e) {
            // Hovers over words that are not expressions stay silent; the console says what it understands.
            this.sendErrorResponse(response, { id: 1003, format: e instanceof Error ? e.message : String(e), showUser: args.context === 'repl' });
        }
    }
}

function eventNodes(runtime: IrqRuntime, frame: FrameInfo | undefined): VarNode[] {
    const p = runtime.position;
    const event = frame?.event ?? p.event;
    const ev = runtime.program.scenario.events[event];
    if (!ev) return [];
    const steps = runtime.stepsOf(event);
    return [
        { name: 'event', value: frame?.name ?? `event ${event + 1}` },
        { name: 'kind', value: ev.kind },
        { name: 'steps', value: String(steps.length) },
        { name: 'stages', value: steps.map((s) => s.stage.title).join(' → '), children: () => steps.map((s, i) => ({ name: `${i + 1}. ${s.stage.title}`, value: s.stage.summary })) },
    ];
}

function samePath(a: string, b: string): boolean {
    return process.platform === 'win32' || process.platform === 'darwin' ? a.toLowerCase() === b.toLowerCase() : a === b;
}
