/**
 * The editing features of the bundled language server (out/server.cjs) over stdio, as any LSP client sees
 * them: quick fixes (textDocument/codeAction, with the edit applied and the document re-checked), formatting,
 * semantic tokens (full), completion of free values, and workspace symbols. The exact edits and tokens are
 * pinned in process (code-actions, formatter, semantic-tokens, completion, workspace-symbols tests); this
 * checks they cross the protocol intact. The e2e suite (test/e2e/suite/editing.test.ts) checks VS Code's side.
 */
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import {
    CodeActionRequest, CompletionRequest, DocumentFormattingRequest, SemanticTokensRequest, WorkspaceSymbolRequest,
    type CodeAction, type CompletionItem, type CompletionList, type Diagnostic, type InitializeResult, type SymbolInformation,
    type WorkspaceSymbol,
} from 'vscode-languageserver-protocol/node.js';
import { applyEdits as apply, pos, REPO_ROOT } from './helpers.js';
import { LspTestClient } from './lsp-client.js';

const SERVER_BUNDLE = join(REPO_ROOT, 'out', 'server.cjs');
const example = (name: string) => ({ uri: pathToFileURL(join(REPO_ROOT, 'examples', name)).href, text: readFileSync(join(REPO_ROOT, 'examples', name), 'utf8') });
const at1 = (d: Diagnostic) => `${d.range.start.line + 1}:${d.range.start.character + 1}`;

describe('editing features over stdio (out/server.cjs)', () => {
    let client: LspTestClient;
    let init: InitializeResult;

    before(async () => {
        client = new LspTestClient(SERVER_BUNDLE, REPO_ROOT);
        init = await client.initialize();
    });
    after(() => client?.kill());

    test('initialize announces code actions (quick fix), formatting, semantic tokens, completion, workspace symbols', () => {
        const caps = init.capabilities;
        assert.ok(caps.codeActionProvider, 'codeActionProvider');
        assert.ok(caps.documentFormattingProvider, 'documentFormattingProvider');
        assert.ok(caps.semanticTokensProvider?.full, 'semanticTokensProvider.full');
        assert.ok(caps.completionProvider, 'completionProvider');
        assert.ok(caps.workspaceSymbolProvider, 'workspaceSymbolProvider');
    });

    test('codeAction for vtd-fault-0x26: the SID fix as a quick fix whose edit removes the fault', async () => {
        const { uri, text } = example('misconfigured.irq');
        const { diagnostics } = await client.open(uri, text);
        const d = diagnostics.find(x => x.code === 'vtd-fault-0x26');
        assert.ok(d, JSON.stringify(diagnostics.map(x => x.code)));
        assert.equal(at1(d), '32:25');
        const actions = await client.connection.sendRequest(CodeActionRequest.type, { textDocument: { uri }, range: d.range, context: { diagnostics: [d] } }) as CodeAction[];
        assert.deepEqual(actions.map(a => [a.title, a.kind, a.isPreferred]), [["Set the IRTE's sid to 00:03.0", 'quickfix', true]]);
        const edits = actions[0].edit!.changes![uri];
        const fixed = apply(text, edits);
        assert.equal(fixed.split('\n')[19].trim(), "irte 1 { vector 0x42 dest 2 fixed edge physical sid 00:03.0 }       // ✗ SID is another device's");
        const again = await client.open(pathToFileURL(join(REPO_ROOT, 'examples', 'fixed-0x26.irq')).href, fixed);
        assert.deepEqual(again.diagnostics.filter(x => x.code === 'vtd-fault-0x26'), []);
        assert.equal(again.diagnostics.length, diagnostics.length - 1, 'exactly the one diagnostic is gone');
    });

    test('formatting: a messy document comes back laid out (indentation, single blanks, aligned entries)', async () => {
        const messy = 'machine m {\ncpus 0..1\nbus pci0 {\ndevice nic 00:03.0 { msix table 2 {\nentry 0   address 0xfee0_0000 data 0x41\nentry 1 address 0xfee0_1000    data 0x42 masked\n} }\n}\n}\n';
        const uri = pathToFileURL(join(REPO_ROOT, 'examples', 'messy.irq')).href;
        await client.open(uri, messy);
        const edits = await client.connection.sendRequest(DocumentFormattingRequest.type, { textDocument: { uri }, options: { tabSize: 4, insertSpaces: true } });
        assert.equal(apply(messy, edits ?? []), [
            'machine m {',
            '  cpus 0..1',
            '  bus pci0 {',
            '    device nic 00:03.0 { msix table 2 {',
            '        entry 0 address 0xfee0_0000 data 0x41',
            '        entry 1 address 0xfee0_1000 data 0x42 masked',
            '    } }',
            '  }',
            '}',
            '',
        ].join('\n'));
    });

    test('semantic tokens (full): the value the engine faults on carries `deprecated`', async () => {
        const { uri, text } = example('misconfigured.irq');
        await client.open(uri, text, 3);
        const legend = init.capabilities.semanticTokensProvider!.legend;
        const { data } = await client.connection.sendRequest(SemanticTokensRequest.type, { textDocument: { uri } }) ?? { data: [] };
        const lines = text.split('\n');
        const tokens: string[] = [];
        let line = 0, char = 0;
        for (let i = 0; i < data.length; i += 5) {
            line += data[i];
            char = data[i] === 0 ? char + data[i + 1] : data[i + 1];
            const mods = legend.tokenModifiers.filter((_, bit) => data[i + 4] & (1 << bit));
            tokens.push(`${line + 1}:${char + 1} ${lines[line].slice(char, char + data[i + 2])} ${legend.tokenTypes[data[i + 3]]}${mods.length ? ' ' + mods.join(',') : ''}`);
        }
        assert.ok(tokens.includes('36:25 0xfee0_1000 number deprecated'), tokens.filter(t => t.startsWith('36:')).join('\n'));
        assert.ok(tokens.includes('12:9 dmar0 namespace declaration'), tokens.filter(t => t.startsWith('12:')).join('\n'));
    });

    test('completion after `irte ` offers the next free IRTE index of the table', async () => {
        const text = 'machine m {\n  cpus 0..1\n  iommu dmar0 vtd {\n    table size 16\n    irte 0 { vector 0x41 dest 1 fixed edge physical }\n    irte 1 { vector 0x42 dest 1 fixed edge physical }\n    irte \n  }\n}\n';
        const uri = pathToFileURL(join(REPO_ROOT, 'examples', 'completion.irq')).href;
        await client.open(uri, text);
        const result = await client.connection.sendRequest(CompletionRequest.type, { textDocument: { uri }, position: pos(text, '    irte \n', 0, 9) });
        const items = (Array.isArray(result) ? result : (result as CompletionList | null)?.items ?? []) as CompletionItem[];
        const labels = items.map(i => i.label);
        assert.equal(labels[0], '2', JSON.stringify(labels));
        assert.ok(!labels.includes('0') && !labels.includes('1'), JSON.stringify(labels));
    });

    test('workspace/symbol finds named elements with their machine as container', async () => {
        const result = await client.connection.sendRequest(WorkspaceSymbolRequest.type, { query: 'dmar0' }) as (SymbolInformation | WorkspaceSymbol)[];
        const found = result.map(s => `${s.name} in ${s.containerName} ${s.location.uri.split('/').pop()}`);
        assert.ok(found.includes('dmar0 in broken-vtd misconfigured.irq'), found.join('\n'));
    });
});
