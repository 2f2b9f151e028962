/**
 * The editor features, through VS Code's own command API (the same path the editor takes when it renders them):
 * hovers, inlay hints, code lenses, completion, rename, go to definition and the outline. The expected strings
 * are what the language server computes from the engine (test/server/providers.test.ts pins their format on a
 * fixture); here they are checked on the examples a user opens first.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import { at, find, hoverMarkdown, labelOf as hintLabel, openExample, poll, span, waitForServer, where } from './util';

const Q35 = 'q35-vtd-x2apic.irq';
const MISCONFIGURED = 'misconfigured.irq';
const WORKSTATION = 'workstation-no-iommu.irq';

async function hints(doc: vscode.TextDocument): Promise<string[]> {
    const range = new vscode.Range(0, 0, doc.lineCount, 0);
    const list = await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', doc.uri, range);
    return list.map(h => `${where(h.position)} ${hintLabel(h)}`);
}

async function lenses(doc: vscode.TextDocument): Promise<string[]> {
    // The second argument resolves every lens (ours come resolved: a title-only command).
    const list = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 100);
    return list.map(l => `${where(l.range.start)} ${l.command?.title}`);
}

describe('features: hover', () => {
    it('misconfigured.irq 36:30, a compatibility-format address behind a VT-d unit with cfi off: its decode table and the fault', async () => {
        const { doc } = await openExample(MISCONFIGURED);
        await waitForServer(doc.uri);
        const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, at(36, 30));
        assert.equal(hovers.length, 1, 'one hover');
        assert.equal(span(hovers[0].range!), '36:25-36:36', 'the hover covers the literal 0xfee0_1000');
        const md = hoverMarkdown(hovers).split('\n');
        assert.equal(md[0], '**MSI address** `0xfee0_1000` — nic.msix[5]');
        assert.ok(md.includes('_behind dmar0 (VT-d, IR on, EIM off, CFI off, 16 entries)_  '), md.join('\n'));
        // The field that causes the fault (compatibility format while cfi is off) is the flagged, bold row.
        assert.ok(md.includes('| **4** | **Interrupt Format** | **0** | **compatibility format** |'), md.join('\n'));
        assert.ok(md.includes('| 19:12 | Destination ID | 0x1 | APIC ID (physical) |'), md.join('\n'));
        assert.ok(md.includes('On the bus (little-endian, lowest address first): `00 10 e0 fe`'), md.join('\n'));
        assert.equal(md[md.length - 1], '- dmar0 blocks compatibility-format interrupts (CFI off): fault 0x25');
    });

    it('q35: a raw IRTE half decodes the whole 128-bit entry', async () => {
        const { doc } = await openExample(Q35);
        await waitForServer(doc.uri);
        const p = find(doc, 41, '0x0000_0101_0045_0001', 4);
        const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, p);
        const md = hoverMarkdown(hovers);
        assert.ok(md.startsWith('**VT-d IRTE (remapped format)** — irte 11 of dmar0\n'), md);
        assert.ok(md.includes('\n| 23:16 | Vector | 0x45 | vector delivered to the destination |\n'), md);
        assert.ok(md.includes('\n| 63:32 | Destination ID | 0x101 | x2APIC ID (EIM on: 32 bits) |\n'), md);
    });

    it('q35: a device BDF shows the requester id dmar0 sees', async () => {
        const { doc } = await openExample(Q35);
        const hovers = await vscode.commands.executeCommand<vscode.Hover[]>('vscode.executeHoverProvider', doc.uri, find(doc, 45, '00:03.0', 2));
        const md = hoverMarkdown(hovers);
        assert.ok(md.startsWith('**BDF 00:03.0** `00:03.0`\n'), md);
        assert.ok(md.includes("requester id 00:03.0 (the device's own BDF, as dmar0 sees it)"), md);
    });
});

describe('features: inlay hints', () => {
    it('q35: every MSI-X entry and MSI vector ends with its route', async () => {
        const { doc } = await openExample(Q35);
        await waitForServer(doc.uri);
        assert.deepEqual(await hints(doc), [
            '47:48 → IRTE 0 → CPU 3 · vec 0x41 · fixed · edge',
            '48:48 → IRTE 1 → CPU 256 · vec 0x42 · fixed · edge',
            '49:48 → IRTE 2 → CPU 287 · vec 0x43 · fixed · edge',
            '50:55 pending · PBA qword 0 bit 3 (entry masked)',
            '51:48 → IRTE 11 → CPU 257 · vec 0x45 · fixed · edge',
            '55:85 msi[0] → IRTE 4 → CPU 0 · vec 0x51 · fixed · edge',
            '55:85 msi[1] → IRTE 5 → CPU 1 · vec 0x52 · fixed · edge',
            '55:85 msi[2] → IRTE 6 → CPU 2 · vec 0x53 · fixed · edge',
            '55:85 msi[3] → IRTE 7 → CPU 3 · vec 0x54 · fixed · edge',
            '64:48 → IRTE 8 posted · vec 0x60 · descriptor 0x7f3c0040 (urgent)',
            '65:48 → IRTE 9 → CPU 286 · vec 0x61 · fixed · level',
            '72:52 → IRTE 10 → CPU 16 · vec 0x70 · fixed · edge',
        ]);
    });

    it('workstation-no-iommu.irq: compatibility-format routes, lowest priority with its candidates', async () => {
        const { doc } = await openExample(WORKSTATION);
        await waitForServer(doc.uri);
        assert.deepEqual(await hints(doc), [
            '13:52 → CPU 2 · vec 0x31 · fixed · edge',
            '18:48 → CPU 0,1 · vec 0x34 · fixed (2 candidates)',
            '19:48 → CPU 2,3 · vec 0x35 · fixed (2 candidates)',
            '20:48 → CPU 1 · vec 0x36 · fixed · edge',
            '21:55 pending · PBA qword 0 bit 3 (entry masked)',
            '26:52 → CPU 5 · vec 0x38 · fixed · level',
            '30:62 msi[0] → CPU 6 · vec 0x40 · fixed · edge',
            '30:62 msi[1] → CPU 6 · vec 0x41 · fixed · edge',
            '30:62 msi[2] → CPU 6 · vec 0x42 · fixed · edge',
            '30:62 msi[3] → CPU 6 · vec 0x43 · fixed · edge',
        ]);
    });

    it('misconfigured.irq: a faulting entry shows the fault instead of a route', async () => {
        const { doc } = await openExample(MISCONFIGURED);
        await waitForServer(doc.uri);
        const list = await hints(doc);
        assert.ok(list.includes('36:48 ✗ VT-d fault 0x25 IR_REQ_COMPAT (compatibility format blocked: cfi is off)'), list.join('\n'));
        assert.ok(list.includes('32:48 ✗ VT-d fault 0x26 IR_SID_ERR (requester 00:03.0 fails IRTE 1 sid 00:04.0)'), list.join('\n'));
        assert.ok(list.includes('35:48 ✗ VT-d fault 0x21 IR_INDEX_OVER (index 32 ≥ table size 16)'), list.join('\n'));
    });
});

describe('features: code lenses', () => {
    it('q35: a summary above each device and a Simulate lens above each vector', async () => {
        const { doc } = await openExample(Q35);
        await waitForServer(doc.uri);
        assert.deepEqual(await lenses(doc), [
            '45:5 5 vectors: 4 delivered, 1 pending',
            '47:9 Simulate',
            '48:9 Simulate',
            '49:9 Simulate',
            '50:9 Simulate',
            '51:9 Simulate',
            '54:5 4 vectors: 4 delivered',
            '55:7 Simulate',
            '62:5 2 vectors: 1 delivered, 1 posted',
            '64:9 Simulate',
            '65:9 Simulate',
            '71:5 1 vector: 1 delivered',
            '72:7 Simulate',
        ]);
    });

    it('workstation-no-iommu.irq: a summary per device, Simulate per vector', async () => {
        const { doc } = await openExample(WORKSTATION);
        await waitForServer(doc.uri);
        assert.deepEqual(await lenses(doc), [
            '12:5 1 vector: 1 delivered',
            '13:7 Simulate',
            '16:5 4 vectors: 3 delivered, 1 pending',
            '18:9 Simulate',
            '19:9 Simulate',
            '20:9 Simulate',
            '21:9 Simulate',
            '25:5 1 vector: 1 delivered',
            '26:7 Simulate',
            '29:5 4 vectors: 4 delivered',
            '30:7 Simulate',
        ]);
    });
});

describe('features: completion', () => {
    async function items(text: string, line: number, col: number): Promise<vscode.CompletionItem[]> {
        // An untitled editor: the extension serves them too (pasting a topology into a new editor).
        const doc = await vscode.workspace.openTextDocument({ language: 'irq', content: text });
        await vscode.window.showTextDocument(doc, { preview: false });
        const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, at(line, col));
        return list.items;
    }
    const labelOf = (i: vscode.CompletionItem) => (typeof i.label === 'string' ? i.label : i.label.label);
    /** What the language server offers; VS Code adds the contributed snippets (snippets/irq.json) to the same list. */
    async function labels(text: string, line: number, col: number): Promise<string[]> {
        return (await items(text, line, col)).filter(i => i.kind !== vscode.CompletionItemKind.Snippet).map(labelOf);
    }

    it('the contributed snippets are offered alongside (machine, device with MSI-X, IRTE forms, scenario)', async () => {
        const snippets = (await items('machine m {\n  \n}\n', 2, 3)).filter(i => i.kind === vscode.CompletionItemKind.Snippet).map(labelOf);
        for (const k of ['machine-q35', 'device-msix', 'irte-remapped', 'irte-posted', 'scenario']) assert.ok(snippets.includes(k), `${k} in ${JSON.stringify(snippets)}`);
    });

    it('in a machine body: the statement keywords, not the keywords of other blocks', async () => {
        const got = await labels('machine m {\n  \n}\n', 2, 3);
        for (const k of ['arch', 'apic', 'cpus', 'cpu', 'iommu', 'bus', 'kvm']) assert.ok(got.includes(k), `${k} in ${JSON.stringify(got)}`);
        for (const k of ['entry', 'fire', 'vector', 'machine']) assert.ok(!got.includes(k), `${k} not in ${JSON.stringify(got)}`);
    });

    it('in a VT-d block: its settings and irte', async () => {
        const got = await labels('machine m {\n  iommu d vtd {\n    \n  }\n}\n', 3, 5);
        for (const k of ['remapping', 'eim', 'cfi', 'posted', 'table', 'irte']) assert.ok(got.includes(k), `${k} in ${JSON.stringify(got)}`);
        assert.ok(!got.includes('cpus'), JSON.stringify(got));
    });

    it('free values: the next IRTE index, the free BDFs of a bus, a vector no other source uses', async () => {
        const text = [
            'machine m {',
            '  cpus 0..3',
            '  iommu dmar0 vtd {',
            '    table size 16',
            '    irte 0 { vector 0x41 dest 1 fixed edge physical }',
            '    irte 1 { vector 0x42 dest 1 fixed edge physical }',
            '    irte ',
            '  }',
            '  bus pci0 {',
            '    device a 00:00.0 { msi vectors 1 address 0xfee0_1000 data 0x20 }',
            '    device b 00:01.0 { msix table 2 { entry 0 address 0xfee0_1000 data  } }',
            '    device c ',
            '  }',
            '}',
            '',
        ].join('\n');
        const doc = await vscode.workspace.openTextDocument({ language: 'irq', content: text });
        await vscode.window.showTextDocument(doc, { preview: false });
        await waitForServer(doc.uri);
        // Free values come from the analysed document: ask until the server has checked it (as typing would).
        const ask = async (line: number, col: number) => {
            const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', doc.uri, at(line, col));
            return list.items.filter(i => i.kind !== vscode.CompletionItemKind.Snippet).map(labelOf);
        };
        const irte = await poll(() => ask(7, 10), l => l.includes('2'), 20_000);
        assert.deepEqual(irte.filter(l => /^\d+$/.test(l)).slice(0, 3), ['2', '3', '4'], JSON.stringify(irte));
        const bdf = await ask(12, 14);
        assert.deepEqual(bdf.filter(l => /^[0-9a-f]{2}:/.test(l)).slice(0, 3), ['00:02.0', '00:03.0', '00:04.0'], JSON.stringify(bdf));
        // 0x20 is taken by device a (Linux's first device vector), so the lowest free one is 0x21.
        const vec = await ask(11, 72);
        assert.deepEqual(vec.filter(l => /^0x[0-9a-f]{2}$/.test(l)).slice(0, 3), ['0x21', '0x22', '0x23'], JSON.stringify(vec));
        await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
    });

    it('after `behind`: the IOMMUs of the machine', async () => {
        const got = await labels('machine m {\n  iommu dmar0 vtd { }\n  iommu dmar1 vtd { }\n  bus b behind \n}\n', 4, 16);
        assert.ok(got.includes('dmar0') && got.includes('dmar1'), JSON.stringify(got));
    });
});

