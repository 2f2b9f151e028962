/**
 * The server's providers, in process (no protocol): hover, inlay hints, code lenses, document symbols and
 * definitions on the fixture and on small documents, and the defensive behaviour on broken input.
 * The protocol test (protocol.test.ts) checks the same features end to end through the bundled server.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EmptyFileSystem, type LangiumDocument } from 'langium';
import { parseHelper } from 'langium/test';
import type { Hover, MarkupContent } from 'vscode-languageserver';
import { createIrqLspServices } from '../../server/irq-lsp-module.js';
import { renderDecode } from '../../server/lsp/markdown.js';
import { endOfCode, offsetOf, pos, rangeIn, rangeOf, readFixture, readServerFixture } from './helpers.js';

const { shared, Irq } = createIrqLspServices({ ...EmptyFileSystem });
// No client: the configuration is empty (defaults), and the build must not wait for one.
void shared.workspace.ConfigurationProvider.initialized({});
const parse = parseHelper(Irq);

async function load(text: string): Promise<LangiumDocument> {
    return parse(text, { validation: true });
}

const uriOf = (doc: LangiumDocument) => ({ uri: doc.uri.toString() });

async function hover(doc: LangiumDocument, position: { line: number; character: number }): Promise<Hover | undefined> {
    return Irq.lsp.HoverProvider!.getHoverContent(doc, { textDocument: uriOf(doc), position });
}

async function hoverText(doc: LangiumDocument, position: { line: number; character: number }): Promise<string> {
    const h = await hover(doc, position);
    assert.ok(h, `a hover at ${position.line}:${position.character}`);
    return (h.contents as MarkupContent).value;
}

async function inlayHints(doc: LangiumDocument) {
    const range = { start: { line: 0, character: 0 }, end: doc.textDocument.positionAt(doc.textDocument.getText().length) };
    return (await Irq.lsp.InlayHintProvider!.getInlayHints(doc, { textDocument: uriOf(doc), range })) ?? [];
}

const fixture = readFixture();
/** pseries (legacy PHB, firmware-programmed vectors, VFIO, direct irqfds) and an x86 guest with GSI routes. */
const kvmFixture = readServerFixture('kvm-pseries-lsp.irq');

