/**
 * Completion: the free values the provider adds to Langium's keywords and references, as exact label
 * lists at a cursor (`|` in the text marks it).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EmptyFileSystem } from 'langium';
import { parseHelper } from 'langium/test';
import { createIrqLspServices } from '../../server/irq-lsp-module.js';

const { shared, Irq } = createIrqLspServices({ ...EmptyFileSystem });
void shared.workspace.ConfigurationProvider.initialized({});
const parse = parseHelper(Irq);

/** The labels offered at `|`, and the value labels (kind Value) among them, in the order shown. */
async function complete(marked: string): Promise<{ all: string[]; values: string[] }> {
    const offset = marked.indexOf('|');
    const text = marked.slice(0, offset) + marked.slice(offset + 1);
    const doc = await parse(text);
    const position = doc.textDocument.positionAt(offset);
    const list = await Irq.lsp.CompletionProvider!.getCompletion(doc, { textDocument: { uri: doc.uri.toString() }, position });
    const items = [...(list?.items ?? [])].sort((a, b) => (a.sortText ?? a.label).localeCompare(b.sortText ?? b.label));
    return { all: items.map(i => i.label), values: items.filter(i => i.kind === 12).map(i => i.label) };
}

/** The value items (label, detail) offered at `|`. */
async function completeItems(marked: string): Promise<[string, string | undefined][]> {
    const offset = marked.indexOf('|');
    const text = marked.slice(0, offset) + marked.slice(offset + 1);
    const doc = await parse(text);
    const list = await Irq.lsp.CompletionProvider!.getCompletion(doc, { textDocument: { uri: doc.uri.toString() }, position: doc.textDocument.positionAt(offset) });
    return [...(list?.items ?? [])].filter(i => i.kind === 12).sort((a, b) => (a.sortText ?? '').localeCompare(b.sortText ?? '')).map(i => [i.label, i.detail]);
}

const x86NoIommu = (cursorLine: string) => [
    'machine w {',
    '  arch x86_64',
    '  cpus 0..3',
    '  bus pci0 number 0x00 {',
    '    device a 00:02.0 { msix table 2 { entry 0 address 0xfee0_0000 data 0x20 entry 1 address 0xfee0_0000 data 0x22 } }',
    '    device b 00:03.0 { msix table 4 { entry 0 address 0xfee0_0000 data 0x21 ' + cursorLine + ' } }',
    '  }',
    '}',
].join('\n');

describe('completion', () => {
    test('after `irte` in an IOMMU block: the lowest free IRTE indices', async () => {
        const { values } = await complete([
            'machine m { cpus 0..3',
            '  iommu dmar0 vtd { remapping on table size 256',
            '    irte 0 { vector 0x41 dest 1 }',
            '    irte 2 { vector 0x42 dest 1 }',
            '    irte |',
            '  }',
            '}',
        ].join('\n'));
        assert.deepEqual(values, ['1', '3', '4']);
    });

    test('after `entry` in an MSI-X table: the free entry indices below the table size', async () => {
        const { values } = await complete(x86NoIommu('entry |'));
        assert.deepEqual(values, ['1', '2', '3']);
    });

    test('the BDF of a new device: free slots on the bus, with the bus number', async () => {
        const { values } = await complete([
            'machine m { cpus 0..3',
            '  bus pci1 number 0x05 {',
            '    device a 05:00.0',
            '    device b 05:01.0',
            '    device c |',
            '  }',
            '}',
        ].join('\n'));
        assert.deepEqual(values, ['05:02.0', '05:03.0', '05:04.0']);
    });

    test('`data` of an MSI-X entry on x86 without an IOMMU: vectors no other source is delivered with', async () => {
        const { values } = await complete(x86NoIommu('entry 1 address 0xfee0_0000 data |'));
        assert.deepEqual(values, ['0x23', '0x24', '0x25']);
    });

    test('no vector offer behind an IOMMU (the data word is a subhandle there)', async () => {
        const { values } = await complete([
            'machine m { arch x86_64 cpus 0..3',
            '  iommu dmar0 vtd { remapping on }',
            '  bus pci0 behind dmar0 { device b 00:03.0 { msix table 4 { entry 0 address 0xfee0_0010 data | } } }',
            '}',
        ].join('\n'));
        assert.deepEqual(values, []);
    });

    test('`address` of an MSI-X entry behind an IOMMU: remappable addresses of unused handles, programmed IRTEs first', async () => {
        const items = await completeItems([
            'machine m { arch x86_64 cpus 0..3',
            '  iommu dmar0 vtd { remapping on table size 16',
            '    irte 0 { vector 0x41 dest 1 sid 00:03.0 }',
            '    irte 1 { vector 0x42 dest 1 sid 00:03.0 }',
            '    irte 2 { vector 0x43 dest 1 sid 00:03.0 }',
            '  }',
            '  bus pci0 behind dmar0 { device b 00:03.0 { msix table 4 {',
            '    entry 0 address 0xfee0_0010 data 0',
            '    entry 1 address |',
            '  } } }',
            '}',
        ].join('\n'));
        assert.deepEqual(items, [
            ['0xfee0_0030', 'remappable, handle 1 → IRTE 1'],
            ['0xfee0_0050', 'remappable, handle 2 → IRTE 2'],
            ['0xfee0_0070', 'remappable, handle 3 → IRTE 3 (not programmed yet)'],
        ]);
    });

    test("Langium's keyword completion is kept", async () => {
        const { all } = await complete([
            'machine m { cpus 0..3',
            '  iommu dmar0 vtd { |',
            '  }',
            '}',
        ].join('\n'));
        for (const keyword of ['remapping', 'eim', 'cfi', 'irte']) assert.ok(all.includes(keyword), keyword);
    });
});
