/**
 * What the user actually sees: the suite puts the workbench in a state (an example open, the Problems panel, a
 * hover, a scrolled editor) through VS Code commands, then asks the runner, which holds the browser, to take a
 * screenshot and read the rendered DOM (see channel.ts). The API tests prove the data is right; these prove
 * VS Code renders it: Problems rows, squiggles, the hover widget, inlay hints and code lenses on screen, each
 * compared with what the providers returned for the same lines.
 *
 * Screenshots land in test/e2e/screenshots/ (gitignored): problems-misconfigured.png, hover-misconfigured.png,
 * hover-q35.png, inlay-hints-q35.png.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import { DomState, hasRunner, snapshot } from './channel';
import { at, codeOf, find, labelOf, openExample, poll, skip, sleep, waitForServer } from './util';

async function show(file: string, topLine: number, cursor?: vscode.Position) {
    const { doc } = await openExample(file);
    await waitForServer(doc.uri);
    await vscode.commands.executeCommand('workbench.action.closeOtherEditors');
    // The explorer is not what these screenshots are about; the editor gets its width.
    await vscode.commands.executeCommand('workbench.action.closeSidebar');
    // Closing editors and the side bar re-lays out the workbench; the editor to drive is the active one now.
    const editor = vscode.window.activeTextEditor!;
    assert.equal(editor.document.uri.toString(), doc.uri.toString());
    const p = cursor ?? at(topLine, 1);
    editor.selection = new vscode.Selection(p, p);
    editor.revealRange(new vscode.Range(at(topLine, 1), at(topLine, 1)), vscode.TextEditorRevealType.AtTop);
    const top = await poll(() => editor.visibleRanges[0]?.start.line + 1, l => l === topLine, 10_000, 100);
    assert.equal(top, topLine, 'the editor scrolled to the line asked for');
    return { doc, editor };
}

/** Snapshots until `ok(state)` (the DOM renders a beat after a command returns) and returns the last state. */
async function snapshotWhen(name: string, clip: 'workbench' | 'editor' | 'panel', ok: (s: DomState) => boolean, retry?: () => Thenable<unknown>): Promise<DomState> {
    const deadline = Date.now() + 20_000;
    let state = (await snapshot(name, clip))!;
    while (!ok(state) && Date.now() < deadline) {
        await sleep(500);
        // A widget that a late layout change closed (code lenses drawn after the hover opened) is asked for again.
        if (retry) await retry();
        state = (await snapshot(name, clip))!;
    }
    return state;
}

/** 1-based numbers of the lines the editor shows (partly visible ones included). */
function visibleLines(editor: vscode.TextEditor): Set<number> {
    const lines = new Set<number>();
    for (const r of editor.visibleRanges) for (let l = r.start.line; l <= r.end.line; l++) lines.add(l + 1);
    return lines;
}

const lineOf = (entry: string) => Number(entry.slice(0, entry.indexOf(':')));

/**
 * The labels VS Code draws for the hints of one line. VS Code 1.139 (inlayHintsController) gives each line a
 * budget of `editor.inlayHints.maximumLength` characters (default 43, 0 = unlimited) across all its hints: the
 * hint that crosses it is cut and ends with '…', and the hints after it on that line are not drawn at all.
 */
function drawnLabels(labels: string[], max: number): string[] {
    const out: string[] = [];
    let total = 0;
    for (const label of labels) {
        if (max && total > max) continue;
        total += label.length;
        const over = max ? total - max : 0;
        out.push(over > 0 ? label.slice(0, -over) + '…' : label);
    }
    return out;
}

/** Problems panel order: by severity (errors first), then by position (VS Code's markers model). */
function problemsOrder(diags: readonly vscode.Diagnostic[]): vscode.Diagnostic[] {
    return diags
        .filter(d => d.severity !== vscode.DiagnosticSeverity.Hint)   // the Problems panel does not list hints
        .sort((a, b) => a.severity - b.severity || a.range.start.compareTo(b.range.start));
}

