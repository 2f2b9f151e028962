/**
 * Quick fixes (server/lsp/code-action-provider.ts): for each fixed diagnostic, the exact edit on a fixture,
 * and that applying it makes the diagnostic go away when the edited text is validated again.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { EmptyFileSystem, type LangiumDocument } from 'langium';
import { parseHelper } from 'langium/test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import type { CodeAction, Diagnostic, TextEdit } from 'vscode-languageserver';
import { createIrqLspServices } from '../../server/irq-lsp-module.js';
import { suggestedRouteLimit } from '../../language/engine/kvm/routing.js';
import { REPO_ROOT } from './helpers.js';

const { shared, Irq } = createIrqLspServices({ ...EmptyFileSystem });
void shared.workspace.ConfigurationProvider.initialized({});
const parse = parseHelper(Irq);

const misconfigured = readFileSync(`${REPO_ROOT}examples/misconfigured.irq`, 'utf8');
const pseriesKvm = readFileSync(`${REPO_ROOT}examples/misconfigured-pseries-kvm.irq`, 'utf8');

async function load(text: string): Promise<LangiumDocument> {
    return parse(text, { validation: true });
}

/** The diagnostic with `code` starting at line:character (1-based line, as in test/examples). */
function diagnostic(doc: LangiumDocument, code: string, line: number, character: number): Diagnostic {
    const d = (doc.diagnostics ?? []).find((x) => x.code === code && x.range.start.line === line - 1 && x.range.start.character === character - 1);
    assert.ok(d, `${code} at ${line}:${character}; have ${(doc.diagnostics ?? []).map((x) => `${x.range.start.line + 1}:${x.range.start.character + 1} ${x.code}`).join(', ')}`);
    return d;
}

/** The first diagnostic with `code`, wherever it is (for the small documents written in a test). */
function firstDiagnostic(doc: LangiumDocument, code: string): Diagnostic {
    const d = (doc.diagnostics ?? []).find((x) => x.code === code);
    assert.ok(d, `${code}; have ${JSON.stringify(doc.diagnostics?.map((x) => x.code))}`);
    return d;
}

async function actionsFor(doc: LangiumDocument, d: Diagnostic): Promise<CodeAction[]> {
    const out = (await Irq.lsp.CodeActionProvider!.getCodeActions(doc, {
        textDocument: { uri: doc.uri.toString() }, range: d.range, context: { diagnostics: [d] },
    })) ?? [];
    return out as CodeAction[];
}

function editsOf(doc: LangiumDocument, a: CodeAction): TextEdit[] {
    return a.edit!.changes![doc.uri.toString()];
}

/** Applies the action and validates the result; returns the new document. */
async function applied(doc: LangiumDocument, a: CodeAction): Promise<LangiumDocument> {
    const text = TextDocument.applyEdits(TextDocument.create('x', 'irq', 0, doc.textDocument.getText()), editsOf(doc, a));
    return load(text);
}

const codesAt = (doc: LangiumDocument, line: number) => (doc.diagnostics ?? []).filter((x) => x.range.start.line === line - 1).map((x) => String(x.code));

/** Edit as `line:col-line:col text` (1-based lines, 0-based columns like LSP). */
const show = (e: TextEdit) => `${e.range.start.line + 1}:${e.range.start.character}-${e.range.end.line + 1}:${e.range.end.character} ${JSON.stringify(e.newText)}`;

