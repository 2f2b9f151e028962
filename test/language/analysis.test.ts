/**
 * The document analysis (cached per parse and profile), traces by source element, the headless loader,
 * the settings service, and the module composed with Langium's LSP module the way the server does it.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { EmptyFileSystem, inject, URI } from 'langium';
import { NodeFileSystem } from 'langium/node';
import { createDefaultModule, createDefaultSharedModule } from 'langium/lsp';
import { createIrqHeadless } from '../../language/headless.js';
import { createIrqModule, IrqGeneratedModule, IrqTopologyGeneratedSharedModule } from '../../language/irq-module.js';
import { fixturePath, irq, load } from './helpers.js';

const TEXT = `machine q35 {
  apic x2apic
  cpus 0..3
  iommu dmar0 vtd {
    irte 0 { vector 0x41 dest 3 sid 00:03.0 }
    irte 4 { vector 0x60 dest 1 sid 00:04.0 }
    irte 5 { vector 0x61 dest 2 sid 00:04.0 }
  }
  bus pci0 behind dmar0 {
    device nic 00:03.0 { msix table 2 { entry 0 address 0xfee0_0010 data 0 entry 1 address 0xfee0_0010 data 0 masked } }
    device nvme 00:04.0 { msi vectors 2 address 0xfee0_0098 data 0 }
  }
}
machine empty { }
`;

describe('document analysis', () => {
    test('one analysis per machine, with traces by source element', async () => {
        const r = await load(TEXT, { profile: 'spec' });
        assert.deepEqual(r.analysis.machines.map(m => m.model.id), ['machine:q35', 'machine:empty']);
        const [q35] = r.analysis.machines;
        assert.deepEqual([...q35.traceBySourceElement.keys()], ['msix:q35:nic:0', 'msix:q35:nic:1', 'msi:q35:nvme']);
        assert.deepEqual(q35.tracesBySourceElement.get('msi:q35:nvme')!.map(t => t.sourceName), ['nvme.msi[0]', 'nvme.msi[1]']);
        assert.equal(q35.traceBySourceElement.get('msi:q35:nvme'), q35.tracesBySourceElement.get('msi:q35:nvme')![0]);
        const delivered = q35.traceBySourceElement.get('msix:q35:nic:0')!.outcome;
        assert.equal(delivered.kind, 'delivered');
        assert.deepEqual(delivered.kind === 'delivered' ? delivered.targets.map(t => t.cpu) : [], ['cpu:q35:3']);
        assert.equal(q35.traceBySourceElement.get('msix:q35:nic:1')!.outcome.kind, 'pending');
        assert.equal(r.analysis.machineOf(q35.node), q35);
    });

    test('cached per document parse and profile; lowering shared between profiles', async () => {
        const r = await load(TEXT);
        const analyzer = irq.services.analysis.DocumentAnalyzer;
        const spec1 = analyzer.analyze(r.document, 'spec');
        const spec2 = analyzer.analyze(r.document, 'spec');
        const qemu = analyzer.analyze(r.document, 'qemu');
        assert.equal(spec1, spec2);
        assert.notEqual(spec1, qemu);
        assert.equal(qemu.profile, 'qemu');
        assert.equal(spec1.machines[0].model, qemu.machines[0].model);
        assert.equal(analyzer.lower(r.document)[0].model, spec1.machines[0].model);
        // Any node inside a machine finds its machine's analysis.
        const entry = spec1.machines[0].idToNode.get('msix:q35:nic:0')!;
        assert.equal(analyzer.analysisAt(entry, 'spec'), spec1.machines[0]);
        assert.equal(analyzer.loweredAt(entry)?.model, spec1.machines[0].model);
        // The same URI loaded again (a new parse) is analysed anew.
        const again = await irq.loadText(TEXT, { uri: r.document.uri.toString() });
        assert.notEqual(analyzer.analyze(again.document, 'spec'), spec1);
    });

    test('the validation pass and the views share one analysis', async () => {
        const r = await load(TEXT, { profile: 'spec' });
        // loadText validated the document (which analysed it), then asked for the analysis: same object.
        assert.equal(irq.services.analysis.DocumentAnalyzer.analyze(r.document, 'spec'), r.analysis);
    });
});

describe('headless loader and services', () => {
    test('loads a file through the Node file system', async () => {
        const headless = createIrqHeadless({ fileSystem: NodeFileSystem, profile: 'qemu' });
        const r = await headless.loadFile(fixturePath('q35.irq'));
        assert.equal(r.document.uri.scheme, 'file');
        assert.equal(r.analysis.profile, 'qemu');
        assert.equal(r.hasSyntaxErrors, false);
        assert.deepEqual(r.diagnostics.filter(d => /^(lexing|parsing|linking)-error$/.test(String(d.data?.code))), []);
        assert.deepEqual(r.analysis.machines.map(m => m.model.devices.map(d => d.id)), [['device:q35:nic', 'device:q35:nvme', 'device:q35:gpu']]);
        await headless.unload(r.document);
        assert.equal(headless.shared.workspace.LangiumDocuments.hasDocument(r.document.uri), false);
    });

    test('the profile follows the `irq.profile` setting sent by a client', () => {
        const headless = createIrqHeadless();
        const settings = headless.services.settings;
        const seen: string[] = [];
        settings.onDidChangeProfile(p => seen.push(p));
        headless.shared.workspace.ConfigurationProvider.updateConfiguration({ settings: { irq: { profile: 'qemu' } } });
        assert.equal(settings.profile, 'qemu');
        headless.shared.workspace.ConfigurationProvider.updateConfiguration({ settings: { irq: { profile: 'nonsense' } } });
        assert.equal(settings.profile, 'spec');
        headless.shared.workspace.ConfigurationProvider.updateConfiguration({ settings: { other: { profile: 'qemu' } } });
        assert.equal(settings.profile, 'spec');
        assert.deepEqual(seen, ['qemu', 'spec']);
    });

    test('the module composes with Langium\'s LSP module (what the language server does)', async () => {
        const shared = inject(createDefaultSharedModule({ ...EmptyFileSystem }), IrqTopologyGeneratedSharedModule);
        const Irq = inject(createDefaultModule({ shared }), IrqGeneratedModule, createIrqModule());
        shared.ServiceRegistry.register(Irq);
        void shared.workspace.ConfigurationProvider.initialized({});
        const doc = shared.workspace.LangiumDocumentFactory.fromString(TEXT, URI.parse('memory:///lsp.irq'));
        shared.workspace.LangiumDocuments.addDocument(doc);
        await shared.workspace.DocumentBuilder.build([doc], { validation: true });
        assert.deepEqual(doc.diagnostics?.filter(d => d.severity === 1).map(d => d.message), []);
        assert.equal(Irq.analysis.DocumentAnalyzer.analyze(doc).machines.length, 2);
        assert.ok(Irq.lsp.HoverProvider, 'LSP services are there');
    });
});
