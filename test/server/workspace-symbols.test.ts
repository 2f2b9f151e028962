/**
 * Workspace symbols (Ctrl+T), in process: every named element of every document in the workspace (not only
 * the machines Langium's index exports), with its kind, its machine as container and the range of its
 * name; the query filter (case-insensitive subsequence, one word per blank-separated part, matched on the
 * name or the container); and half-typed documents.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { AstUtils, EmptyFileSystem, isOperationCancelled, URI, type AstNode, type LangiumDocument } from 'langium';
import { parseHelper } from 'langium/test';
import { CancellationToken, SymbolKind, type WorkspaceSymbol } from 'vscode-languageserver';
import { createIrqLspServices } from '../../server/irq-lsp-module.js';
import { IrqWorkspaceSymbolProvider, queryWords, subsequenceMatch, symbolMatches } from '../../server/lsp/workspace-symbol-provider.js';
import { rangeIn, readFixture, readServerFixture } from './helpers.js';

const q35Text = readFixture();
const kvmText = readServerFixture('kvm-pseries-lsp.irq');
const Q35_URI = 'file:///ws/q35-lsp.irq';
const KVM_URI = 'file:///ws/kvm-pseries-lsp.irq';

/** A fresh workspace holding exactly these documents (in this order). */
async function workspace(docs: [uri: string, text: string][]) {
    const { shared, Irq } = createIrqLspServices({ ...EmptyFileSystem });
    // No client: the configuration is empty (defaults), and the build must not wait for one.
    void shared.workspace.ConfigurationProvider.initialized({});
    const parse = parseHelper(Irq);
    const loaded: LangiumDocument[] = [];
    for (const [uri, text] of docs) loaded.push(await parse(text, { documentUri: uri, validation: true }));
    const provider = shared.lsp.WorkspaceSymbolProvider!;
    const symbols = async (query: string, token?: CancellationToken) => (await provider.getSymbols({ query }, token)) as WorkspaceSymbol[];
    /** Replaces (or adds) the document at `uri`. */
    const reload = async (uri: string, text: string) => {
        shared.workspace.LangiumDocuments.deleteDocument(URI.parse(uri));
        return parse(text, { documentUri: uri, validation: true });
    };
    return { shared, provider, loaded, symbols, reload };
}

/** The symbol of `name` declared by `context` (e.g. 'device nic') in the document `uri` / `text`. */
function sym(uri: string, text: string, context: string, name: string, kind: SymbolKind, containerName?: string, occurrence = 0): WorkspaceSymbol {
    const s: WorkspaceSymbol = { name, kind, location: { uri, range: rangeIn(text, context, name, occurrence) } };
    if (containerName) s.containerName = containerName;
    return s;
}

const q35 = (context: string, name: string, kind: SymbolKind, container?: string) => sym(Q35_URI, q35Text, context, name, kind, container);
const kvm = (context: string, name: string, kind: SymbolKind, container?: string, occurrence = 0) => sym(KVM_URI, kvmText, context, name, kind, container, occurrence);

/** Every symbol of both fixtures, in workspace order and, within a document, in source order. */
const ALL: WorkspaceSymbol[] = [
    q35('machine q35', 'q35', SymbolKind.Namespace),
    q35('iommu dmar0', 'dmar0', SymbolKind.Module, 'q35'),
    q35('bus pci0', 'pci0', SymbolKind.Package, 'q35'),
    q35('device nic', 'nic', SymbolKind.Class, 'q35'),
    q35('device nvme', 'nvme', SymbolKind.Class, 'q35'),
    q35('bridge rp0', 'rp0', SymbolKind.Interface, 'q35'),
    q35('bus pci1', 'pci1', SymbolKind.Package, 'q35'),
    q35('device gpu', 'gpu', SymbolKind.Class, 'q35'),
    q35('scenario bring-up', 'bring-up', SymbolKind.Function),
    kvm('machine pseries', 'pseries', SymbolKind.Namespace),
    kvm('phb phb0', 'phb0', SymbolKind.Module, 'pseries'),
    kvm('bus pci0', 'pci0', SymbolKind.Package, 'pseries'),
    kvm('device nvme', 'nvme', SymbolKind.Class, 'pseries'),
    kvm('device vf', 'vf', SymbolKind.Class, 'pseries'),
    kvm('machine q35', 'q35', SymbolKind.Namespace),
    kvm('bus pci0', 'pci0', SymbolKind.Package, 'q35', 1),
    kvm('device nic', 'nic', SymbolKind.Class, 'q35'),
    kvm('signal-msi ipi', 'ipi', SymbolKind.Event, 'q35'),
];

/** Name, container and document of each symbol: the short form for the filter tests. */
const brief = (list: WorkspaceSymbol[]) => list.map((s) => `${s.containerName ? `${s.containerName}.` : ''}${s.name} @${s.location.uri.slice('file:///ws/'.length)}`);

