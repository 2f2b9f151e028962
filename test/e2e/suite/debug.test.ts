/**
 * The debugger in a real VS Code: a launch through `vscode.debug.startDebugging`, a breakpoint on an IRTE line,
 * the stop there, and a step to the next stage of the route. The adapter protocol itself is tested over stdio
 * elsewhere; this checks VS Code's side: the contributed debugger type, the breakpoint binding on an .irq line,
 * and the session VS Code builds from the launch configuration.
 *
 * It runs when the extension contributes a debugger of type `irq` (package.json contributes.debuggers) and skips
 * with that reason otherwise.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import { hasRunner, snapshot } from './channel';
import { EXTENSION_ID, openExample, poll, skip, sleep, workspaceUri } from './util';

interface DapMessage { type: string; event?: string; command?: string; body?: Record<string, unknown>; success?: boolean }

/** Every message between VS Code and the adapter, per session, recorded through a tracker. */
const traffic = new Map<string, DapMessage[]>();

function stoppedEvents(session: vscode.DebugSession): DapMessage[] {
    return (traffic.get(session.id) ?? []).filter(m => m.type === 'event' && m.event === 'stopped');
}

async function topFrame(session: vscode.DebugSession, threadId: number) {
    const st = await session.customRequest('stackTrace', { threadId, startFrame: 0, levels: 20 }) as { stackFrames: { name: string; line: number; source?: { path?: string } }[] };
    assert.ok(st.stackFrames.length > 0, 'a stack while stopped');
    return { top: st.stackFrames[0], frames: st.stackFrames };
}

describe('debugger', function () {
    const disposables: vscode.Disposable[] = [];

    before(function () {
        const ext = vscode.extensions.getExtension(EXTENSION_ID);
        const debuggers = (ext?.packageJSON?.contributes?.debuggers ?? []) as { type: string }[];
        if (!debuggers.some(d => d.type === 'irq')) skip(this, 'the extension contributes no debugger of type "irq" yet');
        disposables.push(vscode.debug.registerDebugAdapterTrackerFactory('irq', {
            createDebugAdapterTracker(session) {
                const log: DapMessage[] = [];
                traffic.set(session.id, log);
                return { onDidSendMessage: m => log.push(m as DapMessage), onWillReceiveMessage: m => log.push(m as DapMessage) };
            },
        }));
    });

    after(async () => {
        vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
        if (vscode.debug.activeDebugSession) await vscode.debug.stopDebugging();
        for (const d of disposables) d.dispose();
    });

    it('q35: a breakpoint on IRTE 0 stops `nic.msix[0]` there; a step moves to the next stage of its route', async () => {
        const { doc } = await openExample('q35-vtd-x2apic.irq');
        const irteLine = 20;   // `irte 0 { vector 0x41 dest 3 … }`: the remapping stage of nic.msix[0]
        assert.match(doc.lineAt(irteLine - 1).text, /^\s*irte 0 \{/);
        vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(doc.uri, new vscode.Position(irteLine - 1, 0)))]);

        const started = new Promise<vscode.DebugSession>(resolve => {
            const d = vscode.debug.onDidStartDebugSession(s => { d.dispose(); resolve(s); });
        });
        const ok = await vscode.debug.startDebugging(vscode.workspace.workspaceFolders![0], {
            type: 'irq',
            request: 'launch',
            name: 'e2e: fire nic.msix[0]',
            program: workspaceUri('q35-vtd-x2apic.irq').fsPath,
            vector: 'nic.msix[0]',
        });
        assert.equal(ok, true, 'startDebugging accepted the launch configuration');
        const session = await started;
        assert.equal(session.type, 'irq');

        const first = await poll(() => stoppedEvents(session), s => s.length >= 1, 30_000);
        assert.equal(first.length, 1, 'one stop');
        assert.equal(first[0].body?.reason, 'breakpoint');
        const threadId = first[0].body?.threadId as number;
        // Frames: the stages the interrupt has passed, innermost first, each on the line of the element it used:
        // IRTE 0 (line 20), then the host bridge and the device's write (MSI-X entry 0, line 47), then the event.
        const atBreakpoint = await topFrame(session, threadId);
        const shape = (f: { name: string; line: number }[]) => f.map(x => `${x.line} ${x.name.split(':')[0]}`);
        assert.deepEqual(shape(atBreakpoint.frames), ['20 VT-d interrupt remapping (dmar0)', '47 host bridge', '47 device write', '47 event 1'],
            JSON.stringify(atBreakpoint.frames));
        // In code-server the extension host is remote: VS Code hands the adapter's paths back as vscode-remote URIs.
        const sourcePath = atBreakpoint.top.source?.path ?? '';
        assert.equal(sourcePath.includes('://') ? vscode.Uri.parse(sourcePath).path : sourcePath, doc.uri.path);

        if (hasRunner()) {
            // What the user sees: the current-line marker on IRTE 0 and the stages in the Call Stack view.
            await vscode.commands.executeCommand('workbench.view.debug');
            let state = (await snapshot('debug-paused-q35', 'debug'))!;
            for (let i = 0; i < 40 && !(state.stackFrameLines.includes(irteLine) && state.callStack.some(r => r.includes('host bridge'))); i++) {
                await sleep(500);
                state = (await snapshot('debug-paused-q35', 'debug'))!;
            }
            assert.deepEqual(state.stackFrameLines, [irteLine], 'the editor marks the IRTE line as the current one');
            assert.ok(state.callStack.some(r => r.startsWith('VT-d interrupt remapping (dmar0)')), JSON.stringify(state.callStack));
            assert.ok(state.callStack.some(r => r.startsWith('host bridge')), JSON.stringify(state.callStack));
        }

        // Step over: to the next stage, the local APIC delivery, on the line that declares CPU 3 (`cpus 0..287`).
        await vscode.commands.executeCommand('workbench.action.debug.stepOver');
        const second = await poll(() => stoppedEvents(session), s => s.length >= 2, 30_000);
        assert.equal(second.length, 2, 'a second stop after the step');
        assert.equal(second[1].body?.reason, 'step');
        const afterStep = await topFrame(session, threadId);
        assert.deepEqual(shape(afterStep.frames).slice(0, 2), ['10 local APIC', '20 VT-d interrupt remapping (dmar0)'],
            JSON.stringify(afterStep.frames));
        assert.match(afterStep.top.name, /CPU 3/);

        await vscode.debug.stopDebugging(session);
    });
});
