import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMachine, irteUsedBy, listSignals, route, shareableMsiRoutes, summarizeOutcome, type Finding, type Machine, type RouteTrace } from '../../language/engine/index.js';
import { bus, device, entry, irqfd, kvm, machine, msix, phb, ppcDevice, pseries, route as kvmRoute, vtd } from './build.js';

const brief = (f: Finding) => ({ code: f.code, severity: f.severity, element: f.element });
const codes = (t: RouteTrace) => t.findings.map((f) => f.code);
function rt(m: Machine, dev: string, index: number): RouteTrace {
    return route(m, { device: `device:${dev}`, kind: 'msix', index }, { profile: 'spec' });
}

describe('KVM routed GSIs (x86): an irqfd delivers its GSI route', () => {
    const pci0 = bus('pci0', 0, { iommu: 'iommu:dmar0' });
    const dmar0 = vtd('dmar0', {
        irtes: {
            0: { vector: 0x41, dest: 3, sid: { bus: 0, device: 3, fn: 0 } },
            1: { vector: 0x42, dest: 2, sid: { bus: 0, device: 3, fn: 0 } },
        },
    });
    const nic = device('nic', '00:03.0', pci0, {
        msix: msix('nic', 8, [
            entry('nic', 'msix', 0, 0xfee0_0010n, 0),
            entry('nic', 'msix', 1, 0xfee0_0030n, 0),
            entry('nic', 'msix', 2, 0xfee0_0010n, 0),
            entry('nic', 'msix', 3, 0xfee0_0010n, 0),
            entry('nic', 'msix', 4, 0xfee0_0030n, 0, true),
        ]),
    });
    const m = machine({
        iommus: [dmar0],
        buses: [pci0],
        devices: [nic],
        kvm: kvm({
            routes: [kvmRoute(24, 0xfee0_0010n, 0), kvmRoute(25, 0xfee0_0010n, 0), { id: 'route:26', gsi: 26, kind: 'irqchip', irqchip: 'ioapic', pin: 5 }, kvmRoute(28, 0xfee0_0030n, 0)],
            irqfds: [irqfd('nic', 'msix', 0, 24), irqfd('nic', 'msix', 1, 25), irqfd('nic', 'msix', 2, 26), irqfd('nic', 'msix', 3, 27), irqfd('nic', 'msix', 4, 28)],
        }),
    });

    test('the route message goes through the device’s IOMMU and APICs as today, after a kvm-route stage', () => {
        const t = rt(m, 'nic', 0);
        assert.deepEqual(
            t.stages.map((s) => s.kind),
            ['device-write', 'kvm-route', 'host-bridge', 'interrupt-remapping', 'apic-delivery', 'cpu'],
        );
        assert.equal(t.stages[1].summary, 'irqfd → GSI 24 → MSI route 0xfee0_0010 ← 0x0');
        assert.deepEqual(t.stages[1].element, { id: 'route:24' });
        assert.deepEqual(t.outcome.kind === 'delivered' && t.outcome.kvm, { gsi: 24, irqfd: 'irqfd:nic.msix[0]', mapping: 'routed', route: 'route:24' });
        assert.equal(summarizeOutcome(t), '→ GSI 24 → IRTE 0 → CPU 3 · vec 0x41 · fixed · edge');
        assert.deepEqual(t.findings, []);
        assert.deepEqual(irteUsedBy(t), { iommu: 'iommu:dmar0', index: 0 });
    });

    test('a route that differs from the entry is stale: the route is delivered, and the finding says what differs', () => {
        const t = rt(m, 'nic', 1);
        assert.equal(summarizeOutcome(t), '→ GSI 25 (stale route) → IRTE 0 → CPU 3 · vec 0x41 · fixed · edge');
        assert.deepEqual(t.findings, [
            {
                code: 'kvm-route-stale',
                severity: 'warning',
                message:
                    "GSI 25's route no longer matches nic.msix[1] (address 0xfee0_0010 ≠ 0xfee0_0030): the irqfd delivers the route's message, not the entry's. The VMM must update the route when the guest changes the vector (QEMU kvm_irqchip_update_msi_route; thread 001's \"FIXME: MSI(-X) vector has changed\"); write the entry's message into the route.",
                element: { id: 'route:25', property: 'address' },
                related: [
                    { element: { id: 'msix:nic:1', property: 'address' }, message: 'nic.msix[1] holds 0xfee0_0030 ← 0x0' },
                    { element: { id: 'irqfd:nic.msix[1]', property: 'gsi' }, message: 'the irqfd of nic.msix[1] fires GSI 25' },
                ],
                data: { address: '0xfee00030', data: '0x0' },
            },
        ]);
        assert.equal(t.outcome.kind === 'delivered' && t.outcome.kvm?.stale, true);
    });

    test('an irqchip route ends at the pin; a GSI without a route loses the interrupt', () => {
        const pin = rt(m, 'nic', 2);
        assert.deepEqual(pin.findings.map(brief), [{ code: 'kvm-irqfd-irqchip-route', severity: 'warning', element: { id: 'irqfd:nic.msix[2]', property: 'gsi' } }]);
        assert.equal(summarizeOutcome(pin), '✗ MSI vector bound to an irqchip pin route (GSI 26 → ioapic pin 5)');
        const missing = rt(m, 'nic', 3);
        assert.deepEqual(missing.findings.map(brief), [{ code: 'kvm-irqfd-missing-gsi', severity: 'error', element: { id: 'irqfd:nic.msix[3]', property: 'gsi' } }]);
        assert.equal(summarizeOutcome(missing), '✗ irqfd to a GSI without a route (GSI 27 has no route)');
        assert.deepEqual(missing.stages.map((s) => s.kind), ['device-write', 'kvm-route']);
    });

    test('a masked vector with an irqfd is pending; once unmasked it follows the GSI', () => {
        const t = rt(m, 'nic', 4);
        assert.equal(summarizeOutcome(t), 'pending · PBA qword 0 bit 4 (entry masked)');
        const w = t.outcome.kind === 'pending' ? t.outcome.whenUnmasked : undefined;
        assert.equal(w?.kind === 'delivered' && w.kvm?.gsi, 28);
        assert.equal(w?.kind === 'delivered' && w.irte?.index, 1);
    });

    test('a route message that KVM refuses (x2APIC API, address_hi[7:0] ≠ 0) faults on the route', () => {
        const pci = bus('pci', 0);
        const mm = machine({
            kvm: kvm({ x2apicApi: true, broadcastQuirkDisabled: true, routes: [kvmRoute(5, 0x1_fee0_1000n, 0x30)], irqfds: [irqfd('d', 'msix', 0, 5)] }),
            buses: [pci],
            devices: [device('d', '00:02.0', pci, { msix: msix('d', 1, [entry('d', 'msix', 0, 0x1_fee0_1000n, 0x30)]) })],
        });
        const t = rt(mm, 'd', 0);
        assert.deepEqual(t.findings.map(brief), [{ code: 'kvm-msi-route-invalid', severity: 'error', element: { id: 'route:5', property: 'address' } }]);
    });
});

