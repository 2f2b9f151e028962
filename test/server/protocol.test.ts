/**
 * The bundled language server (out/server.cjs, built by `node esbuild.mjs`) driven over stdio by a real
 * LSP client: initialize, configuration, diagnostics, hover, inlay hints, code lenses, symbols, folding,
 * definition, references, settings changes (push and pull), broken documents, shutdown and exit.
 *
 * The tests of one `describe` run in order against one server process.
 */
import assert from 'node:assert/strict';
import { existsSync, readdirSync, statSync } from 'node:fs';
import { join } from 'node:path';
import { after, before, describe, test } from 'node:test';
import { pathToFileURL } from 'node:url';
import { isDeepStrictEqual } from 'node:util';
import { fork } from 'node:child_process';
import {
    CodeLensRequest, CompletionRequest, ConfigurationRequest, createProtocolConnection, DefinitionRequest,
    DidChangeTextDocumentNotification, DidOpenTextDocumentNotification, DocumentSymbolRequest, ExitNotification,
    FoldingRangeRequest, HoverRequest, InitializedNotification, InitializeRequest, InlayHintRequest, IPCMessageReader,
    IPCMessageWriter, PublishDiagnosticsNotification, ReferencesRequest, RegistrationRequest, ShutdownRequest,
    type Diagnostic, type PublishDiagnosticsParams, type DocumentSymbol, type Hover, type InitializeResult, type InlayHint, type LocationLink,
    type MarkupContent, type Position, type Range,
} from 'vscode-languageserver-protocol/node.js';
import { endOfCode, FIXTURE_PATH, pos, rangeIn, rangeOf, readFixture, readServerFixture, REPO_ROOT } from './helpers.js';
import { LspTestClient } from './lsp-client.js';

const SERVER_BUNDLE = join(REPO_ROOT, 'out', 'server.cjs');
const fixture = readFixture();
const fixtureUri = pathToFileURL(FIXTURE_PATH).href;

/** Newest modification time under `dir` of files ending in `.ts` (generated code included). */
function newestSource(dir: string): number {
    let newest = 0;
    for (const entry of readdirSync(dir, { withFileTypes: true })) {
        const p = join(dir, entry.name);
        if (entry.isDirectory()) newest = Math.max(newest, newestSource(p));
        else if (entry.name.endsWith('.ts')) newest = Math.max(newest, statSync(p).mtimeMs);
    }
    return newest;
}

const FIXTURE_DIAGNOSTIC: Diagnostic = {
    range: rangeIn(fixture, 'entry 0 address 0xfee0_3000', '0xfee0_3000'),
    severity: 1,
    code: 'vtd-fault-0x25',
    source: 'irq',
    message: 'VT-d fault 0x25 (IR_REQ_COMPAT) at dmar0: compatibility-format interrupts are blocked because eim is on and cfi is off; program the device with a remappable-format message (address bit 4 = 1, handle → IRTE); with EIM on, `cfi on` does not help.',
    relatedInformation: [{ location: { uri: fixtureUri, range: rangeIn(fixture, 'eim on', 'on') }, message: 'dmar0: eim is on and cfi is off' }],
    data: { code: 'vtd-fault-0x25' },
};

const EXPECTED_HINTS = (profile: 'spec' | 'qemu') => [
    { position: endOfCode(fixture, 'entry 0 address 0xfee0_0010'), label: '→ IRTE 0 → CPU 3 · vec 0x41 · fixed · edge' },
    { position: endOfCode(fixture, 'entry 1 address 0xfee0_0030'), label: 'pending · PBA qword 0 bit 1 (entry masked)' },
    { position: endOfCode(fixture, 'msi vectors 2'), label: 'msi[0] → IRTE 4 → CPU 5 · vec 0x51 · fixed · edge' },
    { position: endOfCode(fixture, 'msi vectors 2'), label: 'msi[1] → IRTE 5 → CPU 6 · vec 0x52 · fixed · edge' },
    {
        // The IMS entry ends before the ` }` that closes the store on the same line.
        position: rangeIn(fixture, 'data 0x4045', '0x4045').end,
        label: profile === 'spec'
            ? '✗ VT-d fault 0x25 IR_REQ_COMPAT (compatibility format blocked: eim is on and cfi is off)'
            : '→ CPU 3 · vec 0x45 · fixed · edge',
    },
];