describe('hover', () => {
    test('an MSI-X entry address: the engine decode in its device and IOMMU context, bus bytes and the IRTE it selects', async () => {
        const doc = await load(fixture);
        const h = await hover(doc, pos(fixture, '0xfee0_0010', 0, 3));
        assert.ok(h);
        assert.deepEqual(h.range, rangeOf(fixture, '0xfee0_0010'));
        assert.equal((h.contents as MarkupContent).kind, 'markdown');
        assert.equal((h.contents as MarkupContent).value, [
            '**MSI address** `0xfee0_0010` — nic.msix[0]',
            '',
            '_device nic (00:03.0)_  ',
            '_behind dmar0 (VT-d, IR on, EIM on, CFI off, 256 entries)_  ',
            '_profile spec_',
            '',
            '| bits | field | value | meaning |',
            '|---|---|---|---|',
            '| 31:20 | base | 0xfee | interrupt window |',
            '| 19:5 | Handle[14:0] | 0x0 | interrupt handle low bits (handle = 0x0) |',
            '| 4 | Interrupt Format | 1 | remappable format: the IRTE supplies vector and destination |',
            '| 3 | SHV | 0 | no subhandle: index = handle, data ignored |',
            '| 2 | Handle[15] | 0 | handle bit 15 = 0 |',
            "| 1:0 | ignored | 0 | don't care (QEMU copies them into the output message) |",
            '',
            'remappable format, handle 0 → IRTE 0',
            '',
            'On the bus (little-endian, lowest address first): `10 00 e0 fe`',
            '',
            '- IRTE 0: present, vector 0x41 → dest 0x3 (CPU 3)',
        ].join('\n'));
    });

    test('a remappable address: the note is the remapping the route does (fault, or the CPUs reached), with the data word sent with it', async () => {
        const text = [
            'machine m {',
            '  arch x86_64',
            '  apic xapic flat',
            '  cpus 0..3',
            '  iommu dmar0 vtd {',
            '    remapping on',
            '    eim off',
            '    cfi off',
            '    table size 16',
            '    irte 0 { vector 0x41 dest 0x100 fixed edge physical sid 00:03.0 }',
            '    irte 1 { vector 0x42 dest 2 fixed edge physical sid 00:04.0 }',
            '    irte 2 { vector 0x43 dest 0x2 fixed edge logical sid 00:03.0 }',
            '    irte 6 { vector 0x44 dest 0x3 fixed edge physical sid 00:03.0 }',
            '  }',
            '  bus pci0 behind dmar0 {',
            '    device nic 00:03.0 virtio-net {',
            '      msix table 4 {',
            '        entry 0 address 0xfee0_0010 data 0x0000',
            '        entry 1 address 0xfee0_0030 data 0x0000',
            '        entry 2 address 0xfee0_0050 data 0x0000',
            '        entry 3 address 0xfee0_0098 data 0x0002',
            '      }',
            '    }',
            '  }',
            '}',
        ].join('\n');
        const doc = await load(text);
        const lastLine = async (literal: string) => (await hoverText(doc, pos(text, literal, 0, 3))).split('\n').at(-1);
        assert.equal(await lastLine('0xfee0_0010'), '- IRTE 0: present, but reserved bits set: 48 (fault 0x24)');
        assert.equal(await lastLine('0xfee0_0030'), '- IRTE 1: present, but it verifies sid 00:04.0 (requester) and the requester is 00:03.0 (fault 0x26)');
        // xAPIC flat: logical destination 0x2 is CPU 1 (logical ID 1 << 1), not the CPU whose APIC ID is 2.
        assert.equal(await lastLine('0xfee0_0050'), '- IRTE 2: present, vector 0x43 → logical dest 0x2 (CPU 1)');
        // SHV=1: handle 4 + the subhandle in the entry's data word (2).
        assert.equal(await lastLine('0xfee0_0098'), '- IRTE 6 (handle 0x4 + subhandle 0x2): present, vector 0x44 → dest 0x3 (CPU 3)');
    });

    test('a data word is decoded with the address it is sent with (compatibility format here)', async () => {
        const doc = await load(fixture);
        const text = await hoverText(doc, pos(fixture, 'data 0x4045', 0, 6));
        assert.ok(text.startsWith('**MSI data** `0x4045` — gpu.ims[0]\n'), text);
        assert.ok(text.includes('\n| 7:0 | Vector | 0x45 | interrupt vector 69 |\n'), text);
        assert.ok(text.includes('\n| 10:8 | Delivery Mode | fixed | Fixed: deliver the vector to every destination |\n'), text);
        assert.ok(text.includes('\n\nvector 0x45 · fixed · edge\n\n'), text);
        assert.ok(text.endsWith('On the bus (little-endian, lowest address first): `45 40 00 00`'), text);
    });

    test('the compatibility-format address names the fault the IOMMU raises for it', async () => {
        const doc = await load(fixture);
        const text = await hoverText(doc, pos(fixture, '0xfee0_3000', 0, 2));
        // The Interrupt Format bit is what the IOMMU blocks (fault 0x25): the engine flags it, hover bolds it.
        assert.ok(text.includes('\n| **4** | **Interrupt Format** | **0** | **compatibility format** |\n'), text);
        assert.ok(text.includes('\n_KVM: x2APIC API on, ext dest id off, broadcast quirk disabled_  \n'), text);
        assert.ok(text.endsWith('- dmar0 blocks compatibility-format interrupts (EIM on): fault 0x25'), text);
    });

    test('a raw IRTE half: the whole entry, its 128-bit value and the 16 bytes in memory', async () => {
        const doc = await load(fixture);
        const h = await hover(doc, pos(fixture, '0x0000_0000_0004_0020', 0, 5));
        assert.ok(h);
        assert.deepEqual(h.range, rangeOf(fixture, '0x0000_0000_0004_0020'));
        const text = (h.contents as MarkupContent).value;
        assert.ok(text.startsWith('**VT-d IRTE (remapped format)** — irte 4 of dmar0\n\n_behind dmar0 (VT-d, IR on, EIM on, CFI off, 256 entries)_  \n_profile spec_\n\n'), text);
        assert.ok(text.includes('128-bit value `0x0000_0000_0004_0020_0000_0005_0051_0001`  \nas a table dump: `raw 0x0000_0005_0051_0001 0x0000_0000_0004_0020`'), text);
        for (const row of [
            '| 0 | P | 1 | present |',
            '| 23:16 | Vector | 0x51 | vector delivered to the destination |',
            '| 63:32 | Destination ID | 0x5 | x2APIC ID (EIM on: 32 bits) |',
            '| 79:64 | SID | 0x0020 | requester id 00:04.0 |',
            '| 83:82 | SVT | requester | verify the requester id against SID under the SQ mask |',
        ]) assert.ok(text.includes(`\n${row}\n`), row);
        assert.ok(text.includes('\n\nIRTE 4: present, remapped, vector 0x51 → physical dest 0x5 (CPU 5) · fixed · edge · SID 00:04.0 (requester)\n\n'), text);
        assert.ok(text.endsWith('On the bus (little-endian, lowest address first): `01 00 51 00 05 00 00 00 20 00 04 00 00 00 00 00`'), text);
    });

    test('a field-form IRTE keyword shows the entry as the engine encoded it', async () => {
        const doc = await load(fixture);
        const text = await hoverText(doc, pos(fixture, 'irte 1 {', 0, 1));
        assert.ok(text.startsWith('**VT-d IRTE (remapped format)** — irte 1 of dmar0\n'), text);
        assert.ok(text.includes('128-bit value `0x0000_0000_0004_0018_0000_0100_0042_0001`'), text);
        assert.ok(text.includes('\n| 63:32 | Destination ID | 0x100 | x2APIC ID (EIM on: 32 bits) |\n'), text);
        assert.ok(text.includes('IRTE 1: present, remapped, vector 0x42 → physical dest 0x100 (CPU 8) · fixed · edge · SID 00:03.0 (requester)'), text);
        // Any field of the entry gives the same view.
        assert.equal(await hoverText(doc, pos(fixture, 'dest 0x100', 0, 6)), text);
    });

    test('an IRTE reference in a scenario (`update dmar0.irte 1`) shows that entry', async () => {
        const doc = await load(fixture);
        const text = await hoverText(doc, pos(fixture, 'dmar0.irte 1', 0, 11));
        assert.ok(text.startsWith('**VT-d IRTE (remapped format)** — irte 1 of dmar0\n'), text);
    });

    test('a device BDF: the requester id the IOMMU sees, and what an IRTE for it should hold', async () => {
        const doc = await load(fixture);
        const h = await hover(doc, pos(fixture, 'nic 00:03.0', 0, 5));
        assert.ok(h);
        assert.deepEqual(h.range, rangeIn(fixture, 'nic 00:03.0', '00:03.0'));
        assert.equal((h.contents as MarkupContent).value, [
            '**BDF 00:03.0** `00:03.0`',
            '',
            '_device nic (00:03.0)_  ',
            '_behind dmar0 (VT-d, IR on, EIM on, CFI off, 256 entries)_  ',
            '_profile spec_',
            '',
            '| bits | field | value | meaning |',
            '|---|---|---|---|',
            '| 15:8 | Bus | 0x00 | bus number |',
            '| 7:3 | Device | 0x03 | device number |',
            '| 2:0 | Function | 0 | function number |',
            '',
            "requester id 00:03.0 (the device's own BDF, as dmar0 sees it)",
            '',
            "- an IRTE for this device should hold `sid 00:03.0`: requests carry the device's own id 00:03.0",
        ].join('\n'));
    });

    test('an IRTE `sid` BDF is decoded in the context of that IRTE\'s IOMMU', async () => {
        const doc = await load(fixture);
        const text = await hoverText(doc, pos(fixture, 'sid 00:04.0', 0, 5));
        assert.ok(text.startsWith('**BDF 00:04.0** `00:04.0`\n\n_device nvme (00:04.0)_  \n_behind dmar0'), text);
    });

    test('an MSI-X entry keyword: its route trace, stage by stage, then its mask and pending state', async () => {
        const doc = await load(fixture);
        assert.equal(await hoverText(doc, pos(fixture, 'entry 0 address 0xfee0_0010', 0, 1)), [
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
            '_device nic (00:03.0)_  ',
            '_profile spec_',
            '',
            '| bits | field | value | meaning |',
            '|---|---|---|---|',
            '| 15 | MSI-X Enable | 1 | Message Control bit 15 |',
            '| 14 | Function Mask | 0 | Message Control bit 14: masks every vector |',
            '| 0 | Vector Control: Mask | 0 | entry 0: table offset 0xc (16·0 + 12), bit 0 |',
            '| 0 | Pending | 0 | PBA qword 0 (offset 0x0) bit 0 |',
            '',
            'enabled, unmasked: fires now',
        ].join('\n'));
    });

    test('a masked entry: pending, and where it goes once unmasked', async () => {
        const doc = await load(fixture);
        const text = await hoverText(doc, pos(fixture, 'entry 1 address', 0, 1));
        assert.ok(text.startsWith([
            '**nic.msix[1]** `pending · PBA qword 0 bit 1 (entry masked)`',
            '',
            '_profile spec_',
            '',
            'Once unmasked: `→ IRTE 1 → CPU 8 · vec 0x42 · fixed · edge`',
            '',
            '1. **nic.msix[1] write** — ',
        ].join('\n')), text);
    });

    test('a vector reference (`nic.msix[0]`) shows the same trace; an MSI reference picks its vector', async () => {
        const doc = await load(fixture + '\nscenario more on q35 {\n  fire nvme.msi[1]\n}\n');
        const text = doc.textDocument.getText();
        const entry = await hoverText(doc, pos(text, 'entry 0 address 0xfee0_0010', 0, 1));
        const h = await hover(doc, pos(text, 'fire nic.msix[0]', 0, 12));
        assert.ok(h);
        assert.deepEqual(h.range, rangeIn(text, 'fire nic.msix[0]', 'nic.msix[0]'));
        assert.equal((h.contents as MarkupContent).value, entry);
        const msi = await hoverText(doc, pos(text, 'nvme.msi[1]', 0, 9));
        assert.ok(msi.startsWith('**nvme.msi[1]** `→ IRTE 5 → CPU 6 · vec 0x52 · fixed · edge`'), msi);
        assert.ok(!msi.includes('nvme.msi[0]'), msi);
    });

    test('a faulting source lists the finding with its code', async () => {
        const doc = await load(fixture);
        const text = await hoverText(doc, pos(fixture, 'ims 64 { entry 0', 0, 10));
        assert.ok(text.startsWith('**gpu.ims[0]** `✗ VT-d fault 0x25 IR_REQ_COMPAT (compatibility format blocked: eim is on and cfi is off)`'), text);
        assert.ok(text.includes('\n3. **VT-d interrupt remapping (dmar0)** — dmar0: fault 0x25 IR_REQ_COMPAT\n'), text);
        assert.ok(text.includes('\n- ✗ `vtd-fault-0x25` VT-d fault 0x25 (IR_REQ_COMPAT) at dmar0: '), text);
    });

    test('names and references: a device lists its sources, an IOMMU reference describes the IOMMU', async () => {
        const doc = await load(fixture);
        assert.equal(await hoverText(doc, pos(fixture, 'device nic', 0, 8)), [
            '**device nic** `virtio-net` — 2 vectors: 1 delivered, 1 pending',
            '',
            '_profile spec_',
            '',
            '- `nic.msix[0]` → IRTE 0 → CPU 3 · vec 0x41 · fixed · edge',
            '- `nic.msix[1]` pending · PBA qword 0 bit 1 (entry masked)',
        ].join('\n'));
        assert.equal(await hoverText(doc, pos(fixture, 'behind dmar0', 0, 9)), '**iommu** dmar0 (VT-d, IR on, EIM on, CFI off, 256 entries)');
        assert.equal(await hoverText(doc, pos(fixture, 'to pci1', 0, 4)), '**bus pci1** — behind dmar0 (VT-d, IR on, EIM on, CFI off, 256 entries)');
    });

    test('a scenario write is decoded for the device the vector reference names', async () => {
        const text = fixture + '\nscenario move on q35 {\n  write nic.msix[1] address 0xfee0_0050 data 0\n}\n';
        const doc = await load(text);
        const h = await hoverText(doc, pos(text, '0xfee0_0050', 0, 3));
        assert.ok(h.startsWith('**MSI address** `0xfee0_0050` — write nic.msix[1]\n\n_device nic (00:03.0)_  \n_behind dmar0'), h);
        assert.ok(h.includes('\nremappable format, handle 2 → IRTE 2\n'), h);
    });

    test('a KVM route address has no device: the decode still names the machine\'s KVM options', async () => {
        const text = 'machine m {\n  apic x2apic\n  kvm {\n    route gsi 24 msi address 0xfee0_3000 data 0x30\n  }\n}\n';
        const doc = await load(text);
        const h = await hoverText(doc, pos(text, '0xfee0_3000', 0, 1));
        assert.ok(h.startsWith('**MSI address** `0xfee0_3000` — kvm route gsi 24\n\n_KVM: x2APIC API on'), h);
    });

    test('a literal wider than its field is not decoded; whitespace and comments have no hover', async () => {
        const text = 'machine m {\n  bus b {\n    device nic 00:03.0 {\n      msix table 2 { entry 0 address 0x3f_ffff_ffff_ffff_ffff data 0 }  // seventy bits\n    }\n  }\n}\n';
        const doc = await load(text);
        assert.equal(await hoverText(doc, pos(text, '0x3f_ffff', 0, 4)),
            '**MSI address** `0x3f_ffff_ffff_ffff_ffff`\n\nA message address is 64 bits wide; this literal needs 70 bits, so it is not decoded.');
        assert.equal(await hover(doc, pos(text, 'seventy', 0, 2)), undefined);
        assert.equal(await hover(doc, { line: 0, character: 11 }), undefined);
        // The model holds a truncated stand-in for the entry: no trace of it is shown anywhere.
        assert.equal(await hover(doc, pos(text, 'entry 0', 0, 1)), undefined);
        assert.deepEqual(await inlayHints(doc), []);
        assert.deepEqual(await Irq.lsp.CodeLensProvider!.provideCodeLens(doc, { textDocument: uriOf(doc) }), []);
    });

    test('a raw IRTE half wider than 64 bits is not decoded', async () => {
        const text = 'machine m {\n  iommu d vtd {\n    irte 3 raw 0x1_0000_0000_0000_0001 0\n  }\n}\n';
        const doc = await load(text);
        assert.equal(await hoverText(doc, pos(text, 'irte 3', 0, 1)),
            '**VT-d IRTE** — irte 3 of d\n\nThe IRTE low half (bits 63:0) is 64 bits wide; this literal needs 65 bits, so it is not decoded.');
    });
});

