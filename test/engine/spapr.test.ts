import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMachine, listSources, route, summarizeDevice, summarizeOutcome, type Finding, type Machine, type RouteTrace } from '../../language/engine/index.js';
import { bridge, bus, cpu, entry, machine, phb, ppcDevice, pseries, device, msi } from './build.js';

const W = 0x1000_0000_0000n;
const brief = (f: Finding) => ({ code: f.code, severity: f.severity, element: f.element });
const codes = (t: RouteTrace) => t.findings.map((f) => f.code);
function rt(m: Machine, dev: string, index: number, kind: 'msi' | 'msix' = 'msix'): RouteTrace {
    return route(m, { device: `device:${dev}`, kind, index }, { profile: 'spec' });
}

describe('pseries legacy model: per-device 64 KiB window slots', () => {
    const pci0 = bus('pci0', 0, { phb: 'phb:phb0' });
    const m = pseries({
        phbs: [phb('phb0', W, { model: 'legacy' })],
        buses: [pci0],
        devices: [ppcDevice('nvme', '00:01.0', pci0, 0x1100, 4), ppcDevice('nic', '00:02.0', pci0, 0x1104, 4)],
    });

    test('firmware programs address = window | ndev << 16 | vec << 2, data 0; the trace ends at a CPU', () => {
        const t = rt(m, 'nic', 3);
        assert.deepEqual(
            t.stages.map((s) => [s.kind, s.summary]),
            [
                ['device-write', 'nic.msix[3] writes 0x0000_1000_0001_000c ← 0x0 (programmed by firmware)'],
                ['host-bridge', 'window 0x0000_1000_0000_0000+0x200000: slot 1 vec 3 → XICS irq 0x1107 (source 0x107)'],
                ['xics', 'irq 0x1107 = ICS source 0x107 → server 0 · priority 5 (defaults)'],
                ['cpu', 'CPU 0 (server 0) accepts irq 0x1107 at priority 5 (XIRR 0x05001107)'],
            ],
        );
        assert.deepEqual(t.outcome, {
            kind: 'delivered',
            vector: 0x1107,
            deliveryMode: 0,
            deliveryModeName: 'fixed',
            trigger: 'edge',
            destMode: 'physical',
            destId: 0,
            lowestPriority: false,
            broadcast: false,
            targets: [{ cpu: 'cpu:0', apicId: 0, index: 0 }],
            xics: { ics: 'xics', irq: 0x1107, source: 0x107, server: 0, priority: 5 },
            phb: { id: 'phb:phb0', name: 'phb0', model: 'legacy', slot: 1, vector: 3 },
        });
        assert.deepEqual(t.findings, []);
        assert.equal(summarizeOutcome(t), '→ PHB phb0 slot 1 vec 3 → XICS 0x1107 → server 0 (CPU 0) · prio 5');
        assert.deepEqual(t.stages[1].element, { id: 'phb:phb0' });
    });

    test('every allocated vector is a source; the whole machine is clean', () => {
        assert.equal(listSources(m).length, 8);
        const r = checkMachine(m, { profile: 'spec' });
        assert.deepEqual(r.findings, []);
        assert.equal(summarizeDevice(r.traces.filter((x) => x.source.device === 'device:nvme')), '4 vectors: 4 delivered');
    });

    test('each decode error has its own code, on the entry that holds the address', () => {
        const bad = ppcDevice('a', '00:01.0', pci0, 0x1100, 2, {
            tableSize: 8,
            entries: [
                entry('a', 'msix', 2, W + 0x8n, 0), // vector 2 of a 2-vector block
                entry('a', 'msix', 3, W + (5n << 16n), 0), // slot 5: nobody's
                entry('a', 'msix', 4, W + (40n << 16n), 0), // beyond the 2 MiB window
                entry('a', 'msix', 5, W + (1n << 16n), 0), // slot 1 is b's
            ],
        });
        const mm = pseries({ phbs: [phb('phb0', W, { model: 'legacy' })], buses: [pci0], devices: [bad, ppcDevice('b', '00:02.0', pci0, 0x1200, 2)] });
        assert.deepEqual(codes(rt(mm, 'a', 2)), ['spapr-vector-out-of-range']);
        assert.equal(summarizeOutcome(rt(mm, 'a', 2)), "✗ vector past the device's allocation (vector 2 ≥ 2)");
        assert.deepEqual(rt(mm, 'a', 2).findings[0].related, [{ element: { id: 'alloc:a', property: 'count' }, message: 'a holds XICS IRQs 0x1100..0x1101 (2)' }]);
        const notConf = rt(mm, 'a', 3);
        assert.deepEqual(codes(notConf), ['spapr-slot-not-configured']);
        assert.equal(
            notConf.findings[0].message,
            "a.msix[3]: the address selects msi_table slot 5 of phb0, which no ibm,change-msi allocation configured; the 2012 decoder delivered IRQ 0 + vector. Use the device's slot (0).",
        );
        assert.deepEqual(notConf.findings[0].element, { id: 'msix:a:3', property: 'address' });
        const outside = rt(mm, 'a', 4);
        assert.deepEqual(codes(outside), ['spapr-outside-msi-window']);
        assert.equal(outside.outcome.kind === 'fault' && outside.outcome.code, 'spapr-outside-msi-window');
        const other = rt(mm, 'a', 5);
        assert.deepEqual(codes(other), ['spapr-irq-other-device']);
        assert.equal(other.findings[0].message, "a.msix[5] raises XICS IRQ 0x1200, but the address selects msi_table slot 1, which belongs to b: b's handler runs for a's interrupt; use a's own slot 0.");
        assert.deepEqual(other.findings[0].related, [{ element: { id: 'alloc:b' }, message: 'b holds XICS IRQs 0x1200..0x1201 (2)' }]);
        assert.equal(other.outcome.kind, 'delivered');
    });

    test('a slot past SPAPR_MSIX_MAX_DEVS is an overflow (the 2012 code read past msi_table)', () => {
        const a = ppcDevice('a', '00:01.0', pci0, 0x1100, 2, { tableSize: 2, entries: [entry('a', 'msix', 0, W + (40n << 16n), 0)] });
        const mm = pseries({ phbs: [phb('phb0', W, { model: 'legacy', windowSize: 0x100_0000n })], buses: [pci0], devices: [a] });
        const t = rt(mm, 'a', 0);
        assert.deepEqual(codes(t), ['spapr-ndev-overflow']);
        assert.equal(summarizeOutcome(t), "✗ MSI slot past the PHB's msi_table (slot 40 ≥ 32)");
        assert.match(t.findings[0].message, /slot 40 of phb0, past its 32 slots \(SPAPR_MSIX_MAX_DEVS\).*\(slot 0: address 0x100000000000\)/);
    });

    test('an allocation running past the ICS: machine-level error and per-vector out-of-ICS faults on the allocation', () => {
        const mm = pseries({ phbs: [phb('phb0', W, { model: 'legacy' })], buses: [pci0], devices: [ppcDevice('b', '00:02.0', pci0, 0x1ffe, 4)] });
        const r = checkMachine(mm, { profile: 'spec' });
        assert.deepEqual(r.findings.map(brief), [
            { code: 'spapr-allocation-outside-ics', severity: 'error', element: { id: 'alloc:b', property: 'base' } },
            { code: 'spapr-irq-out-of-ics', severity: 'error', element: { id: 'alloc:b', property: 'base' } },
            { code: 'spapr-irq-out-of-ics', severity: 'error', element: { id: 'alloc:b', property: 'base' } },
        ]);
        assert.equal(r.findings[0].message, 'b: IRQs 0x1ffe..0x2001 (base 0x1ffe, 4) run outside the XICS sources 0x1000..0x1fff; move the base so the block fits (at most 0x1ffc), or enlarge the ICS.');
        assert.equal(summarizeOutcome(r.traces[2]), '✗ IRQ outside the XICS source range (IRQ 0x2000 outside 0x1000..0x1fff)');
    });

    test('slots: explicit first, then the first free one in device order; a slot past the table or taken twice is reported', () => {
        const mm = pseries({
            phbs: [phb('phb0', W, { model: 'legacy', maxDevs: 2, windowSize: 0x4_0000n })],
            buses: [pci0],
            devices: [
                ppcDevice('a', '00:01.0', pci0, 0x1100, 1),
                ppcDevice('b', '00:02.0', pci0, 0x1110, 1, { alloc: { slot: 0 } }),
                ppcDevice('c', '00:03.0', pci0, 0x1120, 1),
                ppcDevice('d', '00:04.0', pci0, 0x1130, 1, { alloc: { slot: 0 } }),
            ],
        });
        assert.equal(summarizeOutcome(rt(mm, 'a', 0)), '→ PHB phb0 slot 1 vec 0 → XICS 0x1100 → server 0 (CPU 0) · prio 5');
        assert.equal(summarizeOutcome(rt(mm, 'b', 0)), '→ PHB phb0 slot 0 vec 0 → XICS 0x1110 → server 0 (CPU 0) · prio 5');
        const r = checkMachine(mm, { profile: 'spec' });
        assert.deepEqual(
            r.findings.filter((f) => f.code.startsWith('spapr-ndev') || f.code === 'spapr-allocation-overlap').map(brief),
            [
                { code: 'spapr-ndev-overflow', severity: 'error', element: { id: 'alloc:c', property: 'base' } },
                { code: 'spapr-allocation-overlap', severity: 'error', element: { id: 'alloc:d', property: 'slot' } },
                { code: 'spapr-ndev-overflow', severity: 'error', element: { id: 'alloc:c', property: 'base' } },
            ],
        );
        assert.equal(r.findings.find((f) => f.code === 'spapr-allocation-overlap')!.message, "d: msi_table slot 0 of phb0 is already b's; one slot holds one device's block. Use another slot.");
        assert.equal(
            r.findings[0].message,
            'c: msi_table slot 2 of phb0 is past its 2 slots (SPAPR_MSIX_MAX_DEVS): every slot is taken by the devices before it; ibm,change-msi cannot configure it. Use a free slot below 2, or move the device to another PHB.',
        );
        assert.equal(
            rt(mm, 'd', 0).findings[0].message,
            "d.msix[0] raises XICS IRQ 0x1110, but the address selects msi_table slot 0, which belongs to b: b's handler runs for d's interrupt; d's allocation names slot 0, which b holds; give d a slot of its own.",
        );
    });

    test('the same window address on two PHBs is legal: each PHB decodes its own table', () => {
        const pci1 = bus('pci1', 1, { phb: 'phb:phb1' });
        const mm = pseries({
            phbs: [phb('phb0', W, { model: 'legacy' }), phb('phb1', W, { model: 'legacy' })],
            buses: [pci0, pci1],
            devices: [ppcDevice('a', '00:01.0', pci0, 0x1100, 2), ppcDevice('b', '01:00.0', pci1, 0x1200, 2)],
        });
        const r = checkMachine(mm, { profile: 'spec' });
        assert.deepEqual(r.findings, []);
        assert.deepEqual(
            r.traces.map(summarizeOutcome),
            [
                '→ PHB phb0 slot 0 vec 0 → XICS 0x1100 → server 0 (CPU 0) · prio 5',
                '→ PHB phb0 slot 0 vec 1 → XICS 0x1101 → server 0 (CPU 0) · prio 5',
                '→ PHB phb1 slot 0 vec 0 → XICS 0x1200 → server 0 (CPU 0) · prio 5',
                '→ PHB phb1 slot 0 vec 1 → XICS 0x1201 → server 0 (CPU 0) · prio 5',
            ],
        );
    });

    test('legacy MSI: the slot address with data 0, the device ORs the vector number into the data', () => {
        const d = { ...device('st', '00:01.0', pci0, { msi: msi('st', { address: 0n, data: 0, mme: 2 }) }), irqAllocation: { id: 'alloc:st', base: 0x1100, count: 4 } };
        const mm = pseries({ phbs: [phb('phb0', W, { model: 'legacy' })], buses: [pci0], devices: [d] });
        const t = rt(mm, 'st', 2, 'msi');
        assert.equal(t.stages[0].summary, 'st.msi[2] writes 0x0000_1000_0000_0000 ← 0x2 (programmed by firmware)');
        assert.equal(summarizeOutcome(t), '→ PHB phb0 slot 0 vec 2 → XICS 0x1102 → server 0 (CPU 0) · prio 5');
    });
});