describe('quick fixes', () => {
    test('vtd-irte-dest-needs-eim: set `eim on` (edits the `eim off` setting)', async () => {
        const doc = await load(misconfigured);
        const d = diagnostic(doc, 'vtd-irte-dest-needs-eim', 19, 31);
        const actions = await actionsFor(doc, d);
        // The machine is in x2APIC mode already: only the IOMMU fix.
        assert.deepEqual(actions.map((a) => a.title), ['Set `eim on` on dmar0']);
        assert.equal(actions[0].kind, 'quickfix');
        assert.deepEqual(actions[0].diagnostics, [d]);
        assert.deepEqual(editsOf(doc, actions[0]).map(show), ['14:8-14:11 "on"']);
        const after = await applied(doc, actions[0]);
        assert.ok(!codesAt(after, 19).includes('vtd-irte-dest-needs-eim'));
    });

    test('vtd-irte-dest-needs-eim in an xAPIC machine without an eim setting: insert `eim on`, and offer x2APIC', async () => {
        const text = [
            'machine m {',
            '  apic xapic',
            '  cpus 0..1',
            '  iommu dmar0 vtd {',
            '    remapping on',
            '    irte 0 { vector 0x41 dest 0x100 fixed edge physical sid 00:03.0 }',
            '  }',
            '}',
            '',
        ].join('\n');
        const doc = await load(text);
        const d = firstDiagnostic(doc, 'vtd-irte-dest-needs-eim');
        const actions = await actionsFor(doc, d);
        assert.deepEqual(actions.map((a) => a.title), ['Set `eim on` on dmar0', 'Switch the machine to x2APIC (`apic x2apic`)']);
        assert.deepEqual(editsOf(doc, actions[0]).map(show), ['4:19-4:19 "\\n    eim on"']);
        assert.deepEqual(editsOf(doc, actions[1]).map(show), ['2:2-2:12 "apic x2apic"']);
        const after = await applied(doc, actions[0]);
        assert.ok(!(after.diagnostics ?? []).some((x) => x.code === 'vtd-irte-dest-needs-eim'));
    });

    test('x86-dest-needs-x2apic: `apic x2apic`', async () => {
        const doc = await load(misconfigured);
        const d = diagnostic(doc, 'x86-dest-needs-x2apic', 62, 14);
        const actions = await actionsFor(doc, d);
        assert.deepEqual(actions.map((a) => a.title), ['Switch the machine to x2APIC (`apic x2apic`)']);
        assert.deepEqual(editsOf(doc, actions[0]).map(show), ['60:2-60:17 "apic x2apic"']);
        const after = await applied(doc, actions[0]);
        assert.ok(!codesAt(after, 62).includes('x86-dest-needs-x2apic'));
    });

    test('vtd-fault-0x26: set the IRTE sid to the requester id the engine expects', async () => {
        const doc = await load(misconfigured);
        const d = diagnostic(doc, 'vtd-fault-0x26', 32, 25);
        const actions = await actionsFor(doc, d);
        assert.deepEqual(actions.map((a) => a.title), ["Set the IRTE's sid to 00:03.0"]);
        assert.deepEqual(editsOf(doc, actions[0]).map(show), ['20:56-20:63 "00:03.0"']);
        const after = await applied(doc, actions[0]);
        assert.ok(!codesAt(after, 32).includes('vtd-fault-0x26'));
    });

    test('vtd-fault-0x26 with an `sq` other than the expected one: the sid and the sq are set', async () => {
        const text = [
            'machine m {',
            '  cpus 0..1',
            '  iommu dmar0 vtd {',
            '    remapping on',
            '    irte 0 { vector 0x41 dest 1 fixed edge physical sid 00:04.0 sq ignore-bit2 svt requester }',
            '    irte 1 { vector 0x42 dest 1 fixed edge physical sid 00:04.0 sq all }',
            '  }',
            '  bus pci0 behind dmar0 {',
            '    device nic 00:03.0 { msix table 2 { entry 0 address 0xfee0_0010 data 0 entry 1 address 0xfee0_0030 data 0 } }',
            '  }',
            '}',
            '',
        ].join('\n');
        const doc = await load(text);
        const faults = (doc.diagnostics ?? []).filter((x) => x.code === 'vtd-fault-0x26');
        assert.deepEqual(faults.map((x) => x.range.start.line + 1), [9, 9]);
        // IRTE 0: `sq ignore-bit2` (mask 0xFFFB) still tells 00:04.0 from 00:03.0; the engine expects SQ 0.
        const [fix0] = await actionsFor(doc, faults[0]);
        assert.equal(fix0.title, "Set the IRTE's sid to 00:03.0");
        assert.deepEqual(editsOf(doc, fix0).map(show), ['5:56-5:63 "00:03.0"', '5:67-5:78 "all"']);
        // IRTE 1 already has `sq all`: only the sid.
        const [fix1] = await actionsFor(doc, faults[1]);
        assert.deepEqual(editsOf(doc, fix1).map(show), ['6:56-6:63 "00:03.0"']);
        const after = await applied(doc, fix0);
        assert.ok(after.textDocument.getText().includes('irte 0 { vector 0x41 dest 1 fixed edge physical sid 00:03.0 sq all svt requester }'));
        // Left: entry 1's fault on IRTE 1, which has its own fix.
        assert.deepEqual((after.diagnostics ?? []).map((x) => `${x.range.start.line + 1}:${x.range.start.character + 1} ${x.code}`), ['9:92 vtd-fault-0x26']);
    });

    test('msi-byte-swapped: the swapped address, grouped like the literal', async () => {
        const doc = await load(misconfigured);
        const d = diagnostic(doc, 'msi-byte-swapped', 38, 25);
        const actions = await actionsFor(doc, d);
        assert.deepEqual(actions.map((a) => a.title), ['Swap the bytes: 0xfee0_0010']);
        assert.deepEqual(editsOf(doc, actions[0]).map(show), ['38:24-38:35 "0xfee0_0010"']);
        const after = await applied(doc, actions[0]);
        assert.ok(!codesAt(after, 38).includes('msi-byte-swapped'));
    });

    test('msi-byte-swapped: the swapped data word', async () => {
        const doc = await load(misconfigured);
        const d = diagnostic(doc, 'msi-byte-swapped', 73, 63);
        const actions = await actionsFor(doc, d);
        assert.deepEqual(actions.map((a) => a.title), ['Swap the bytes: 0x0000_0041']);
        assert.deepEqual(editsOf(doc, actions[0]).map(show), ['73:62-73:73 "0x0000_0041"']);
        const after = await applied(doc, actions[0]);
        assert.ok(!codesAt(after, 73).includes('msi-byte-swapped'));
    });

    test('msi-data-unaligned: clear the low bits', async () => {
        const doc = await load(misconfigured);
        const d = diagnostic(doc, 'msi-data-unaligned', 70, 73);
        const actions = await actionsFor(doc, d);
        assert.deepEqual(actions.map((a) => a.title), ['Clear the low bits: 0x40']);
        assert.deepEqual(editsOf(doc, actions[0]).map(show), ['70:72-70:78 "0x40"']);
        const after = await applied(doc, actions[0]);
        assert.ok(!codesAt(after, 70).includes('msi-data-unaligned'));
    });

    test('kvm-route-limit / kvm-route-limit-near: raise max-routes to the next power of two', async () => {
        const doc = await load(pseriesKvm);
        const over = diagnostic(doc, 'kvm-route-limit', 114, 3);
        const actions = await actionsFor(doc, over);
        // No two MSI routes of the machine carry the same message: nothing to share.
        assert.deepEqual(actions.map((a) => [a.title, a.isPreferred]), [['Raise the route limit: max-routes 4', true]]);
        const [a] = actions;
        assert.deepEqual(editsOf(doc, a).map(show), ['115:15-115:16 "4"']);
        assert.ok(!codesAt(await applied(doc, a), 114).includes('kvm-route-limit'));
        const near = diagnostic(doc, 'kvm-route-limit-near', 124, 3);
        const nearActions = await actionsFor(doc, near);
        assert.deepEqual(nearActions.map((x) => x.title), ['Raise the route limit: max-routes 4']);
        assert.ok(!codesAt(await applied(doc, nearActions[0]), 124).includes('kvm-route-limit-near'));
        assert.deepEqual([0, 2, 3, 36, 4095, 5000].map(suggestedRouteLimit), [1, 4, 4, 64, 4096, 4096]);
    });

    test('kvm-route-limit-near in examples/x86-kvm-vfio.irq: every MSI route differs, so only the limit is raised', async () => {
        const doc = await load(readFileSync(`${REPO_ROOT}examples/x86-kvm-vfio.irq`, 'utf8'));
        const d = firstDiagnostic(doc, 'kvm-route-limit-near');
        assert.deepEqual((await actionsFor(doc, d)).map((a) => a.title), ['Raise the route limit: max-routes 64']);
    });

    test('kvm-route-limit-near with no room left below KVM_MAX_IRQ_ROUTES and no identical routes: no fix', async () => {
        // 3700 different messages: 192 vectors (0x20..0xDF) on each of 20 destinations.
        const routes = Array.from({ length: 3700 }, (_, i) =>
            `    route gsi ${i} msi address 0x${(0xfee0_0000 + (Math.floor(i / 192) << 12)).toString(16)} data 0x${(0x20 + (i % 192)).toString(16)}`);
        const doc = await load(['machine m {', '  cpus 0..1', '  kvm {', ...routes, '  }', '}', ''].join('\n'));
        const d = firstDiagnostic(doc, 'kvm-route-limit-near');
        assert.deepEqual(await actionsFor(doc, d), []);
    });

    test('kvm-route-limit-near with no room left, all routes alike: only sharing, which empties the table but one', async () => {
        const routes = Array.from({ length: 3700 }, (_, i) => `    route gsi ${i} msi address 0xfee0_0000 data 0x30`);
        const doc = await load(['machine m {', '  cpus 0..1', '  kvm {', ...routes, '  }', '}', ''].join('\n'));
        const d = firstDiagnostic(doc, 'kvm-route-limit-near');
        const actions = await actionsFor(doc, d);
        assert.deepEqual(actions.map((a) => a.title), ['Share identical MSI routes (frees 3699)']);
        // Adjacent whole lines: one deletion from the second route's line to the closing brace's.
        assert.deepEqual(editsOf(doc, actions[0]).map(show), ['5:0-3704:0 ""']);
        const after = await applied(doc, actions[0]);
        assert.equal(after.textDocument.getText(), ['machine m {', '  cpus 0..1', '  kvm {', '    route gsi 0 msi address 0xfee0_0000 data 0x30', '  }', '}', ''].join('\n'));
        assert.deepEqual((after.diagnostics ?? []).map((x) => x.code), []);
    });

    test('kvm-route-limit: share identical MSI routes (same address, data and devid), rebinding their irqfds', async () => {
        const text = [
            'machine m {',
            '  cpus 0..3',
            '  bus pci0 {',
            '    device nic 00:03.0 { msix table 4 { entry 0 address 0xfee0_1000 data 0x41 entry 1 address 0xfee0_1000 data 0x41 entry 2 address 0xfee0_2000 data 0x42 entry 3 address 0xfee0_1000 data 0x41 } }',
            '  }',
            '  kvm {',
            '    max-routes 8',
            '    route gsi 0 irqchip pic pin 0   route gsi 0 irqchip ioapic pin 2',
            '    route gsi 1 irqchip pic pin 1   route gsi 1 irqchip ioapic pin 1',
            '    route gsi 2 irqchip ioapic pin 3',
            '    route gsi 3 msi address 0xfee0_1000 data 0x41 devid 3',
            '    route gsi 4 msi address 0xfee0_1000 data 0x41',
            '    route gsi 5 msi address 0xfee0_1000 data 0x41   route gsi 6 msi address 0xfee0_2000 data 0x42',
            '    route gsi 7 msi address 0xfee0_1000 data 0x41   // nic.msix[3]',
            '    irqfd nic.msix[0] gsi 4',
            '    irqfd nic.msix[1] gsi 5',
            '    irqfd nic.msix[2] gsi 6',
            '    irqfd nic.msix[3] gsi 7',
            '  }',
            '}',
            '',
        ].join('\n');
        const doc = await load(text);
        assert.deepEqual((doc.diagnostics ?? []).map((x) => `${x.range.start.line + 1}:${x.range.start.character + 1} ${x.code}`), ['6:3 kvm-route-limit']);
        const d = diagnostic(doc, 'kvm-route-limit', 6, 3);
        const actions = await actionsFor(doc, d);
        assert.deepEqual(actions.map((a) => [a.title, a.isPreferred]), [
            ['Raise the route limit: max-routes 16', true],
            ['Share identical MSI routes (frees 2)', undefined],
        ]);
        // GSI 4 stays; GSI 5's route (sharing its line with GSI 6's) and GSI 7's line (with its comment) go;
        // the irqfds of GSIs 5 and 7 fire GSI 4. The devid route (GSI 3) carries another message.
        assert.deepEqual(editsOf(doc, actions[1]).map(show), ['13:4-13:52 ""', '14:0-15:0 ""', '16:26-16:27 "4"', '18:26-18:27 "4"']);
        const after = await applied(doc, actions[1]);
        assert.equal(after.textDocument.getText().split('\n').slice(10, 18).join('\n'), [
            '    route gsi 3 msi address 0xfee0_1000 data 0x41 devid 3',
            '    route gsi 4 msi address 0xfee0_1000 data 0x41',
            '    route gsi 6 msi address 0xfee0_2000 data 0x42',
            '    irqfd nic.msix[0] gsi 4',
            '    irqfd nic.msix[1] gsi 4',
            '    irqfd nic.msix[2] gsi 6',
            '    irqfd nic.msix[3] gsi 4',
            '  }',
        ].join('\n'));
        // 10 routes → 8: over the cap of 8 no more, but full (the -near warning); nothing else is wrong.
        assert.deepEqual((after.diagnostics ?? []).map((x) => `${x.range.start.line + 1}:${x.range.start.character + 1} ${x.code}`), ['6:3 kvm-route-limit-near']);
        // The three routes left all differ: no sharing offered any more.
        const near = diagnostic(after, 'kvm-route-limit-near', 6, 3);
        assert.deepEqual((await actionsFor(after, near)).map((a) => a.title), ['Raise the route limit: max-routes 16']);
    });

    test('kvm-route-limit: a GSI a scenario rewrites (route-update) is not shared', async () => {
        const text = [
            'machine m {',
            '  cpus 0..1',
            '  bus pci0 { device nic 00:03.0 { msix table 2 { entry 0 address 0xfee0_1000 data 0x41 entry 1 address 0xfee0_1000 data 0x41 } } }',
            '  kvm {',
            '    max-routes 1',
            '    route gsi 0 msi address 0xfee0_1000 data 0x41',
            '    route gsi 1 msi address 0xfee0_1000 data 0x41',
            '    irqfd nic.msix[0] gsi 0',
            '    irqfd nic.msix[1] gsi 1',
            '  }',
            '}',
            'scenario s on m {',
            '  route-update gsi 1 data 0x42',
            '}',
            '',
        ].join('\n');
        const doc = await load(text);
        const d = firstDiagnostic(doc, 'kvm-route-limit');
        assert.deepEqual((await actionsFor(doc, d)).map((a) => a.title), ['Raise the route limit: max-routes 4']);
        const free = await load(text.replace('  route-update gsi 1 data 0x42\n', ''));
        const d2 = firstDiagnostic(free, 'kvm-route-limit');
        assert.deepEqual((await actionsFor(free, d2)).map((a) => a.title), ['Raise the route limit: max-routes 4', 'Share identical MSI routes (frees 1)']);
    });

    test('scenario-write-unmasked: mask before the write, unmask after it', async () => {
        const text = [
            'machine m {',
            '  cpus 0..1',
            '  bus pci0 {',
            '    device nic 00:03.0 { msix table 2 { entry 0 address 0xfee0_0000 data 0x41 } }',
            '  }',
            '}',
            'scenario s on m {',
            '  write nic.msix[0] address 0xfee0_1000 data 0x42',
            '}',
            '',
        ].join('\n');
        const doc = await load(text);
        const d = firstDiagnostic(doc, 'scenario-write-unmasked');
        const actions = await actionsFor(doc, d);
        assert.deepEqual(actions.map((a) => a.title), ['Mask before writing']);
        assert.deepEqual(editsOf(doc, actions[0]).map(show), ['8:2-8:2 "mask nic.msix[0]\\n  "', '8:49-8:49 "\\n  unmask nic.msix[0]"']);
        const after = await applied(doc, actions[0]);
        assert.ok(!(after.diagnostics ?? []).some((x) => x.code === 'scenario-write-unmasked'));
        assert.ok(after.textDocument.getText().includes('  mask nic.msix[0]\n  write nic.msix[0] address 0xfee0_1000 data 0x42\n  unmask nic.msix[0]\n'));
    });

    test('vtd-fault-0x21: point the entry at the lowest free IRTE inside the table, adding it', async () => {
        const doc = await load(misconfigured);
        const d = diagnostic(doc, 'vtd-fault-0x21', 35, 25);
        const actions = await actionsFor(doc, d);
        assert.deepEqual(actions.map((a) => a.title), ['Point at a free IRTE: irte 6 (0xfee0_00d0)']);
        assert.deepEqual(editsOf(doc, actions[0]).map(show), [
            '35:24-35:35 "0xfee0_00d0"',
            // No source of the machine is delivered to CPU 0 (APIC ID 0): the lowest device vector.
            '26:0-26:0 "    irte 6 { vector 0x20 dest 0x0 fixed edge physical sid 00:03.0 }\\n"',
        ]);
        const after = await applied(doc, actions[0]);
        assert.deepEqual(codesAt(after, 36), []);
    });

    test('vtd-fault-0x22 for a missing IRTE: point at a free one, or add the missing one', async () => {
        const text = [
            'machine m {',
            '  cpus 0..1',
            '  iommu dmar0 vtd {',
            '    remapping on',
            '    irte 0 { vector 0x41 dest 1 fixed edge physical sid 00:03.0 }',
            '  }',
            '  bus pci0 behind dmar0 {',
            '    device nic 00:03.0 { msix table 2 { entry 0 address 0xfee0_0010 data 0 entry 1 address 0xfee0_0050 data 0 } }',
            '  }',
            '}',
            '',
        ].join('\n');
        const doc = await load(text);
        const d = firstDiagnostic(doc, 'vtd-fault-0x22');
        const actions = await actionsFor(doc, d);
        assert.deepEqual(actions.map((a) => a.title), ['Point at a free IRTE: irte 1 (0xfee0_0030)', 'Add `irte 2 { … }`']);
        assert.deepEqual(editsOf(doc, actions[1]).map(show), ['6:0-6:0 "    irte 2 { vector 0x20 dest 0x0 fixed edge physical sid 00:03.0 }\\n"']);
        for (const a of actions) {
            const after = await applied(doc, a);
            assert.deepEqual((after.diagnostics ?? []).filter((x) => x.severity === 1).map((x) => x.code), [], a.title);
        }
    });

    test('vtd-fault-0x22: the new IRTE gets the lowest vector no other source delivers to its CPU', async () => {
        const text = [
            'machine m {',
            '  cpus 0..1',
            '  iommu dmar0 vtd {',
            '    remapping on',
            '    irte 0 { vector 0x20 dest 0 fixed edge physical sid 00:03.0 }',
            '    irte 1 { vector 0x21 dest 1 fixed edge physical sid 00:03.0 }',
            '  }',
            '  bus pci0 behind dmar0 {',
            '    device nic 00:03.0 { msix table 3 { entry 0 address 0xfee0_0010 data 0 entry 1 address 0xfee0_0030 data 0 entry 2 address 0xfee0_0070 data 0 } }',
            '  }',
            '  kvm { signal-msi address 0xfee0_0000 data 0x22 }',
            '}',
            '',
        ].join('\n');
        const doc = await load(text);
        const d = firstDiagnostic(doc, 'vtd-fault-0x22');
        const actions = await actionsFor(doc, d);
        assert.deepEqual(actions.map((a) => a.title), ['Point at a free IRTE: irte 2 (0xfee0_0050)', 'Add `irte 3 { … }`']);
        // CPU 0 (the skeleton's destination) gets 0x20 from IRTE 0 and 0x22 from the KVM_SIGNAL_MSI; 0x21 goes to
        // CPU 1 only, so it is free on CPU 0.
        assert.deepEqual(editsOf(doc, actions[0]).map(show), [
            '9:126-9:137 "0xfee0_0050"',
            '7:0-7:0 "    irte 2 { vector 0x21 dest 0x0 fixed edge physical sid 00:03.0 }\\n"',
        ]);
        assert.deepEqual(editsOf(doc, actions[1]).map(show), ['7:0-7:0 "    irte 3 { vector 0x21 dest 0x0 fixed edge physical sid 00:03.0 }\\n"']);
        for (const a of actions) {
            const after = await applied(doc, a);
            assert.deepEqual((after.diagnostics ?? []).map((x) => x.code), [], a.title);
        }
    });

    test('no action for a diagnostic without a fix', async () => {
        const doc = await load(misconfigured);
        const d = diagnostic(doc, 'apic-id-duplicate', 63, 14);
        assert.deepEqual(await actionsFor(doc, d), []);
    });
});