describe('pseries and KVM', () => {
    const text = kvmFixture;

    test('a PHB-window address on a pseries device: the PHB decodes slot, vector and XICS source', async () => {
        const doc = await load(text);
        const h = await hover(doc, pos(text, '0x1000_0000_0004', 0, 3));
        assert.ok(h);
        assert.deepEqual(h.range, rangeOf(text, '0x1000_0000_0004'));
        assert.equal((h.contents as MarkupContent).value, [
            '**PHB phb0 MSI window write (legacy model)** `0x1000_0000_0004` — nvme.msix[1]',
            '',
            '_device nvme (00:01.0)_  ',
            '_on PHB phb0 (legacy MSI model, window 0x0000_1000_0000_0000 + 0x200000, 32 slots)_  ',
            '_XICS sources 0x1000..0x1fff_  ',
            '_profile spec_',
            '',
            '| bits | field | value | meaning |',
            '|---|---|---|---|',
            '| 20:16 | ndev (slot) | 0 | msi_table[0]: nvme, IRQs 0x1100..0x1101 |',
            '| 15:2 | vector (address) | 1 | MSI-X vector number firmware put in the address |',
            '| 31:0 | Data | 0x0 | ORed into the vector (0) |',
            '',
            'slot 0 (nvme), vector 1 → XICS irq 0x1101 (source 0x101) → server 0 · priority 5',
            '',
            'On the bus (little-endian, lowest address first): `04 00 00 00 00 10 00 00`',
        ].join('\n'));
        // The data word of the entry is decoded with its address, the same way.
        const data = await hoverText(doc, pos(text, 'data 0 masked', 0, 5));
        assert.ok(data.startsWith('**PHB phb0 MSI window write (legacy model)** `0` — nvme.msix[1]\n'), data);
    });

    test('`irq base`: the message firmware programmed into vector 0, decoded by the PHB, then where each vector goes', async () => {
        const doc = await load(text);
        const h = await hoverText(doc, pos(text, 'irq base 0x1104', 0, 10));
        assert.ok(h.startsWith('**PHB phb0 MSI window write (legacy model)** — vf.msix[0] as firmware programmed it (irq base 0x1104 of vf)\n'), h);
        assert.ok(h.includes('\n| 20:16 | ndev (slot) | 1 | msi_table[1]: vf, IRQs 0x1104..0x1107 |\n'), h);
        assert.ok(h.includes('\nslot 1 (vf), vector 0 → XICS irq 0x1104 (source 0x104) → server 8 · priority 5\n'), h);
        assert.ok(h.endsWith([
            '- `vf.msix[0]` → GSI 4356 (direct) → PHB phb0 slot 1 vec 0 → XICS 0x1104 → server 8 (CPU 1) · prio 5',
            '- `vf.msix[1]` pending · XICS 0x1105 masked (priority 0xFF, server 8)',
            '- `vf.msix[2]` → PHB phb0 slot 1 vec 2 → XICS 0x1106 → server 8 (CPU 1) · prio 5',
            '- `vf.msix[3]` → PHB phb0 slot 1 vec 3 → XICS 0x1107 → server 8 (CPU 1) · prio 5',
        ].join('\n')), h);
        // Any part of the line gives the same view.
        assert.equal(await hoverText(doc, pos(text, 'count 4 server 8', 0, 1)), h);
    });

    test('a GSI: its route (routed) or the XICS IRQ it is (direct), and the irqfds on it', async () => {
        const doc = await load(text);
        assert.equal(await hoverText(doc, pos(text, 'gsi 0x1104', 0, 5)), [
            '**KVM GSI 4356** `0x1104` — irqfd vf.msix[0]',
            '',
            '_pseries: direct GSI mapping, route limit 4096, 0 route(s)_  ',
            '_profile spec_',
            '',
            'GSI 4356 (0x1104) = XICS irq 0x1104 (source 0x104), allocated to vf: direct mapping, no route',
            '',
            '- irqfd from vf.msix[0]',
        ].join('\n'));
        assert.equal(await hoverText(doc, pos(text, 'route gsi 25', 0, 10)), [
            '**KVM GSI 25** `25` — kvm route',
            '',
            '_q35: routed GSI mapping, route limit 4096, 3 route(s)_  ',
            '_profile spec_',
            '',
            '| bits | field | value | meaning |',
            '|---|---|---|---|',
            '| 63:0 | route msi | 0xfee0_1000 | MSI route: address 0xfee0_1000 data 0x42 |',
            '',
            'GSI 25 → MSI route 0xfee0_1000 ← 0x42 (irqfd from nic.msix[1])',
            '',
            '- irqfd from nic.msix[1]',
            '- stale: nic.msix[1] now holds 0xfee0_2000 ← 0x42 (kvm-route-stale)',
        ].join('\n'));
        // The rest of a route line (`irqchip ioapic pin 5`) describes its GSI too.
        assert.ok((await hoverText(doc, pos(text, 'irqchip ioapic pin 5', 0, 9))).includes('\nGSI 5 → ioapic pin 5'));
    });

    test('a vector firmware programmed (`vf.msix[0]` in an irqfd): its trace through the GSI, then its mask and pending state', async () => {
        const doc = await load(text);
        const h = await hover(doc, pos(text, 'irqfd vf.msix[0]', 0, 9));
        assert.ok(h);
        assert.deepEqual(h.range, rangeOf(text, 'vf.msix[0]'));
        const value = (h.contents as MarkupContent).value;
        assert.ok(value.startsWith([
            '**vf.msix[0]** `→ GSI 4356 (direct) → PHB phb0 slot 1 vec 0 → XICS 0x1104 → server 8 (CPU 1) · prio 5`',
            '',
            '_profile spec_',
            '',
            '1. **vf.msix[0] write** — vf.msix[0] writes 0x0000_1000_0001_0000 ← 0x0 (programmed by firmware)',
            '2. **PHB phb0 (legacy MSI model)** — window 0x0000_1000_0000_0000+0x200000: slot 1 vec 0 → XICS irq 0x1104 (source 0x104)',
            '3. **KVM GSI 4356** — irqfd → GSI 4356 (0x1104): direct mapping, GSI = XICS irq, no route',
            '4. **XICS** — irq 0x1104 = ICS source 0x104 → server 8 · priority 5',
            '5. **CPU 1** — CPU 1 (server 8) accepts irq 0x1104 at priority 5 (XIRR 0x05001104)',
            '',
            '**vf.msix[0] state**',
        ].join('\n')), value);
        assert.ok(value.endsWith('enabled, unmasked: fires now\n\n- message programmed by firmware (ibm,change-msi)'), value);
        // The `irqfd` keyword shows the same.
        assert.equal(await hoverText(doc, pos(text, 'irqfd vf.msix[0]', 0, 1)), value);
        // A masked listed entry: its Vector Control bit is set.
        const masked = await hoverText(doc, pos(text, 'entry 1 address 0x1000', 0, 1));
        assert.ok(masked.includes('\n| 0 | Vector Control: Mask | 1 | entry 1: table offset 0x1c (16·1 + 12), bit 0 |\n'), masked);
    });

    test('a `vfio` block: where the MSI-X table and PBA sit, and what the engine finds', async () => {
        const doc = await load(text);
        assert.equal(await hoverText(doc, pos(text, 'vfio { msix-bar 0', 0, 1)), [
            '**VFIO assignment** — nic',
            '',
            '_MSI-X table trapped by the VMM_  ',
            '_host page 0x1000 bytes_  ',
            '_profile spec_',
            '',
            '| structure | BAR | bytes | size | page-aligned |',
            '|---|---|---|---|---|',
            '| MSI-X table | 0 | 0x2000..0x201f | 2 × 16 | yes |',
            '| PBA | 0 | 0x3000..0x3007 | 8 | yes |',
            '',
            "Other registers in the table's page(s): 0xfe0 bytes.",
            '',
            '- ℹ `vfio-table-shares-page` nic: the trapped MSI-X table shares its 4 KiB page(s) with 0xfe0 bytes of other registers of BAR 0; accesses to them trap too, a performance cost. Give the table its own page(s), or let VFIO map it (MSIX_MAPPABLE) if masking need not be emulated.',
        ].join('\n'));
        const mapped = await hoverText(doc, pos(text, 'mmap }', 0, 1));
        assert.ok(mapped.startsWith('**VFIO assignment** — vf\n\n_MSI-X table mapped straight through to the guest (MSIX_MAPPABLE)_  \n_host page 0x10000 bytes_  \n'), mapped);
    });

    test('a KVM_SIGNAL_MSI: its trace; its address is decoded like any MSI address', async () => {
        const doc = await load(text);
        assert.equal(await hoverText(doc, pos(text, 'signal-msi ipi', 0, 2)), [
            '**ipi** `→ CPU 3 · vec 0x30 · fixed · edge`',
            '',
            '_profile spec_',
            '',
            '1. **KVM_SIGNAL_MSI ipi** — KVM_SIGNAL_MSI 0xfee0_3000 ← 0x30 (no requester id: straight to the in-kernel irqchip)',
            '2. **Host bridge** — interrupt window 0xFEE → local APICs',
            '3. **Local APIC delivery** — physical dest 0x3 → CPU 3 · fixed',
            '4. **CPU 3** — CPU 3 accepts vector 0x30 (edge)',
        ].join('\n'));
        assert.ok((await hoverText(doc, pos(text, '0xfee0_3000', 0, 2))).startsWith('**MSI address** `0xfee0_3000` — signal-msi ipi\n'));
    });

    test('PHBs: a reference and a pseries bus describe the PHB', async () => {
        const doc = await load(text);
        const phb0 = 'phb0 (legacy MSI model, window 0x0000_1000_0000_0000 + 0x200000, 32 slots)';
        assert.equal(await hoverText(doc, pos(text, 'on phb0', 0, 4)), `**phb** ${phb0}`);
        assert.equal(await hoverText(doc, pos(text, 'bus pci0 on', 0, 5)), `**bus pci0** — on PHB ${phb0}`);
    });

    test('inlay hints: firmware-programmed vectors after `irq base`, each irqfd, each route a vector goes through, each signal', async () => {
        const doc = await load(text);
        const hints = await inlayHints(doc);
        const at = (needle: string) => endOfCode(text, needle);
        assert.deepEqual(hints.map(h => ({ position: h.position, label: h.label })), [
            { position: { ...at('entry 1 address 0x1000'), character: at('entry 1 address 0x1000').character - 2 }, label: 'pending · PBA qword 0 bit 1 (entry masked)' },
            { position: at('irq base 0x1100'), label: 'msix[0] → PHB phb0 slot 0 vec 0 → XICS 0x1100 → server 0 (CPU 0) · prio 5' },
            { position: at('irq base 0x1104'), label: 'msix[0] → GSI 4356 (direct) → PHB phb0 slot 1 vec 0 → XICS 0x1104 → server 8 (CPU 1) · prio 5' },
            { position: at('irq base 0x1104'), label: 'msix[1] pending · XICS 0x1105 masked (priority 0xFF, server 8)' },
            { position: at('irq base 0x1104'), label: 'msix[2] → PHB phb0 slot 1 vec 2 → XICS 0x1106 → server 8 (CPU 1) · prio 5' },
            { position: at('irq base 0x1104'), label: 'msix[3] → PHB phb0 slot 1 vec 3 → XICS 0x1107 → server 8 (CPU 1) · prio 5' },
            { position: at('irqfd vf.msix[0]'), label: '→ GSI 4356 (direct) → PHB phb0 slot 1 vec 0 → XICS 0x1104 → server 8 (CPU 1) · prio 5' },
            { position: at('entry 0 address 0xfee0_1000'), label: '→ GSI 24 → CPU 1 · vec 0x41 · fixed · edge' },
            { position: at('entry 1 address 0xfee0_2000'), label: '→ GSI 25 (stale route) → CPU 1 · vec 0x42 · fixed · edge' },
            { position: at('route gsi 24'), label: 'nic.msix[0] → GSI 24 → CPU 1 · vec 0x41 · fixed · edge' },
            { position: at('route gsi 25'), label: 'nic.msix[1] → GSI 25 (stale route) → CPU 1 · vec 0x42 · fixed · edge' },
            { position: at('irqfd nic.msix[0]'), label: '→ GSI 24 → CPU 1 · vec 0x41 · fixed · edge' },
            { position: at('irqfd nic.msix[1]'), label: '→ GSI 25 (stale route) → CPU 1 · vec 0x42 · fixed · edge' },
            { position: at('signal-msi ipi'), label: '→ CPU 3 · vec 0x30 · fixed · edge' },
        ]);
        // Each tooltip is the trace of the vector the hint is about.
        assert.ok((hints[10].tooltip as MarkupContent).value.startsWith('**nic.msix[1]** `→ GSI 25 (stale route) → '));
    });

    test('document symbols: PHBs, XICS sources, allocations, VFIO, and the KVM block in the order written', async () => {
        const doc = await load(text);
        const symbols = await Irq.lsp.DocumentSymbolProvider!.getSymbols(doc, { textDocument: uriOf(doc) });
        const flat: string[] = [];
        const walk = (list: typeof symbols, indent: string) => {
            for (const s of list) {
                flat.push(`${indent}${s.name} [${s.kind}]${s.detail ? ` ${s.detail}` : ''}`);
                walk(s.children ?? [], indent + '  ');
            }
        };
        walk(symbols, '');
        assert.deepEqual(flat, [
            'pseries [3]',
            '  cpus 0..1 [13]',
            '  xics sources 0x1000..0x1fff [14]',
            '    source 0x1105 [22]',
            '  phb0 [2] legacy msi window 0x1000_0000_0000',
            '  pci0 [4] on phb0',
            '    nvme [5] 00:01.0',
            '      msix table 2 [18]',
            '        entry 1 [22]',
            '      irq base 0x1100 [14] count 2',
            '    vf [5] 00:02.0',
            '      msix table 4 [18]',
            '      irq base 0x1104 [14] count 4',
            '      vfio [7] mmap',
            '  kvm [19]',
            '    irqfd vf.msix[0] [24] gsi 0x1104',
            'q35 [3]',
            '  cpus 0..3 [13]',
            '  pci0 [4]',
            '    nic [5] 00:03.0',
            '      msix table 2 [18]',
            '        entry 0 [22]',
            '        entry 1 [22]',
            '      vfio [7]',
            '  kvm [19]',
            '    route gsi 24 [24] msi',
            '    route gsi 25 [24] msi',
            '    route gsi 5 [24] irqchip ioapic pin 5',
            '    irqfd nic.msix[0] [24] gsi 24',
            '    irqfd nic.msix[1] [24] gsi 25',
            '    signal-msi ipi [24]',
        ]);
    });
});

