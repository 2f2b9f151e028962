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
        const d = (doc.diagnostics ?? []).find((x) => x.code === 'vtd-irte-dest-needs-eim');
        assert.ok(d);
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
        const [a] = await actionsFor(doc, over);
        assert.equal(a.title, 'Raise the route limit: max-routes 4');
        assert.deepEqual(editsOf(doc, a).map(show), ['115:15-115:16 "4"']);
        assert.ok(!codesAt(await applied(doc, a), 114).includes('kvm-route-limit'));
        const near = diagnostic(doc, 'kvm-route-limit-near', 124, 3);
        const [b] = await actionsFor(doc, near);
        assert.equal(b.title, 'Raise the route limit: max-routes 4');
        assert.ok(!codesAt(await applied(doc, b), 124).includes('kvm-route-limit-near'));
        assert.deepEqual([0, 2, 3, 36, 4095, 5000].map(suggestedRouteLimit), [1, 4, 4, 64, 4096, 4096]);
    });

    test('kvm-route-limit-near with no room left below KVM_MAX_IRQ_ROUTES: no fix', async () => {
        const routes = Array.from({ length: 3700 }, (_, i) => `    route gsi ${i} msi address 0xfee0_0000 data 0x30`);
        const doc = await load(['machine m {', '  cpus 0..1', '  kvm {', ...routes, '  }', '}', ''].join('\n'));
        const d = (doc.diagnostics ?? []).find((x) => x.code === 'kvm-route-limit-near');
        assert.ok(d);
        assert.deepEqual(await actionsFor(doc, d), []);
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
        const d = (doc.diagnostics ?? []).find((x) => x.code === 'scenario-write-unmasked');
        assert.ok(d, JSON.stringify(doc.diagnostics?.map((x) => x.code)));
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
            '26:0-26:0 "    irte 6 { vector 0x30 dest 0x0 fixed edge physical sid 00:03.0 }\\n"',
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
        const d = (doc.diagnostics ?? []).find((x) => x.code === 'vtd-fault-0x22');
        assert.ok(d, JSON.stringify(doc.diagnostics?.map((x) => x.code)));
        const actions = await actionsFor(doc, d);
        assert.deepEqual(actions.map((a) => a.title), ['Point at a free IRTE: irte 1 (0xfee0_0030)', 'Add `irte 2 { … }`']);
        assert.deepEqual(editsOf(doc, actions[1]).map(show), ['6:0-6:0 "    irte 2 { vector 0x30 dest 0x0 fixed edge physical sid 00:03.0 }\\n"']);
        for (const a of actions) {
            const after = await applied(doc, a);
            assert.deepEqual((after.diagnostics ?? []).filter((x) => x.severity === 1).map((x) => x.code), [], a.title);
        }
    });

    test('no action for a diagnostic without a fix', async () => {
        const doc = await load(misconfigured);
        const d = diagnostic(doc, 'apic-id-duplicate', 63, 14);
        assert.deepEqual(await actionsFor(doc, d), []);
    });
});
