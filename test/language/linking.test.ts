/**
 * Cross-references resolve through the map-based scope provider: buses behind IOMMUs, bridges to buses,
 * vector references to the entry (or MSI capability) they name, IRTE references, scenario machines.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type * as Ast from '../../language/generated/ast.js';
import { generateLargeIrq } from './perf/generate-large.js';
import { diags, load, rangeOfPart } from './helpers.js';

const TEXT = `
machine q35 {
  iommu dmar0 vtd { irte 0 { vector 0x41 dest 0 sid 00:03.0 } irte 0x10 { vector 0x42 dest 0 } }
  iommu dmar1 vtd { }
  bus pci0 behind dmar0 {
    device nic 00:03.0 { msix table 4 { entry 0 address 0xfee0_0010 data 0 entry 1 address 0xfee0_0030 data 0 } }
    device nvme 00:04.0 { msi vectors 2 address 0xfee0_0098 data 0 }
    bridge rp0 00:1c.0 pcie-root-port to pci1
  }
  bus pci1 { device gpu 01:00.0 { ims 64 { entry 0 address 0xfee0_3000 data 0x4045 entry 5 address 0xfee0_3000 data 0x4046 } } }
  kvm {
    irqfd nic.msix[0] gsi 24
    irqfd nic.msix[0x1] gsi 25
    irqfd nvme.msi[1] gsi 26
    irqfd gpu.ims[5] gsi 27
  }
}
machine other {
  bus pci0 { device nic 00:03.0 { msix table 1 { entry 0 address 0xfee0_0000 data 0x31 } } }
  kvm { irqfd nic.msix[0] gsi 1 }
}
scenario s on q35 {
  fire nic.msix[1]
  update dmar0.irte 16 dest 5
  update dmar0.irte 0x10 dest 6
  invalidate dmar0.iec
  function-mask nic on
  enable nvme.msi
  disable nic.msix
}
`;

function machine(file: Ast.IrqFile, name: string): Ast.Machine {
    return file.machines.find(m => m.name === name)!;
}
function members<T extends Ast.MachineMember['$type']>(m: Ast.Machine, type: T) {
    return m.members.filter(x => x.$type === type) as Extract<Ast.MachineMember, { $type: T }>[];
}

describe('linking', async () => {
    const r = await load(TEXT);
    const file = r.document.parseResult.value;
    const q35 = machine(file, 'q35');
    const [pci0, pci1] = members(q35, 'Bus');
    const [dmar0] = members(q35, 'Iommu');
    const nic = pci0.members[0] as Ast.Device;
    const nvme = pci0.members[1] as Ast.Device;
    const gpu = pci1.members[0] as Ast.Device;

    test('the file parses and links without errors (routing findings are not this test\'s business)', () => {
        assert.deepEqual(diags(r.diagnostics).filter(d => /^(lexing|parsing|linking)-error$/.test(d.code)), []);
        assert.equal(r.document.references.filter(ref => ref.error).length, 0);
    });

    test('bus behind an IOMMU resolves to the IOMMU node of the same machine', () => {
        assert.equal(pci0.iommu?.ref, dmar0);
    });

    test('bridge `to` resolves to the bus node', () => {
        const bridge = pci0.members[2] as Ast.Bridge;
        assert.equal(bridge.secondary.ref, pci1);
    });

    test('vector references resolve to the MSI-X entry, MSI capability, IMS slot', () => {
        const [kvm] = members(q35, 'Kvm');
        const [f0, f1, f2, f3] = kvm.irqfds;
        assert.equal(f0.source.device.ref, nic);
        assert.equal(f0.source.entry.ref, nic.msix!.entries[0]);
        // `0x1` is the same index as `1`.
        assert.equal(f1.source.entry.ref, nic.msix!.entries[1]);
        assert.equal(f2.source.device.ref, nvme);
        assert.equal(f2.source.entry.ref, nvme.msi);
        assert.equal(f3.source.device.ref, gpu);
        assert.equal(f3.source.entry.ref, gpu.ims!.entries[1]);
    });

    test('names are per machine: `nic` in machine other is its own device', () => {
        const other = machine(file, 'other');
        const [kvm] = members(other, 'Kvm');
        const otherNic = members(other, 'Bus')[0].members[0] as Ast.Device;
        assert.notEqual(otherNic, nic);
        assert.equal(kvm.irqfds[0].source.device.ref, otherNic);
        assert.equal(kvm.irqfds[0].source.entry.ref, otherNic.msix!.entries[0]);
    });

    test('scenario references: the machine, vectors in it, IRTEs by index', () => {
        const [s] = file.scenarios;
        assert.equal(s.machine.ref, q35);
        const fire = s.events[0] as Ast.FireEvent;
        assert.equal(fire.source.entry.ref, nic.msix!.entries[1]);
        const [u1, u2] = s.events.slice(1) as Ast.UpdateEvent[];
        assert.equal(u1.iommu.ref, dmar0);
        assert.equal(u1.irte.ref, dmar0.irtes[1]);
        assert.equal(u2.irte.ref, dmar0.irtes[1]);
    });

    test('the names of invalidate, function-mask, enable and disable are references (rename and navigation follow them)', () => {
        const [s] = file.scenarios;
        const [inv, fm, en, dis] = s.events.slice(3) as [Ast.InvalidateEvent, Ast.FunctionMaskEvent, Ast.EnableEvent, Ast.DisableEvent];
        assert.equal(inv.iommu.ref, dmar0);
        assert.equal(fm.device.ref, nic);
        assert.equal(en.device.ref, nvme);
        assert.equal(dis.device.ref, nic);
    });

    test('an unknown name in those events: the linker\'s message, on the name', async () => {
        const text = 'machine m { iommu d vtd { } bus b behind d { device x 00:01.0 { msix table 1 } } }\nscenario s on m {\n  invalidate e.iec\n  function-mask y on\n  enable z.msix\n}\n';
        const bad = await load(text);
        assert.deepEqual(diags(bad.diagnostics).filter(d => d.code === 'linking-error').map(d => `${d.range} ${d.message}`), [
            `${rangeOfPart(text, 'invalidate e', 'e')} There is no IOMMU 'e' in machine m.`,
            `${rangeOfPart(text, 'function-mask y', 'y')} There is no device 'y' in machine m.`,
            `${rangeOfPart(text, 'enable z', 'z')} There is no device 'z' in machine m.`,
        ]);
    });

    test('update IOMMU.irte N: an index the file does not declare resolves to the IOMMU inside the table, and fails past it', async () => {
        const text = [
            'machine m {',
            '  cpus 0..1',
            '  iommu d vtd { table size 16 irte 0 { vector 0x41 dest 1 } }',
            '  bus b behind d { device x 00:01.0 { msix table 1 { entry 0 address 0xfee0_00f0 data 0 } } }',
            '}',
            'scenario s on m {',
            '  update d.irte 7 present vector 0x42 dest 1 sid 00:01.0 and invalidate',
            '  update d.irte 16 dest 1',
            '  fire x.msix[0]',
            '}',
            '',
        ].join('\n');
        const r = await load(text);
        const [s7, s16] = r.document.parseResult.value.scenarios[0].events as Ast.UpdateEvent[];
        const d = r.document.parseResult.value.machines[0].members.find(x => x.$type === 'Iommu');
        assert.equal(s7.irte.ref, d);
        assert.equal(s16.irte.ref, undefined);
        assert.deepEqual(diags(r.diagnostics).filter(x => x.code === 'linking-error').map(x => `${x.range} ${x.message}`), [
            `${rangeOfPart(text, 'd.irte 16', '16')} d has no IRTE 16: its table holds 16 entries (0 to 15).`,
        ]);
        // The scenario programs IRTE 7 (handle 7: address 0xfee0_00f0) before the fire: no fault is reported.
        assert.deepEqual(diags(r.diagnostics).filter(x => x.code === 'scenario-fault'), []);
    });

    test('an MSI vector beyond the vector count and a missing capability do not resolve', async () => {
        const text = 'machine m { bus b { device d 00:01.0 { msi vectors 2 address 0xfee0_0000 data 0x30 } } kvm { irqfd d.msi[2] gsi 1 irqfd d.msix[0] gsi 2 } }';
        const bad = await load(text);
        assert.deepEqual(diags(bad.diagnostics).filter(d => d.code === 'linking-error').map(d => d.message), [
            'd has no MSI vector 2: its MSI capability has 2 vectors.',
            'd has no MSI-X table.',
        ]);
    });

    test('a name declared twice links to the first declaration', async () => {
        const text = 'machine m { iommu d vtd { } iommu d vtd { } bus b behind d { } }';
        const dup = await load(text);
        const m = dup.document.parseResult.value.machines[0];
        const [first] = members(m, 'Iommu');
        assert.equal(members(m, 'Bus')[0].iommu?.ref, first);
    });

    test('a generated file with thousands of references links completely', async () => {
        const big = await load(generateLargeIrq(60), { categories: ['built-in'] });
        assert.equal(big.document.references.length, 60 * 4 * 2 + 59 + 1);
        assert.deepEqual(big.document.references.filter(ref => ref.error).map(ref => ref.$refText), []);
    });
    test('pseries: an MSI-X entry firmware programmed resolves to the `irq base` allocation; a listed one to its entry', async () => {
        const text = [
            'machine p {',
            '  arch ppc64',
            '  phb phb0 { msi window 0x1000_0000_0000 }',
            '  bus b on phb0 {',
            '    device vf 00:01.0 { msix table 8 { entry 2 address 0x1000_0000_0000 data 0x1102 } irq base 0x1100 count 4 }',
            '  }',
            '  kvm { irqfd vf.msix[0] gsi 0x1100 irqfd vf.msix[2] gsi 0x1102 irqfd vf.msix[4] gsi 0x1104 }',
            '}',
            'machine x {',
            '  bus b { device vf 00:01.0 { msix table 8 irq base 0x1100 } }',
            '  kvm { irqfd vf.msix[0] gsi 24 }',
            '}',
        ].join('\n');
        const r = await load(text);
        const [p, x] = r.document.parseResult.value.machines;
        const vf = members(p, 'Bus')[0].members[0] as Ast.Device;
        const [f0, f2] = members(p, 'Kvm')[0].irqfds;
        assert.equal(f0.source.entry.ref, vf.irq);
        assert.equal(f2.source.entry.ref, vf.msix!.entries[0]);
        // Beyond the allocation's count, and on a machine that is not pseries, there is no such vector.
        assert.deepEqual(diags(r.diagnostics).filter(d => d.code === 'linking-error').map(d => [d.message, d.range]), [
            ['vf has no MSI-X entry 4.', rangeOfPart(text, 'vf.msix[4]', '4')],
            ['vf has no MSI-X entry 0.', rangeOfPart(text, 'irqfd vf.msix[0] gsi 24', '0')],
        ]);
        assert.equal(members(x, 'Kvm')[0].irqfds[0].source.entry.ref, undefined);
    });

    test('the pseries / KVM / VFIO keywords are still names elsewhere', async () => {
        const text = 'machine legacy {\n  arch ppc64\n  phb current { model legacy msi window 0x1000 }\n  bus source on current {\n    device vfio 00:01.0 mmap { msix table 2 irq base 0x1100 }\n  }\n  kvm { irqfd vfio.msix[1] gsi 0x1101 signal-msi direct address 0x1000 data 0x1100 }\n}';
        const r = await load(text);
        assert.deepEqual(diags(r.diagnostics).filter(d => /^(lexing|parsing|linking)-error$/.test(d.code)), []);
        const [m] = r.document.parseResult.value.machines;
        const bus = members(m, 'Bus')[0];
        const device = bus.members[0] as Ast.Device;
        assert.deepEqual([m.name, bus.name, bus.phb?.ref?.name, device.name, device.model, members(m, 'Phb')[0].model], ['legacy', 'source', 'current', 'vfio', 'mmap', 'legacy']);
        const kvm = members(m, 'Kvm')[0];
        assert.equal(kvm.irqfds[0].source.device.ref, device);
        assert.equal(kvm.signals[0].name, 'direct');
    });
});
