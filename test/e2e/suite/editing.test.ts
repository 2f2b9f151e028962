/**
 * The editing features, in a real VS Code, through the paths the editor itself takes: quick fixes offered for a
 * diagnostic and applied as VS Code applies them (a WorkspaceEdit, and `editor.action.autoFix` for the
 * preferred one), formatting through `editor.action.formatDocument`, semantic tokens with VS Code's own legend,
 * document / workspace symbols and folding, the "New topology from template" command (through its quick pick)
 * and the Get Started walkthrough.
 *
 * Every edit happens in an untitled copy of an example: the workspace's examples stay as shipped for the
 * debugger suite that runs after this one. The exact edits are pinned in process (test/server/code-actions,
 * formatter, semantic-tokens); here the check is that VS Code offers, applies and re-checks them.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import { hasRunner, snapshot } from './channel';
import { EXTENSION_ID, codeOf, describeDiagnostics, find, poll, skip, sleep, span, waitForServer, workspaceUri } from './util';

async function exampleText(file: string): Promise<string> {
    return new TextDecoder().decode(await vscode.workspace.fs.readFile(workspaceUri(file)));
}

let scratchCount = 0;

/**
 * An untitled `irq` editor holding `text`: the language server checks it like a file. Each gets a name of its
 * own (`untitled:scratch-N.irq`): VS Code reuses `Untitled-N` names, and a document closed a moment ago can
 * still answer under the reused name.
 */
async function scratch(text: string): Promise<{ doc: vscode.TextDocument; editor: vscode.TextEditor }> {
    const doc = await vscode.workspace.openTextDocument(vscode.Uri.from({ scheme: 'untitled', path: `scratch-${++scratchCount}.irq` }));
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    await editor.edit(b => b.insert(new vscode.Position(0, 0), text));
    assert.equal(doc.getText(), text, 'the scratch editor holds the text');
    assert.equal(doc.languageId, 'irq');
    await waitForServer(doc.uri);
    return { doc, editor };
}

/** Closes the active (untitled, edited) editor without a save prompt. */
async function discard(): Promise<void> {
    await vscode.commands.executeCommand('workbench.action.revertAndCloseActiveEditor');
}

/** Diagnostics once `ok` holds for them (or the timeout: the caller asserts on what was there). */
async function diagnosticsWhen(uri: vscode.Uri, ok: (d: vscode.Diagnostic[]) => boolean): Promise<vscode.Diagnostic[]> {
    return poll(() => vscode.languages.getDiagnostics(uri), ok, 30_000);
}

const codesOf = (diags: readonly vscode.Diagnostic[]) => diags.map(codeOf);
const count = (diags: readonly vscode.Diagnostic[], code: string) => diags.filter(d => codeOf(d) === code).length;

/** The quick fixes VS Code collects for one diagnostic (the same request the light bulb makes). */
async function quickFixes(doc: vscode.TextDocument, d: vscode.Diagnostic): Promise<vscode.CodeAction[]> {
    const all = await vscode.commands.executeCommand<(vscode.CodeAction | vscode.Command)[]>(
        'vscode.executeCodeActionProvider', doc.uri, d.range, vscode.CodeActionKind.QuickFix.value);
    // The API's copies do not carry `diagnostics`: the range asked for is the diagnostic's own, and VS Code sends
    // the provider only the diagnostics that overlap it (one, in every case below).
    return all.filter((a): a is vscode.CodeAction => !('command' in a && typeof a.command === 'string'));
}

interface FixCase {
    example: string;
    code: string;
    /** 1-based start of the diagnostic, as the Problems panel shows it. */
    at: string;
    /** Every quick fix offered for it, in order; the first listed here is applied. */
    titles: string[];
    apply?: string;
    /** A line of the text after the fix (1-based line, its trimmed text). */
    after: [number, string];
}

const MISCONFIGURED = 'misconfigured.irq';