describe('pseries current model: the data is the global IRQ number', () => {
    const pci0 = bus('pci0', 0, { phb: 'phb:phb0' });
    const pci1 = bus('pci1', 1, { phb: 'phb:phb1' });

    test('firmware programs address = the window, data = base + k; the address is otherwise ignored', () => {
        const mm = pseries({ phbs: [phb('phb0', W)], buses: [pci0], devices: [ppcDevice('gpu', '00:01.0', pci0, 0x1200, 2)] });
        const t = rt(mm, 'gpu', 1);
        assert.equal(t.stages[0].summary, 'gpu.msix[1] writes 0x0000_1000_0000_0000 ← 0x1201 (programmed by firmware)');
        assert.equal(t.stages[1].summary, 'window 0x0000_1000_0000_0000+0x1000: data is the IRQ → XICS irq 0x1201 (source 0x201)');
        assert.equal(summarizeOutcome(t), '→ PHB phb0 → XICS 0x1201 → server 0 (CPU 0) · prio 5');
        assert.deepEqual(t.outcome.kind === 'delivered' && t.outcome.phb, { id: 'phb:phb0', name: 'phb0', model: 'current' });
    });

    test('each error code: past the count, unclaimed, another device, outside the ICS, claimed twice', () => {
        const a = ppcDevice('a', '00:01.0', pci0, 0x1100, 2, {
            tableSize: 8,
            entries: [
                entry('a', 'msix', 2, W, 0x1102),
                entry('a', 'msix', 3, W, 0x1300),
                entry('a', 'msix', 4, W, 0x1200),
                entry('a', 'msix', 5, W, 0x2200),
                entry('a', 'msix', 6, W + 0x1000n, 0x1100),
            ],
        });
        const mm = pseries({
            phbs: [phb('phb0', W), phb('phb1', W)],
            buses: [pci0, pci1],
            devices: [a, ppcDevice('b', '01:00.0', pci1, 0x1200, 2), ppcDevice('c', '00:03.0', pci0, 0x1104, 2), ppcDevice('d', '00:04.0', pci0, 0x1105, 2)],
        });
        const past = rt(mm, 'a', 2);
        assert.deepEqual(past.findings.map(brief), [{ code: 'spapr-vector-out-of-range', severity: 'error', element: { id: 'msix:a:2', property: 'data' } }]);
        assert.equal(
            past.findings[0].message,
            'a.msix[2]: vector 2 is past the 2 IRQ(s) firmware allocated to a (0x1100..0x1101); IRQ 0x1102 belongs to no device and its source was never configured, so the interrupt is lost. Use vectors below 2 or allocate more.',
        );
        assert.equal(past.outcome.kind, 'fault');
        const unclaimed = rt(mm, 'a', 3);
        assert.deepEqual(codes(unclaimed), ['spapr-irq-unclaimed']);
        assert.equal(summarizeOutcome(unclaimed), '✗ IRQ allocated to no device (IRQ 0x1300 unclaimed)');
        const other = rt(mm, 'a', 4);
        assert.deepEqual(codes(other), ['spapr-irq-other-device']);
        assert.equal(other.findings[0].message, "a.msix[4] raises XICS IRQ 0x1200, but IRQ 0x1200 belongs to b: b's handler runs for a's interrupt; use an IRQ of a's allocation (0x1100..0x1101).");
        const outOfIcs = rt(mm, 'a', 5);
        assert.deepEqual(outOfIcs.findings.map(brief), [{ code: 'spapr-irq-out-of-ics', severity: 'error', element: { id: 'msix:a:5', property: 'data' } }]);
        assert.deepEqual(codes(rt(mm, 'a', 6)), ['spapr-outside-msi-window']);
        // c and d overlap at 0x1105: c.msix[1] and d.msix[0] both raise it.
        const twice = rt(mm, 'c', 1);
        assert.deepEqual(twice.findings.map(brief), [{ code: 'spapr-irq-claimed-twice', severity: 'error', element: { id: 'alloc:c', property: 'base' } }]);
        assert.deepEqual(twice.findings[0].related, [{ element: { id: 'alloc:d', property: 'base' }, message: 'd holds XICS IRQs 0x1105..0x1106 (2)' }]);
        assert.equal(twice.outcome.kind, 'delivered');
        const r = checkMachine(mm, { profile: 'spec' });
        const overlap = r.findings.filter((f) => f.code === 'spapr-allocation-overlap');
        assert.deepEqual(overlap.map(brief), [{ code: 'spapr-allocation-overlap', severity: 'error', element: { id: 'alloc:d', property: 'base' } }]);
        assert.equal(overlap[0].message, "d: IRQs 0x1105..0x1106 overlap c's 0x1104..0x1105 at 0x1105; XICS sources are global (per-PHB decode does not separate them). Give each device its own block.");
    });

    test('allocation overlaps: each pair once, on the later device, also when one long block spans several', () => {
        const mm = pseries({
            phbs: [phb('phb0', W)],
            buses: [pci0],
            devices: [
                ppcDevice('a', '00:01.0', pci0, 0x1300, 2),
                ppcDevice('big', '00:02.0', pci0, 0x1100, 0x100, { tableSize: 2048 }),
                ppcDevice('b', '00:03.0', pci0, 0x1108, 2),
                ppcDevice('c', '00:04.0', pci0, 0x1180, 2),
                ppcDevice('d', '00:05.0', pci0, 0x1400, 2),
            ],
        });
        const r = checkMachine(mm, { profile: 'spec' });
        assert.deepEqual(
            r.findings.filter((f) => f.code === 'spapr-allocation-overlap').map((f) => [f.element.id, f.related[0].element.id]),
            [
                ['alloc:b', 'alloc:big'],
                ['alloc:c', 'alloc:big'],
            ],
        );
    });

    test('MSI blocks must be aligned powers of two; allocations larger than the device are clamped', () => {
        const st = { ...device('st', '00:01.0', pci0, { msi: msi('st', { address: 0n, data: 0, mmc: 2, mme: 2 }) }), irqAllocation: { id: 'alloc:st', base: 0x1102, count: 4 } };
        const big = ppcDevice('big', '00:02.0', pci0, 0x1200, 8, { tableSize: 4 });
        const mm = pseries({ phbs: [phb('phb0', W)], buses: [pci0], devices: [st, big] });
        const r = checkMachine(mm, { profile: 'spec' });
        assert.deepEqual(
            r.findings.filter((f) => f.code.startsWith('spapr-msi') || f.code === 'spapr-allocation-exceeds-device').map(brief),
            [
                { code: 'spapr-msi-block-unaligned', severity: 'error', element: { id: 'alloc:st', property: 'base' } },
                { code: 'spapr-allocation-exceeds-device', severity: 'warning', element: { id: 'alloc:big', property: 'count' } },
            ],
        );
        // vector 1 of the unaligned block: data = 0x1102 with the low 2 bits replaced by 1 → 0x1101, nobody's.
        assert.equal(summarizeOutcome(rt(mm, 'st', 1, 'msi')), '✗ IRQ allocated to no device (IRQ 0x1101 unclaimed)');
        assert.equal(summarizeOutcome(rt(mm, 'st', 2, 'msi')), '→ PHB phb0 → XICS 0x1102 → server 0 (CPU 0) · prio 5');
    });

    test('a device under no PHB: spapr-no-phb on the device; behind a bridge the PHB is inherited', () => {
        const loose = bus('loose', 2);
        const pci3 = bus('pci3', 3, { parentBridge: 'bridge:br0' });
        const br0 = bridge('br0', 'pcie-root-port', '00:1c.0', pci0, pci3);
        const mm = pseries({
            phbs: [phb('phb0', W)],
            buses: [pci0, loose, pci3],
            bridges: [br0],
            devices: [ppcDevice('x', '02:00.0', loose, 0x1100, 1, { entries: [entry('x', 'msix', 0, W, 0x1100)] }), ppcDevice('y', '03:00.0', pci3, 0x1101, 1)],
        });
        const t = rt(mm, 'x', 0);
        assert.deepEqual(t.findings.map(brief), [{ code: 'spapr-no-phb', severity: 'error', element: { id: 'device:x', property: 'bus' } }]);
        assert.equal(summarizeOutcome(rt(mm, 'y', 0)), '→ PHB phb0 → XICS 0x1101 → server 0 (CPU 0) · prio 5');
    });
});

