/**
 * The "Simulate" code lenses (server/lsp/code-lens-provider.ts), in process: shown only to a client that
 * names its simulate command in `initializationOptions` (the VS Code extension), above every scenario and
 * every vector, with the arguments the command passes to the debugger; the device summaries stay as they are.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EmptyFileSystem, type LangiumDocument } from 'langium';
import { parseHelper } from 'langium/test';
import type { CodeLens } from 'vscode-languageserver';
import { createIrqLspServices } from '../../server/irq-lsp-module.js';

const TEXT = `machine q35 {
  apic x2apic
  cpus 0..3
  iommu dmar0 vtd {
    irte 0 { vector 0x41 dest 1 sid 00:03.0 }
    irte 1 { vector 0x51 dest 2 sid 00:04.0 }
    irte 2 { vector 0x52 dest 3 sid 00:04.0 }
  }
  bus pci0 behind dmar0 {
    device nic 00:03.0 {
      msix table 2 {
        entry 0 address 0xfee0_0010 data 0
      }
    }
    device nvme 00:04.0 {
      msi vectors 2 address 0xfee0_0038 data 0
    }
  }
}
scenario first on q35 {
  fire nic.msix[0]
}
`;

async function lenses(initializationOptions: unknown): Promise<CodeLens[]> {
    const { shared, Irq } = createIrqLspServices({ ...EmptyFileSystem });
    await shared.lsp.LanguageServer.initialize({ processId: null, rootUri: null, capabilities: {}, initializationOptions });
    void shared.workspace.ConfigurationProvider.initialized({});
    const doc: LangiumDocument = await parseHelper(Irq)(TEXT, { validation: true });
    return (await Irq.lsp.CodeLensProvider!.provideCodeLens(doc, { textDocument: { uri: doc.uri.toString() } })) ?? [];
}

const brief = (l: CodeLens) => `${l.range.start.line + 1}:${l.range.start.character + 1} ${l.command?.title} ${l.command?.command} ${JSON.stringify(l.command?.arguments?.[0] ?? null)}`.replace(/"uri":"[^"]*",/, '');

describe('Simulate lenses', () => {
    test('a client that can simulate gets one above each vector and each scenario', async () => {
        assert.deepEqual((await lenses({ simulateCommand: 'irq.simulate' })).map(brief), [
            '10:5 1 vector: 1 delivered  null',
            '12:9 Simulate irq.simulate {"vector":"nic.msix[0]","machine":"q35"}',
            '15:5 2 vectors: 2 delivered  null',
            '16:7 Simulate irq.simulate {"vector":"nvme.msi[0]","machine":"q35"}',
            '20:1 Simulate irq.simulate {"scenario":"first"}',
        ]);
    });

    test('any other client gets the device summaries only', async () => {
        assert.deepEqual((await lenses(undefined)).map(brief), ['10:5 1 vector: 1 delivered  null', '15:5 2 vectors: 2 delivered  null']);
    });
});
