/**
 * The grammar: every construct parses into the AST it should, numbers are bigints (hex with `_`, decimal),
 * BDFs keep their text (with and without segment), comments are skipped.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import type * as Ast from '../../language/generated/ast.js';
import { fixturePath, parse } from './helpers.js';

function only<T extends Ast.MachineMember['$type']>(machine: Ast.Machine, type: T): Extract<Ast.MachineMember, { $type: T }>[] {
    return machine.members.filter(m => m.$type === type) as Extract<Ast.MachineMember, { $type: T }>[];
}

describe('grammar', () => {
    test('the q35 fixture parses without errors', () => {
        const r = parse(readFileSync(fixturePath('q35.irq'), 'utf8'));
        assert.deepEqual(r.lexerErrors, []);
        assert.deepEqual(r.parserErrors, []);
        assert.equal(r.value.machines.length, 1);
        assert.equal(r.value.scenarios.length, 1);
    });

    test('an empty file and a file of comments are valid', () => {
        for (const text of ['', '   \n', '// nothing\n/* at\n all */\n']) {
            const r = parse(text);
            assert.deepEqual([r.lexerErrors, r.parserErrors], [[], []], JSON.stringify(text));
            assert.deepEqual(r.value.machines, []);
        }
    });

    test('numbers: hex with separators, decimal, upper-case hex, never through number', () => {
        const r = parse(`machine m {
          iommu d vtd {
            irte 0 raw 0xFFFF_FFFF_FFFF_FFFF 0x0123_4567_89ab_cdef
            irte 1_0 raw 18446744073709551615 0x0
          }
        }`);
        assert.deepEqual(r.parserErrors, []);
        const [iommu] = only(r.value.machines[0], 'Iommu');
        assert.equal(iommu.irtes[0].index, 0n);
        assert.equal(iommu.irtes[0].lo, 0xffff_ffff_ffff_ffffn);
        assert.equal(iommu.irtes[0].hi, 0x0123_4567_89ab_cdefn);
        assert.equal(iommu.irtes[1].index, 10n);
        assert.equal(iommu.irtes[1].lo, 18446744073709551615n);
        assert.equal(typeof iommu.irtes[1].hi, 'bigint');
    });

    test('machine header: arch, apic modes, cpus and cpu with every option', () => {
        const r = parse(`
          machine a { arch x86_64 apic xapic cluster cpus 0..3 cpu 4 apic 0x10 xapic logical 0x2 disabled }
          machine b { arch ppc64 apic x2apic cpus 0..3 server 0 step 8 }
          machine c { apic xapic cpu 0 x2apic }
        `);
        assert.deepEqual(r.parserErrors, []);
        const [a, b, c] = r.value.machines;
        assert.equal(only(a, 'ArchDecl')[0].arch, 'x86_64');
        assert.deepEqual(pick(only(a, 'ApicDecl')[0], 'mode', 'logical'), { mode: 'xapic', logical: 'cluster' });
        assert.deepEqual(pick(only(a, 'CpuRange')[0], 'first', 'last', 'disabled'), { first: 0n, last: 3n, disabled: false });
        assert.deepEqual(pick(only(a, 'CpuDecl')[0], 'index', 'apicId', 'mode', 'logicalId', 'disabled'), { index: 4n, apicId: 0x10n, mode: 'xapic', logicalId: 2n, disabled: true });
        assert.equal(only(b, 'ArchDecl')[0].arch, 'ppc64');
        assert.deepEqual(pick(only(b, 'ApicDecl')[0], 'mode', 'logical'), { mode: 'x2apic', logical: undefined });
        assert.deepEqual(pick(only(b, 'CpuRange')[0], 'server', 'step'), { server: 0n, step: 8n });
        assert.deepEqual(pick(only(c, 'CpuDecl')[0], 'index', 'apicId', 'mode'), { index: 0n, apicId: undefined, mode: 'x2apic' });
    });

    test('`cpu N` followed by the line `apic x2apic` is a CPU and then the APIC mode', () => {
        const r = parse('machine m {\n  cpu 12\n  apic x2apic\n  cpu 13 apic 0x100\n  apic xapic\n}');
        assert.deepEqual(r.parserErrors, []);
        assert.deepEqual(r.value.machines[0].members.map(m => m.$type), ['CpuDecl', 'ApicDecl', 'CpuDecl', 'ApicDecl']);
        const cpus = only(r.value.machines[0], 'CpuDecl');
        assert.deepEqual(cpus.map(c => c.apicId), [undefined, 0x100n]);
    });

    test('VT-d settings and IRTEs in field, posted and raw form', () => {
        const r = parse(`machine m { iommu dmar0 vtd {
            remapping off eim on cfi on posted on table size 256
            irte 0 { vector 0x41 dest 3 fixed edge physical sid 00:03.0 }
            irte 1 { vector 0x42 dest 0x100 lowest-priority level logical rh fpd not-present sid 0000:00:03.1 sq ignore-bits2-0 svt requester avail 3 }
            irte 2 { posted vector 0x50 descriptor 0x7f3c_0040 urgent sid 00:04.0 }
            irte 3 raw 0x0000_0003_0041_0001 0x0000_0000_0004_0018
            irte 4 { vector 0x60 dest 1 smi sid bus 0x02..0x05 svt bus-range }
            irte 5 { nmi init extint sid 0x0018 sq ignore-bit2 svt none }
            irte 6 { sq all svt reserved sq ignore-bits2-1 }
        } }`);
        assert.deepEqual(r.parserErrors, []);
        const [iommu] = only(r.value.machines[0], 'Iommu');
        assert.deepEqual(pick(iommu, 'name', 'kind', 'remapping', 'eim', 'cfi', 'posted', 'tableSize'),
            { name: 'dmar0', kind: 'vtd', remapping: 'off', eim: 'on', cfi: 'on', posted: 'on', tableSize: 256n });
        const [i0, i1, i2, i3, i4, i5] = iommu.irtes;
        assert.deepEqual(pick(i0, 'index', 'vector', 'dest', 'deliveryMode', 'trigger', 'destMode', 'raw', 'posted'),
            { index: 0n, vector: 0x41n, dest: 3n, deliveryMode: 'fixed', trigger: 'edge', destMode: 'physical', raw: false, posted: false });
        assert.deepEqual(pick(i0.sid!, '$type', 'bdf'), { $type: 'SidBdf', bdf: '00:03.0' });
        assert.deepEqual(pick(i1, 'deliveryMode', 'trigger', 'destMode', 'rh', 'fpd', 'notPresent', 'sq', 'svt', 'avail'),
            { deliveryMode: 'lowest-priority', trigger: 'level', destMode: 'logical', rh: true, fpd: true, notPresent: true, sq: 'ignore-bits2-0', svt: 'requester', avail: 3n });
        assert.deepEqual(pick(i1.sid!, '$type', 'bdf'), { $type: 'SidBdf', bdf: '0000:00:03.1' });
        assert.deepEqual(pick(i2, 'posted', 'vector', 'descriptor', 'urgent', 'dest'), { posted: true, vector: 0x50n, descriptor: 0x7f3c_0040n, urgent: true, dest: undefined });
        assert.deepEqual(pick(i3, 'raw', 'lo', 'hi'), { raw: true, lo: 0x3_0041_0001n, hi: 0x4_0018n });
        assert.deepEqual(pick(i4.sid!, '$type', 'start', 'end'), { $type: 'SidBusRange', start: 2n, end: 5n });
        assert.equal(i4.deliveryMode, 'smi');
        assert.equal(i4.svt, 'bus-range');
        // Repeated settings parse (the last wins in the AST); validation reports the repeat.
        assert.equal(i5.deliveryMode, 'extint');
        assert.deepEqual(pick(i5.sid!, '$type', 'value'), { $type: 'SidRaw', value: 0x18n });
        assert.equal(iommu.irtes[6].sq, 'ignore-bits2-1');
        assert.equal(iommu.irtes[6].svt, 'reserved');
    });

    test('buses, bridges, devices with MSI, MSI-X and IMS', () => {
        const r = parse(`machine m {
          bus pci0 number 0x00 segment 0 behind dmar0 {
            device nic 00:03.0 virtio-net {
              msix table 4 function-masked disabled {
                entry 0 address 0xfee0_0010 data 0x0000
                entry 1 address 0xfee0_0030 data 0x4041 masked pending
              }
            }
            device nvme 0000:00:04.0 "nvme ctrl" {
              msi vectors 4 capable 8 64bit per-vector-mask address 0x1_fee0_0098 data 0x0000 masked 0x3 pending 0x1 disabled latch off
            }
            device plain 00:05.0
            bridge rp0 00:1c.0 pcie-root-port to pci1
            bridge sw 00:1d.0 pcie-switch-port to pci2
            bridge legacy 00:1e.0 pci-to-pci to pci3
            bridge conv 00:1f.0 pcie-to-pci to pci4
          }
          bus pci1 { device gpu 01:00.0 { ims 64 { entry 0 address 0xfee0_3000 data 0x4045 masked } } }
          bus pci2
        }`);
        assert.deepEqual(r.parserErrors, []);
        const [pci0, pci1, pci2] = only(r.value.machines[0], 'Bus');
        assert.deepEqual(pick(pci0, 'name', 'number', 'segment'), { name: 'pci0', number: 0n, segment: 0n });
        assert.equal(pci0.iommu?.$refText, 'dmar0');
        assert.deepEqual(pci0.members.map(m => `${m.$type}:${m.name}:${m.bdf}`), [
            'Device:nic:00:03.0', 'Device:nvme:0000:00:04.0', 'Device:plain:00:05.0',
            'Bridge:rp0:00:1c.0', 'Bridge:sw:00:1d.0', 'Bridge:legacy:00:1e.0', 'Bridge:conv:00:1f.0',
        ]);
        const bridges = pci0.members.filter((m): m is Ast.Bridge => m.$type === 'Bridge');
        assert.deepEqual(bridges.map(b => [b.kind, b.secondary.$refText]), [
            ['pcie-root-port', 'pci1'], ['pcie-switch-port', 'pci2'], ['pci-to-pci', 'pci3'], ['pcie-to-pci', 'pci4'],
        ]);
        const [nic, nvme, plain] = pci0.members as Ast.Device[];
        assert.equal(nic.model, 'virtio-net');
        assert.deepEqual(pick(nic.msix!, 'tableSize', 'functionMasked', 'disabled'), { tableSize: 4n, functionMasked: true, disabled: true });
        assert.deepEqual(nic.msix!.entries.map(e => pick(e, 'index', 'address', 'data', 'masked', 'pending')), [
            { index: 0n, address: 0xfee0_0010n, data: 0n, masked: false, pending: false },
            { index: 1n, address: 0xfee0_0030n, data: 0x4041n, masked: true, pending: true },
        ]);
        assert.equal(nvme.model, 'nvme ctrl');
        assert.deepEqual(pick(nvme.msi!, 'vectors', 'capable', 'is64', 'perVectorMask', 'address', 'data', 'masked', 'pending', 'disabled', 'latch'),
            { vectors: 4n, capable: 8n, is64: true, perVectorMask: true, address: 0x1_fee0_0098n, data: 0n, masked: 3n, pending: 1n, disabled: true, latch: 'off' });
        assert.deepEqual(pick(plain, 'model', 'msi', 'msix', 'ims'), { model: undefined, msi: undefined, msix: undefined, ims: undefined });
        const gpu = pci1.members[0] as Ast.Device;
        assert.deepEqual(pick(gpu.ims!, 'size'), { size: 64n });
        assert.deepEqual(pick(gpu.ims!.entries[0], 'index', 'address', 'data', 'masked'), { index: 0n, address: 0xfee0_3000n, data: 0x4045n, masked: true });
        assert.deepEqual(pci2.members, []);
    });

    test('kvm block, vector references and scenarios', () => {
        const r = parse(`machine q35 {
          kvm {
            x2apic-api off ext-dest-id on broadcast-quirk on
            route gsi 24 msi address 0xfee0_0010 data 0x0000 devid 0x18
            irqfd nic.msix[0] gsi 24
            irqfd nvme.msi[0x1] gsi 25
          }
        }
        scenario affinity-change on q35 {
          fire nic.msix[0]
          mask nic.msix[1]
          unmask nic.msix[1]
          write nic.msix[1] address 0xfee0_0050 data 0
          update dmar0.irte 0 dest 5
          fire gpu.ims[0]
        }`);
        assert.deepEqual(r.parserErrors, []);
        const [kvm] = only(r.value.machines[0], 'Kvm');
        assert.deepEqual(pick(kvm, 'x2apicApi', 'extDestId', 'broadcastQuirk'), { x2apicApi: 'off', extDestId: 'on', broadcastQuirk: 'on' });
        assert.deepEqual(pick(kvm.routes[0], 'gsi', 'address', 'data', 'devid'), { gsi: 24n, address: 0xfee0_0010n, data: 0n, devid: 0x18n });
        // Index texts reach the linker as decimal text: `0x1` and `1` name the same vector.
        assert.deepEqual(kvm.irqfds.map(f => [f.source.device.$refText, f.source.kind, f.source.entry.$refText, f.gsi]), [
            ['nic', 'msix', '0', 24n], ['nvme', 'msi', '1', 25n],
        ]);
        const [s] = r.value.scenarios;
        assert.equal(s.name, 'affinity-change');
        assert.equal(s.machine.$refText, 'q35');
        assert.deepEqual(s.events.map(e => e.$type), ['FireEvent', 'MaskEvent', 'UnmaskEvent', 'WriteEvent', 'UpdateEvent', 'FireEvent']);
        const write = s.events[3] as Ast.WriteEvent;
        assert.deepEqual(pick(write, 'address', 'data'), { address: 0xfee0_0050n, data: 0n });
        const update = s.events[4] as Ast.UpdateEvent;
        assert.deepEqual([update.iommu.$refText, update.irte.$refText, update.dest], ['dmar0', '0', 5n]);
    });

    test('pseries constructs: PHB, XICS, bus on a PHB, MSI-X with an IRQ base', () => {
        const r = parse(`machine pseries {
          arch ppc64
          cpus 0..3 server 0 step 8
          xics sources 4096..8191
          phb phb0 { msi window 0x1000_0000_0000 size 0x1_0000 }
          bus pci0 on phb0 { device vfio0 00:01.0 { msix table 8 irq base 4100 } }
        }`);
        assert.deepEqual(r.parserErrors, []);
        const m = r.value.machines[0];
        assert.deepEqual(pick(only(m, 'Xics')[0], 'first', 'last'), { first: 4096n, last: 8191n });
        assert.deepEqual(pick(only(m, 'Phb')[0], 'name', 'msiWindow', 'msiWindowSize'), { name: 'phb0', msiWindow: 0x1000_0000_0000n, msiWindowSize: 0x1_0000n });
        const bus = only(m, 'Bus')[0];
        assert.equal(bus.phb?.$refText, 'phb0');
        // `irq base` after `msix table 8` is the device's allocation (one rule for MSI and MSI-X).
        const device = bus.members[0] as Ast.Device;
        assert.deepEqual([device.msix?.tableSize, device.irq?.base, device.irq?.count], [8n, 4100n, undefined]);
    });

    test('pseries in full: PHB model and slots, XICS defaults and per-source XIVE, allocations, VFIO, IMS without a mask', () => {
        const r = parse(`machine pseries {
          arch ppc64
          xics sources 0x1000..0x1fff server 8 priority 5 {
            source 0x1103 server 0 priority 0xff
            source 0x1104 priority 1
          }
          phb phb0 { model legacy msi window 0x1000_0000_0000 size 0x20_0000 max-devs 32 }
          bus pci0 on phb0 {
            device vf 00:01.0 {
              msix table 8
              irq base 0x1104 count 4 slot 2 server 16 priority 4
              vfio { msix-bar 2 table-offset 0x0 pba-offset 0x800 pba-bar 2 bar-size 0x4000 page-size 65536 mmap }
              ims 64 unmaskable { entry 0 address 0x1000_0000_0000 data 0x1108 masked }
            }
          }
        }`);
        assert.deepEqual([r.lexerErrors, r.parserErrors], [[], []]);
        const m = r.value.machines[0];
        const xics = only(m, 'Xics')[0];
        assert.deepEqual(pick(xics, 'first', 'last', 'server', 'priority'), { first: 0x1000n, last: 0x1fffn, server: 8n, priority: 5n });
        assert.deepEqual(xics.sources.map(s => [s.irq, s.server, s.priority]), [[0x1103n, 0n, 0xffn], [0x1104n, undefined, 1n]]);
        assert.deepEqual(pick(only(m, 'Phb')[0], 'model', 'msiWindow', 'msiWindowSize', 'maxDevs'), { model: 'legacy', msiWindow: 0x1000_0000_0000n, msiWindowSize: 0x20_0000n, maxDevs: 32n });
        const device = only(m, 'Bus')[0].members[0] as Ast.Device;
        assert.deepEqual(pick(device.irq!, 'base', 'count', 'slot', 'server', 'priority'), { base: 0x1104n, count: 4n, slot: 2n, server: 16n, priority: 4n });
        assert.deepEqual(pick(device.vfio!, 'msixBar', 'tableOffset', 'pbaOffset', 'pbaBar', 'barSize', 'pageSize', 'access'), {
            msixBar: 2n, tableOffset: 0n, pbaOffset: 0x800n, pbaBar: 2n, barSize: 0x4000n, pageSize: 65536n, access: 'mmap',
        });
        assert.deepEqual([device.ims?.size, device.ims?.unmaskable, device.ims?.entries[0].masked], [64n, true, true]);
    });

    test('kvm: mapping, route limit, MSI and irqchip routes, irqfds with resample, named and unnamed signals', () => {
        const r = parse(`machine q35 {
          kvm {
            gsi-mapping routed
            max-routes 1024
            route gsi 5 irqchip ioapic pin 5
            route gsi 24 msi address 0xfee0_0010 data 0x41 devid 0x18
            irqfd nic.msix[0] gsi 24
            irqfd serial.msi[0] gsi 5 resample
            signal-msi ipi address 0xfee0_1000 data 0x30
            signal-msi address 0xfee0_2000 data 0x31 devid 7
          }
        }`);
        assert.deepEqual([r.lexerErrors, r.parserErrors], [[], []]);
        const kvm = only(r.value.machines[0], 'Kvm')[0];
        assert.deepEqual(pick(kvm, 'gsiMapping', 'maxRoutes'), { gsiMapping: 'routed', maxRoutes: 1024n });
        assert.deepEqual(kvm.routes.map(x => pick(x, 'gsi', 'kind', 'irqchip', 'pin', 'address', 'data', 'devid')), [
            { gsi: 5n, kind: 'irqchip', irqchip: 'ioapic', pin: 5n, address: undefined, data: undefined, devid: undefined },
            { gsi: 24n, kind: 'msi', irqchip: undefined, pin: undefined, address: 0xfee0_0010n, data: 0x41n, devid: 0x18n },
        ]);
        assert.deepEqual(kvm.irqfds.map(f => [f.source.$cstNode?.text, f.gsi, f.resample]), [['nic.msix[0]', 24n, false], ['serial.msi[0]', 5n, true]]);
        assert.deepEqual(kvm.signals.map(x => pick(x, 'name', 'address', 'data', 'devid')), [
            { name: 'ipi', address: 0xfee0_1000n, data: 0x30n, devid: undefined },
            { name: undefined, address: 0xfee0_2000n, data: 0x31n, devid: 7n },
        ]);
    });

    test('comments anywhere between tokens', () => {
        const r = parse(`// header
        machine /* name: */ m { // after brace
          cpus 0 /* from */ .. /* to */ 3 // trailing
          /* block
             over lines */ iommu d vtd { irte 0 raw /* lo */ 0x1 /* hi */ 0x2 }
        }`);
        assert.deepEqual([r.lexerErrors, r.parserErrors], [[], []]);
        const m = r.value.machines[0];
        assert.deepEqual(pick(only(m, 'CpuRange')[0], 'first', 'last'), { first: 0n, last: 3n });
        assert.deepEqual(pick(only(m, 'Iommu')[0].irtes[0], 'lo', 'hi'), { lo: 1n, hi: 2n });
    });

    test('keywords with dashes and digits are whole tokens; names may contain dashes', () => {
        const r = parse('machine my-vm { bus b-0 { device dev-1 00:01.0 e1000e { msi 64bit per-vector-mask address 0x1 data 0x2 } } }');
        assert.deepEqual([r.lexerErrors, r.parserErrors], [[], []]);
        const m = r.value.machines[0];
        assert.equal(m.name, 'my-vm');
        const dev = only(m, 'Bus')[0].members[0] as Ast.Device;
        assert.deepEqual([dev.name, dev.model, dev.msi?.is64, dev.msi?.perVectorMask], ['dev-1', 'e1000e', true, true]);
    });
});

function pick<T extends object>(node: T, ...keys: string[]): Record<string, unknown> {
    const out: Record<string, unknown> = {};
    for (const k of keys) out[k] = (node as Record<string, unknown>)[k];
    return out;
}