describe('markdown rendering', () => {
    test('a flagged field is a bold row; pipes in the engine text are escaped', () => {
        const value = renderDecode({
            title: 'MSI data', context: ['profile spec'], summary: 'vector 0x5 · fixed · edge', notes: ['a | b'], busBytes: ['05', '00', '00', '00'],
            fields: [
                { name: 'Vector', bits: '7:0', value: 5n, text: '0x5', meaning: 'illegal | reserved', flagged: true },
                { name: 'Delivery Mode', bits: '10:8', value: 0n, text: 'fixed', meaning: 'fixed' },
            ],
        }, { literal: '0x5', owner: 'd.msix[0]' });
        assert.equal(value, [
            '**MSI data** `0x5` — d.msix[0]',
            '',
            '_profile spec_',
            '',
            '| bits | field | value | meaning |',
            '|---|---|---|---|',
            '| **7:0** | **Vector** | **0x5** | **illegal \\| reserved** |',
            '| 10:8 | Delivery Mode | fixed | fixed |',
            '',
            'vector 0x5 · fixed · edge',
            '',
            'On the bus (little-endian, lowest address first): `05 00 00 00`',
            '',
            '- a | b',
        ].join('\n'));
    });
});

describe('inlay hints', () => {
    test('one per MSI-X / IMS entry and one per enabled MSI vector, at the end of the statement, with the engine summary', async () => {
        const doc = await load(fixture);
        const hints = await inlayHints(doc);
        assert.deepEqual(hints.map(h => ({ position: h.position, label: h.label, paddingLeft: h.paddingLeft })), [
            { position: endOfCode(fixture, 'entry 0 address 0xfee0_0010'), label: '→ IRTE 0 → CPU 3 · vec 0x41 · fixed · edge', paddingLeft: true },
            { position: endOfCode(fixture, 'entry 1 address 0xfee0_0030'), label: 'pending · PBA qword 0 bit 1 (entry masked)', paddingLeft: true },
            { position: endOfCode(fixture, 'msi vectors 2'), label: 'msi[0] → IRTE 4 → CPU 5 · vec 0x51 · fixed · edge', paddingLeft: true },
            { position: endOfCode(fixture, 'msi vectors 2'), label: 'msi[1] → IRTE 5 → CPU 6 · vec 0x52 · fixed · edge', paddingLeft: true },
            {
                position: { ...endOfCode(fixture, 'ims 64 {'), character: endOfCode(fixture, 'ims 64 {').character - 2 },
                label: '✗ VT-d fault 0x25 IR_REQ_COMPAT (compatibility format blocked: eim is on and cfi is off)',
                paddingLeft: true,
            },
        ]);
        const tooltip = hints[0].tooltip as MarkupContent;
        assert.equal(tooltip.kind, 'markdown');
        // The tooltip is the trace; the hover adds the vector's state after it.
        const hoverValue = await hoverText(doc, pos(fixture, 'entry 0 address 0xfee0_0010', 0, 1));
        assert.ok(hoverValue.startsWith(`${tooltip.value}\n\n**nic.msix[0] state**\n`), hoverValue);
    });

    test('a single-vector MSI capability gets no `msi[k]` prefix', async () => {
        const text = 'machine m {\n  apic x2apic\n  cpus 0..3\n  bus b {\n    device d 00:02.0 { msi address 0xfee0_3000 data 0x31 }\n  }\n}\n';
        const doc = await load(text);
        assert.deepEqual((await inlayHints(doc)).map(h => h.label), ['→ CPU 3 · vec 0x31 · fixed · edge']);
    });

    test('`irq.inlayHints.enabled: false` turns them off', async () => {
        const doc = await load(fixture);
        const settings = Irq.server.Settings;
        settings.applySection({ inlayHints: { enabled: false } });
        try {
            assert.deepEqual(await inlayHints(doc), []);
        } finally {
            settings.applySection({});
        }
        assert.equal(settings.inlayHintsEnabled, true);
        assert.equal((await inlayHints(doc)).length, 5);
    });
});