const CASES: FixCase[] = [
    {
        example: MISCONFIGURED, code: 'vtd-irte-dest-needs-eim', at: '19:31',
        titles: ['Set `eim on` on dmar0'],
        after: [14, 'eim on                                                      // 8-bit destinations only'],
    },
    {
        example: MISCONFIGURED, code: 'vtd-fault-0x26', at: '32:25',
        titles: ["Set the IRTE's sid to 00:03.0"],
        after: [20, 'irte 1 { vector 0x42 dest 2 fixed edge physical sid 00:03.0 }       // ✗ SID is another device\'s'],
    },
    {
        example: MISCONFIGURED, code: 'msi-byte-swapped', at: '38:25',
        titles: ['Swap the bytes: 0xfee0_0010'],
        after: [38, 'entry 7 address 0xfee0_0010 data 0x0000       // ✗ byte-swapped address'],
    },
    {
        example: MISCONFIGURED, code: 'msi-data-unaligned', at: '70:73',
        titles: ['Clear the low bits: 0x40'],
        after: [70, 'device d 00:05.0 { msi vectors 4 capable 4 address 0xfee0_1000 data 0x40 }  // ✗ low bits set'],
    },
    {
        example: MISCONFIGURED, code: 'x86-dest-needs-x2apic', at: '62:14',
        titles: ['Switch the machine to x2APIC (`apic x2apic`)'],
        after: [60, 'apic x2apic'],
    },
];

