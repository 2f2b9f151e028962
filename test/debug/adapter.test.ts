/**
 * The debug adapter over stdio (out/debug-adapter.cjs), driven by the Debug Adapter Protocol's test client:
 * launch errors, breakpoints on IRTE and device lines, stepping forward and back, exception breakpoints,
 * variables with exact values, and the debug console. Build the bundle first: `node esbuild.mjs`.
 */
import { after, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { ADAPTER_BUILT, example, frames, launch, scopes, startClient, step, variables, type Client } from './dap-client.js';

const skip = !ADAPTER_BUILT && 'out/debug-adapter.cjs is not built (node esbuild.mjs)';
const STALE = example('scenario-stale-iec.irq');
const LOST = example('scenario-lost-interrupts.irq');
const AFFINITY = example('scenario-affinity.irq');

const clients: Client[] = [];
after(async () => {
    for (const dc of clients) await dc.stop().catch(() => undefined);
});

async function client(): Promise<Client> {
    const dc = await startClient();
    clients.push(dc);
    return dc;
}

describe('debug adapter: launch', { skip }, () => {
    test('capabilities: configurationDone, step back, conditional breakpoints, hovers, three exception filters', async () => {
        const dc = await client();
        const r = await dc.initializeRequest();
        const caps = r.body!;
        assert.equal(caps.supportsConfigurationDoneRequest, true);
        assert.equal(caps.supportsStepBack, true);
        assert.equal(caps.supportsConditionalBreakpoints, true);
        assert.equal(caps.supportsEvaluateForHovers, true);
        assert.equal(caps.supportsExceptionInfoRequest, true);
        assert.deepEqual(caps.exceptionBreakpointFilters?.map((f) => [f.filter, f.label, f.default]), [
            ['fault', 'Faults', true],
            ['pending', 'Interrupts left pending', false],
            ['lost', 'Lost interrupts', true],
        ]);
    });

    const wrong: [string, Record<string, unknown>, string][] = [
        ['no program', { scenario: 'x' }, 'The launch configuration has no `program`: set it to the .irq file to simulate (for example "${file}").'],
        ['a missing file', { program: example('no-such.irq') }, `Cannot simulate ${example('no-such.irq')}: there is no such file.`],
        ['an unknown scenario', { program: STALE, scenario: 'nope' }, `There is no scenario 'nope' in ${STALE}; its scenarios are: stale-iec.`],
        ['two scenarios and none chosen', { program: AFFINITY }, `${AFFINITY} has 2 scenarios (affinity-msix, affinity-remapped): set \`scenario\` to the one to simulate.`],
        ['an unknown device', { program: STALE, vector: 'gpu.msix[0]' }, `There is no device 'gpu' in ${STALE} (machine host).`],
        ['an unknown entry', { program: STALE, vector: 'nic.msix[7]' }, 'nic has no MSI-X entry 7: its table has 3 entries; the file lists 0, 1, 2.'],
        ['a capability the device lacks', { program: STALE, vector: 'nic.msi[0]' }, 'nic has no MSI capability.'],
        ['a malformed vector', { program: STALE, vector: 'nic[0]' }, "`vector` must name one vector as DEVICE.msi[N], DEVICE.msix[N] or DEVICE.ims[N] (for example nic.msix[0]), not 'nic[0]'."],
        ['both a scenario and a vector', { program: STALE, scenario: 'stale-iec', vector: 'nic.msix[0]' }, 'Give either `scenario` (a scenario of the file) or `vector` (one vector to fire), not both.'],
        ['an unknown profile', { program: STALE, profile: 'kvm' }, '`profile` must be "spec" or "qemu", not "kvm".'],
    ];
    for (const [what, args, message] of wrong) {
        test(`a launch with ${what} fails and says so`, async () => {
            const dc = await client();
            await assert.rejects(dc.launch(args), (e: Error) => {
                assert.equal(e.message, message);
                return true;
            });
        });
    }

    test('one vector fired from a file: one thread, the entry line is the vector\'s', async () => {
        const dc = await client();
        const { stopped } = await launch(dc, { program: STALE, vector: 'nic.msix[1]', stopOnEntry: true });
        assert.equal(stopped.body.reason, 'entry');
        assert.deepEqual((await dc.threadsRequest()).body.threads, [{ id: 1, name: 'fire nic.msix[1]' }]);
        assert.deepEqual(await frames(dc), ['25:9 event 1: fire nic.msix[1]']);
        // Out of the only event: the end.
        await Promise.all([dc.waitForEvent('terminated'), dc.stepOutRequest({ threadId: 1 })]);
    });
});

describe('debug adapter: stepping', { skip }, () => {
    test('stop on entry; step in through the stages; next over an event; step out; step back; reverse continue', async () => {
        const dc = await client();
        const { stopped } = await launch(dc, { program: STALE, scenario: 'stale-iec', stopOnEntry: true });
        assert.equal(stopped.body.reason, 'entry');
        assert.deepEqual((await dc.threadsRequest()).body.threads, [{ id: 1, name: 'scenario stale-iec' }]);
        assert.deepEqual(await frames(dc), ['33:3 event 1: fire nic.msix[0]']);

        assert.deepEqual(await step(dc, (a) => dc.stepInRequest(a)), { reason: 'step', threadId: 1 });
        assert.deepEqual(await frames(dc), ['24:9 device write: nic.msix[0] writes 0xfee0_0010 ← 0x0', '33:3 event 1: fire nic.msix[0]']);
        await step(dc, (a) => dc.nextRequest(a));
        await step(dc, (a) => dc.nextRequest(a));
        assert.deepEqual(await frames(dc), [
            '16:5 VT-d interrupt remapping (dmar0): IRTE 0: present, remapped, vector 0x41 → physical dest 0x3 (requester 00:03.0)',
            '24:25 host bridge: interrupt window 0xFEE → dmar0 (interrupt remapping)',
            '24:9 device write: nic.msix[0] writes 0xfee0_0010 ← 0x0',
            '33:3 event 1: fire nic.msix[0]',
        ]);
        await step(dc, (a) => dc.nextRequest(a));
        await step(dc, (a) => dc.nextRequest(a));
        assert.deepEqual((await frames(dc)).slice(0, 2), ['12:3 CPU: CPU 3 accepts vector 0x41 (edge)', '12:3 local APIC: physical dest 0x3 → CPU 3 · fixed']);

        // Back one stage, then out of the event: the next event's entry.
        await step(dc, (a) => dc.stepBackRequest(a));
        assert.deepEqual((await frames(dc))[0], '12:3 local APIC: physical dest 0x3 → CPU 3 · fixed');
        await step(dc, (a) => dc.stepOutRequest(a));
        assert.deepEqual(await frames(dc), ['34:3 event 2: update dmar0.irte 0']);
        // `next` on an event's entry runs the whole event.
        await step(dc, (a) => dc.nextRequest(a));
        assert.deepEqual(await frames(dc), ['35:3 event 3: fire nic.msix[0]']);
        // Step back from an entry: the last stage of the event before.
        await step(dc, (a) => dc.stepBackRequest(a));
        assert.deepEqual(await frames(dc), [
            '16:5 IRTE 0 written (dmar0): IRTE 0: dest 0x3 → 0x6 in memory; the interrupt entry cache still holds the old entry (fetched at event 1)',
            '34:3 event 2: update dmar0.irte 0',
        ]);
        // No breakpoint behind: reverse continue goes back to the start.
        assert.deepEqual(await step(dc, (a) => dc.reverseContinueRequest(a)), { reason: 'entry', threadId: 1 });
        assert.deepEqual(await frames(dc), ['33:3 event 1: fire nic.msix[0]']);
        // Continue with nothing to stop at: the scenario ends.
        await Promise.all([dc.waitForEvent('terminated'), dc.continueRequest({ threadId: 1 })]);
    });
});

describe('debug adapter: breakpoints', { skip }, () => {
    test('on an IRTE line and a device line: verified; a comment line is not; continue goes from hit to hit', async () => {
        const dc = await client();
        const { stopped, breakpoints } = await launch(dc, { program: STALE, scenario: 'stale-iec' }, { lines: [{ line: 16 }, { line: 22 }, { line: 13 }] });
        assert.deepEqual(
            breakpoints.map((b) => [b.line, b.verified, b.message]),
            [
                [16, true, undefined],
                [22, true, undefined],
                [13, false, 'Nothing in scenario stale-iec stops on line 13: no event is written there and no delivery uses an element declared there.'],
            ],
        );
        assert.equal(stopped.body.reason, 'breakpoint');
        // The device line: every device write of nic stops there (the frame shows the entry that was written).
        assert.deepEqual((await frames(dc))[0], '24:9 device write: nic.msix[0] writes 0xfee0_0010 ← 0x0');
        assert.equal((await step(dc, (a) => dc.continueRequest(a))).reason, 'breakpoint');
        assert.deepEqual((await frames(dc))[0], '16:5 VT-d interrupt remapping (dmar0): IRTE 0: present, remapped, vector 0x41 → physical dest 0x3 (requester 00:03.0)');
        // Event 2 rewrites IRTE 0 (line 16).
        await step(dc, (a) => dc.continueRequest(a));
        assert.deepEqual(await frames(dc), [
            '16:5 IRTE 0 written (dmar0): IRTE 0: dest 0x3 → 0x6 in memory; the interrupt entry cache still holds the old entry (fetched at event 1)',
            '34:3 event 2: update dmar0.irte 0',
        ]);
        // Reverse continue: back to the previous hit.
        await step(dc, (a) => dc.reverseContinueRequest(a));
        assert.deepEqual((await frames(dc))[0], '16:5 VT-d interrupt remapping (dmar0): IRTE 0: present, remapped, vector 0x41 → physical dest 0x3 (requester 00:03.0)');
    });

    test('conditional breakpoints: vector and cpu; an invalid condition is not verified', async () => {
        const dc = await client();
        const { breakpoints } = await launch(dc, { program: STALE, scenario: 'stale-iec' }, { lines: [{ line: 22, condition: 'vector == 0x42' }, { line: 17, condition: 'vector === 1' }] });
        assert.deepEqual(breakpoints.map((b) => [b.verified, b.message]), [
            [true, undefined],
            [false, "Invalid condition: cannot read '= 1' in the condition."],
        ]);
        assert.deepEqual(await frames(dc), ['25:9 device write: nic.msix[1] writes 0xfee0_0030 ← 0x0', '38:3 event 6: fire nic.msix[1]']);
        await dc.setBreakpointsRequest({ source: { path: STALE }, breakpoints: [{ line: 22, condition: 'cpu == 7 && stage == "device-write"' }] });
        // Breakpoints in another file are not verified, and leave this file's alone.
        const other = await dc.setBreakpointsRequest({ source: { path: LOST }, breakpoints: [{ line: 33 }] });
        assert.deepEqual(other.body.breakpoints.map((b) => [b.verified, b.message]), [[false, 'This session simulates scenario-stale-iec.irq.']]);
        await step(dc, (a) => dc.continueRequest(a));
        assert.deepEqual(await frames(dc), ['25:9 device write: nic.msix[1] writes 0xfee0_0030 ← 0x0', '40:3 event 8: fire nic.msix[1]']);
    });
});

describe('debug adapter: exception breakpoints', { skip }, () => {
    test('a fault: stops where IRTE 2 is not present, with the fault as exception info', async () => {
        const dc = await client();
        const { stopped } = await launch(dc, { program: STALE, scenario: 'stale-iec' }, { filters: ['fault'] });
        assert.deepEqual(stopped.body, {
            reason: 'exception',
            threadId: 1,
            text: "VT-d fault 0x22 (IR_ENTRY_P) at dmar0: IRTE 2 is not present (P=0); program IRTE 2, or point the handle at a present entry. Recorded in dmar0's fault log (#1).",
            description: 'Fault',
        });
        assert.deepEqual(await frames(dc), [
            '18:5 VT-d interrupt remapping (dmar0): dmar0: fault 0x22 IR_ENTRY_P (index 2)',
            '26:25 host bridge: interrupt window 0xFEE → dmar0 (interrupt remapping)',
            '26:9 device write: nic.msix[2] writes 0xfee0_0050 ← 0x0',
            '42:3 event 10: fire nic.msix[2]',
        ]);
        const info = await dc.exceptionInfoRequest({ threadId: 1 });
        assert.equal(info.body.exceptionId, 'fault');
        assert.equal(info.body.breakMode, 'always');
        const state = (await scopes(dc)).get('Machine state')!;
        const faultLog = (await variables(dc, state, 1)).filter((l) => l.startsWith('Fault log') || l.startsWith('  #'));
        assert.deepEqual(faultLog, ['Fault log (dmar0) = 1 fault', '  #1 = 0x22 IR_ENTRY_P · IRTE 2 · requester 00:03.0 · nic.msix[2] · event 10']);
    });

    test('pending and lost: each stop names what happened', async () => {
        const dc = await client();
        const { stopped } = await launch(dc, { program: LOST }, { filters: ['pending', 'lost'] });
        const stops: string[] = [`${stopped.body.description}: ${stopped.body.text}`];
        // Continue until the end, collecting every stop.
        const nextStop = () =>
            new Promise<DebugProtocol.StoppedEvent | undefined>((resolve) => {
                const onStopped = (e: DebugProtocol.StoppedEvent) => {
                    dc.removeListener('terminated', onTerminated);
                    resolve(e);
                };
                const onTerminated = () => {
                    dc.removeListener('stopped', onStopped);
                    resolve(undefined);
                };
                dc.once('stopped', onStopped);
                dc.once('terminated', onTerminated);
            });
        for (;;) {
            const [e] = await Promise.all([nextStop(), dc.continueRequest({ threadId: 1 })]);
            if (!e) break;
            stops.push(`${e.body.description}: ${e.body.text}`);
        }
        assert.deepEqual(stops, [
            'Interrupt pending: hba.msix[0] is level-triggered and vector 0x61 is still in service on CPU 1 (remote IRR): the request waits for its EOI.',
            'Interrupt pending: hba.msix[1] is masked (entry masked): the interrupt waits in PBA qword 0 bit 1 until it is unmasked.',
            'Interrupt lost: hba.msix[1] fired again while already pending (PBA qword 0 bit 1): one pending bit holds one interrupt, so the two merge and one is lost.',
            'Interrupt lost: hba.msix[0] fired while MSI-X is disabled: nothing is sent and nothing is recorded, the interrupt is lost (ROUTING.md §7).',
        ]);
    });
});

describe('debug adapter: variables and the debug console', { skip }, () => {
    test('at the remapping stage: the message field by field, the IRTE in use, the machine state', async () => {
        const dc = await client();
        await launch(dc, { program: STALE, scenario: 'stale-iec' }, { lines: [{ line: 16 }] });
        const s = await scopes(dc);
        assert.deepEqual([...s.keys()], ['Message', 'Element', 'Machine state']);
        assert.deepEqual((await variables(dc, s.get('Message')!, 1)).slice(0, 9), [
            'MSI address = remappable format, handle 0 → IRTE 0',
            '  base [31:20] = 0xfee · interrupt window',
            '  Handle[14:0] [19:5] = 0x0 · interrupt handle low bits (handle = 0x0)',
            '  Interrupt Format [4] = 1 · remappable format: the IRTE supplies vector and destination',
            '  SHV [3] = 0 · no subhandle: index = handle, data ignored',
            '  Handle[15] [2] = 0 · handle bit 15 = 0',
            "  ignored [1:0] = 0 · don't care (QEMU copies them into the output message)",
            '  bytes on the bus = 10 00 e0 fe',
            '  context 1 = device nic (00:03.0)',
        ]);
        const element = await variables(dc, s.get('Element')!, 1);
        assert.deepEqual(element.slice(0, 5), [
            'stage = VT-d interrupt remapping (dmar0)',
            'summary = IRTE 0: present, remapped, vector 0x41 → physical dest 0x3 (requester 00:03.0)',
            'element = irte:host:dmar0:0',
            'defined at = line 16',
            'VT-d IRTE (remapped format) = IRTE 0: present, remapped, vector 0x41 → physical dest 0x3 (CPU 3) · fixed · edge · SID 00:03.0 (requester)',
        ]);
        assert.ok(element.includes('  Vector [23:16] = 0x41 · vector delivered to the destination'));
        assert.ok(element.includes('  Destination ID [63:32] = 0x3 · x2APIC ID (EIM on: 32 bits)'));
        assert.ok(element.includes('  SID [79:64] = 0x0018 · requester id 00:03.0'));
        assert.deepEqual(await variables(dc, s.get('Machine state')!), [
            'CPUs = 8 CPUs, 0 with interrupts',
            'Vectors = 3 vectors · 0 masked · 0 pending',
            'IEC (dmar0) = 1 entry: IRTE 0',
            'Fault log (dmar0) = no faults',
            'Statistics = fired 1 · delivered 0 · held pending 0 · lost 0 · faults 0',
        ]);

        // Two hits later (event 3 uses the cached IRTE 0 after event 2 rewrote it): the state says so.
        await step(dc, (a) => dc.continueRequest(a));
        await step(dc, (a) => dc.continueRequest(a));
        const state = await variables(dc, (await scopes(dc)).get('Machine state')!, 1);
        assert.deepEqual(state.filter((l) => /^(CPUs|  CPU 3|IEC|  IRTE 0|IRTEs written)/.test(l)), [
            'CPUs = 8 CPUs, 1 with interrupts',
            '  CPU 3 = APIC ID 0x3 · IRR — · ISR — · taken 1 (last 0x41)',
            'IEC (dmar0) = 1 entry: IRTE 0',
            '  IRTE 0 = vector 0x41 → dest 0x3 · fixed · edge · cached at event 1 · stale: the table holds vector 0x41 → dest 0x6 · fixed · edge',
            'IRTEs written (dmar0) = IRTE 0',
            '  IRTE 0 = vector 0x41 → dest 0x6 · fixed · edge · written at event 2 · not invalidated',
        ]);
    });

    test('the debug console: decode, irte, cpu, pending, a vector; an unknown expression says what is understood', async () => {
        const dc = await client();
        await launch(dc, { program: STALE, scenario: 'stale-iec' }, { lines: [{ line: 36 }] });
        const evaluate = async (expression: string) => (await dc.evaluateRequest({ expression, context: 'repl' })).body.result;
        assert.equal(await evaluate('decode 0xfee00010 0x0'), 'remappable format, handle 0 → IRTE 0 · not used for remapping (SHV=0)');
        assert.equal(await evaluate('decode 0xfee03000 0x4045'), 'compatibility format, physical dest 0x3 (CPU 3) · vector 0x45 · fixed · edge');
        assert.equal(await evaluate('irte 0'), 'IRTE 0 of dmar0: vector 0x41 → dest 0x6 · fixed · edge · the IEC holds a stale copy: vector 0x41 → dest 0x3 · fixed · edge');
        assert.equal(await evaluate('irte dmar0 1'), 'IRTE 1 of dmar0: vector 0x42 → dest 0x4 · fixed · edge · not cached');
        // An entry never written: the engine says what a read of it does (inside the 256-entry table, beyond it).
        assert.equal(await evaluate('irte 9'), 'IRTE 9 of dmar0: never written (reads as not present: fault 0x22)');
        assert.equal(await evaluate('irte 256'), 'IRTE 256 of dmar0: beyond the table of 256 entries (fault 0x21)');
        // decode's data word is the subhandle of an SHV=1 address: the address decode's note names the entry it selects.
        const shv = await dc.evaluateRequest({ expression: 'decode 0xfee00018 0x2', context: 'repl' });
        assert.equal(shv.body.result, 'remappable format, handle 0, SHV=1 → IRTE 0 + subhandle (data[15:0]) · subhandle 0x2: IRTE index = handle + 2');
        const [addressNode] = (await dc.variablesRequest({ variablesReference: shv.body.variablesReference })).body.variables;
        const addressLines = (await dc.variablesRequest({ variablesReference: addressNode.variablesReference })).body.variables.map((v) => `${v.name} = ${v.value}`);
        assert.ok(addressLines.includes('note = IRTE 2 (handle 0x0 + subhandle 0x2): present, vector 0x43 → dest 0x5 (CPU 5)'), addressLines.join('\n'));
        assert.equal(await evaluate('cpu 3'), 'CPU 3: APIC ID 0x3 · IRR — · ISR — · taken 2 (last 0x41)');
        assert.equal(await evaluate('pending nic'), 'nic: nothing pending');
        assert.equal(await evaluate('nic.msix[2]'), 'nic.msix[2]: unmasked · 0xfee0_0050 ← 0x0');
        // Hovers: a literal that is an interrupt address is decoded.
        const hover = await dc.evaluateRequest({ expression: '0xfee0_0030', context: 'hover' });
        assert.equal(hover.body.result, '0xfee00030: remappable format, handle 1 → IRTE 1');
        await assert.rejects(evaluate('cpu 99'), { message: 'host has no CPU 99' });
        // A data word wider than 32 bits is refused, not masked into something else.
        await assert.rejects(evaluate('decode 0xfee00000 0x1_0000_0041'), { message: '0x1_0000_0041 is wider than a 32-bit MSI data word' });
        await assert.rejects(evaluate('bogus'), {
            message: "cannot evaluate 'bogus'. Expressions: decode ADDRESS DATA · irte [IOMMU] N · cpu N · pending DEVICE · DEVICE.msix[N] (also .msi[N], .ims[N]) · help",
        });
    });

    test('pending vectors in the console and the Vectors scope', async () => {
        const dc = await client();
        await launch(dc, { program: LOST }, { lines: [{ line: 36 }] });
        assert.equal((await dc.evaluateRequest({ expression: 'pending hba', context: 'repl' })).body.result, 'hba: hba.msix[1] pending (PBA qword 0 bit 1)');
        const state = await variables(dc, (await scopes(dc)).get('Machine state')!, 1);
        assert.deepEqual(state.filter((l) => /^(Vectors|  hba|  CPU 1|Statistics)/.test(l)), [
            '  CPU 1 = APIC ID 0x1 · IRR — · ISR — · taken 2 (last 0x61)',
            'Vectors = 2 vectors · 1 masked · 1 pending',
            '  hba.msix[0] = unmasked · 0xfee0_0010 ← 0x0',
            '  hba.msix[1] = masked · pending (PBA qword 0 bit 1) · 0xfee0_0030 ← 0x0',
            'Statistics = fired 4 · delivered 2 · held pending 2 · lost 1 · faults 0',
        ]);
    });
});