describe('code lenses', () => {
    test('one above each device, with the engine summary and a title-only command', async () => {
        const doc = await load(fixture);
        const lenses = await Irq.lsp.CodeLensProvider!.provideCodeLens(doc, { textDocument: uriOf(doc) });
        assert.deepEqual(lenses, [
            { range: rangeOf(fixture, 'device nic'), command: { title: '2 vectors: 1 delivered, 1 pending', command: '' } },
            { range: rangeOf(fixture, 'device nvme'), command: { title: '2 vectors: 2 delivered', command: '' } },
            { range: rangeOf(fixture, 'device gpu'), command: { title: '1 vector: 1 fault', command: '' } },
        ]);
    });

    test('a device without sources says so; devices of a machine the engine does not route get none', async () => {
        const text = 'machine m {\n  bus b {\n    device quiet 00:02.0\n  }\n}\nmachine a {\n  arch aarch64\n  bus b {\n    device v 00:01.0 { msix table 8 { entry 0 address 0x1000 data 1 } }\n  }\n}\n';
        const doc = await load(text);
        const lenses = await Irq.lsp.CodeLensProvider!.provideCodeLens(doc, { textDocument: uriOf(doc) });
        assert.deepEqual(lenses, [{ range: rangeOf(text, 'device quiet'), command: { title: 'no interrupt sources', command: '' } }]);
    });

    test('a pseries device is routed now: its lens counts the vectors firmware programmed', async () => {
        const text = 'machine p {\n  arch ppc64\n  cpus 0..1\n  phb phb0 { msi window 0x1000_0000_0000 }\n  bus b on phb0 {\n    device v 00:01.0 { msix table 4 irq base 0x1100 }\n  }\n  bus c {\n    device w 00:02.0 { msix table 8 { entry 0 address 0x1000 data 1 } }\n  }\n}\n';
        const doc = await load(text);
        const lenses = await Irq.lsp.CodeLensProvider!.provideCodeLens(doc, { textDocument: uriOf(doc) });
        assert.deepEqual(lenses, [
            { range: rangeOf(text, 'device v'), command: { title: '4 vectors: 4 delivered', command: '' } },
            { range: rangeOf(text, 'device w'), command: { title: '1 vector: 1 fault', command: '' } },
        ]);
    });
});