function markdown(h: Hover | null): string {
    assert.ok(h, 'a hover');
    const c = h.contents as MarkupContent;
    assert.equal(c.kind, 'markdown');
    return c.value;
}

// A stale bundle would test yesterday's server: refuse to run against one.
before(() => {
    assert.ok(existsSync(SERVER_BUNDLE), `${SERVER_BUNDLE} is missing: run \`node esbuild.mjs\` first`);
    const bundled = statSync(SERVER_BUNDLE).mtimeMs;
    for (const dir of ['server', 'language']) {
        assert.ok(newestSource(join(REPO_ROOT, dir)) <= bundled, `${SERVER_BUNDLE} is older than ${dir}/: run \`node esbuild.mjs\` again`);
    }
});

describe('language server over stdio (out/server.cjs)', () => {
    let client: LspTestClient;
    let init: InitializeResult;
    let firstDiagnostics: Diagnostic[];
    const td = { uri: fixtureUri };

    const hover = (position: Position, uri = fixtureUri) => client.connection.sendRequest(HoverRequest.type, { textDocument: { uri }, position });
    const hints = (uri = fixtureUri, range: Range = { start: { line: 0, character: 0 }, end: { line: 1000, character: 0 } }) =>
        client.connection.sendRequest(InlayHintRequest.type, { textDocument: { uri }, range });
    const lenses = (uri = fixtureUri) => client.connection.sendRequest(CodeLensRequest.type, { textDocument: { uri } });
    const symbols = (uri = fixtureUri) => client.connection.sendRequest(DocumentSymbolRequest.type, { textDocument: { uri } }) as Promise<DocumentSymbol[]>;

    before(async () => {
        client = new LspTestClient(SERVER_BUNDLE, REPO_ROOT);
        init = await client.initialize();
        firstDiagnostics = (await client.open(fixtureUri, fixture)).diagnostics;
    });

    after(async () => {
        client?.kill();
    });

    test('initialize announces the features the server provides', () => {
        const caps = init.capabilities;
        assert.equal(caps.hoverProvider, true);
        assert.deepEqual(caps.inlayHintProvider, { resolveProvider: false });
        assert.deepEqual(caps.codeLensProvider, { resolveProvider: false });
        assert.equal(caps.documentSymbolProvider, true);
        assert.equal(caps.definitionProvider, true);
        assert.equal(caps.referencesProvider, true);
        assert.equal(caps.foldingRangeProvider, true);
    });

    test('the server asks the client for the `irq` configuration section', () => {
        assert.ok(client.configurationRequests.includes('irq'), JSON.stringify(client.configurationRequests));
    });

    test('diagnostics: the engine fault on the element that causes it, with code, range, related information and data', () => {
        assert.deepEqual(firstDiagnostics, [FIXTURE_DIAGNOSTIC]);
    });

    test('hover on an MSI address literal: the field table in its context', async () => {
        const h = await hover(pos(fixture, '0xfee0_0010', 0, 4));
        assert.deepEqual(h?.range, rangeOf(fixture, '0xfee0_0010'));
        const text = markdown(h);
        for (const line of [
            '**MSI address** `0xfee0_0010` — nic.msix[0]',
            '_device nic (00:03.0)_  ',
            '_behind dmar0 (VT-d, IR on, EIM on, CFI off, 256 entries)_  ',
            '_profile spec_',
            '| bits | field | value | meaning |',
            '| 31:20 | base | 0xfee | interrupt window |',
            '| 19:5 | Handle[14:0] | 0x0 | interrupt handle low bits (handle = 0x0) |',
            '| 4 | Interrupt Format | 1 | remappable format: the IRTE supplies vector and destination |',
            '| 3 | SHV | 0 | no subhandle: index = handle, data ignored |',
            '| 2 | Handle[15] | 0 | handle bit 15 = 0 |',
            'remappable format, handle 0 → IRTE 0',
            'On the bus (little-endian, lowest address first): `10 00 e0 fe`',
            '- IRTE 0: present, vector 0x41 → dest 0x3 (CPU 3)',
        ]) assert.ok(text.split('\n').includes(line), `missing line: ${line}\n---\n${text}`);
    });

    test('hover on a raw IRTE: the decode of the whole entry and its 16 bytes', async () => {
        const h = await hover(pos(fixture, '0x0000_0005_0051_0001', 0, 7));
        assert.deepEqual(h?.range, rangeOf(fixture, '0x0000_0005_0051_0001'));
        const text = markdown(h);
        for (const line of [
            '**VT-d IRTE (remapped format)** — irte 4 of dmar0',
            '128-bit value `0x0000_0000_0004_0020_0000_0005_0051_0001`  ',
            'as a table dump: `raw 0x0000_0005_0051_0001 0x0000_0000_0004_0020`',
            '| 0 | P | 1 | present |',
            '| 7:5 | DLM | fixed | Fixed: deliver the vector to every destination |',
            '| 23:16 | Vector | 0x51 | vector delivered to the destination |',
            '| 63:32 | Destination ID | 0x5 | x2APIC ID (EIM on: 32 bits) |',
            '| 79:64 | SID | 0x0020 | requester id 00:04.0 |',
            'IRTE 4: present, remapped, vector 0x51 → physical dest 0x5 (CPU 5) · fixed · edge · SID 00:04.0 (requester)',
            'On the bus (little-endian, lowest address first): `01 00 51 00 05 00 00 00 20 00 04 00 00 00 00 00`',
        ]) assert.ok(text.split('\n').includes(line), `missing line: ${line}\n---\n${text}`);
    });

    test('hover on a BDF: the requester id the IOMMU sees', async () => {
        const h = await hover(pos(fixture, 'gpu 01:00.0', 0, 6));
        assert.deepEqual(h?.range, rangeIn(fixture, 'gpu 01:00.0', '01:00.0'));
        const text = markdown(h);
        for (const line of [
            '**BDF 01:00.0** `01:00.0`',
            '_device gpu (01:00.0)_  ',
            '| 15:8 | Bus | 0x01 | bus number |',
            '| 7:3 | Device | 0x00 | device number |',
            '| 2:0 | Function | 0 | function number |',
        ]) assert.ok(text.split('\n').includes(line), `missing line: ${line}\n---\n${text}`);
    });

    test('hover on a vector reference: the route trace stage by stage, then the vector\'s state', async () => {
        const text = markdown(await hover(pos(fixture, 'fire nic.msix[0]', 0, 11)));
        assert.ok(text.startsWith([
            '**nic.msix[0]** `→ IRTE 0 → CPU 3 · vec 0x41 · fixed · edge`',
            '',
            '_profile spec_',
            '',
            '1. **nic.msix[0] write** — nic.msix[0] writes 0xfee0_0010 ← 0x0',
            '2. **Host bridge** — interrupt window 0xFEE → dmar0 (interrupt remapping)',
            '3. **VT-d interrupt remapping (dmar0)** — IRTE 0: present, remapped, vector 0x41 → physical dest 0x3 (requester 00:03.0)',
            '4. **Local APIC delivery** — physical dest 0x3 → CPU 3 · fixed',
            '5. **CPU 3** — CPU 3 accepts vector 0x41 (edge)',
            '',
            '**nic.msix[0] state**',
            '',
        ].join('\n')), text);
        assert.ok(text.endsWith('\n\nenabled, unmasked: fires now'), text);
    });

    test('a pseries and KVM document: its diagnostics, a PHB-window decode, a GSI, and the hints of irqfds and routes', async () => {
        const path = join(REPO_ROOT, 'test', 'fixtures', 'server', 'kvm-pseries-lsp.irq');
        const uri = pathToFileURL(path).href;
        const text = readServerFixture('kvm-pseries-lsp.irq');
        const { diagnostics } = await client.open(uri, text);
        assert.deepEqual(diagnostics.map(d => [d.code, d.severity, d.range]), [
            ['vfio-table-shares-page', 3, rangeIn(text, 'table-offset 0x2000', '0x2000')],
            ['kvm-route-stale', 2, rangeIn(text, 'route gsi 25 msi address 0xfee0_1000', '0xfee0_1000')],
        ]);
        const phb = markdown(await hover(pos(text, '0x1000_0000_0004', 0, 2), uri));
        assert.ok(phb.includes('\nslot 0 (nvme), vector 1 → XICS irq 0x1101 (source 0x101) → server 0 · priority 5\n'), phb);
        const gsi = markdown(await hover(pos(text, 'gsi 0x1104', 0, 5), uri));
        assert.ok(gsi.includes('\nGSI 4356 (0x1104) = XICS irq 0x1104 (source 0x104), allocated to vf: direct mapping, no route\n'), gsi);
        const got = (await hints(uri)) ?? [];
        assert.deepEqual(got.filter(h => h.position.line >= endOfCode(text, 'route gsi 24').line).map(h => h.label), [
            'nic.msix[0] → GSI 24 → CPU 1 · vec 0x41 · fixed · edge',
            'nic.msix[1] → GSI 25 (stale route) → CPU 1 · vec 0x42 · fixed · edge',
            '→ GSI 24 → CPU 1 · vec 0x41 · fixed · edge',
            '→ GSI 25 (stale route) → CPU 1 · vec 0x42 · fixed · edge',
            '→ CPU 3 · vec 0x30 · fixed · edge',
        ]);
        assert.deepEqual((await lenses(uri))?.map(l => l.command?.title), ['2 vectors: 1 delivered, 1 pending', '4 vectors: 3 delivered, 1 pending', '2 vectors: 2 delivered']);
    });

    test('inlay hints: exact labels and positions, the trace as tooltip', async () => {
        const got = (await hints()) ?? [];
        assert.deepEqual(got.map(h => ({ position: h.position, label: h.label })), EXPECTED_HINTS('spec'));
        assert.ok(got.every(h => h.paddingLeft === true));
        const tooltip = got[4].tooltip as MarkupContent;
        assert.equal(tooltip.kind, 'markdown');
        assert.ok(tooltip.value.startsWith('**gpu.ims[0]** `✗ VT-d fault 0x25 IR_REQ_COMPAT'), tooltip.value);
        // A range request only gets the hints inside it.
        const line = endOfCode(fixture, 'msi vectors 2').line;
        const some = (await hints(fixtureUri, { start: { line, character: 0 }, end: { line: line + 1, character: 0 } })) ?? [];
        assert.deepEqual(some.map(h => h.label), [EXPECTED_HINTS('spec')[2].label, EXPECTED_HINTS('spec')[3].label]);
    });

    test('code lenses: one per device with the engine summary', async () => {
        assert.deepEqual(await lenses(), [
            { range: rangeOf(fixture, 'device nic'), command: { title: '2 vectors: 1 delivered, 1 pending', command: '' } },
            { range: rangeOf(fixture, 'device nvme'), command: { title: '2 vectors: 2 delivered', command: '' } },
            { range: rangeOf(fixture, 'device gpu'), command: { title: '1 vector: 1 fault', command: '' } },
        ]);
    });

    test('document symbols: machines → iommus → irtes, buses → devices → vectors', async () => {
        const got = await symbols();
        const flat: string[] = [];
        const walk = (list: DocumentSymbol[], depth: number) => {
            for (const s of list) {
                flat.push(`${'  '.repeat(depth)}${s.name}`);
                walk(s.children ?? [], depth + 1);
            }
        };
        walk(got, 0);
        assert.deepEqual(flat, [
            'q35', '  cpus 0..7', '  cpu 8',
            '  dmar0', '    irte 0', '    irte 1', '    irte 4', '    irte 5',
            '  pci0', '    nic', '      msix table 4', '        entry 0', '        entry 1', '    nvme', '      msi', '    rp0',
            '  pci1', '    gpu', '      ims 64', '        entry 0',
            'bring-up', '  fire nic.msix[0]', '  update dmar0.irte 1',
        ]);
        const machine = got[0];
        assert.deepEqual(machine.selectionRange, rangeOf(fixture, 'machine q35'));
        assert.equal(machine.range.start.line, pos(fixture, 'machine q35').line);
    });

    test('folding: machine, IOMMU, bus and device blocks fold', async () => {
        const ranges = await client.connection.sendRequest(FoldingRangeRequest.type, { textDocument: td });
        const starts = new Set((ranges ?? []).map(r => r.startLine));
        for (const header of ['machine q35', 'iommu dmar0', 'bus pci0', 'device nic', 'msix table 4', 'scenario bring-up']) {
            assert.ok(starts.has(pos(fixture, header).line), `a folding range starts at '${header}'`);
        }
    });

    test('go to definition on a bus reference and on an IRTE reference', async () => {
        const bus = await client.connection.sendRequest(DefinitionRequest.type, { textDocument: td, position: pos(fixture, 'to pci1', 0, 4) }) as LocationLink[];
        assert.deepEqual(bus.map(l => ({ uri: l.targetUri, selection: l.targetSelectionRange, origin: l.originSelectionRange })), [
            { uri: fixtureUri, selection: rangeIn(fixture, 'bus pci1', 'pci1'), origin: rangeIn(fixture, 'to pci1', 'pci1') },
        ]);
        const irte = await client.connection.sendRequest(DefinitionRequest.type, { textDocument: td, position: pos(fixture, 'dmar0.irte 1', 0, 11) }) as LocationLink[];
        assert.deepEqual(irte.map(l => l.targetSelectionRange), [rangeOf(fixture, 'irte 1')]);
    });

    test('find references of an IOMMU and of a device', async () => {
        const refs = await client.connection.sendRequest(ReferencesRequest.type, {
            textDocument: td, position: pos(fixture, 'iommu dmar0', 0, 7), context: { includeDeclaration: true },
        });
        const key = (r: Range) => `${r.start.line}:${r.start.character}-${r.end.line}:${r.end.character}`;
        assert.deepEqual((refs ?? []).map(r => key(r.range)).sort(), [
            rangeIn(fixture, 'iommu dmar0', 'dmar0'), rangeIn(fixture, 'behind dmar0', 'dmar0'), rangeIn(fixture, 'update dmar0', 'dmar0'),
        ].map(key).sort());
        const nic = await client.connection.sendRequest(ReferencesRequest.type, {
            textDocument: td, position: pos(fixture, 'device nic', 0, 8), context: { includeDeclaration: false },
        });
        assert.deepEqual((nic ?? []).map(r => ({ uri: r.uri, range: r.range })), [{ uri: fixtureUri, range: rangeIn(fixture, 'fire nic.msix[0]', 'nic') }]);
    });

    test('`irq.inlayHints.enabled` pushed as false: the client is asked to refresh, then there are no hints', async () => {
        const refreshed = client.nextRefresh('inlayHints');
        await client.pushSettings({ profile: 'spec', inlayHints: { enabled: false } });
        await refreshed;
        assert.deepEqual(await hints(), []);
    });

    test('a pull-model change (`settings: null`) makes the server ask again; hints come back', async () => {
        const asked = client.configurationRequests.length;
        const refreshed = client.nextRefresh('inlayHints');
        await client.pullSettings({ profile: 'spec', inlayHints: { enabled: true } });
        await refreshed;
        assert.deepEqual(client.configurationRequests.slice(asked), ['irq']);
        assert.deepEqual(((await hints()) ?? []).map(h => h.label), EXPECTED_HINTS('spec').map(h => h.label));
    });

    test('changing `irq.profile` re-validates open documents and refreshes hints and lenses', async () => {
        const published = client.nextDiagnostics(fixtureUri);
        const lensRefresh = client.nextRefresh('codeLenses');
        await client.pushSettings({ profile: 'qemu', inlayHints: { enabled: true } });
        // QEMU never blocks compatibility-format interrupts: the fault is gone.
        assert.deepEqual((await published).diagnostics, []);
        await lensRefresh;
        assert.deepEqual(((await hints()) ?? []).map(h => ({ position: h.position, label: h.label })), EXPECTED_HINTS('qemu'));
        assert.deepEqual((await lenses())?.map(l => l.command?.title), ['2 vectors: 1 delivered, 1 pending', '2 vectors: 2 delivered', '1 vector: 1 delivered']);
        assert.ok(markdown(await hover(pos(fixture, '0xfee0_0010', 0, 4))).split('\n').includes('_profile qemu_'));

        const back = client.nextDiagnostics(fixtureUri);
        await client.pullSettings({ profile: 'spec', inlayHints: { enabled: true } });
        assert.deepEqual((await back).diagnostics, [FIXTURE_DIAGNOSTIC]);
    });

    describe('broken documents: diagnostics, and every request still answers', () => {
        const dir = pathToFileURL(join(REPO_ROOT, 'test', 'fixtures', 'server')).href;

        /** Every request a client sends while the user types, at a few positions; all must resolve. */
        async function everyRequest(uri: string, text: string): Promise<void> {
            const textDocument = { uri };
            const positions: Position[] = [{ line: 0, character: 0 }];
            for (let o = 0; o < text.length; o += 11) {
                const before = text.slice(0, o);
                positions.push({ line: before.split('\n').length - 1, character: o - (before.lastIndexOf('\n') + 1) });
            }
            const requests: Promise<unknown>[] = [
                hints(uri), lenses(uri), symbols(uri),
                client.connection.sendRequest(FoldingRangeRequest.type, { textDocument }),
            ];
            for (const position of positions) {
                requests.push(
                    hover(position, uri),
                    client.connection.sendRequest(DefinitionRequest.type, { textDocument, position }),
                    client.connection.sendRequest(ReferencesRequest.type, { textDocument, position, context: { includeDeclaration: true } }),
                    client.connection.sendRequest(CompletionRequest.type, { textDocument, position }),
                );
            }
            await Promise.all(requests);
        }

        test('a half-typed file: parse, linking and width errors, nothing else breaks', async () => {
            const uri = `${dir}/half-typed.irq`;
            const text = [
                'machine m {',
                '  apic x2apic',
                '  iommu d vtd {',
                '    irte 0 { vector 0x1ff dest',
                '  bus b behind nope {',
                '    device nic 00:03.0 {',
                '      msix table 2 {',
                '        entry 0 address 0xfee0_0010 data 0x',
                '',
            ].join('\n');
            const diagnostics = (await client.open(uri, text)).diagnostics;
            const brief = diagnostics.map(d => ({ code: d.code ?? (d.data as { code?: string })?.code, message: d.message, range: d.range }));
            for (const expected of [
                { code: 'parsing-error', message: "Expecting token of type 'NUMBER' but found `bus`.", range: rangeOf(text, 'bus') },
                { code: 'linking-error', message: "There is no IOMMU 'nope' in machine m.", range: rangeOf(text, 'nope') },
                { code: 'literal-too-wide', message: 'The IRTE vector is 8 bits wide; 0x1ff needs 9 bits.', range: rangeOf(text, '0x1ff') },
            ]) assert.ok(brief.some(d => isDeepStrictEqual(d, expected)), `missing ${JSON.stringify(expected)} in\n${JSON.stringify(brief, null, 1)}`);
            await everyRequest(uri, text);
            // Keep typing: every intermediate state still answers.
            for (let cut = text.length - 1, version = 2; cut > 0; cut -= 17, version++) {
                const published = client.nextDiagnostics(uri);
                await client.connection.sendNotification(DidChangeTextDocumentNotification.type, {
                    textDocument: { uri, version }, contentChanges: [{ text: text.slice(0, cut) }],
                });
                await published;
                await Promise.all([hover({ line: 0, character: 3 }, uri), hints(uri), lenses(uri), symbols(uri)]);
            }
        });

        test('an empty file: no diagnostics, empty answers', async () => {
            const uri = `${dir}/empty.irq`;
            assert.deepEqual((await client.open(uri, '')).diagnostics, []);
            assert.equal(await hover({ line: 0, character: 0 }, uri), null);
            assert.deepEqual(await hints(uri), []);
            assert.deepEqual(await lenses(uri), []);
            assert.deepEqual(await symbols(uri), []);
            await everyRequest(uri, '');
        });

        test('a 70-bit number: one clear diagnostic on the literal, and a hover that says why it is not decoded', async () => {
            const uri = `${dir}/seventy-bits.irq`;
            const text = 'machine m {\n  bus b {\n    device nic 00:03.0 {\n      msix table 2 { entry 0 address 0x3f_ffff_ffff_ffff_ffff data 0 }\n    }\n  }\n}\n';
            const diagnostics = (await client.open(uri, text)).diagnostics;
            assert.deepEqual(diagnostics.map(d => ({ code: d.code, severity: d.severity, message: d.message, range: d.range })), [{
                code: 'literal-too-wide', severity: 1,
                message: 'A message address is 64 bits wide; 0x3f_ffff_ffff_ffff_ffff needs 70 bits.',
                range: rangeOf(text, '0x3f_ffff_ffff_ffff_ffff'),
            }]);
            assert.equal(markdown(await hover(pos(text, '0x3f_ffff', 0, 3), uri)),
                '**MSI address** `0x3f_ffff_ffff_ffff_ffff`\n\nA message address is 64 bits wide; this literal needs 70 bits, so it is not decoded.');
            assert.deepEqual(await hints(uri), [] as InlayHint[]);
            await everyRequest(uri, text);
        });

        test('the fixture still answers after all that', async () => {
            assert.deepEqual(((await hints()) ?? []).map(h => h.label), EXPECTED_HINTS('spec').map(h => h.label));
        });
    });

    test('shutdown and exit: the process ends with code 0', async () => {
        assert.deepEqual(await client.shutdown(), { code: 0, signal: null });
    });
});