describe('workbench: rendered in the browser', function () {
    before(function () {
        if (!hasRunner()) skip(this, 'no browser shows this workbench (IRQ_E2E_BROWSER=0 or no IRQ_E2E_CHANNEL)');
    });

    after(async () => {
        await vscode.commands.executeCommand('workbench.action.closePanel');
    });

    it('misconfigured.irq: the Problems panel lists the diagnostics with code and position; squiggles under the visible ones', async () => {
        const { doc, editor } = await show('misconfigured.irq', 18);
        await poll(() => vscode.languages.getDiagnostics(doc.uri).length, n => n === 28);
        await vscode.commands.executeCommand('workbench.actions.view.problems');
        // "Show Active File Only": the other examples' problems would otherwise fill the rows on screen.
        await vscode.commands.executeCommand('workbench.actions.workbench.panel.markers.view.toggleActiveFile');

        // One squiggle per diagnostic on the lines on screen, with its severity. Opening the panel shrinks the
        // editor, so the lines on screen are read again for every snapshot until the DOM has settled.
        const severityName = ['error', 'warning', 'info', 'hint'];
        const squiggles = (s: DomState) => {
            const lines = visibleLines(editor);
            const want = vscode.languages.getDiagnostics(doc.uri)
                .filter(d => lines.has(d.range.start.line + 1))
                .map(d => `${d.range.start.line + 1}: ${severityName[d.severity]}`).sort();
            return { want, got: s.squiggleLines.filter(q => lines.has(lineOf(q))).sort() };
        };
        const state = await snapshotWhen('problems-misconfigured', 'workbench', s => {
            const q = squiggles(s);
            return s.problems.some(r => /\[Ln \d+, Col \d+\]$/.test(r)) && JSON.stringify(q.want) === JSON.stringify(q.got);
        });
        const rows = state.problems.join('\n');

        // The badge counts every listed problem of the workspace (Langium checks all of its .irq files).
        const all = vscode.languages.getDiagnostics().flatMap(([, ds]) => problemsOrder(ds));
        assert.equal(state.problemsBadge, String(all.length), `Problems badge ${state.problemsBadge}, ${all.length} problems`);
        const mine = problemsOrder(vscode.languages.getDiagnostics(doc.uri));
        assert.equal(mine.length, 27, '28 diagnostics, one of them a hint');
        assert.ok(state.problems.includes(`misconfigured.irq ${mine.length}`), `file row "misconfigured.irq ${mine.length}" in\n${rows}`);

        // Marker rows read "<message> irq <code> [Ln L, Col C]"; related-information rows start with the file name.
        const markerRows = state.problems.filter(r => / \[Ln \d+, Col \d+\]$/.test(r) && !r.startsWith('misconfigured.irq'));
        assert.ok(markerRows.length >= 3, `at least three problems visible in\n${rows}`);
        const want = mine.slice(0, markerRows.length).map(d => `irq ${codeOf(d)} [Ln ${d.range.start.line + 1}, Col ${d.range.start.character + 1}]`);
        assert.deepEqual(markerRows.map(r => r.slice(r.lastIndexOf(' irq ') + 1)), want);
        assert.ok(markerRows[0].startsWith(mine[0].message.slice(0, 40)), `the row starts with the message: ${markerRows[0]}`);

        const q = squiggles(state);
        assert.ok(q.want.length >= 5, `diagnostics on screen (the Simulate lenses take lines too): ${JSON.stringify(q.want)}`);
        assert.deepEqual(q.got, q.want);
    });

    it('misconfigured.irq: the hover on 0xfee0_1000 shows the fault and the decode table', async () => {
        await vscode.commands.executeCommand('workbench.action.closePanel');
        await show('misconfigured.irq', 34, at(36, 30));
        await vscode.commands.executeCommand('editor.action.showHover');
        const state = await snapshotWhen('hover-misconfigured', 'editor', s => !!s.hover?.includes('Interrupt Format'),
            () => vscode.commands.executeCommand('editor.action.showHover'));
        assert.ok(state.hover, 'a hover widget is visible');
        const text = state.hover!;
        // The diagnostic at the position comes first, then the decode.
        assert.match(text, /^VT-d fault 0x25 \(IR_REQ_COMPAT\) at dmar0: compatibility-format interrupts are blocked because cfi is off;.*irq\(vtd-fault-0x25\)\n/);
        assert.match(text, /MSI address\s+0xfee0_1000\s+— nic\.msix\[5\]/);
        // The markdown table is rendered as a table: its cells come out whitespace-separated.
        assert.match(text, /\n4\s+Interrupt Format\s+0\s+compatibility format\n/);
        assert.match(text, /\ndmar0 blocks compatibility-format interrupts \(CFI off\): fault 0x25\n/);
    });

    it('q35: the hover on an MSI-X entry address renders the remappable-format table and the IRTE it selects', async () => {
        const { doc } = await show('q35-vtd-x2apic.irq', 44);
        const p = find(doc, 47, '0xfee0_0010', 3);
        vscode.window.activeTextEditor!.selection = new vscode.Selection(p, p);
        await vscode.commands.executeCommand('editor.action.showHover');
        const state = await snapshotWhen('hover-q35', 'editor', s => !!s.hover?.includes('Interrupt Format'));
        const text = state.hover ?? '';
        assert.match(text, /^MSI address\s+0xfee0_0010\s+— nic\.msix\[0\]\n/);
        assert.match(text, /\n19:5\s+Handle\[14:0\]\s+0x0\s+interrupt handle low bits \(handle = 0x0\)\n/);
        assert.match(text, /\n4\s+Interrupt Format\s+1\s+remappable format: the IRTE supplies vector and destination\n/);
        assert.match(text, /On the bus \(little-endian, lowest address first\): 10 00 e0 fe/);
        assert.match(text, /\nIRTE 0: present, vector 0x41 → dest 0x3 \(CPU 3\)(\n|$)/);
    });

    it('q35: the inlay hints and code lenses on screen are the providers\', as VS Code draws them', async () => {
        await vscode.commands.executeCommand('editor.action.hideHover');
        const { doc, editor } = await show('q35-vtd-x2apic.irq', 44);
        const max = vscode.workspace.getConfiguration('editor', { languageId: 'irq' }).get<number>('inlayHints.maximumLength', 43);
        const hints = await vscode.commands.executeCommand<vscode.InlayHint[]>('vscode.executeInlayHintProvider', doc.uri, new vscode.Range(0, 0, doc.lineCount, 0));
        const perLine = new Map<number, string[]>();
        for (const h of hints) perLine.set(h.position.line + 1, [...(perLine.get(h.position.line + 1) ?? []), labelOf(h)]);
        const lenses = await vscode.commands.executeCommand<vscode.CodeLens[]>('vscode.executeCodeLensProvider', doc.uri, 100);

        // What should be on screen for the lines on screen (read again per snapshot: the editor may still scroll).
        const compare = (s: DomState) => {
            const lines = visibleLines(editor);
            return {
                wantHints: [...perLine].filter(([l]) => lines.has(l)).flatMap(([l, labels]) => drawnLabels(labels, max).map(t => `${l}: ${t}`)),
                gotHints: s.inlayHints.filter(h => lines.has(lineOf(h))),
                wantLenses: lenses.filter(l => lines.has(l.range.start.line + 1)).map(l => `${l.range.start.line + 1}: ${l.command?.title}`),
                gotLenses: s.codeLenses.filter(l => lines.has(lineOf(l))),
            };
        };
        const same = (a: unknown, b: unknown) => JSON.stringify(a) === JSON.stringify(b);
        const state = await snapshotWhen('inlay-hints-q35', 'editor', s => {
            const c = compare(s);
            return same(c.wantHints, c.gotHints) && same(c.wantLenses, c.gotLenses);
        });
        const c = compare(state);
        assert.ok(c.wantHints.length >= 8, `hints expected on screen: ${JSON.stringify(c.wantHints)}`);
        assert.deepEqual(c.gotHints, c.wantHints);
        assert.ok(c.wantLenses.includes('45: 5 vectors: 4 delivered, 1 pending'), JSON.stringify(c.wantLenses));
        assert.deepEqual(c.gotLenses, c.wantLenses);
        // The first entry's route is short enough to be drawn whole.
        assert.ok(state.inlayHints.includes('47: → IRTE 0 → CPU 3 · vec 0x41 · fixed · edge'), JSON.stringify(state.inlayHints));
        // A valid topology: no squiggles at all.
        assert.deepEqual(state.squiggles, { error: 0, warning: 0, info: 0, hint: 0 });
    });
});