describe('KVM routing table checks', () => {
    test('route limit (VMM cap), duplicate GSIs, GSIs past the limit, irqfds naming nothing', () => {
        const routes = [...Array.from({ length: 9 }, (_, i) => kvmRoute(i, 0xfee0_0000n, 0x30 + i)), kvmRoute(4, 0xfee0_1000n, 0x40, { id: 'dup' }), kvmRoute(12, 0xfee0_0000n, 0x50)];
        const r = checkMachine(machine({ kvm: kvm({ maxRoutes: 10, routes, irqfds: [irqfd('none', 'msix', 0, 3)] }) }), { profile: 'spec' });
        assert.deepEqual(r.findings.map(brief), [
            { code: 'kvm-route-limit', severity: 'error', element: { id: 'kvm' } },
            { code: 'kvm-gsi-duplicate', severity: 'error', element: { id: 'dup', property: 'gsi' } },
            { code: 'kvm-gsi-out-of-range', severity: 'error', element: { id: 'route:12', property: 'gsi' } },
            { code: 'kvm-irqfd-unknown-source', severity: 'error', element: { id: 'irqfd:none.msix[0]', property: 'source' } },
        ]);
        assert.equal(
            r.findings[0].message,
            "The GSI routing table has 11 entries, more than the VMM's cap of 10: KVM_SET_GSI_ROUTING fails with EINVAL. Share vectors, use fewer MSI-X vectors per device, or raise the VMM's cap.",
        );
        assert.equal(
            r.findings[1].message,
            'GSI 4 already has an MSI route; KVM allows one MSI route per GSI (and one route per irqchip), so KVM_SET_GSI_ROUTING fails with EINVAL. Give this MSI route its own GSI.',
        );
        assert.deepEqual(r.findings[1].related, [{ element: { id: 'route:4', property: 'gsi' }, message: 'the first MSI route of GSI 4' }]);
    });

    test('90 % of the limit warns; two irqchips on one GSI are fine, the same irqchip twice is not', () => {
        const routes = Array.from({ length: 9 }, (_, i) => kvmRoute(i, 0xfee0_0000n, 0x30 + i));
        const near = checkMachine(machine({ kvm: kvm({ maxRoutes: 10, routes }) }), { profile: 'spec' });
        assert.deepEqual(near.findings.map(brief), [{ code: 'kvm-route-limit-near', severity: 'warning', element: { id: 'kvm' } }]);
        assert.equal(near.findings[0].message, "The GSI routing table has 9 entries, 90 % of the VMM's cap of 10: 1 more vector and KVM_SET_GSI_ROUTING fails. Leave headroom for hotplug and MSI-X enables.");
        const chips = checkMachine(
            machine({
                kvm: kvm({
                    routes: [
                        { id: 'r:pic', gsi: 3, kind: 'irqchip', irqchip: 'pic', pin: 3 },
                        { id: 'r:ioapic', gsi: 3, kind: 'irqchip', irqchip: 'ioapic', pin: 3 },
                        { id: 'r:ioapic2', gsi: 3, kind: 'irqchip', irqchip: 'ioapic', pin: 4 },
                    ],
                }),
            }),
            { profile: 'spec' },
        );
        assert.deepEqual(chips.findings.map(brief), [{ code: 'kvm-gsi-duplicate', severity: 'error', element: { id: 'r:ioapic2', property: 'gsi' } }]);
        assert.equal(checkMachine(machine({ kvm: kvm({ routes: [kvmRoute(1, 0xfee0_0000n, 0x30)] }) }), { profile: 'spec' }).findings.length, 0);
    });

    test('an irqfd GSI past the limit, a vector bound twice, direct mapping on x86', () => {
        const pci = bus('pci', 0);
        const d = device('d', '00:02.0', pci, { msix: msix('d', 2, [entry('d', 'msix', 0, 0xfee0_1000n, 0x30)]) });
        const r = checkMachine(
            machine({ buses: [pci], devices: [d], kvm: kvm({ routes: [kvmRoute(5, 0xfee0_1000n, 0x30)], irqfds: [irqfd('d', 'msix', 0, 5), { ...irqfd('d', 'msix', 0, 5000), id: 'fd2' }] }) }),
            { profile: 'spec' },
        );
        assert.deepEqual(r.findings.map(brief), [
            { code: 'kvm-gsi-out-of-range', severity: 'error', element: { id: 'fd2', property: 'gsi' } },
            { code: 'kvm-irqfd-duplicate-source', severity: 'warning', element: { id: 'fd2', property: 'source' } },
        ]);
        const direct = checkMachine(machine({ buses: [pci], devices: [d], kvm: kvm({ gsiMapping: 'direct', irqfds: [irqfd('d', 'msix', 0, 5)] }) }), { profile: 'spec' });
        assert.deepEqual(direct.findings.map(brief), [
            { code: 'kvm-direct-mapping-unsupported', severity: 'error', element: { id: 'kvm', property: 'gsiMapping' } },
            { code: 'kvm-direct-mapping-unsupported', severity: 'error', element: { id: 'irqfd:d.msix[0]', property: 'gsi' } },
        ]);
    });
});

