/**
 * Driving the debug adapter bundle (out/debug-adapter.cjs, built by `node esbuild.mjs`) over stdio with the
 * Debug Adapter Protocol's own test client, as VS Code would.
 */
import { existsSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import testsupport from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';

const { DebugClient } = testsupport;
export type Client = InstanceType<typeof DebugClient>;

export const REPO = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const ADAPTER = join(REPO, 'out', 'debug-adapter.cjs');
export const ADAPTER_BUILT = existsSync(ADAPTER);
export const example = (name: string) => join(REPO, 'examples', name);

export async function startClient(): Promise<Client> {
    const dc = new DebugClient('node', ADAPTER, 'irq');
    // The adapter loads the language (Langium) on launch: generous on a busy machine.
    dc.defaultTimeout = 30_000;
    await dc.start();
    return dc;
}

/** Launches with `args`, sets `lines` as breakpoints (with conditions) and exception filters, and waits for the first stop. */
export async function launch(
    dc: Client,
    args: Record<string, unknown>,
    o: { lines?: { line: number; condition?: string }[]; filters?: string[] } = {},
): Promise<{ stopped: DebugProtocol.StoppedEvent; breakpoints: DebugProtocol.Breakpoint[] }> {
    let breakpoints: DebugProtocol.Breakpoint[] = [];
    const configure = dc.waitForEvent('initialized').then(async () => {
        if (o.lines) {
            const r = await dc.setBreakpointsRequest({ source: { path: String(args.program) }, breakpoints: o.lines });
            breakpoints = r.body.breakpoints;
        }
        if (o.filters) await dc.setExceptionBreakpointsRequest({ filters: o.filters });
        await dc.configurationDoneRequest();
    });
    const [stopped] = await Promise.all([dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>, configure, dc.launch(args)]);
    return { stopped, breakpoints };
}

/** Sends a stepping request and waits for the stop it causes. */
export async function step(dc: Client, request: (args: { threadId: number }) => Promise<unknown>): Promise<DebugProtocol.StoppedEvent['body']> {
    const [stopped] = await Promise.all([dc.waitForEvent('stopped') as Promise<DebugProtocol.StoppedEvent>, request({ threadId: 1 })]);
    return stopped.body;
}

/** `line:column name` of every frame, innermost first. */
export async function frames(dc: Client): Promise<string[]> {
    const r = await dc.stackTraceRequest({ threadId: 1 });
    return r.body.stackFrames.map((f) => `${f.line}:${f.column} ${f.name}`);
}

/** name = value of the variables of a reference; `depth` levels of children, indented. */
export async function variables(dc: Client, ref: number, depth = 0, indent = ''): Promise<string[]> {
    const r = await dc.variablesRequest({ variablesReference: ref });
    const out: string[] = [];
    for (const v of r.body.variables) {
        out.push(`${indent}${v.name} = ${v.value}`);
        if (depth > 0 && v.variablesReference) out.push(...(await variables(dc, v.variablesReference, depth - 1, `${indent}  `)));
    }
    return out;
}

/** The scopes of the innermost frame, by name. */
export async function scopes(dc: Client): Promise<Map<string, number>> {
    const st = await dc.stackTraceRequest({ threadId: 1 });
    const r = await dc.scopesRequest({ frameId: st.body.stackFrames[0].id });
    return new Map(r.body.scopes.map((s) => [s.name, s.variablesReference]));
}
