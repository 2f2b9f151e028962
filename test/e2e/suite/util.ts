/** Helpers shared by the extension-host tests: opening examples, waiting for the language server, formatting. */
import * as assert from 'assert';
import * as vscode from 'vscode';

export const EXTENSION_ID = 'irq-topology.irq-topology';

/** The workspace the runner opens: a scratch copy of examples/ (edits and renames never touch the repository). */
export function workspaceUri(...segments: string[]): vscode.Uri {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'the runner opens a folder with the examples');
    return vscode.Uri.joinPath(folder.uri, ...segments);
}

export async function openExample(file: string): Promise<{ doc: vscode.TextDocument; editor: vscode.TextEditor }> {
    const doc = await vscode.workspace.openTextDocument(workspaceUri(file));
    assert.equal(doc.languageId, 'irq', `${file} is recognised as an .irq file`);
    const editor = await vscode.window.showTextDocument(doc, { preview: false });
    return { doc, editor };
}

export const sleep = (ms: number) => new Promise<void>(r => setTimeout(r, ms));

/**
 * Polls `get` until `done(value)` or the timeout, and returns the last value either way: the caller asserts on
 * it, so a timeout fails with a diff of what was there instead of "timed out".
 */
export async function poll<T>(get: () => T | Thenable<T>, done: (v: T) => boolean, timeoutMs = 30_000, everyMs = 200): Promise<T> {
    const deadline = Date.now() + timeoutMs;
    let value = await get();
    while (!done(value) && Date.now() < deadline) {
        await sleep(everyMs);
        value = await get();
    }
    return value;
}

/**
 * Waits until the language server serves `uri`: the extension activates on the first .irq document, forks the
 * server, which then builds the workspace. The outline is answered once the document is parsed, for any file
 * with a machine in it, so a non-empty symbol list means "ready".
 */
export async function waitForServer(uri: vscode.Uri): Promise<void> {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `extension ${EXTENSION_ID} is installed in the extension host`);
    await ext.activate();
    const symbols = await poll(
        () => vscode.commands.executeCommand<vscode.DocumentSymbol[]>('vscode.executeDocumentSymbolProvider', uri),
        s => (s?.length ?? 0) > 0,
        60_000,
        250,
    );
    assert.ok(symbols?.length, `the language server answers outline requests for ${uri.path}`);
}

const SEVERITY: Record<number, string> = {
    [vscode.DiagnosticSeverity.Error]: 'error',
    [vscode.DiagnosticSeverity.Warning]: 'warning',
    [vscode.DiagnosticSeverity.Information]: 'info',
    [vscode.DiagnosticSeverity.Hint]: 'hint',
};

export const codeOf = (d: vscode.Diagnostic): string =>
    String(typeof d.code === 'object' && d.code !== null ? d.code.value : d.code);

/** `line:col-line:col severity code`, 1-based like the CLI and the Problems panel, sorted by position. */
export function describeDiagnostics(diags: readonly vscode.Diagnostic[]): string[] {
    return [...diags]
        .sort((a, b) => a.range.start.compareTo(b.range.start) || a.range.end.compareTo(b.range.end) || codeOf(a).localeCompare(codeOf(b)))
        .map(d => `${d.range.start.line + 1}:${d.range.start.character + 1}-${d.range.end.line + 1}:${d.range.end.character + 1} ${SEVERITY[d.severity]} ${codeOf(d)}`);
}

/** A 1-based `line:col` for messages and the position VS Code wants. */
export const at = (line: number, col: number) => new vscode.Position(line - 1, col - 1);
export const where = (p: vscode.Position) => `${p.line + 1}:${p.character + 1}`;
export const span = (r: vscode.Range) => `${where(r.start)}-${where(r.end)}`;

/** The 1-based position of the `occurrence`-th match of `text` on 1-based `line`, plus `offset` characters. */
export function find(doc: vscode.TextDocument, line: number, text: string, offset = 0): vscode.Position {
    const col = doc.lineAt(line - 1).text.indexOf(text);
    assert.ok(col >= 0, `line ${line} of ${doc.uri.path} contains ${JSON.stringify(text)}`);
    return new vscode.Position(line - 1, col + offset);
}

export function hoverMarkdown(hovers: readonly vscode.Hover[]): string {
    return hovers
        .flatMap(h => h.contents)
        .map(c => (typeof c === 'string' ? c : 'value' in c ? c.value : ''))
        .join('\n---\n');
}

export function labelOf(hint: vscode.InlayHint): string {
    return typeof hint.label === 'string' ? hint.label : hint.label.map(p => p.value).join('');
}

/**
 * Marks the running test (or, from a `before` hook, every test of the suite) as skipped, with a reason the
 * reporter prints (index.ts reads `skipReason` on the test, then on its suite).
 */
export function skip(ctx: Mocha.Context, reason: string): never {
    const runnable = ctx.test as (Mocha.Runnable & { skipReason?: string; type?: string }) | undefined;
    if (runnable?.type === 'hook' && runnable.parent) (runnable.parent as Mocha.Suite & { skipReason?: string }).skipReason = reason;
    else if (runnable) runnable.skipReason = reason;
    ctx.skip();
}