describe('KVM route sharing: identical MSI routes (the quick fix of the route-limit findings)', () => {
    const d = device('d', '00:02.0', bus('pci', 0), { msix: msix('d', 4, []) });
    const shared = [
        { id: 'r:pic', gsi: 0, kind: 'irqchip' as const, irqchip: 'pic', pin: 0 },
        { id: 'r:ioapic', gsi: 1, kind: 'irqchip' as const, irqchip: 'ioapic', pin: 0 },
        kvmRoute(24, 0xfee0_1000n, 0x41),
        kvmRoute(25, 0xfee0_1000n, 0x41),
        kvmRoute(26, 0xfee0_1000n, 0x41, { devid: 7 }),
        kvmRoute(27, 0xfee0_2000n, 0x42),
        kvmRoute(28, 0xfee0_2000n, 0x42),
        kvmRoute(29, 0xfee0_1000n, 0x41),
        kvmRoute(29, 0xfee0_1000n, 0x41, { id: 'route:29b' }),
        // GSI 30 also has an irqchip route: its irqfds would lose the pin if the MSI route went.
        kvmRoute(30, 0xfee0_1000n, 0x41),
        { id: 'r:30pin', gsi: 30, kind: 'irqchip' as const, irqchip: 'ioapic', pin: 5 },
        kvmRoute(31, 0xfee0_1000n, 0x41, { data: undefined }),
    ];
    const irqfds = [irqfd('d', 'msix', 0, 24), irqfd('d', 'msix', 1, 25), irqfd('d', 'msix', 2, 28), irqfd('d', 'msix', 3, 29)];
    const m = machine({ devices: [d], kvm: kvm({ maxRoutes: 12, routes: shared, irqfds }) });

    test('groups by address, data and devid; the first route stays, the irqfds of the others move to it', () => {
        assert.deepEqual(shareableMsiRoutes(m), [
            {
                keep: { gsi: 24, route: 'route:24' },
                share: [
                    { gsi: 25, route: 'route:25', irqfds: ['irqfd:d.msix[1]'] },
                    { gsi: 29, route: 'route:29', irqfds: ['irqfd:d.msix[3]'] },
                    // The second route of GSI 29 (a kvm-gsi-duplicate): its irqfds are listed once, above.
                    { gsi: 29, route: 'route:29b', irqfds: [] },
                ],
            },
            { keep: { gsi: 27, route: 'route:27' }, share: [{ gsi: 28, route: 'route:28', irqfds: ['irqfd:d.msix[2]'] }] },
        ]);
    });

    test('the route-limit finding carries the groups and how many entries they free', () => {
        const r = checkMachine(m, { profile: 'spec' });
        // 12 routes in a table of 12: full (the -near warning).
        const limit = r.findings.find((f) => f.code === 'kvm-route-limit-near');
        assert.deepEqual(limit?.data, { routes: 12, suggestedMaxRoutes: 16, shareRoutes: shareableMsiRoutes(m), sharedRoutes: 4 });
        // Without identical routes, only the limit.
        const distinct = machine({ kvm: kvm({ maxRoutes: 2, routes: [kvmRoute(0, 0xfee0_0000n, 0x30), kvmRoute(1, 0xfee0_0000n, 0x31)] }) });
        assert.deepEqual(checkMachine(distinct, { profile: 'spec' }).findings.map((f) => [f.code, f.data]), [['kvm-route-limit-near', { routes: 2, suggestedMaxRoutes: 4 }]]);
    });

    test('the kept route is the first below the limit; irqchip-only tables and direct mapping share nothing', () => {
        const far = machine({ kvm: kvm({ maxRoutes: 30, routes: [kvmRoute(40, 0xfee0_0000n, 0x30), kvmRoute(3, 0xfee0_0000n, 0x30)] }) });
        assert.deepEqual(shareableMsiRoutes(far), [{ keep: { gsi: 3, route: 'route:3' }, share: [{ gsi: 40, route: 'route:40', irqfds: [] }] }]);
        const chips = machine({ kvm: kvm({ routes: [{ id: 'a', gsi: 1, kind: 'irqchip', irqchip: 'ioapic', pin: 1 }, { id: 'b', gsi: 2, kind: 'irqchip', irqchip: 'ioapic', pin: 1 }] }) });
        assert.deepEqual(shareableMsiRoutes(chips), []);
        const direct = pseries({ kvm: kvm({ routes: [kvmRoute(0x107, 0x1000n, 0x1107), kvmRoute(0x108, 0x1000n, 0x1107)] }) });
        assert.deepEqual(shareableMsiRoutes(direct), []);
    });
});