describe('document symbols', () => {
    test('machines → CPUs, IOMMUs → IRTEs, buses → devices → vectors, scenarios → events', async () => {
        const doc = await load(fixture);
        const symbols = await Irq.lsp.DocumentSymbolProvider!.getSymbols(doc, { textDocument: uriOf(doc) });
        const flat: string[] = [];
        const walk = (list: typeof symbols, indent: string) => {
            for (const s of list) {
                flat.push(`${indent}${s.name} [${s.kind}]${s.detail ? ` ${s.detail}` : ''}`);
                walk(s.children ?? [], indent + '  ');
            }
        };
        walk(symbols, '');
        assert.deepEqual(flat, [
            'q35 [3]',
            '  cpus 0..7 [13]',
            '  cpu 8 [13] apic 0x100',
            '  dmar0 [2] vtd',
            '    irte 0 [22]',
            '    irte 1 [22]',
            '    irte 4 [22] raw',
            '    irte 5 [22]',
            '  pci0 [4] behind dmar0',
            '    nic [5] 00:03.0 virtio-net',
            '      msix table 4 [18]',
            '        entry 0 [22]',
            '        entry 1 [22]',
            '    nvme [5] 00:04.0',
            '      msi [18] vectors 2',
            '    rp0 [11] 00:1c.0 pcie-root-port to pci1',
            '  pci1 [4]',
            '    gpu [5] 01:00.0',
            '      ims 64 [18]',
            '        entry 0 [22]',
            'bring-up [12] on q35',
            '  fire nic.msix[0] [24]',
            '  update dmar0.irte 1 [24]',
        ]);
        const dmar0 = symbols[0].children![2];
        assert.deepEqual(dmar0.children![2].selectionRange, rangeOf(fixture, 'irte 4'));
    });
});