describe('workspace symbols', () => {
    test('the server registers ours in place of Langium’s index-only provider', async () => {
        const { provider } = await workspace([]);
        assert.ok(provider instanceof IrqWorkspaceSymbolProvider);
    });

    test('every named element of both documents: exact names, kinds, containers and name ranges', async () => {
        const { symbols } = await workspace([[Q35_URI, q35Text], [KVM_URI, kvmText]]);
        assert.deepEqual(await symbols(''), ALL);
    });

    test('nothing named is left out: the result is every AST node with a name (guards against grammar drift)', async () => {
        const { symbols, loaded } = await workspace([[Q35_URI, q35Text], [KVM_URI, kvmText]]);
        const named: string[] = [];
        for (const doc of loaded) {
            for (const node of AstUtils.streamAllContents(doc.parseResult.value)) {
                const name = (node as AstNode & { name?: unknown }).name;
                if (typeof name === 'string' && name) named.push(`${node.$type} ${name} @${doc.uri.toString()}`);
            }
        }
        const listed = (await symbols('')).map((s) => `${s.name} @${s.location.uri}`);
        assert.deepEqual(named.map((n) => n.slice(n.indexOf(' ') + 1)), listed);
    });

    test('the query: case-insensitive subsequence of the name; several words may also match the container', async () => {
        const { symbols } = await workspace([[Q35_URI, q35Text], [KVM_URI, kvmText]]);
        assert.deepEqual(brief(await symbols('DM0')), ['q35.dmar0 @q35-lsp.irq']);
        // Not only at a word start (Langium's default matcher would miss these).
        assert.deepEqual(brief(await symbols('35')), ['q35 @q35-lsp.irq', 'q35 @kvm-pseries-lsp.irq']);
        assert.deepEqual(brief(await symbols('ci1')), ['q35.pci1 @q35-lsp.irq']);
        assert.deepEqual(brief(await symbols('nic')), ['q35.nic @q35-lsp.irq', 'q35.nic @kvm-pseries-lsp.irq']);
        assert.deepEqual(brief(await symbols('bup')), ['bring-up @q35-lsp.irq']);
        // The container alone does not make every member match: one word must be in the name.
        assert.deepEqual(brief(await symbols('pseries')), ['pseries @kvm-pseries-lsp.irq']);
        // Several words: each in the name or the container.
        assert.deepEqual(brief(await symbols('pseries nvme')), ['pseries.nvme @kvm-pseries-lsp.irq']);
        assert.deepEqual(brief(await symbols('  Q35   pci ')), [
            'q35.pci0 @q35-lsp.irq', 'q35.pci1 @q35-lsp.irq', 'q35.pci0 @kvm-pseries-lsp.irq',
        ]);
        assert.deepEqual(await symbols('zz'), []);
        assert.deepEqual(await symbols('nci'), [], 'order matters: a subsequence, not a set of letters');
    });

    test('subsequence matching; words against name and container', () => {
        assert.equal(subsequenceMatch('', 'x'), true);
        assert.equal(subsequenceMatch('dm0', 'DMAR0'), true);
        assert.equal(subsequenceMatch('dmar00', 'dmar0'), false);
        assert.deepEqual(queryWords('  Q35\tNic '), ['q35', 'nic']);
        assert.deepEqual(queryWords(''), []);
        assert.equal(symbolMatches([], 'nic', undefined), true);
        assert.equal(symbolMatches(['q35', 'nic'], 'nic', 'q35'), true);
        assert.equal(symbolMatches(['q35'], 'nic', 'q35'), false, 'no word in the name');
        assert.equal(symbolMatches(['q35', 'nic'], 'nic', undefined), false, 'no container to match q35');
    });

    test('a document removed from the workspace no longer contributes', async () => {
        const { symbols, shared } = await workspace([[Q35_URI, q35Text], [KVM_URI, kvmText]]);
        shared.workspace.LangiumDocuments.deleteDocument(URI.parse(Q35_URI));
        assert.deepEqual(await symbols(''), ALL.filter((s) => s.location.uri === KVM_URI));
    });

    test('a cancelled request stops with OperationCancelled', async () => {
        const { symbols } = await workspace([[Q35_URI, q35Text]]);
        await assert.rejects(symbols('', CancellationToken.Cancelled), (err) => isOperationCancelled(err));
    });
});

describe('workspace symbols on half-typed documents', () => {
    const HALF_URI = 'file:///ws/half.irq';
    const half = [
        'machine broken {',
        '  iommu vtd {',                   // no name: `vtd` is the kind keyword
        '  bus pci0 behind {',
        '    device 00:01.0',               // no name
        '    device ok 00:02.0 { msix table',
        '  kvm { signal-msi address 0xfee0_0000 signal-msi late',
        'scenario s1 on',
        'machine {',
        '  bus orphan {',
    ].join('\n');

    test('unnamed elements are skipped, named ones still listed with their ranges; no empty names', async () => {
        const { symbols } = await workspace([[HALF_URI, half]]);
        const list = await symbols('');
        for (const s of list) assert.ok(s.name.length > 0);
        assert.deepEqual(list, [
            sym(HALF_URI, half, 'machine broken', 'broken', SymbolKind.Namespace),
            sym(HALF_URI, half, 'bus pci0', 'pci0', SymbolKind.Package, 'broken'),
            sym(HALF_URI, half, 'device ok', 'ok', SymbolKind.Class, 'broken'),
            sym(HALF_URI, half, 'signal-msi late', 'late', SymbolKind.Event, 'broken'),
            sym(HALF_URI, half, 'scenario s1', 's1', SymbolKind.Function),
            // Its machine has no name yet: listed without a container.
            sym(HALF_URI, half, 'bus orphan', 'orphan', SymbolKind.Package),
        ]);
    });

    test('every prefix of both fixtures: no throw, no empty names, only names the text contains', async () => {
        const { symbols, reload } = await workspace([]);
        for (const whole of [q35Text, kvmText]) {
            for (let cut = 0; cut <= whole.length; cut += 17) {
                const text = whole.slice(0, cut);
                await reload(HALF_URI, text);
                for (const s of await symbols('')) {
                    assert.ok(s.name.length > 0, `empty symbol name at cut ${cut}`);
                    assert.ok(text.includes(s.name), `${s.name} at cut ${cut}`);
                }
            }
        }
    });
});
