/**
 * Semantic tokens on a small machine: the exact token list (the relative encoding decoded back to
 * line / character / text / type / modifiers), so a change of classification shows up as a diff.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EmptyFileSystem } from 'langium';
import { parseHelper } from 'langium/test';
import { createIrqLspServices } from '../../server/irq-lsp-module.js';

const { shared, Irq } = createIrqLspServices({ ...EmptyFileSystem });
void shared.workspace.ConfigurationProvider.initialized({});
const parse = parseHelper(Irq);

/** Decodes LSP's relative encoding (deltaLine, deltaStart, length, type, modifier bits) into readable rows. */
async function tokens(text: string): Promise<string[]> {
    const doc = await parse(text, { validation: true });
    const provider = Irq.lsp.SemanticTokenProvider!;
    const result = await provider.semanticHighlight(doc, { textDocument: { uri: doc.uri.toString() } });
    const types = Object.entries(provider.tokenTypes).sort((a, b) => a[1] - b[1]).map(([k]) => k);
    const modifiers = Object.entries(provider.tokenModifiers).sort((a, b) => a[1] - b[1]).map(([k]) => k);
    const lines = text.split('\n');
    const out: string[] = [];
    let line = 0, char = 0;
    for (let i = 0; i < result.data.length; i += 5) {
        const [dl, ds, len, type, mods] = result.data.slice(i, i + 5);
        line += dl;
        char = dl === 0 ? char + ds : ds;
        const names = modifiers.filter((_, bit) => (mods & (1 << bit)) !== 0);
        out.push(`${line}:${char} ${lines[line].slice(char, char + len)} ${types[type]}${names.length ? ' ' + names.join(',') : ''}`);
    }
    return out;
}

describe('semantic tokens', () => {
    test('declarations, references by kind, numbers, BDFs, mode words, and the value the engine faults on', async () => {
        const text = [
            'machine m {',
            '  cpus 0..3',
            '  iommu dmar0 vtd {',
            '    remapping on',
            '    cfi off',
            '    irte 0 { vector 0x41 dest 1 fixed edge physical }',
            '  }',
            '  bus pci0 behind dmar0 {',
            '    device nic 00:03.0 {',
            '      msix table 2 {',
            '        entry 0 address 0xfee0_1000 data 0x41',
            '      }',
            '    }',
            '  }',
            '}',
            'scenario s on m { fire nic.msix[0] }',
        ].join('\n');
        assert.deepEqual(await tokens(text), [
            '0:8 m namespace declaration',
            '1:7 0 number',
            '1:10 3 number',
            '2:8 dmar0 namespace declaration',
            '5:9 0 number',
            '5:20 0x41 number',
            '5:30 1 number',
            '5:32 fixed enumMember',
            '5:38 edge enumMember',
            '5:43 physical enumMember',
            '7:6 pci0 namespace declaration',
            '7:18 dmar0 namespace',
            '8:11 nic class declaration',
            '8:15 00:03.0 string',
            '9:17 2 number',
            // Compatibility format with CFI off: VT-d blocks it (fault 0x25), so the address is struck through.
            '10:14 0 number',
            '10:24 0xfee0_1000 number deprecated',
            '10:41 0x41 number',
            '15:9 s function declaration',
            '15:14 m namespace',
            '15:23 nic class',
            '15:32 0 property',
        ]);
        // The same machine with compatibility-format interrupts allowed: nothing faults, nothing is struck through.
        const fixed = await tokens(text.replace('cfi off', 'cfi on'));
        assert.deepEqual(fixed.filter(t => t.includes('deprecated')), []);
        assert.ok(fixed.includes('10:24 0xfee0_1000 number'));
    });

    test('a half-typed document still gets tokens (no exception)', async () => {
        assert.deepEqual(await tokens('machine m {\n  iommu dmar0 vtd {\n    irte 0x1 { vector'), [
            '0:8 m namespace declaration',
            '1:8 dmar0 namespace declaration',
            '2:9 0x1 number',
        ]);
    });
});