describe('definition', () => {
    test('an IRTE reference selects the `irte N` header of its target, a bus reference the bus name', async () => {
        const doc = await load(fixture);
        const defs = await Irq.lsp.DefinitionProvider!.getDefinition(doc, { textDocument: uriOf(doc), position: pos(fixture, 'dmar0.irte 1', 0, 11) });
        assert.equal(defs?.length, 1);
        const irte1Start = offsetOf(fixture, 'irte 1 {');
        const irte1End = fixture.indexOf('}', irte1Start) + 1;
        assert.deepEqual(defs![0].targetSelectionRange, rangeOf(fixture, 'irte 1'));
        assert.deepEqual(defs![0].targetRange.start, rangeOf(fixture, 'irte 1').start);
        assert.deepEqual(defs![0].targetRange.end, doc.textDocument.positionAt(irte1End));
        assert.deepEqual(defs![0].originSelectionRange, rangeIn(fixture, 'dmar0.irte 1', '1'));
        const bus = await Irq.lsp.DefinitionProvider!.getDefinition(doc, { textDocument: uriOf(doc), position: pos(fixture, 'to pci1', 0, 4) });
        assert.deepEqual(bus?.map(l => l.targetSelectionRange), [rangeIn(fixture, 'bus pci1', 'pci1')]);
    });
});

