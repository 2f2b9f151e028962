/**
 * The editor's starting points: the New-topology templates (client/templates.ts) and the snippets
 * (snippets/irq.json) are real `.irq` text. Each template loads with zero errors; each snippet body, with
 * its placeholders replaced by their defaults and placed where it belongs, parses without syntax errors.
 * (Lives in test/: the client may not import the language, the test may import both.)
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { TOPOLOGY_TEMPLATES } from '../../client/templates.js';
import { createIrqHeadless } from '../../language/index.js';
import { readJson } from './paths.js';

const irq = createIrqHeadless();
const errorsOf = (diagnostics: { severity?: number; message: string }[]) => diagnostics.filter(d => d.severity === 1).map(d => d.message);

describe('New-topology templates', () => {
    test('three templates: q35 + VT-d, a workstation without IOMMU, a pseries guest', () => {
        assert.deepEqual(TOPOLOGY_TEMPLATES.map(t => t.label), ['q35 + VT-d + x2APIC', 'Workstation without IOMMU', 'pseries guest']);
    });

    for (const template of TOPOLOGY_TEMPLATES) {
        test(`${template.label}: loads with zero errors and routes every source`, async () => {
            const loaded = await irq.loadText(template.text);
            assert.equal(loaded.hasSyntaxErrors, false);
            assert.deepEqual(errorsOf(loaded.diagnostics), []);
            const traces = loaded.analysis.machines.flatMap(m => m.report.traces);
            assert.ok(traces.length > 0, 'the template has interrupt sources');
            for (const trace of traces) assert.notEqual(trace.outcome.kind, 'fault', trace.sourceName);
        });
    }
});

interface Snippet { prefix: string | string[]; body: string | string[]; description: string }

/** A snippet body with every tab stop replaced by its default (`${1:x}` → x, `${1|a,b|}` → a, `$1` → ''). */
function expand(body: string | string[]): string {
    let text = Array.isArray(body) ? body.join('\n') : body;
    let previous;
    do {
        previous = text;
        text = text.replace(/\$\{\d+:([^{}$]*)\}/g, '$1').replace(/\$\{\d+\|([^,|]*)[^}]*\|\}/g, '$1');
    } while (text !== previous);
    return text.replace(/\$\d+/g, '');
}

/** Where each snippet is typed: the text around it (`BODY` is replaced by the snippet). */
const CONTEXTS: Record<string, string> = {
    'Machine: q35 with VT-d': 'BODY',
    'Device with MSI-X': 'machine m { cpus 0..3 bus pci0 { BODY } }',
    'IRTE (remapped)': 'machine m { cpus 0..3 iommu dmar0 vtd { remapping on BODY } }',
    'IRTE (posted)': 'machine m { cpus 0..3 iommu dmar0 vtd { remapping on posted on BODY } }',
    'Bus behind an IOMMU': 'machine m { cpus 0..3 iommu dmar0 vtd { remapping on } BODY }',
    'Scenario': 'machine q35 { cpus 0..3 bus pci0 { device nic 00:03.0 { msix table 1 { entry 0 address 0xfee0_0000 data 0x41 } } } }\nBODY',
    'KVM block': 'machine m { cpus 0..3 bus pci0 { device nic 00:03.0 { msix table 1 { entry 0 address 0xfee0_0000 data 0x41 } } } BODY }',
};

describe('snippets', () => {
    const snippets = readJson<Record<string, Snippet>>('snippets/irq.json');

    test('valid JSON, one context per snippet, each with a prefix and a description', () => {
        assert.deepEqual(Object.keys(snippets).sort(), Object.keys(CONTEXTS).sort());
        for (const [name, s] of Object.entries(snippets)) {
            assert.ok((Array.isArray(s.prefix) ? s.prefix : [s.prefix]).length > 0, name);
            assert.ok(s.description.length > 20, name);
        }
    });

    for (const [name, context] of Object.entries(CONTEXTS)) {
        test(`${name}: the body with its defaults parses`, async () => {
            const snippet = readJson<Record<string, Snippet>>('snippets/irq.json')[name];
            const text = context.replace('BODY', expand(snippet.body));
            assert.ok(!text.includes('$'), text);
            const loaded = await irq.loadText(text);
            assert.equal(loaded.hasSyntaxErrors, false, text);
            // The machine and the scenario snippets are whole: they must also check clean.
            if (name === 'Machine: q35 with VT-d' || name === 'Scenario') assert.deepEqual(errorsOf(loaded.diagnostics), [], text);
        });
    }
});