describe('KVM direct GSI mapping (pseries): GSI = XICS IRQ, no route', () => {
    const W = 0x1000_0000_0000n;
    const pci0 = bus('pci0', 0, { phb: 'phb:phb0' });
    const m = pseries({
        phbs: [phb('phb0', W)],
        buses: [pci0],
        devices: [ppcDevice('vfio0', '00:01.0', pci0, 0x1104, 4)],
        kvm: kvm({
            irqfds: [irqfd('vfio0', 'msix', 0, 0x1104), irqfd('vfio0', 'msix', 1, 0x1100), irqfd('vfio0', 'msix', 2, 0x2400)],
            routes: [kvmRoute(0x107, W, 0x1107)],
        }),
    });

    test('a matching GSI: PHB decode, then the irqfd fires the same XICS source', () => {
        const t = rt(m, 'vfio0', 0);
        assert.deepEqual(
            t.stages.map((s) => [s.kind, s.summary]),
            [
                ['device-write', 'vfio0.msix[0] writes 0x0000_1000_0000_0000 ← 0x1104 (programmed by firmware)'],
                ['host-bridge', 'window 0x0000_1000_0000_0000+0x1000: data is the IRQ → XICS irq 0x1104 (source 0x104)'],
                ['kvm-route', 'irqfd → GSI 4356 (0x1104): direct mapping, GSI = XICS irq, no route'],
                ['xics', 'irq 0x1104 = ICS source 0x104 → server 0 · priority 5 (defaults)'],
                ['cpu', 'CPU 0 (server 0) accepts irq 0x1104 at priority 5 (XIRR 0x05001104)'],
            ],
        );
        assert.equal(summarizeOutcome(t), '→ GSI 4356 (direct) → PHB phb0 → XICS 0x1104 → server 0 (CPU 0) · prio 5');
        assert.deepEqual(t.findings, []);
    });

    test('a GSI that is not the decoded IRQ: kvm-gsi-mismatch, and KVM raises the GSI’s source', () => {
        const t = rt(m, 'vfio0', 1);
        assert.deepEqual(t.findings.map(brief), [{ code: 'kvm-gsi-mismatch', severity: 'error', element: { id: 'irqfd:vfio0.msix[1]', property: 'gsi' } }]);
        assert.equal(
            t.findings[0].message,
            "The irqfd of vfio0.msix[1] fires GSI 4352 (0x1100), but with direct GSI mapping the GSI is the XICS IRQ, and the vector's message decodes (PHB phb0) to IRQ 0x1105: KVM raises the wrong source. Bind the irqfd to GSI 4357 (0x1105).",
        );
        assert.deepEqual(t.findings[0].data, { gsi: 0x1105 });
        assert.equal(summarizeOutcome(t), '→ GSI 4352 (direct) → XICS 0x1100 → server 0 (CPU 0) · prio 5');
    });

    test('a GSI outside the XICS sources is out of range; MSI routes are unused and hinted', () => {
        const t = rt(m, 'vfio0', 2);
        assert.deepEqual(codes(t), ['kvm-gsi-mismatch', 'kvm-gsi-out-of-range']);
        assert.equal(summarizeOutcome(t), '✗ GSI out of range (GSI 9216 not an XICS source)');
        const r = checkMachine(m, { profile: 'spec' });
        assert.deepEqual(
            r.findings.filter((f) => f.code === 'kvm-route-ignored-direct').map(brief),
            [{ code: 'kvm-route-ignored-direct', severity: 'hint', element: { id: 'route:263' } }],
        );
    });
});