// VS Code forks the bundle with `--node-ipc` (TransportKind.ipc); the same server must answer there too.
describe('language server over node IPC (as VS Code starts it)', () => {
    test('initialize, publish diagnostics for an opened document, hover, shutdown, exit 0', async () => {
        const child = fork(SERVER_BUNDLE, ['--node-ipc'], { cwd: REPO_ROOT, stdio: ['ignore', 'ignore', 'pipe', 'ipc'] });
        const exited = new Promise<number | null>(resolve => child.on('exit', code => resolve(code)));
        const connection = createProtocolConnection(new IPCMessageReader(child), new IPCMessageWriter(child));
        const published = new Promise<PublishDiagnosticsParams>(resolve => connection.onNotification(PublishDiagnosticsNotification.type, resolve));
        connection.onRequest(ConfigurationRequest.type, params => params.items.map(() => null));
        connection.onRequest(RegistrationRequest.type, () => null);
        connection.listen();
        try {
            const init = await connection.sendRequest(InitializeRequest.type, {
                processId: process.pid, rootUri: null, workspaceFolders: null, capabilities: { workspace: { configuration: true } },
            });
            assert.equal(init.capabilities.hoverProvider, true);
            // Semantic highlighting (with the fault modifier) and completion are served by the bundle too.
            assert.ok(init.capabilities.semanticTokensProvider?.legend.tokenModifiers.includes('deprecated'));
            assert.ok(init.capabilities.completionProvider);
            await connection.sendNotification(InitializedNotification.type, {});
            await connection.sendNotification(DidOpenTextDocumentNotification.type, { textDocument: { uri: fixtureUri, languageId: 'irq', version: 1, text: fixture } });
            assert.deepEqual((await published).diagnostics.map(d => d.code), ['vtd-fault-0x25']);
            const h = await connection.sendRequest(HoverRequest.type, { textDocument: { uri: fixtureUri }, position: pos(fixture, '0xfee0_0010', 0, 4) });
            assert.ok(markdown(h).startsWith('**MSI address** `0xfee0_0010` — nic.msix[0]\n'));
            await connection.sendRequest(ShutdownRequest.type);
            await connection.sendNotification(ExitNotification.type);
            assert.equal(await exited, 0);
        } finally {
            connection.dispose();
            if (child.exitCode === null && child.signalCode === null) child.kill();
        }
    });
});