describe('broken input', () => {
    // Every prefix of the fixture is a half-typed document; no provider may throw on any of them.
    for (const [name, whole] of [['q35-lsp.irq', fixture], ['kvm-pseries-lsp.irq', kvmFixture]]) test(`every provider answers on every prefix of the fixture without throwing (${name})`, async () => {
        for (let cut = 0; cut <= whole.length; cut += 23) {
            const text = whole.slice(0, cut);
            const doc = await load(text);
            const td = uriOf(doc);
            const end = doc.textDocument.positionAt(text.length);
            await Irq.lsp.InlayHintProvider!.getInlayHints(doc, { textDocument: td, range: { start: { line: 0, character: 0 }, end } });
            await Irq.lsp.CodeLensProvider!.provideCodeLens(doc, { textDocument: td });
            const symbols = await Irq.lsp.DocumentSymbolProvider!.getSymbols(doc, { textDocument: td });
            const check = (list: typeof symbols) => {
                for (const s of list) {
                    assert.ok(s.name.length > 0, `empty symbol name at cut ${cut}`);
                    check(s.children ?? []);
                }
            };
            check(symbols);
            for (let o = 0; o < text.length; o += 7) {
                const position = doc.textDocument.positionAt(o);
                await Irq.lsp.HoverProvider!.getHoverContent(doc, { textDocument: td, position });
                await Irq.lsp.DefinitionProvider!.getDefinition(doc, { textDocument: td, position });
            }
        }
    });
});