describe('pseries XICS delivery: server and priority', () => {
    const pci0 = bus('pci0', 0, { phb: 'phb:phb0' });
    const base = (o: Partial<Machine> = {}) =>
        pseries({ phbs: [phb('phb0', W)], buses: [pci0], devices: [ppcDevice('a', '00:01.0', pci0, 0x1100, 4, { alloc: { server: 8, priority: 4 } })], ...o });

    test('per-allocation, per-source and default XIVE settings; the CPU with the server number accepts', () => {
        const m = base({
            xics: {
                id: 'xics',
                first: 0x1000,
                last: 0x1fff,
                sources: [
                    { id: 'xive:1102', irq: 0x1102, server: 16, priority: 2 },
                    { id: 'xive:1103', irq: 0x1103, server: 24, priority: 0xff },
                ],
            },
        });
        assert.equal(summarizeOutcome(rt(m, 'a', 0)), '→ PHB phb0 → XICS 0x1100 → server 8 (CPU 1) · prio 4');
        assert.deepEqual(rt(m, 'a', 0).stages[2].element, { id: 'alloc:a' });
        assert.equal(summarizeOutcome(rt(m, 'a', 2)), '→ PHB phb0 → XICS 0x1102 → server 16 (CPU 2) · prio 2');
        const masked = rt(m, 'a', 3);
        assert.deepEqual(masked.outcome, {
            kind: 'pending',
            reason: 'xics-masked',
            where: 'XICS source 0x103 (irq 0x1103) masked-pending: priority 0xFF',
            element: { id: 'xive:1103', property: 'priority' },
            xics: { ics: 'xics', irq: 0x1103, source: 0x103, server: 24, priority: 0xff },
        });
        assert.equal(summarizeOutcome(masked), 'pending · XICS 0x1103 masked (priority 0xFF, server 24)');
        assert.deepEqual(masked.stages.map((s) => s.kind), ['device-write', 'host-bridge', 'xics']);
    });

    test('a server no CPU has: xics-server-unknown, delivered to no CPU; duplicate server numbers are reported', () => {
        const m = base({ cpus: [cpu(0, 0, 'xapic', { server: 0 }), cpu(1, 1, 'xapic', { server: 0 })] });
        const t = rt(m, 'a', 0);
        assert.deepEqual(t.findings.map(brief), [{ code: 'xics-server-unknown', severity: 'error', element: { id: 'alloc:a', property: 'server' } }]);
        assert.equal(summarizeOutcome(t), '→ PHB phb0 → XICS 0x1100 → server 8 (no CPU) · prio 4');
        const r = checkMachine(m, { profile: 'spec' });
        assert.deepEqual(r.findings[0], {
            code: 'xics-server-duplicate',
            severity: 'error',
            message: 'CPU 1 has interrupt server 0, already used by CPU 0; give each CPU its own server number.',
            element: { id: 'cpu:1', property: 'server' },
            related: [{ element: { id: 'cpu:0', property: 'server' }, message: 'CPU 0 is server 0' }],
        });
        assert.equal(summarizeDevice(r.traces), '4 vectors: 4 unreachable');
    });

    test('a masked MSI-X entry ends pending at its PBA bit; once unmasked it goes PHB → XICS', () => {
        const d = ppcDevice('a', '00:01.0', pci0, 0x1100, 2, { entries: [entry('a', 'msix', 1, W, 0x1101, true)] });
        const m = pseries({ phbs: [phb('phb0', W)], buses: [pci0], devices: [d] });
        const t = rt(m, 'a', 1);
        assert.equal(summarizeOutcome(t), 'pending · PBA qword 0 bit 1 (entry masked)');
        assert.equal(t.outcome.kind === 'pending' && t.outcome.whenUnmasked && t.outcome.whenUnmasked.kind === 'delivered' && t.outcome.whenUnmasked.xics?.irq, 0x1101);
        assert.deepEqual(t.stages.map((s) => s.kind), ['device-write']);
    });

    test('without `phbs` a ppc64 machine is still not traced (backward compatible)', () => {
        const m = machine({ id: 'machine:p', name: 'p', arch: 'ppc64' });
        const r = checkMachine(m, { profile: 'spec' });
        assert.deepEqual(r.findings.map((f) => f.code), ['route-unsupported-arch']);
        assert.deepEqual(r.traces, []);
    });
});
