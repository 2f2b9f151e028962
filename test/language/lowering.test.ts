/**
 * Lowering: exact engine Machine objects, the defaults real systems use, field-form IRTEs encoded by the
 * engine (equal to the raw form), element ids, and the maps back to the source.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { encodeIrte } from '../../language/engine/index.js';
import type { Machine } from '../../language/engine/model.js';
import { lowerMachine, type LoweredMachine } from '../../language/lowering/lower-machine.js';
import { load, parse, rangeOfPart, rangeOfText, rangeText } from './helpers.js';

/** Builds (parses and links) the text, then lowers its first machine. */
async function lower(text: string): Promise<LoweredMachine> {
    const r = await load(text, { categories: ['built-in'] });
    assert.deepEqual(r.diagnostics.map(d => d.message), []);
    return lowerMachine(r.document.parseResult.value.machines[0]);
}

describe('lowering', () => {
    test('an xAPIC machine: exact model with every default', async () => {
        const text = `machine pc {
  cpus 0..2
  cpu 1 apic 0x11 logical 0x40
  cpu 9 disabled
  iommu dmar0 vtd {
    irte 0 { vector 0x41 dest 3 sid 00:03.0 }
  }
  bus pci0 behind dmar0 {
    device nic 00:03.0 virtio-net {
      msi vectors 4 capable 8 64bit per-vector-mask address 0x1_fee0_0000 data 0x4040 masked 0x2 pending 0x1 latch on
      msix table 2 function-masked { entry 1 address 0xfee0_1000 data 0x4041 masked pending }
      ims 8 disabled
    }
    bridge rp0 00:1c.0 pcie-to-pci to pci1
  }
  bus pci1 { device legacy 01:02.3 }
}`;
        // `ims 8 disabled` is not IMS syntax: IMS has no enable bit, so this must be a parse error.
        assert.notDeepEqual(parse(text).parserErrors, []);
        const l = await lower(text.replace('ims 8 disabled', 'ims 8'));
        const expected: Machine = {
            id: 'machine:pc', name: 'pc', arch: 'x86_64',
            apic: { mode: 'xapic', logical: 'flat' },
            kvm: { x2apicApi: false, broadcastQuirkDisabled: false, extDestId: false },
            cpus: [
                { id: 'cpu:pc:0', index: 0, apicId: 0, mode: 'xapic', enabled: true, logicalId: 1 },
                { id: 'cpu:pc:1', index: 1, apicId: 0x11, mode: 'xapic', enabled: true, logicalId: 0x40 },
                { id: 'cpu:pc:2', index: 2, apicId: 2, mode: 'xapic', enabled: true, logicalId: 4 },
                { id: 'cpu:pc:9', index: 9, apicId: 9, mode: 'xapic', enabled: false, logicalId: 0 },
            ],
            iommus: [{
                kind: 'vtd', id: 'iommu:pc:dmar0', name: 'dmar0',
                remapping: true, eim: false, cfi: false, irtaS: 15, postedSupported: false,
                irtes: new Map([[0, {
                    id: 'irte:pc:dmar0:0', index: 0,
                    ...encodeIrte({ vector: 0x41, dest: 3, sid: 0x0018 }, { eim: false }),
                }]]),
            }],
            buses: [
                { id: 'bus:pc:pci0', name: 'pci0', segment: 0, number: 0, iommu: 'iommu:pc:dmar0' },
                { id: 'bus:pc:pci1', name: 'pci1', segment: 0, number: 1, parentBridge: 'bridge:pc:rp0', iommu: 'iommu:pc:dmar0' },
            ],
            bridges: [
                { id: 'bridge:pc:rp0', name: 'rp0', kind: 'pcie-to-pci', bdf: { segment: 0, bus: 0, device: 0x1c, fn: 0 }, bus: 'bus:pc:pci0', secondary: 'bus:pc:pci1' },
            ],
            devices: [
                {
                    id: 'device:pc:nic', name: 'nic', model: 'virtio-net', bdf: { segment: 0, bus: 0, device: 3, fn: 0 }, bus: 'bus:pc:pci0',
                    msi: {
                        id: 'msi:pc:nic', enabled: true, mmc: 3, mme: 2, is64: true, perVectorMask: true,
                        address: 0x1_fee0_0000n, data: 0x4040, maskBits: 2, pendingBits: 1, latches: true,
                    },
                    msix: {
                        id: 'msix:pc:nic', enabled: true, tableSize: 2, functionMask: true,
                        entries: [{ id: 'msix:pc:nic:1', index: 1, address: 0xfee0_1000n, data: 0x4041, masked: true, pending: true }],
                    },
                    ims: { id: 'ims:pc:nic', size: 8, entries: [] },
                },
                { id: 'device:pc:legacy', name: 'legacy', bdf: { segment: 0, bus: 1, device: 2, fn: 3 }, bus: 'bus:pc:pci1' },
            ],
        };
        assert.deepEqual(l.model, expected);
        assert.deepEqual(l.problems, []);
        assert.deepEqual([...l.suspect], []);
    });

    test('x2APIC: KVM x2APIC API and broadcast quirk off by default, EIM on; the kvm block overrides', async () => {
        const base = await lower('machine a { apic x2apic cpus 0..1 iommu d vtd { } }');
        assert.deepEqual(base.model.kvm, { x2apicApi: true, broadcastQuirkDisabled: true, extDestId: false });
        assert.deepEqual(base.model.cpus.map(c => [c.mode, c.logicalId]), [['x2apic', undefined], ['x2apic', undefined]]);
        assert.equal(base.model.iommus[0].eim, true);
        const custom = await lower('machine a { kvm { x2apic-api off broadcast-quirk on ext-dest-id on } apic x2apic iommu d vtd { eim off cfi on remapping off posted on table size 256 } }');
        // The `kvm` block is an element of its own (findings about the routing table sit on it).
        assert.deepEqual(custom.model.kvm, { x2apicApi: false, broadcastQuirkDisabled: false, extDestId: true, id: 'kvm:a' });
        // Without the x2APIC API KVM keeps the broadcast quirk (it is a flag of KVM_CAP_X2APIC_API): an x2APIC
        // machine with `x2apic-api off` and no `broadcast-quirk` setting has it on.
        const noApi = await lower('machine a { kvm { x2apic-api off } apic x2apic cpus 0..1 }');
        assert.deepEqual(noApi.model.kvm, { x2apicApi: false, broadcastQuirkDisabled: false, extDestId: false, id: 'kvm:a' });
        const { irtes, ...iommu } = custom.model.iommus[0];
        assert.deepEqual(iommu, { kind: 'vtd', id: 'iommu:a:d', name: 'd', remapping: false, eim: false, cfi: true, irtaS: 7, postedSupported: true });
        assert.equal(irtes.size, 0);
    });

    test('xAPIC cluster mode: logical IDs from the engine\'s Linux default; per-CPU mode override', async () => {
        const l = await lower('machine c { apic xapic cluster cpus 0..5 cpu 6 x2apic }');
        assert.deepEqual(l.model.apic, { mode: 'xapic', logical: 'cluster' });
        assert.deepEqual(l.model.cpus.map(c => [c.index, c.mode, c.logicalId]), [
            [0, 'xapic', 0x01], [1, 'xapic', 0x02], [2, 'xapic', 0x04], [3, 'xapic', 0x08],
            [4, 'xapic', 0x11], [5, 'xapic', 0x12], [6, 'x2apic', undefined],
        ]);
    });

    test('field-form and raw IRTEs lower to the same halves (the engine encodes)', async () => {
        const l = await lower(`machine q35 { apic x2apic iommu dmar0 vtd {
            irte 0 { vector 0x41 dest 3 fixed edge physical sid 00:03.0 }
            irte 1 raw 0x0000_0003_0041_0001 0x0000_0000_0004_0018
            irte 2 { posted vector 0x50 descriptor 0x7f3c_0040 urgent sid 00:04.0 }
            irte 3 { vector 0x62 dest 0x100 lowest-priority level logical rh fpd sid bus 0x02..0x05 }
            irte 4 { vector 0x63 dest 2 not-present sid 0x00f8 sq ignore-bits2-0 svt none avail 5 }
        } }`);
        const irtes = l.model.iommus[0].irtes;
        const halves = (i: number) => ({ lo: irtes.get(i)!.lo, hi: irtes.get(i)!.hi });
        assert.deepEqual(halves(0), halves(1));
        assert.deepEqual(halves(0), { lo: 0x0000_0003_0041_0001n, hi: 0x0000_0000_0004_0018n });
        assert.deepEqual(halves(2), encodeIrte({ posted: true, vector: 0x50, pda: 0x7f3c_0040n, urgent: true, sid: 0x0020 }, { eim: true }));
        assert.deepEqual(halves(3), encodeIrte({
            vector: 0x62, dest: 0x100, deliveryMode: 'lowest-priority', trigger: 'level', destMode: 'logical',
            redirectionHint: true, fpd: true, sid: 0x0205, svt: 'bus-range',
        }, { eim: true }));
        assert.deepEqual(halves(4), encodeIrte({ vector: 0x63, dest: 2, present: false, sid: 0xf8, sq: 3, svt: 'none', avail: 5 }, { eim: true }));
    });

    test('field-form IRTE with EIM off: the xAPIC layout; a destination the layout cannot hold is a problem', async () => {
        const l = await lower('machine m { iommu d vtd { irte 0 { vector 0x41 dest 3 } irte 1 { vector 0x41 dest 0x100_0000 } } }');
        const irtes = l.model.iommus[0].irtes;
        assert.deepEqual({ lo: irtes.get(0)!.lo, hi: irtes.get(0)!.hi }, { lo: 0x0000_0300_0041_0001n, hi: 0n });
        assert.deepEqual(l.problems.map(p => [p.code, p.message, p.property]), [
            ['irte-not-encodable', 'IRTE dest 0x1000000 cannot be written without EIM.', 'dest'],
        ]);
        // Encoded with what the xAPIC layout holds (dest[7:0] = 0).
        assert.deepEqual({ lo: irtes.get(1)!.lo, hi: irtes.get(1)!.hi }, encodeIrte({ vector: 0x41, dest: 0 }, { eim: false }));
    });

    test('IOMMU inheritance through a chain of bridges; bus numbers inferred from the first BDF', async () => {
        const l = await lower(`machine m {
            iommu d vtd { }
            bus root behind d { bridge a 00:01.0 pcie-root-port to mid }
            bus mid { bridge b 02:00.0 pcie-switch-port to leaf device x 02:01.0 }
            bus leaf { device y 0001:05:00.0 }
            bus island { }
        }`);
        assert.deepEqual(l.model.buses, [
            { id: 'bus:m:root', name: 'root', segment: 0, number: 0, iommu: 'iommu:m:d' },
            { id: 'bus:m:mid', name: 'mid', segment: 0, number: 2, parentBridge: 'bridge:m:a', iommu: 'iommu:m:d' },
            { id: 'bus:m:leaf', name: 'leaf', segment: 1, number: 5, parentBridge: 'bridge:m:b', iommu: 'iommu:m:d' },
            { id: 'bus:m:island', name: 'island', segment: 0, number: 0 },
        ]);
    });

    test('a bridge loop does not hang the lowering', async () => {
        const l = await lower('machine m { bus a { bridge x 00:01.0 pci-to-pci to b } bus b { bridge y 01:01.0 pci-to-pci to a } }');
        assert.deepEqual(l.model.buses.map(b => [b.name, b.parentBridge, b.iommu]), [['a', 'bridge:m:y', undefined], ['b', 'bridge:m:x', undefined]]);
    });

    test('element ids ↔ nodes, both ways; a CPU range stands for several CPUs', async () => {
        const text = 'machine m { cpus 0..2 cpu 1 apic 7 iommu d vtd { irte 5 raw 0x1 0x0 } bus b { device g 00:01.0 { ims 4 { entry 2 address 0xfee0_0000 data 0x30 } } } }';
        const l = await lower(text);
        const file = l.node;
        const range = file.members[0], cpu1 = file.members[1];
        assert.deepEqual([...l.idToNode.keys()], [
            'machine:m', 'cpu:m:0', 'cpu:m:2', 'cpu:m:1', 'iommu:m:d', 'irte:m:d:5', 'bus:m:b', 'device:m:g', 'ims:m:g', 'ims:m:g:2',
        ]);
        assert.equal(l.idToNode.get('cpu:m:0'), range);
        assert.equal(l.idToNode.get('cpu:m:1'), cpu1);
        assert.deepEqual(l.nodeToIds.get(range), ['cpu:m:0', 'cpu:m:2']);
        assert.equal(l.nodeToId.get(range), 'cpu:m:0');
        assert.equal(l.nodeToId.get(cpu1), 'cpu:m:1');
        // The override keeps CPU 1's place in the order of CPUs.
        assert.deepEqual(l.model.cpus.map(c => [c.index, c.apicId]), [[0, 0], [1, 7], [2, 2]]);
        for (const [id, node] of l.idToNode) assert.equal(l.nodeToIds.get(node)?.includes(id), true, id);
    });

    test('rangeOf: the literal of a property, the header when the property was not written', async () => {
        const text = [
            'machine q35 {',
            '  apic x2apic',
            '  cpus 0..3',
            '  cpu 4 apic 0x100',
            '  iommu dmar0 vtd {',
            '    eim on',
            '    table size 256',
            '    irte 0 { vector 0x41 dest 3 fixed edge physical sid 00:03.0 }',
            '    irte 1 raw 0x0000_0003_0041_0001 0x0000_0000_0004_0018',
            '  }',
            '  bus pci0 behind dmar0 {',
            '    device nic 00:03.0 virtio-net {',
            '      msix table 4 { entry 0 address 0xfee0_0010 data 0x0000 }',
            '      msi vectors 2 address 0xfee0_0098 data 0x0000',
            '    }',
            '  }',
            '  kvm { x2apic-api on }',
            '}',
        ].join('\n');
        const r = await load(text);
        const [m] = r.analysis.machines;
        const at = (id: string, property?: string) => rangeText(m.rangeOf({ id, property }));
        assert.equal(at('irte:q35:dmar0:0', 'dest'), rangeOfPart(text, 'dest 3 fixed', '3'));
        assert.equal(at('irte:q35:dmar0:0', 'vector'), rangeOfText(text, '0x41', 0));
        assert.equal(at('irte:q35:dmar0:0', 'sid'), rangeOfText(text, '00:03.0', 0));
        assert.equal(at('irte:q35:dmar0:0', 'svt'), rangeOfText(text, '00:03.0', 0)); // not written: where the SID is
        assert.equal(at('irte:q35:dmar0:0', 'fpd'), rangeOfText(text, 'irte 0'));     // not written: the header
        assert.equal(at('irte:q35:dmar0:0'), rangeOfText(text, 'irte 0'));
        assert.equal(at('irte:q35:dmar0:1', 'dest'), rangeOfText(text, '0x0000_0003_0041_0001'));
        assert.equal(at('irte:q35:dmar0:1', 'sid'), rangeOfText(text, '0x0000_0000_0004_0018'));
        assert.equal(at('irte:q35:dmar0:1', 'raw'), rangeOfText(text, '0x0000_0003_0041_0001 0x0000_0000_0004_0018'));
        assert.equal(at('iommu:q35:dmar0', 'irtaS'), rangeOfText(text, '256'));
        assert.equal(at('iommu:q35:dmar0', 'eim'), rangeOfText(text, 'on', 0));
        assert.equal(at('iommu:q35:dmar0', 'cfi'), rangeOfText(text, 'dmar0'));
        assert.equal(at('msix:q35:nic:0', 'address'), rangeOfText(text, '0xfee0_0010'));
        assert.equal(at('msix:q35:nic:0', 'data'), rangeOfPart(text, 'data 0x0000 }', '0x0000'));
        assert.equal(at('msix:q35:nic:0', 'masked'), rangeOfText(text, 'entry 0'));
        assert.equal(at('msix:q35:nic', 'tableSize'), rangeOfPart(text, 'table 4 {', '4'));
        assert.equal(at('msi:q35:nic', 'mme'), rangeOfPart(text, 'vectors 2 address', '2'));
        assert.equal(at('msi:q35:nic', 'address'), rangeOfText(text, '0xfee0_0098'));
        assert.equal(at('cpu:q35:4', 'apicId'), rangeOfText(text, '0x100'));
        assert.equal(at('cpu:q35:2', 'apicId'), rangeOfText(text, 'cpus 0..3'));
        assert.equal(at('device:q35:nic', 'bdf'), rangeOfText(text, '00:03.0', 1));
        assert.equal(at('device:q35:nic'), rangeOfText(text, 'nic'));
        assert.equal(at('bus:q35:pci0', 'iommu'), rangeOfText(text, 'dmar0', 1));
        assert.equal(at('machine:q35', 'x2apicApi'), rangeOfText(text, 'on', 1));
        assert.equal(at('machine:q35', 'broadcastQuirkDisabled'), rangeOfText(text, 'apic x2apic'));
        assert.equal(at('nothing:here'), '<none>');
    });
    test('pseries and KVM: servers, PHB, XICS with per-source XIVE, allocations, VFIO, IMS without a mask, routes, irqfds, signals', async () => {
        const l = await lower(`machine p {
  arch ppc64
  cpus 0..2 server 0 step 8
  cpu 2 disabled
  cpu 3 server 32
  xics sources 0x1000..0x1fff priority 6 {
    source 0x1101 priority 0xff
    source 0x1200 server 16
  }
  phb phb0 { model legacy msi window 0x1000_0000_0000 size 0x20_0000 max-devs 16 }
  bus pci0 on phb0 {
    device nvme 00:01.0 {
      msix table 4 { entry 3 address 0x1000_0000_000c data 0 masked }
      irq base 0x1100 server 8
      vfio { msix-bar 2 table-offset 0x0 pba-offset 0x800 bar-size 0x4000 mmap }
    }
    device sata 00:02.0 { msi vectors 2 irq base 0x1108 slot 3 priority 4 }
    device acc 00:03.0 { ims 8 unmaskable }
    bridge br 00:1e.0 pci-to-pci to pci1
  }
  bus pci1 { device old 01:00.0 }
  kvm {
    irqfd nvme.msix[0] gsi 0x1100
    irqfd nvme.msix[0] gsi 0x1101 resample
    route gsi 24 msi address 0x1000_0000_0000 data 0x1100 devid 8
    route gsi 24 irqchip xics pin 3
    route gsi 24 msi address 0x1 data 2
    signal-msi address 0x1000_0000_0000 data 0x1100
    signal-msi ping address 0x1000_0000_0000 data 0x1101
  }
}`);
        const m = l.model;
        // `cpus … server 0 step 8`; `cpu 2 disabled` keeps the range's server; `cpu 3 server 32` sets its own.
        assert.deepEqual(m.cpus.map(c => [c.index, c.server, c.enabled]), [[0, 0, true], [1, 8, true], [2, 16, false], [3, 32, true]]);
        assert.deepEqual(m.phbs, [{ id: 'phb:p:phb0', name: 'phb0', msiWindow: 0x1000_0000_0000n, windowSize: 0x20_0000n, model: 'legacy', maxDevs: 16 }]);
        // A source that sets only its priority keeps the server of the allocation that holds it (nvme's 8).
        assert.deepEqual(m.xics, {
            id: 'xics:p', first: 0x1000, last: 0x1fff, defaultPriority: 6,
            sources: [
                { id: 'xics-source:p:4353', irq: 0x1101, server: 8, priority: 0xff },
                { id: 'xics-source:p:4608', irq: 0x1200, server: 16, priority: 6 },
            ],
        });
        // The bus behind the bridge inherits the PHB, as it would an IOMMU.
        assert.deepEqual(m.buses.map(b => [b.id, b.phb]), [['bus:p:pci0', 'phb:p:phb0'], ['bus:p:pci1', 'phb:p:phb0']]);
        const [nvme, sata, acc] = m.devices;
        // Without `count`, firmware allocated one IRQ per MSI-X entry (else per MSI vector).
        assert.deepEqual(nvme.irqAllocation, { id: 'irq:p:nvme', base: 0x1100, count: 4, server: 8 });
        assert.deepEqual(sata.irqAllocation, { id: 'irq:p:sata', base: 0x1108, count: 2, slot: 3, priority: 4 });
        assert.deepEqual(nvme.vfio, { id: 'vfio:p:nvme', msixBar: 2, tableOffset: 0n, pbaOffset: 0x800n, barSize: 0x4000n, mmap: true });
        // pseries MSI: the message is firmware's (no address / data written, nothing reported).
        assert.deepEqual([sata.msi?.address, sata.msi?.data, sata.msi?.mme], [0n, 0, 1]);
        assert.deepEqual(acc.ims, { id: 'ims:p:acc', size: 8, entries: [], maskable: false });
        // Repeated routes and irqfds are kept, each with an id of its own: judging them is the engine's job.
        assert.deepEqual(m.kvm, {
            x2apicApi: false, broadcastQuirkDisabled: false, extDestId: false, id: 'kvm:p',
            routes: [
                { id: 'kvm-route:p:24', gsi: 24, kind: 'msi', address: 0x1000_0000_0000n, data: 0x1100, devid: 8 },
                { id: 'kvm-route:p:24:1', gsi: 24, kind: 'irqchip', irqchip: 'xics', pin: 3 },
                { id: 'kvm-route:p:24:2', gsi: 24, kind: 'msi', address: 1n, data: 2 },
            ],
            irqfds: [
                { id: 'kvm-irqfd:p:nvme.msix[0]', source: { device: 'device:p:nvme', kind: 'msix', index: 0 }, gsi: 0x1100 },
                { id: 'kvm-irqfd:p:nvme.msix[0]:1', source: { device: 'device:p:nvme', kind: 'msix', index: 0 }, gsi: 0x1101, resample: true },
            ],
            signals: [
                { id: 'kvm-signal:p:[0]', address: 0x1000_0000_0000n, data: 0x1100 },
                { id: 'kvm-signal:p:ping', name: 'ping', address: 0x1000_0000_0000n, data: 0x1101 },
            ],
        });
        assert.deepEqual([l.problems, [...l.suspect]], [[], []]);
    });

    test('a ppc64 machine always has a PHB list (the engine routes it); other arches do not get the pseries parts', async () => {
        const bare = await lower('machine p { arch ppc64 }');
        assert.deepEqual([bare.model.phbs, bare.model.xics], [[], undefined]);
        const x86 = await lower('machine x { phb phb0 { msi window 0x1000 } xics sources 1..2 bus b on phb0 { device d 00:01.0 { msix table 1 irq base 1 } } }');
        assert.deepEqual([x86.model.phbs, x86.model.xics, x86.model.buses[0].phb, x86.model.devices[0].irqAllocation], [undefined, undefined, undefined, undefined]);
    });

    test('rangeOf: the properties the engine names for pseries, KVM and VFIO findings', async () => {
        const text = [
            'machine p {',
            '  arch ppc64',
            '  cpus 0..1 server 0 step 8',
            '  cpu 2 server 9',
            '  xics sources 0x1000..0x1fff server 8 { source 0x1100 priority 0xff }',
            '  phb phb0 { model legacy msi window 0x1000_0000_0000 }',
            '  bus pci0 on phb0 {',
            '    device nic 00:01.0 {',
            '      msix table 4',
            '      irq base 0x1100 count 2 slot 1',
            '      vfio { msix-bar 2 table-offset 0x0 pba-offset 0x800 bar-size 0x4000 mmap }',
            '      ims 4 unmaskable',
            '    }',
            '  }',
            '  kvm {',
            '    gsi-mapping direct',
            '    max-routes 64',
            '    route gsi 24 msi address 0x1000_0000_0000 data 0x1100',
            '    route gsi 5 irqchip xics pin 3',
            '    irqfd nic.msix[0] gsi 0x1100',
            '    signal-msi ping address 0x1000_0000_0000 data 0x1101',
            '  }',
            '}',
        ].join('\n');
        const r = await load(text);
        const [m] = r.analysis.machines;
        const at = (id: string, property?: string) => rangeText(m.rangeOf({ id, property }));
        assert.equal(at('cpu:p:2', 'server'), rangeOfPart(text, 'server 9', '9'));
        assert.equal(at('cpu:p:1', 'server'), rangeOfPart(text, 'server 0 step', '0'));  // the range's own literal
        assert.equal(at('cpu:p:1', 'apicId'), rangeOfText(text, 'cpus 0..1 server 0 step 8'));
        assert.equal(at('xics:p', 'server'), rangeOfPart(text, 'server 8 {', '8'));
        assert.equal(at('xics:p'), rangeOfText(text, 'xics sources 0x1000..0x1fff'));
        assert.equal(at('xics-source:p:4352', 'priority'), rangeOfText(text, '0xff'));
        assert.equal(at('xics-source:p:4352', 'server'), rangeOfPart(text, 'source 0x1100', '0x1100'));
        assert.equal(at('phb:p:phb0', 'msiWindow'), rangeOfText(text, '0x1000_0000_0000', 0));
        assert.equal(at('phb:p:phb0', 'maxDevs'), rangeOfText(text, 'legacy'));
        assert.equal(at('phb:p:phb0'), rangeOfPart(text, 'phb phb0', 'phb0'));
        assert.equal(at('irq:p:nic', 'base'), rangeOfPart(text, 'base 0x1100', '0x1100'));
        assert.equal(at('irq:p:nic', 'count'), rangeOfPart(text, 'count 2', '2'));
        assert.equal(at('irq:p:nic', 'slot'), rangeOfPart(text, 'slot 1', '1'));
        assert.equal(at('irq:p:nic', 'server'), rangeOfPart(text, 'base 0x1100', '0x1100'));
        assert.equal(at('irq:p:nic'), rangeOfText(text, 'irq base 0x1100'));
        assert.equal(at('vfio:p:nic', 'tableOffset'), rangeOfPart(text, 'table-offset 0x0', '0x0'));
        assert.equal(at('vfio:p:nic', 'pbaOffset'), rangeOfText(text, '0x800'));
        assert.equal(at('vfio:p:nic', 'barSize'), rangeOfText(text, '0x4000'));
        assert.equal(at('vfio:p:nic', 'mmap'), rangeOfText(text, 'mmap'));
        assert.equal(at('vfio:p:nic'), rangeOfText(text, 'vfio'));
        assert.equal(at('ims:p:nic', 'maskable'), rangeOfText(text, 'unmaskable'));
        assert.equal(at('device:p:nic', 'bus'), rangeOfPart(text, 'device nic', 'nic'));
        assert.equal(at('kvm:p', 'gsiMapping'), rangeOfText(text, 'direct'));
        assert.equal(at('kvm:p'), rangeOfText(text, 'kvm'));
        assert.equal(at('kvm-route:p:24', 'gsi'), rangeOfPart(text, 'gsi 24', '24'));
        assert.equal(at('kvm-route:p:24', 'data'), rangeOfPart(text, 'data 0x1100\n', '0x1100'));
        assert.equal(at('kvm-route:p:24'), rangeOfText(text, 'route gsi 24'));
        assert.equal(at('kvm-route:p:5', 'pin'), rangeOfPart(text, 'pin 3', '3'));
        assert.equal(at('kvm-irqfd:p:nic.msix[0]', 'gsi'), rangeOfPart(text, 'gsi 0x1100', '0x1100'));
        assert.equal(at('kvm-irqfd:p:nic.msix[0]', 'source'), rangeOfText(text, 'nic.msix[0]'));
        assert.equal(at('kvm-signal:p:ping'), rangeOfText(text, 'signal-msi ping'));
        assert.equal(at('kvm-signal:p:ping', 'data'), rangeOfText(text, '0x1101'));
    });
});