describe('editing: quick fixes in VS Code', () => {
    afterEach(discard);

    for (const c of CASES) {
        it(`${c.example} ${c.at} ${c.code}: offers ${c.titles.map(t => JSON.stringify(t)).join(', ')}; applying it removes the diagnostic`, async () => {
            const { doc } = await scratch(await exampleText(c.example));
            const before = await diagnosticsWhen(doc.uri, ds => ds.some(d => codeOf(d) === c.code));
            const d = before.find(x => codeOf(x) === c.code && `${x.range.start.line + 1}:${x.range.start.character + 1}` === c.at);
            assert.ok(d, `${c.code} at ${c.at} in ${describeDiagnostics(before).join('\n')}`);
            const fixes = await quickFixes(doc, d);
            assert.deepEqual(fixes.map(f => f.title), c.titles);
            const chosen = fixes.find(f => f.title === (c.apply ?? c.titles[0]))!;
            assert.equal(chosen.kind?.value, 'quickfix');
            assert.ok(chosen.edit, 'the fix carries its edit');
            assert.ok(await vscode.workspace.applyEdit(chosen.edit), 'VS Code applied the edit');
            assert.equal(doc.lineAt(c.after[0] - 1).text.trim(), c.after[1]);
            // The server re-checks the edited text: one fewer of this code, and no code that was not there before.
            const after = await diagnosticsWhen(doc.uri, ds => count(ds, c.code) < count(before, c.code));
            assert.equal(count(after, c.code), count(before, c.code) - 1, describeDiagnostics(after).join('\n'));
            const known = new Set(codesOf(before));
            assert.deepEqual(codesOf(after).filter(x => !known.has(x)), [], 'the fix introduces no new kind of diagnostic');
        });
    }

    it('misconfigured.irq 35:25 vtd-fault-0x21: point the entry at a free IRTE; VS Code adds the IRTE and the fault is gone', async () => {
        const { doc } = await scratch(await exampleText(MISCONFIGURED));
        const before = await diagnosticsWhen(doc.uri, ds => ds.some(d => codeOf(d) === 'vtd-fault-0x21'));
        const d = before.find(x => codeOf(x) === 'vtd-fault-0x21')!;
        assert.equal(span(d.range), '35:25-35:36');
        const fixes = await quickFixes(doc, d);
        assert.equal(fixes.length, 1, fixes.map(f => f.title).join('\n'));
        assert.match(fixes[0].title, /^Point at a free IRTE: irte \d+ \(0x[0-9a-f_]+\)$/);
        assert.equal(fixes[0].isPreferred, true);
        assert.ok(await vscode.workspace.applyEdit(fixes[0].edit!));
        const after = await diagnosticsWhen(doc.uri, ds => count(ds, 'vtd-fault-0x21') === 0);
        assert.equal(count(after, 'vtd-fault-0x21'), 0, describeDiagnostics(after).join('\n'));
        const known = new Set(codesOf(before));
        assert.deepEqual(codesOf(after).filter(x => !known.has(x)), []);
    });

    it('the light bulb menu (Ctrl+.) on a fault lists its fix', async function () {
        if (!hasRunner()) skip(this, 'needs the browser to see the menu');
        const doc = await vscode.workspace.openTextDocument(workspaceUri(MISCONFIGURED));
        const editor = await vscode.window.showTextDocument(doc, { preview: false });
        await waitForServer(doc.uri);
        await diagnosticsWhen(doc.uri, ds => ds.some(d => codeOf(d) === 'vtd-fault-0x26'));
        await vscode.commands.executeCommand('workbench.action.closeSidebar');
        await vscode.commands.executeCommand('workbench.action.closePanel');
        const p = find(doc, 32, '0xfee0_0030', 4);
        editor.selection = new vscode.Selection(p, p);
        editor.revealRange(new vscode.Range(17, 0, 17, 0), vscode.TextEditorRevealType.AtTop);
        await sleep(1_000);
        await vscode.commands.executeCommand('editor.action.quickFix');
        let state = await snapshot('quick-fix-misconfigured', 'editor');
        for (let i = 0; i < 20 && !state?.actionWidget.some(r => r.includes('sid')); i++) {
            await sleep(500);
            state = await snapshot('quick-fix-misconfigured', 'editor');
        }
        assert.ok(state?.actionWidget.some(r => r.includes("Set the IRTE's sid to 00:03.0")), JSON.stringify(state?.actionWidget));
        await vscode.commands.executeCommand('hideCodeActionWidget');
        assert.equal(doc.isDirty, false, 'opening the menu changes nothing');
        await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });

    it('the preferred fix applied at the cursor by a keybinding-style command (`editor.action.codeAction`, preferred, ifSingle)', async () => {
        const { doc, editor } = await scratch(await exampleText(MISCONFIGURED));
        await diagnosticsWhen(doc.uri, ds => ds.some(d => codeOf(d) === 'msi-byte-swapped'));
        const p = find(doc, 73, '0x4100_0000', 2);
        editor.selection = new vscode.Selection(p, p);
        await vscode.window.showTextDocument(doc, { preview: false, preserveFocus: false });
        await vscode.commands.executeCommand('editor.action.codeAction', { kind: 'quickfix', apply: 'ifSingle', preferred: true });
        const line = await poll(() => doc.lineAt(72).text, t => !t.includes('0x4100_0000'), 10_000);
        assert.ok(line.includes('data 0x0000_0041'), line);
    });

    it('a KVM routing table at its limit with two identical MSI routes: raise the limit, or share them (applied)', async () => {
        const text = [
            'machine guest {',
            '  arch x86_64',
            '  cpus 0..1',
            '  bus pci0 {',
            '    device a 00:02.0 { msix table 1 { entry 0 address 0xfee0_1000 data 0x0031 } }',
            '    device b 00:03.0 { msix table 1 { entry 0 address 0xfee0_1000 data 0x0031 } }',
            '    device c 00:04.0 { msix table 1 { entry 0 address 0xfee0_0000 data 0x0032 } }',
            '  }',
            '  kvm {',
            '    max-routes 3',
            '    route gsi 0 msi address 0xfee0_1000 data 0x0031',
            '    route gsi 1 msi address 0xfee0_1000 data 0x0031',
            '    route gsi 2 msi address 0xfee0_0000 data 0x0032',
            '    irqfd a.msix[0] gsi 0',
            '    irqfd b.msix[0] gsi 1',
            '    irqfd c.msix[0] gsi 2',
            '  }',
            '}',
            '',
        ].join('\n');
        const { doc } = await scratch(text);
        const before = await diagnosticsWhen(doc.uri, ds => ds.some(d => codeOf(d) === 'kvm-route-limit-near'));
        assert.deepEqual(describeDiagnostics(before), ['9:3-9:6 warning kvm-route-limit-near']);
        const fixes = await quickFixes(doc, before[0]);
        assert.deepEqual(fixes.map(f => [f.title, !!f.isPreferred]), [['Raise the route limit: max-routes 4', true], ['Share identical MSI routes (frees 1)', false]]);
        assert.ok(await vscode.workspace.applyEdit(fixes[1].edit!));
        assert.deepEqual(doc.getText().split('\n').slice(9, 15).map(l => l.trim()), [
            'max-routes 3',
            'route gsi 0 msi address 0xfee0_1000 data 0x0031',
            'route gsi 2 msi address 0xfee0_0000 data 0x0032',
            'irqfd a.msix[0] gsi 0',
            'irqfd b.msix[0] gsi 0',
            'irqfd c.msix[0] gsi 2',
        ]);
        const after = await diagnosticsWhen(doc.uri, ds => ds.length === 0);
        assert.deepEqual(describeDiagnostics(after), [], 'two routes of three: no longer near the limit');
    });

    it('a scenario that rewrites an unmasked MSI-X entry: "Mask before writing" wraps the write', async () => {
        const text = (await exampleText('workstation-no-iommu.irq')) +
            '\nscenario retarget on workstation {\n  write xhci.msix[2] address 0xfee0_2000 data 0x36\n  fire xhci.msix[2]\n}\n';
        const { doc } = await scratch(text);
        const before = await diagnosticsWhen(doc.uri, ds => ds.some(d => codeOf(d) === 'scenario-write-unmasked'));
        const d = before.find(x => codeOf(x) === 'scenario-write-unmasked')!;
        const fixes = await quickFixes(doc, d);
        assert.deepEqual(fixes.map(f => f.title), ['Mask before writing']);
        assert.ok(await vscode.workspace.applyEdit(fixes[0].edit!));
        const tail = doc.getText().trimEnd().split('\n').slice(-6).map(l => l.trim());
        assert.deepEqual(tail, ['scenario retarget on workstation {', 'mask xhci.msix[2]', 'write xhci.msix[2] address 0xfee0_2000 data 0x36', 'unmask xhci.msix[2]', 'fire xhci.msix[2]', '}']);
        const after = await diagnosticsWhen(doc.uri, ds => count(ds, 'scenario-write-unmasked') === 0);
        assert.equal(count(after, 'scenario-write-unmasked'), 0, describeDiagnostics(after).join('\n'));
    });
});

