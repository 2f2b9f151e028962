/**
 * Formatting (server/lsp/formatter.ts): the exact layout of a messy input, idempotence on every example,
 * and that formatting changes neither the parse nor the diagnostics.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { describe, test } from 'node:test';
import { EmptyFileSystem, type LangiumDocument } from 'langium';
import { parseHelper } from 'langium/test';
import { TextDocument } from 'vscode-languageserver-textdocument';
import { createIrqLspServices } from '../../server/irq-lsp-module.js';
import { formatIrqText } from '../../server/lsp/formatter.js';
import { REPO_ROOT } from './helpers.js';

const { shared, Irq } = createIrqLspServices({ ...EmptyFileSystem });
void shared.workspace.ConfigurationProvider.initialized({});
const parse = parseHelper(Irq);

const files = [
    ...readdirSync(`${REPO_ROOT}examples`).filter((f) => f.endsWith('.irq')).map((f) => `examples/${f}`),
    ...readdirSync(`${REPO_ROOT}test/fixtures/server`).filter((f) => f.endsWith('.irq')).map((f) => `test/fixtures/server/${f}`),
];

/** Diagnostics as `code message` without positions on the line (columns move, lines do not). */
const summary = (doc: LangiumDocument) => (doc.diagnostics ?? []).map((d) => `${d.range.start.line} ${String(d.code)} ${d.message}`).sort();
/** The token stream the parser reads (comments included: they are kept too). */
const tokensOf = (text: string) => {
    const r = Irq.parser.Lexer.tokenize(text);
    return [...r.tokens, ...(r.hidden ?? [])].filter((t) => t.tokenType.name !== 'WS').sort((a, b) => a.startOffset - b.startOffset).map((t) => t.image);
};

describe('formatter', () => {
    test('a messy input: indentation, single blanks, aligned entry / irte columns and trailing comments', () => {
        const input = [
            'machine m {',
            'cpus 0..3   // four',
            '      iommu dmar0 vtd {',
            '  remapping on',
            '      irte 0 { vector 0x41 dest 1 }  // first',
            '  irte 12 {vector 0x42 dest 2} // second',
            '  irte 3 raw 0x1 0x0',
            '}',
            '  bus pci0 behind dmar0 {',
            '    device nic 00:03.0 {',
            '      msix table 16 {',
            '        entry 0 address 0xfee0_0010   data 0x0 masked',
            '        entry 10 address 0xfee0_0030 data 0x0000 // ten',
            '            /* one-line */ entry 2 data 0x1',
            '      }',
            '   }',
            ' }   ',
            '/* a block',
            '     comment kept */',
            '}',
            '',
        ].join('\n');
        assert.equal(formatIrqText(input), [
            'machine m {',
            '  cpus 0..3  // four',
            '  iommu dmar0 vtd {',
            '    remapping on',
            '    irte 0  { vector 0x41 dest 1 }   // first',
            '    irte 12 { vector 0x42 dest 2 }   // second',
            '    irte 3  raw 0x1 0x0',
            '  }',
            '  bus pci0 behind dmar0 {',
            '    device nic 00:03.0 {',
            '      msix table 16 {',
            '        entry 0  address 0xfee0_0010 data 0x0    masked',
            '        entry 10 address 0xfee0_0030 data 0x0000  // ten',
            '        /* one-line */ entry 2 data 0x1',
            '      }',
            '    }',
            '  }',
            '/* a block',
            '     comment kept */',
            '}',
            '',
        ].join('\n'));
        assert.deepEqual(tokensOf(formatIrqText(input)), tokensOf(input));
    });

    test('the LSP formatter returns line edits that produce the same text; range formatting touches only its lines', async () => {
        const text = 'machine m {\ncpus 0..1\n    arch x86_64\n}\n';
        const doc = await parse(text);
        const edits = await Irq.lsp.Formatter!.formatDocument(doc, { textDocument: { uri: doc.uri.toString() }, options: { tabSize: 2, insertSpaces: true } });
        assert.equal(TextDocument.applyEdits(TextDocument.create('x', 'irq', 0, text), edits), formatIrqText(text));
        const ranged = await Irq.lsp.Formatter!.formatDocumentRange(doc, {
            textDocument: { uri: doc.uri.toString() }, options: { tabSize: 2, insertSpaces: true },
            range: { start: { line: 2, character: 0 }, end: { line: 2, character: 1 } },
        });
        assert.deepEqual(ranged, [{ range: { start: { line: 2, character: 0 }, end: { line: 2, character: 15 } }, newText: '  arch x86_64' }]);
    });

    for (const file of files) {
        test(`${file}: idempotent, same tokens, same diagnostics`, async () => {
            const text = readFileSync(`${REPO_ROOT}${file}`, 'utf8');
            const once = formatIrqText(text);
            assert.equal(formatIrqText(once), once);
            assert.equal(once.split('\n').length, text.split('\n').length);
            const before = await parse(text, { validation: true });
            const after = await parse(once, { validation: true });
            assert.deepEqual(tokensOf(once), tokensOf(text));
            assert.deepEqual(summary(after), summary(before));
        });
    }
});
