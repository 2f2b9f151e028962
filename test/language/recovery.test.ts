/**
 * Half-typed and wrong input: the exact diagnostics a user sees, and nothing throws (every prefix of a real
 * file loads, validates and analyses).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { diags, fixturePath, load, rangeOfPart, rangeOfText } from './helpers.js';

describe('error recovery', () => {
    test('empty file: no diagnostics, no machines', async () => {
        const r = await load('');
        assert.deepEqual(diags(r.diagnostics), []);
        assert.deepEqual(r.analysis.machines, []);
    });

    test('a lone keyword', async () => {
        const r = await load('machine');
        assert.deepEqual(diags(r.diagnostics), [
            { code: 'parsing-error', severity: 1, message: "Expecting token of type 'ID' but found ``.", range: '0:7-0:7' },
        ]);
        assert.equal(r.analysis.machines.length, 1);
    });

    test('a half-typed file: only the syntax errors, at the place they occur', async () => {
        const text = [
            'machine q35 {',
            '  apic x2apic',
            '  cpus 0..3',
            '  iommu dmar0 vtd {',
            '    irte 0 { vector 0x41 dest',
            '  }',
            '  bus pci0 behind dmar0 {',
            '    device nic 00:03.0 {',
            '      msix table 4 {',
            '        entry 0 address 0xfee0_0010 data',
        ].join('\n');
        const r = await load(text);
        assert.deepEqual(diags(r.diagnostics), [
            { code: 'parsing-error', severity: 1, message: "Expecting token of type 'NUMBER' but found `}`.", range: '5:2-5:3' },
            { code: 'parsing-error', severity: 1, message: "Expecting token of type '}' but found `bus`.", range: '6:2-6:5' },
            { code: 'parsing-error', severity: 1, message: "Expecting token of type 'NUMBER' but found ``.", range: '9:40-9:40' },
        ]);
        // What was typed so far is still analysed: the bus is behind dmar0 and the device is on it.
        const [m] = r.analysis.machines;
        assert.deepEqual(m.model.buses.map(b => [b.id, b.iommu]), [['bus:q35:pci0', 'iommu:q35:dmar0']]);
        assert.deepEqual(m.model.devices.map(d => d.id), ['device:q35:nic']);
        // The half-typed IRTE and entry stand in with defaults but are kept out of routing diagnostics.
        assert.deepEqual([...m.suspect].sort(), ['irte:q35:dmar0:0', 'msix:q35:nic:0']);
    });

    test('a half-typed BDF is a lexer error plus a parser error on the same spot', async () => {
        const text = 'machine m {\n  bus b {\n    device x 00:\n  }\n}\n';
        const r = await load(text);
        assert.deepEqual(diags(r.diagnostics), [
            { code: 'lexing-error', severity: 1, message: 'unexpected character: ->:<- at offset: 37, skipped 1 characters.', range: '2:15-2:16' },
            { code: 'parsing-error', severity: 1, message: "Expecting token of type 'BDF' but found `00`.", range: '2:13-2:15' },
        ]);
    });

    test('a 70-bit number anywhere is one clear error on the literal, and no follow-on noise', async () => {
        const big = '0x3f_ffff_ffff_ffff_ffff';
        const text = [
            'machine m {',
            `  cpu 1 apic ${big}`,
            `  iommu d vtd { irte 0 raw ${big} 0 }`,
            '  bus b {',
            `    device nic 00:03.0 { msix table 1 { entry 0 address ${big} data 0 } }`,
            '  }',
            '}',
        ].join('\n');
        const r = await load(text);
        assert.deepEqual(diags(r.diagnostics), [
            { code: 'literal-too-wide', severity: 1, message: `An APIC ID is 32 bits wide; ${big} needs 70 bits.`, range: rangeOfText(text, big, 0) },
            { code: 'literal-too-wide', severity: 1, message: `The IRTE low half (bits 63:0) is 64 bits wide; ${big} needs 70 bits.`, range: rangeOfText(text, big, 1) },
            { code: 'literal-too-wide', severity: 1, message: `A message address is 64 bits wide; ${big} needs 70 bits.`, range: rangeOfText(text, big, 2) },
        ]);
        // The value reached the AST exactly (no rounding through number) before validation rejected it.
        const file = r.document.parseResult.value;
        const bus = file.machines[0].members.find(x => x.$type === 'Bus');
        assert.equal(bus?.$type === 'Bus' && bus.members[0].$type === 'Device' ? bus.members[0].msix?.entries[0].address : undefined, 0x3f_ffff_ffff_ffff_ffffn);
    });

    test('unknown references: Langium linker errors on the reference text', async () => {
        const text = [
            'machine m {',
            '  bus pci0 behind dmar9 {',
            '    device nic 00:03.0 { msix table 1 { entry 0 address 0xfee0_0000 data 0x30 } }',
            '    bridge rp 00:1c.0 pcie-root-port to nowhere',
            '  }',
            '  kvm { irqfd nic.msix[7] gsi 1 irqfd nix.msix[0] gsi 2 irqfd nic.ims[0] gsi 3 }',
            '}',
            'scenario s on q99 { fire nic.msix[0] }',
        ].join('\n');
        const r = await load(text);
        assert.deepEqual(diags(r.diagnostics).filter(d => d.code === 'linking-error'), [
            { code: 'linking-error', severity: 1, message: "There is no IOMMU 'dmar9' in machine m.", range: rangeOfText(text, 'dmar9') },
            { code: 'linking-error', severity: 1, message: "There is no bus 'nowhere' in machine m.", range: rangeOfText(text, 'nowhere') },
            { code: 'linking-error', severity: 1, message: 'nic has no MSI-X entry 7.', range: rangeOfPart(text, 'msix[7]', '7') },
            // `nix.msix[0]`: one error, on the device; the entry cannot resolve without it.
            { code: 'linking-error', severity: 1, message: "There is no device 'nix' in machine m.", range: rangeOfText(text, 'nix') },
            { code: 'linking-error', severity: 1, message: 'nic has no IMS store.', range: rangeOfPart(text, 'nic.ims[0]', '0') },
            // A scenario on an unknown machine: one error, on the machine.
            { code: 'linking-error', severity: 1, message: "There is no machine 'q99'.", range: rangeOfText(text, 'q99') },
        ]);
        // An unresolved `behind` leaves the bus without an IOMMU; the unresolved bridge is left out.
        const [m] = r.analysis.machines;
        assert.deepEqual(m.model.buses, [{ id: 'bus:m:pci0', name: 'pci0', segment: 0, number: 0 }]);
        assert.deepEqual(m.model.bridges, []);
    });

    for (const fixture of ['q35.irq', 'pseries-kvm.irq']) test(`every prefix of a real file loads without throwing or failing a check (${fixture})`, async () => {
        const text = readFileSync(fixturePath(fixture), 'utf8');
        const errors: string[] = [];
        const original = console.error;
        console.error = (...args: unknown[]) => { errors.push(args.map(String).join(' ')); };
        try {
            for (let end = 0; end <= text.length; end += 5) {
                const r = await load(text.slice(0, end));
                const failures = r.diagnostics.filter(d => /An error occurred|engine failed|could not be lowered/.test(d.message));
                assert.deepEqual(failures, [], `prefix of ${end} characters`);
                assert.equal(r.analysis.machines.length, r.document.parseResult.value.machines.length);
            }
        } finally {
            console.error = original;
        }
        assert.deepEqual(errors, []);
    });
});