describe('editing: formatting', () => {
    afterEach(discard);

    it('Format Document gives an example whose indentation and blanks were lost the same layout as the example', async () => {
        for (const file of ['q35-vtd-x2apic.irq', 'pseries-thread-001.irq', 'scenario-stale-iec.irq']) {
            // Trailing comments keep the column they were written at (a hand-aligned column survives), so they
            // are left out here: what remains is laid out from its tokens alone.
            const clean = (await exampleText(file)).split('\n').map(l => /^\s*\/\//.test(l) ? l : l.replace(/\s*\/\/.*$/, '')).join('\n');
            const messy = clean.split('\n').map(l => (/^\s*\/\//.test(l) ? l.trim() : l.trim().replace(/[ \t]+/g, ' '))).join('\n');
            assert.notEqual(messy, clean);
            const canonical = await formatted(clean);
            const fromMessy = await formatted(messy);
            const diff = fromMessy.split('\n').map((l, i) => [i + 1, l, canonical.split('\n')[i]] as const).filter(([, a, b]) => a !== b).slice(0, 5);
            assert.equal(fromMessy, canonical, `${file}: first differences:\n${diff.map(([n, a, b]) => `${n}: got  ${JSON.stringify(a)}\n${n}: want ${JSON.stringify(b)}`).join('\n')}`);
            // And the layout is the canonical one: block indentation restored, entry columns aligned.
            const lines = fromMessy.split('\n');
            const irte = lines.find(l => l.trimStart().startsWith('irte '));
            if (irte) assert.match(irte, /^    irte /, 'an IRTE sits two levels deep');
            const entries = lines.filter(l => /^\s+entry \d+ address/.test(l));
            if (entries.length > 1) assert.equal(new Set(entries.slice(0, 3).map(l => l.indexOf(' data '))).size, 1, entries.slice(0, 3).join('\n'));
        }
    });

    it('formatting twice changes nothing the second time (no edits for a canonical document)', async () => {
        const { doc } = await scratch(await exampleText('misconfigured.irq'));
        await vscode.commands.executeCommand('editor.action.formatDocument');
        const once = doc.getText();
        const edits = await vscode.commands.executeCommand<vscode.TextEdit[]>('vscode.executeFormatDocumentProvider', doc.uri, { tabSize: 2, insertSpaces: true });
        assert.deepEqual((edits ?? []).filter(e => doc.getText(e.range) !== e.newText), []);
        assert.equal(doc.getText(), once);
    });
});

describe('editing: semantic tokens, symbols, folding', () => {
    it('semantic tokens through VS Code\'s legend: declarations, references, and the faulting value marked deprecated', async () => {
        const doc = await vscode.workspace.openTextDocument(workspaceUri(MISCONFIGURED));
        await vscode.window.showTextDocument(doc, { preview: false });
        await waitForServer(doc.uri);
        const legend = await vscode.commands.executeCommand<vscode.SemanticTokensLegend>('vscode.provideDocumentSemanticTokensLegend', doc.uri);
        assert.ok(legend.tokenModifiers.includes('deprecated'), JSON.stringify(legend));
        // Tokens are computed after validation: ask until the faulting values carry their modifier.
        const decoded = await poll(async () => {
            const tokens = await vscode.commands.executeCommand<vscode.SemanticTokens>('vscode.provideDocumentSemanticTokens', doc.uri);
            return decode(doc, legend, tokens);
        }, list => list.some(t => t.includes('deprecated')), 20_000);
        assert.ok(decoded.length > 100, `tokens for the whole file: ${decoded.length}: ${decoded.slice(0, 10).join(' | ')}`);
        // misconfigured.irq 36: `entry 5 address 0xfee0_1000` — compatibility format while cfi is off (0x25).
        assert.ok(decoded.includes('36:25 0xfee0_1000 number deprecated'), decoded.filter(t => t.startsWith('36:')).join('\n') || decoded.join('\n'));
        assert.ok(decoded.includes('12:9 dmar0 namespace declaration'), decoded.filter(t => t.startsWith('12:')).join('\n') || decoded.join('\n'));
        // A reference (`behind dmar0`) is typed like its declaration, without the declaration modifier.
        assert.ok(decoded.includes('28:19 dmar0 namespace'), decoded.filter(t => t.startsWith('28:')).join('\n') || decoded.join('\n'));
        // Only values the engine faults on are struck through: every deprecated token sits on a line with an error.
        const errorLines = new Set(vscode.languages.getDiagnostics(doc.uri).filter(d => d.severity === vscode.DiagnosticSeverity.Error).map(d => d.range.start.line + 1));
        const struck = decoded.filter(t => t.endsWith(' deprecated')).map(t => Number(t.slice(0, t.indexOf(':'))));
        assert.deepEqual(struck.filter(l => !errorLines.has(l)), [], decoded.filter(t => t.endsWith(' deprecated')).join('\n'));
        if (!hasRunner()) return;
        // What the editor draws: the theme styles `deprecated` struck through.
        const editor = vscode.window.activeTextEditor!;
        editor.revealRange(new vscode.Range(29, 0, 29, 0), vscode.TextEditorRevealType.AtTop);
        let state = await snapshot('semantic-tokens-misconfigured', 'editor');
        for (let i = 0; i < 20 && !state?.struck.some(s => s.startsWith('36:')); i++) {
            await sleep(500);
            state = await snapshot('semantic-tokens-misconfigured', 'editor');
        }
        assert.ok(state?.struck.includes('36: 0xfee0_1000'), JSON.stringify(state?.struck));
    });

    it('document symbols nest machine → IOMMU / bus → device; folding covers every block', async () => {
        const doc = await vscode.workspace.openTextDocument(workspaceUri('q35-vtd-x2apic.irq'));
        await waitForServer(doc.uri);
        const ranges = await vscode.commands.executeCommand<vscode.FoldingRange[]>('vscode.executeFoldingRangeProvider', doc.uri);
        const starts = new Set(ranges.map(r => r.start + 1));
        for (const [line, text] of [[12, 'iommu dmar0'], [44, 'bus pci0'], [45, 'device nic'], [46, 'msix table']] as const) {
            assert.ok(doc.lineAt(line - 1).text.includes(text), `line ${line} is '${text}'`);
            assert.ok(starts.has(line), `a folding range starts on line ${line} (${text}); starts: ${[...starts].sort((a, b) => a - b).join(',')}`);
        }
    });

    it('workspace symbols (Ctrl+T) find named elements across the example files', async () => {
        const doc = await vscode.workspace.openTextDocument(workspaceUri('q35-vtd-x2apic.irq'));
        await waitForServer(doc.uri);
        const found = await poll(
            () => vscode.commands.executeCommand<vscode.SymbolInformation[]>('vscode.executeWorkspaceSymbolProvider', 'dmar0'),
            s => (s?.length ?? 0) > 0, 20_000);
        const where = found.map(s => `${s.name} ${s.location.uri.path.split('/').pop()}`);
        assert.ok(where.includes('dmar0 q35-vtd-x2apic.irq'), where.join('\n'));
        assert.ok(where.includes('dmar0 misconfigured.irq'), where.join('\n'));
        // Words narrow by container: `q35 nic` is the nic of machine q35, at its name, as a device (Class).
        const nic = await vscode.commands.executeCommand<vscode.SymbolInformation[]>('vscode.executeWorkspaceSymbolProvider', 'q35 nic');
        const q35nic = nic.filter(s => s.location.uri.path.endsWith('/q35-vtd-x2apic.irq'));
        assert.deepEqual(q35nic.map(s => `${s.name} in ${s.containerName} ${vscode.SymbolKind[s.kind]} ${span(s.location.range)}`),
            [`nic in q35 Class ${span(new vscode.Range(find(doc, 45, 'nic'), find(doc, 45, 'nic', 3)))}`]);
    });
});

describe('editing: New topology from template, and the walkthrough', () => {
    afterEach(discard);

    it('the command, through its quick pick: a new untitled irq editor that checks clean', async () => {
        const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
        await ext.activate();
        const running = vscode.commands.executeCommand('irq.newTopology');
        // The quick pick is open: accept its first item (the q35 template), as Enter would.
        await sleep(1_000);
        await vscode.commands.executeCommand('workbench.action.acceptSelectedQuickOpenItem');
        await running;
        const editor = await poll(() => vscode.window.activeTextEditor, e => e?.document.isUntitled === true && e.document.languageId === 'irq', 10_000);
        assert.ok(editor, 'an untitled irq editor');
        const doc = editor.document;
        assert.ok(doc.getText().includes('machine q35 {'), doc.getText().slice(0, 200));
        await waitForServer(doc.uri);
        await sleep(1_500);
        const errors = vscode.languages.getDiagnostics(doc.uri).filter(d => d.severity === vscode.DiagnosticSeverity.Error);
        assert.deepEqual(describeDiagnostics(errors), []);
        const hints = await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', doc.uri, new vscode.Range(0, 0, doc.lineCount, 0));
        assert.ok(hints.length > 0, 'the template routes its vectors (inlay hints)');
    });

    it('each template by name (the command takes a label): every one checks without errors', async () => {
        for (const label of ['q35 + VT-d + x2APIC', 'Workstation without IOMMU', 'pseries guest']) {
            const doc = await vscode.commands.executeCommand<vscode.TextDocument>('irq.newTopology', label);
            assert.ok(doc && doc.languageId === 'irq', label);
            await waitForServer(doc.uri);
            await sleep(1_500);
            const errors = vscode.languages.getDiagnostics(doc.uri).filter(d => d.severity === vscode.DiagnosticSeverity.Error);
            assert.deepEqual(describeDiagnostics(errors), [], label);
            await discard();
        }
    });

    it('the Get Started walkthrough opens with its four steps', async function () {
        // The API cannot read a walkthrough's page; the DOM can.
        if (!hasRunner()) skip(this, 'needs the browser to read the walkthrough page');
        await vscode.commands.executeCommand('workbench.action.openWalkthrough', `${EXTENSION_ID}#irq.getStarted`, false);
        let state = await snapshot('walkthrough', 'editor');
        for (let i = 0; i < 20 && !(state?.gettingStarted ?? '').includes('Simulate'); i++) {
            await sleep(500);
            state = await snapshot('walkthrough', 'editor');
        }
        const text = state?.gettingStarted ?? '';
        for (const title of ['Get started with IRQ Topology', 'Open an example or create a topology', 'Read a diagnostic and hover a value', 'See routes inline (inlay hints, code lenses)', 'Simulate an interrupt (F5 / Simulate lens)']) {
            assert.ok(text.includes(title), `${title} in: ${text.slice(0, 600)}`);
        }
        await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });
});

/** The text of `text` after Format Document in an untitled editor (closed again). */
async function formatted(text: string): Promise<string> {
    const { doc } = await scratch(text);
    const version = doc.version;
    await vscode.commands.executeCommand('editor.action.formatDocument');
    await poll(() => doc.version, v => v > version, 5_000);
    const out = doc.getText();
    await discard();
    return out;
}

/** `line:col text type modifiers`, 1-based, from the relative encoding VS Code returns. */
function decode(doc: vscode.TextDocument, legend: vscode.SemanticTokensLegend, tokens: vscode.SemanticTokens | undefined): string[] {
    const out: string[] = [];
    if (!tokens) return out;
    const d = tokens.data;
    let line = 0, char = 0;
    for (let i = 0; i + 4 < d.length + 1; i += 5) {
        line += d[i];
        char = d[i] === 0 ? char + d[i + 1] : d[i + 1];
        const text = doc.lineAt(line).text.slice(char, char + d[i + 2]);
        const mods = legend.tokenModifiers.filter((_, bit) => d[i + 4] & (1 << bit));
        out.push(`${line + 1}:${char + 1} ${text} ${legend.tokenTypes[d[i + 3]]}${mods.length ? ' ' + mods.join(',') : ''}`);
    }
    return out;
}


describe('the extension as installed', () => {
    /** The images a markdown file shows (`![alt](path)`), as written. */
    const imagesOf = (md: string) => [...md.matchAll(/!\[[^\]]*\]\(([^)\s]+)\)/g)].map(m => m[1]);
    const loadedIn = (state: Awaited<ReturnType<typeof snapshot>>, file: string) =>
        !!state?.webviewImages.some(i => decodeURIComponent(i.src).includes(file) && i.width > 0);

    it('the walkthrough pages show the screenshots, loaded from the installed extension', async function () {
        if (!hasRunner()) skip(this, 'needs the browser to see the walkthrough');
        const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
        const steps = ext.packageJSON.contributes.walkthroughs[0].steps as { id: string; media: { markdown: string } }[];
        for (const step of steps) {
            const md = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(ext.extensionUri, step.media.markdown)));
            const images = imagesOf(md);
            if (!images.length) continue;
            for (const img of images) {
                const stat = await vscode.workspace.fs.stat(vscode.Uri.joinPath(ext.extensionUri, step.media.markdown, '..', img));
                assert.ok(stat.size > 10_000, `${img} ships with the extension`);
            }
            // The page puts a step's media beside the steps only when the editor is wide enough.
            await vscode.commands.executeCommand('workbench.action.closeSidebar');
            await vscode.commands.executeCommand('workbench.action.closePanel');
            await vscode.commands.executeCommand('workbench.action.openWalkthrough', { category: `${EXTENSION_ID}#irq.getStarted`, step: step.id }, false);
            const files = images.map(i => i.split('/').pop()!);
            let state = await snapshot(`walkthrough-${step.id}`, 'editor');
            for (let i = 0; i < 30 && !files.every(f => loadedIn(state, f)); i++) {
                await sleep(500);
                state = await snapshot(`walkthrough-${step.id}`, 'editor');
            }
            for (const f of files) assert.ok(loadedIn(state, f), `step ${step.id}: ${f} loads; images seen: ${JSON.stringify(state?.webviewImages)}`);
        }
        await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });

    it('the details page renders the README; its screenshots ship with the extension', async function () {
        if (!hasRunner()) skip(this, 'needs the browser to see the details page');
        const ext = vscode.extensions.getExtension(EXTENSION_ID)!;
        // vsce stores the README as `readme.md`; the repository (IRQ_E2E_EXTENSION=source) has `README.md`.
        const name = (await vscode.workspace.fs.readDirectory(ext.extensionUri)).map(([n]) => n).find(n => /^readme\.md$/i.test(n));
        assert.ok(name, 'the extension ships its README');
        const readme = new TextDecoder().decode(await vscode.workspace.fs.readFile(vscode.Uri.joinPath(ext.extensionUri, name)));
        const images = imagesOf(readme);
        assert.ok(images.length >= 4, `the README shows screenshots: ${images.join(', ')}`);
        for (const src of images) {
            const stat = await vscode.workspace.fs.stat(vscode.Uri.joinPath(ext.extensionUri, src));
            assert.ok(stat.size > 10_000, `${src} is in the installed extension (${stat.size} bytes)`);
        }
        await vscode.commands.executeCommand('extension.open', EXTENSION_ID);
        const alts = [...readme.matchAll(/!\[([^\]]*)\]/g)].map(m => m[1]);
        const shown = (st: Awaited<ReturnType<typeof snapshot>>) => alts.every(a => st?.webviewImages.some(i => i.alt === a));
        let state = await snapshot('extension-details', 'editor');
        for (let i = 0; i < 30 && !shown(state); i++) {
            await sleep(500);
            state = await snapshot('extension-details', 'editor');
        }
        // Every picture is in the page. VS Code's details page loads only http(s) images (its sanitizer drops
        // relative ones); the pictures load there once the VSIX is packaged with a repository URL, which makes
        // vsce rewrite the links (README, "Install the extension"). Here they load in the walkthrough (above).
        assert.ok(shown(state), `the README's images are in the details page: ${JSON.stringify(state?.webviewImages)}`);
        await vscode.commands.executeCommand('workbench.action.closeActiveEditor');
    });
});