describe('KVM_SIGNAL_MSI injections are sources of their own', () => {
    test('x86: no requester id, no IOMMU: straight to the local APICs', () => {
        const pci0 = bus('pci0', 0, { iommu: 'iommu:dmar0' });
        const m = machine({
            iommus: [vtd('dmar0')],
            buses: [pci0],
            kvm: kvm({ signals: [{ id: 'sig:0', address: 0xfee0_1000n, data: 0x31 }, { id: 'sig:1', name: 'timer', address: 0xfee0_9000n, data: 0x32 }] }),
        });
        assert.deepEqual(listSignals(m), [
            { device: 'sig:0', kind: 'signal', index: 0 },
            { device: 'sig:1', kind: 'signal', index: 1 },
        ]);
        const r = checkMachine(m, { profile: 'spec' });
        assert.deepEqual(
            r.traces.map((t) => [t.sourceName, t.sourceElement, summarizeOutcome(t)]),
            [
                ['kvm.signal[0]', 'sig:0', '→ CPU 1 · vec 0x31 · fixed · edge'],
                ['timer', 'sig:1', '→ no CPU (dest 0x9) · vec 0x32 · fixed · edge'],
            ],
        );
        assert.deepEqual(r.traces[0].stages.map((s) => s.kind), ['device-write', 'host-bridge', 'apic-delivery', 'cpu']);
        assert.deepEqual(r.findings.map(brief), [{ code: 'x86-dest-unreachable', severity: 'error', element: { id: 'sig:1', property: 'address' } }]);
    });

    test('pseries: KVM_SIGNAL_MSI has no MSI routing on XICS', () => {
        const m = pseries({ kvm: kvm({ signals: [{ id: 'sig:0', address: 0x1000_0000_0000n, data: 0x1104 }] }) });
        const t = route(m, { device: 'sig:0', kind: 'signal', index: 0 }, { profile: 'spec' });
        assert.deepEqual(t.findings.map(brief), [{ code: 'kvm-signal-unsupported', severity: 'error', element: { id: 'sig:0' } }]);
    });

    test('an unknown signal is a caller error', () => {
        assert.throws(() => route(machine(), { device: 'sig:9', kind: 'signal', index: 0 }, { profile: 'spec' }), /unknown KVM_SIGNAL_MSI 'sig:9'/);
    });
});