describe('features: rename and navigation', () => {
    async function renameEdits(doc: vscode.TextDocument, p: vscode.Position, newName: string): Promise<string[]> {
        const edit = await vscode.commands.executeCommand<vscode.WorkspaceEdit>('vscode.executeDocumentRenameProvider', doc.uri, p, newName);
        assert.ok(edit, 'a rename edit');
        const entries = edit.entries();
        assert.deepEqual(entries.map(([u]) => u.toString()), [doc.uri.toString()], 'the edit touches only this file');
        return entries[0][1]
            .map(e => `${span(e.range)} ${doc.getText(e.range)}→${e.newText}`)
            .sort((a, b) => a.localeCompare(b, 'en', { numeric: true }));
    }

    it('q35: renaming bus pci1 changes its declaration and the bridge `to pci1` that names it', async () => {
        const { doc } = await openExample(Q35);
        await waitForServer(doc.uri);
        const decl = find(doc, 61, 'pci1');
        const ref = find(doc, 57, 'to pci1', 3);
        assert.deepEqual(await renameEdits(doc, decl.translate(0, 1), 'gpu-bus'), [
            `${where(ref)}-${where(ref.translate(0, 4))} pci1→gpu-bus`,
            `${where(decl)}-${where(decl.translate(0, 4))} pci1→gpu-bus`,
        ]);
    });

    it('q35: renaming dmar0 from its `behind dmar0` reference changes the declaration too', async () => {
        const { doc } = await openExample(Q35);
        const decl = find(doc, 12, 'dmar0');
        const ref = find(doc, 44, 'behind dmar0', 7);
        assert.deepEqual(await renameEdits(doc, ref.translate(0, 2), 'vtd0'), [
            `${where(decl)}-${where(decl.translate(0, 5))} dmar0→vtd0`,
            `${where(ref)}-${where(ref.translate(0, 5))} dmar0→vtd0`,
        ]);
        // executeDocumentRenameProvider only computes the edit: the document is unchanged.
        assert.equal(doc.isDirty, false);
    });

    it('scenario-pending-unmask.irq: renaming device nic renames it in every event, `function-mask nic on` included', async () => {
        const { doc } = await openExample('scenario-pending-unmask.irq');
        await waitForServer(doc.uri);
        const decl = find(doc, 22, 'nic');
        const edits = await renameEdits(doc, decl.translate(0, 1), 'virtio0');
        const lines = [22, 33, 34, 35, 36, 37, 38, 39, 40, 41];
        assert.deepEqual(edits, lines.map(l => {
            const p = find(doc, l, 'nic');
            return `${where(p)}-${where(p.translate(0, 3))} nic→virtio0`;
        }));
    });

    it('q35: go to definition on `to pci2` lands on `bus pci2`', async () => {
        const { doc } = await openExample(Q35);
        const defs = await vscode.commands.executeCommand<(vscode.Location | vscode.LocationLink)[]>(
            'vscode.executeDefinitionProvider', doc.uri, find(doc, 58, 'to pci2', 4));
        assert.equal(defs.length, 1);
        const target = 'targetUri' in defs[0] ? (defs[0].targetSelectionRange ?? defs[0].targetRange) : defs[0].range;
        const decl = find(doc, 70, 'pci2');
        assert.equal(span(target), `${where(decl)}-${where(decl.translate(0, 4))}`);
    });

    it('q35: the outline lists the machine, its IOMMU and buses', async () => {
        const { doc } = await openExample(Q35);
        const symbols = await vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', doc.uri);
        assert.deepEqual(symbols.map(s => s.name), ['q35']);
        const children = symbols[0].children.map(s => s.name);
        for (const n of ['dmar0', 'pci0', 'pci1', 'pci2']) assert.ok(children.includes(n), `${n} in ${JSON.stringify(children)}`);
        const pci0 = symbols[0].children.find(s => s.name === 'pci0')!;
        assert.deepEqual(pci0.children.map(s => s.name), ['nic', 'nvme', 'rp0', 'pcibr0']);
    });
});
