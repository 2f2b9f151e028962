/**
 * The scenario simulator (language/engine/sim): what each event does to the machine state, step by step,
 * with exact stages, targets, registers and findings. Machines are built by hand (test/engine/build.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import type { Machine } from '../../language/engine/index.js';
import { encodeIrte } from '../../language/engine/vtd/irte.js';
import {
    checkScenario,
    irteDiff,
    faultRecords,
    patchIrte,
    Simulator,
    type Scenario,
    type ScenarioEvent,
    type SimState,
    type SimStep,
    type VectorSource,
} from '../../language/engine/sim/index.js';
import { bus, cpus, device, entry, irqfd, kvm, machine, msi, msix, route as kvmRoute, vtd } from './build.js';

type EventSpec = ScenarioEvent extends infer E ? (E extends ScenarioEvent ? Omit<E, 'id'> : never) : never;

function scenario(m: Machine, events: EventSpec[]): Scenario {
    return { id: 'scenario:s', name: 's', machine: m.id, events: events.map((e, i) => ({ ...e, id: `event:s:${i}` }) as ScenarioEvent) };
}

const v = (dev: string, kind: VectorSource['kind'], index: number): VectorSource => ({ device: `device:${dev}`, kind, index });

/** Runs every event; returns each event's steps and the states after each event. */
function run(m: Machine, events: EventSpec[]): { sim: Simulator; steps: SimStep[][]; states: SimState[] } {
    const sim = new Simulator(m, scenario(m, events), { profile: 'spec' });
    const steps: SimStep[][] = [];
    const states: SimState[] = [];
    let st = sim.initial;
    events.forEach((_, i) => {
        const r = sim.runEvent(st, i);
        steps.push(r.steps);
        states.push(r.state);
        st = r.state;
    });
    return { sim, steps, states };
}

/** `kind: summary [note kinds]` of each step of an event. */
const brief = (steps: SimStep[]) => steps.map((s) => `${s.stage.kind}: ${s.stage.summary}${s.notes.length ? ` [${s.notes.map((n) => n.kind).join(',')}]` : ''}`);

const cpuOf = (st: SimState, pos: number) => {
    const c = st.cpus.get(pos);
    return c ? { irr: [...c.irr], isr: [...c.isr], taken: c.taken } : 'idle';
};

/** A q35-like guest: x2APIC, VT-d with EIM, one NIC behind it with three MSI-X entries (handles 0..2). */
function remapped(o: { fpd?: boolean } = {}): Machine {
    const pci = bus('pci0', 0, { iommu: 'iommu:dmar0' });
    return machine({
        apic: { mode: 'x2apic', logical: 'flat' },
        cpus: cpus(8, 'x2apic'),
        kvm: kvm({ x2apicApi: true, broadcastQuirkDisabled: true }),
        iommus: [
            vtd('dmar0', {
                irtes: {
                    0: { vector: 0x41, dest: 3, sid: 0x18 },
                    1: { vector: 0x42, dest: 2, sid: 0x18 },
                    2: { vector: 0x43, dest: 6, sid: 0x18, fpd: o.fpd ?? false },
                    3: { vector: 0x61, dest: 1, trigger: 'level', sid: 0x18 },
                },
            }),
        ],
        buses: [pci],
        devices: [
            device('nic', '00:03.0', pci, {
                msix: msix('nic', 4, [
                    entry('nic', 'msix', 0, 0xfee0_0010n, 0),
                    entry('nic', 'msix', 1, 0xfee0_0030n, 0),
                    entry('nic', 'msix', 2, 0xfee0_0050n, 0, true),
                    entry('nic', 'msix', 3, 0xfee0_0070n, 0),
                ]),
            }),
        ],
    });
}

/** A workstation without an IOMMU: compatibility-format messages. */
function workstation(): Machine {
    const pci = bus('pci0', 0);
    return machine({
        cpus: cpus(8),
        buses: [pci],
        devices: [
            device('eth', '00:19.0', pci, { msix: msix('eth', 2, [entry('eth', 'msix', 0, 0xfee0_2000n, 0x31), entry('eth', 'msix', 1, 0xfee0_3000n, 0x32)]) }),
            device('ahci', '00:1f.2', pci, { msi: msi('ahci', { address: 0xfee0_1000n, data: 0x40, mme: 1, perVectorMask: true }) }),
        ],
    });
}

describe('delivery', () => {
    test('a fire walks device write → host bridge → remapping → APIC → CPU, and the CPU takes the vector', () => {
        const { steps, states } = run(remapped(), [{ kind: 'fire', source: v('nic', 'msix', 0) }]);
        assert.deepEqual(brief(steps[0]), [
            'device-write: nic.msix[0] writes 0xfee0_0010 ← 0x0',
            'host-bridge: interrupt window 0xFEE → dmar0 (interrupt remapping)',
            'interrupt-remapping: IRTE 0: present, remapped, vector 0x41 → physical dest 0x3 (requester 00:03.0)',
            'apic-delivery: physical dest 0x3 → CPU 3 · fixed',
            'cpu: CPU 3 accepts vector 0x41 (edge)',
        ]);
        assert.deepEqual(steps[0].map((s) => [s.eventIndex, s.stageIndex, s.traceStage]), [[0, 0, 0], [0, 1, 1], [0, 2, 2], [0, 3, 3], [0, 4, 4]]);
        // An edge-triggered handler runs and EOIs before the next event: taken, nothing left in service.
        assert.deepEqual(cpuOf(states[0], 3), { irr: [], isr: [], taken: 1 });
        assert.deepEqual(states[0].stats, { fired: 1, delivered: 1, heldPending: 0, lost: 0, faults: 0 });
        // The IRTE fetched for the delivery is now in the interrupt entry cache.
        assert.deepEqual([...states[0].iec[0].entries()].map(([i, c]) => [i, c.since]), [[0, 0]]);
        // The state changes at the stage that changes it: the IEC after remapping, the CPU at the end.
        assert.equal(steps[0][1].state.iec[0].size, 0);
        assert.equal(steps[0][2].state.iec[0].size, 1);
        assert.equal(steps[0][3].state.cpus.size, 0);
        assert.equal(steps[0][4].state.cpus.size, 1);
    });

    test('a VT-d fault is recorded in the fault log, unless the IRTE has FPD=1', () => {
        for (const fpd of [false, true]) {
            const { steps, states } = run(remapped({ fpd }), [
                { kind: 'update-irte', iommu: 'iommu:dmar0', index: 2, patch: { notPresent: true }, invalidate: true },
                { kind: 'unmask', source: v('nic', 'msix', 2) },
                { kind: 'fire', source: v('nic', 'msix', 2) },
            ]);
            const last = steps[2][steps[2].length - 1];
            assert.equal(last.stage.kind, 'interrupt-remapping');
            assert.deepEqual(last.notes.map((n) => n.kind), ['fault']);
            assert.equal(states[2].stats.faults, 1);
            if (fpd) {
                assert.deepEqual(faultRecords(states[2]), []);
                assert.match(last.notes[0].message, /Not recorded: the IRTE has FPD=1\.$/);
            } else {
                assert.deepEqual(faultRecords(states[2]), [
                    { event: 2, iommu: 'iommu:dmar0', reason: 0x22, name: 'IR_ENTRY_P', index: 2, requester: '00:03.0', source: 'nic.msix[2]' },
                ]);
                assert.match(last.notes[0].message, /Recorded in dmar0's fault log \(#1\)\.$/);
            }
        }
    });
});

describe('pending, then unmask, then delivered', () => {
    test('a masked MSI-X entry sets its PBA bit; the unmask sends the message as it is then', () => {
        const { steps, states, sim } = run(remapped(), [
            { kind: 'mask', source: v('nic', 'msix', 1) },
            { kind: 'fire', source: v('nic', 'msix', 1) },
            { kind: 'write', source: v('nic', 'msix', 1), address: 0xfee0_0050n },
            { kind: 'unmask', source: v('nic', 'msix', 1) },
        ]);
        assert.deepEqual(brief(steps[1]), ['device-write: nic.msix[1] writes 0xfee0_0030 ← 0x0 (entry masked) [pending]']);
        assert.equal(steps[1][0].notes[0].message, 'nic.msix[1] is masked (entry masked): the interrupt waits in PBA qword 0 bit 1 until it is unmasked.');
        const key = sim.index.vectorKey(v('nic', 'msix', 1))!;
        assert.deepEqual(
            [states[1], states[2], states[3]].map((s) => {
                const x = sim.vector(s, key, v('nic', 'msix', 1)).vs;
                return [x.masked, x.pending, x.address];
            }),
            [
                [true, true, 0xfee0_0030n],
                [true, true, 0xfee0_0050n],
                [false, false, 0xfee0_0050n],
            ],
        );
        assert.deepEqual(brief(steps[2]), ['device-write: software writes address 0xfee0_0050 to the entry; pending: the new message is sent on unmask']);
        assert.deepEqual(brief(steps[3]), [
            "device-write: software clears the entry's Vector Control mask bit: the pending message is sent now",
            'device-write: nic.msix[1] writes 0xfee0_0050 ← 0x0',
            'host-bridge: interrupt window 0xFEE → dmar0 (interrupt remapping)',
            'interrupt-remapping: IRTE 2: present, remapped, vector 0x43 → physical dest 0x6 (requester 00:03.0)',
            'apic-delivery: physical dest 0x6 → CPU 6 · fixed',
            'cpu: CPU 6 accepts vector 0x43 (edge)',
        ]);
        assert.equal(steps[3][1].delivery?.cause, 'unmask');
        assert.deepEqual(states[3].stats, { fired: 1, delivered: 1, heldPending: 1, lost: 0, faults: 0 });
        // Writing a masked entry is what Linux does: no finding.
        assert.deepEqual(checkScenario(remapped(), scenario(remapped(), [{ kind: 'mask', source: v('nic', 'msix', 1) }, { kind: 'write', source: v('nic', 'msix', 1), address: 0xfee0_0050n }, { kind: 'unmask', source: v('nic', 'msix', 1) }]), { profile: 'spec' }), []);
    });

    test('clearing the MSI-X function mask sends every pending vector whose own mask is clear', () => {
        const { steps, states } = run(remapped(), [
            { kind: 'function-mask', device: 'device:nic', on: true },
            { kind: 'fire', source: v('nic', 'msix', 0) },
            { kind: 'fire', source: v('nic', 'msix', 3) },
            { kind: 'fire', source: v('nic', 'msix', 2) },
            { kind: 'function-mask', device: 'device:nic', on: false },
        ]);
        assert.deepEqual(steps[1].map((s) => s.notes.map((n) => n.message)), [['nic.msix[0] is masked (function masked): the interrupt waits in PBA qword 0 bit 0 until it is unmasked.']]);
        const released = steps[4].filter((s) => s.stage.kind === 'device-write' && s.delivery).map((s) => s.delivery!.name);
        // Entry 2 keeps its own mask: it stays pending.
        assert.deepEqual(released, ['nic.msix[0]', 'nic.msix[3]']);
        assert.deepEqual(cpuOf(states[4], 3), { irr: [], isr: [], taken: 1 });
        assert.deepEqual(cpuOf(states[4], 1), { irr: [], isr: [0x61], taken: 1 });
        assert.deepEqual(
            checkScenario(remapped(), scenario(remapped(), [{ kind: 'fire', source: v('nic', 'msix', 2) }]), { profile: 'spec' }).map((f) => [f.code, f.severity, f.element.id]),
            [['scenario-left-pending', 'info', 'event:s:0']],
        );
    });
});

describe('the interrupt entry cache', () => {
    const events: EventSpec[] = [
        { kind: 'fire', source: v('nic', 'msix', 0) },
        { kind: 'update-irte', iommu: 'iommu:dmar0', index: 0, patch: { dest: 6 }, invalidate: false },
        { kind: 'fire', source: v('nic', 'msix', 0) },
        { kind: 'invalidate-iec', iommu: 'iommu:dmar0', index: 0 },
        { kind: 'fire', source: v('nic', 'msix', 0) },
    ];

    test('an IRTE rewritten without invalidation: the IOMMU keeps using its cached copy until the invalidation', () => {
        const { steps, states } = run(remapped(), events);
        const target = (i: number) => steps[i].find((s) => s.stage.kind === 'apic-delivery')!.stage.summary;
        assert.deepEqual(brief(steps[1]), ['interrupt-remapping: IRTE 0: dest 0x3 → 0x6 in memory; the interrupt entry cache still holds the old entry (fetched at event 1)']);
        assert.equal(target(2), 'physical dest 0x3 → CPU 3 · fixed');
        const remap = steps[2].find((s) => s.stage.kind === 'interrupt-remapping')!;
        assert.deepEqual(remap.notes, [
            { kind: 'stale', message: 'dmar0 used its cached copy of IRTE 0 (fetched at event 1); the table holds a newer entry (dest 0x3 → 0x6) that was never invalidated.' },
        ]);
        assert.deepEqual(brief(steps[3]), ['interrupt-remapping: dmar0: interrupt entry cache invalidated (index 0): dropped IRTE 0; the next delivery fetches the new entry (IRTE 0: dest 0x3 → 0x6)']);
        assert.equal(target(4), 'physical dest 0x6 → CPU 6 · fixed');
        assert.deepEqual(cpuOf(states[4], 3), { irr: [], isr: [], taken: 2 });
        assert.deepEqual(cpuOf(states[4], 6), { irr: [], isr: [], taken: 1 });
    });

    test('the checker reports the update, with the delivery that used the stale entry', () => {
        const m = remapped();
        const findings = checkScenario(m, scenario(m, events), { profile: 'spec' });
        assert.deepEqual(findings, [
            {
                code: 'scenario-irte-not-invalidated',
                severity: 'warning',
                message:
                    "IRTE 0 of dmar0 was rewritten here (dest 0x3 → 0x6) without invalidating the interrupt entry cache: the later `fire nic.msix[0]` (event 3) still went through the cached old entry. Invalidate it (`update … and invalidate`, or `invalidate dmar0.iec index 0`), as Linux's modify_irte() does with qi_flush_iec().",
                element: { id: 'event:s:1' },
                related: [{ element: { id: 'event:s:2' }, message: 'nic.msix[0] used the stale cached IRTE 0' }],
            },
        ]);
    });

    test('`update … and invalidate` takes effect at once; an update never invalidated is reported at the end', () => {
        const m = remapped();
        const right = run(m, [
            { kind: 'fire', source: v('nic', 'msix', 0) },
            { kind: 'update-irte', iommu: 'iommu:dmar0', index: 0, patch: { dest: 5 }, invalidate: true },
            { kind: 'fire', source: v('nic', 'msix', 0) },
        ]);
        assert.deepEqual(brief(right.steps[1]).map((s) => s.split(':')[0]), ['interrupt-remapping', 'interrupt-remapping']);
        assert.equal(right.steps[2].find((s) => s.stage.kind === 'apic-delivery')!.stage.summary, 'physical dest 0x5 → CPU 5 · fixed');
        const never = checkScenario(m, scenario(m, [{ kind: 'update-irte', iommu: 'iommu:dmar0', index: 1, patch: { vector: 0x50 }, invalidate: false }]), { profile: 'spec' });
        assert.deepEqual(never.map((f) => [f.code, f.element.id, f.related.map((r) => r.element.id)]), [['scenario-irte-not-invalidated', 'event:s:0', ['irte:dmar0:1']]]);
        assert.match(never[0].message, /^IRTE 1 of dmar0 is rewritten here and the interrupt entry cache is never invalidated for it/);
        // A global invalidation covers every entry.
        const global = checkScenario(m, scenario(m, [{ kind: 'update-irte', iommu: 'iommu:dmar0', index: 1, patch: { vector: 0x50 }, invalidate: false }, { kind: 'invalidate-iec', iommu: 'iommu:dmar0' }]), { profile: 'spec' });
        assert.deepEqual(global, []);
    });
});

describe('affinity', () => {
    test('without remapping, the kernel masks, writes the new message, unmasks', () => {
        const { steps, states, sim } = run(workstation(), [
            { kind: 'affinity', source: v('eth', 'msix', 0), cpu: 5, unsafe: false },
            { kind: 'fire', source: v('eth', 'msix', 0) },
        ]);
        assert.deepEqual(brief(steps[0]), [
            "device-write: software sets the entry's Vector Control mask bit: a raised vector now sets its pending bit",
            'device-write: software writes address 0xfee0_5000 to the entry',
            "device-write: software clears the entry's Vector Control mask bit: nothing was pending",
        ]);
        assert.equal(steps[1].find((s) => s.stage.kind === 'apic-delivery')!.stage.summary, 'physical dest 0x5 → CPU 5 · fixed');
        const key = sim.index.vectorKey(v('eth', 'msix', 0))!;
        assert.equal(sim.vector(states[1], key, v('eth', 'msix', 0)).vs.address, 0xfee0_5000n);
        assert.deepEqual(checkScenario(workstation(), scenario(workstation(), [{ kind: 'affinity', source: v('eth', 'msix', 0), cpu: 5, unsafe: false }]), { profile: 'spec' }), []);
    });

    test('done wrong (written while unmasked) it is reported', () => {
        const m = workstation();
        const findings = checkScenario(m, scenario(m, [{ kind: 'affinity', source: v('eth', 'msix', 1), cpu: 6, unsafe: true }]), { profile: 'spec' });
        assert.deepEqual(findings, [
            {
                code: 'scenario-affinity-unsafe',
                severity: 'warning',
                message:
                    'affinity change without the mask around the write: MSI-X entry 1: writing the address while the entry is unmasked is undefined — the device may send a mix of the old and new fields; mask the entry (or the function) first, write, then unmask (as Linux does).',
                element: { id: 'event:s:0' },
                related: [{ element: { id: 'msix:eth:1' }, message: 'eth.msix[1]' }],
            },
        ]);
        // A plain write while unmasked is the same rule under its own code.
        const write = checkScenario(m, scenario(m, [{ kind: 'write', source: v('eth', 'msix', 1), data: 0x33 }]), { profile: 'spec' });
        assert.deepEqual(write.map((f) => [f.code, f.severity]), [['scenario-write-unmasked', 'warning']]);
    });

    test('with remapping, the IRTE gets the new destination and the IEC entry is invalidated (or not, when unsafe)', () => {
        const m = remapped();
        const right = run(m, [
            { kind: 'fire', source: v('nic', 'msix', 1) },
            { kind: 'affinity', source: v('nic', 'msix', 1), cpu: 7, unsafe: false },
            { kind: 'fire', source: v('nic', 'msix', 1) },
        ]);
        assert.deepEqual(brief(right.steps[1]), [
            'interrupt-remapping: affinity of nic.msix[1] → CPU 7 (APIC ID 0x7): IRTE 1: dest 0x2 → 0x7 in memory',
            'interrupt-remapping: dmar0: interrupt entry cache invalidated (index 1): dropped IRTE 1; the next delivery fetches the new entry (IRTE 1: dest 0x2 → 0x7)',
        ]);
        assert.equal(right.steps[2].find((s) => s.stage.kind === 'apic-delivery')!.stage.summary, 'physical dest 0x7 → CPU 7 · fixed');
        const wrong = checkScenario(m, scenario(m, [
            { kind: 'fire', source: v('nic', 'msix', 1) },
            { kind: 'affinity', source: v('nic', 'msix', 1), cpu: 7, unsafe: true },
            { kind: 'fire', source: v('nic', 'msix', 1) },
        ]), { profile: 'spec' });
        assert.deepEqual(wrong.map((f) => [f.code, f.element.id, f.related.map((r) => r.element.id)]), [['scenario-affinity-unsafe', 'event:s:1', ['event:s:2']]]);
    });

    test('a CPU a compatibility-format message cannot name is reported on the step, not aliased', () => {
        const m = workstation();
        m.cpus.push({ id: 'cpu:8', index: 8, apicId: 0x100, mode: 'x2apic', enabled: true });
        const { steps } = run(m, [{ kind: 'affinity', source: v('eth', 'msix', 0), cpu: 8, unsafe: false }]);
        assert.deepEqual(steps[0].map((s) => s.notes.map((n) => n.message)), [
            [
                "affinity of eth.msix[0] → CPU 8 (APIC ID 0x100): APIC ID 0x100 needs more than the 8 destination bits of a compatibility-format message; it needs KVM's x2APIC API, the extended destination ID (IDs below 0x8000), or interrupt remapping; the message is not changed.",
            ],
        ]);
    });
});

describe('CPUs: IRR, ISR, remote IRR and EOI', () => {
    test('a level-triggered vector stays in service until EOI; a second request waits (remote IRR) and goes out on the EOI', () => {
        const { steps, states } = run(remapped(), [
            { kind: 'fire', source: v('nic', 'msix', 3) },
            { kind: 'fire', source: v('nic', 'msix', 3) },
            { kind: 'eoi', cpu: 1 },
            { kind: 'eoi', cpu: 1 },
        ]);
        assert.deepEqual(cpuOf(states[0], 1), { irr: [], isr: [0x61], taken: 1 });
        assert.deepEqual(brief(steps[1]), ['device-write: held until CPU 1 EOIs vector 0x61 (remote IRR) [pending]']);
        assert.deepEqual(brief(steps[2])[0], 'cpu: vector 0x61 ends (level-triggered: the EOI is broadcast, remote IRR clears)');
        assert.equal(steps[2][1].delivery?.cause, 'EOI: the held request is sent');
        assert.deepEqual(cpuOf(states[2], 1), { irr: [], isr: [0x61], taken: 2 });
        assert.deepEqual(cpuOf(states[3], 1), { irr: [], isr: [], taken: 2 });
    });

    test('an edge interrupt below the priority in service waits in IRR; a second one merges and is lost', () => {
        const m = remapped();
        // CPU 1 has level vector 0x61 (class 6) in service; IRTE 0 now sends vector 0x41 (class 4) to CPU 1.
        const events: EventSpec[] = [
            { kind: 'fire', source: v('nic', 'msix', 3) },
            { kind: 'update-irte', iommu: 'iommu:dmar0', index: 0, patch: { dest: 1 }, invalidate: true },
            { kind: 'fire', source: v('nic', 'msix', 0) },
            { kind: 'fire', source: v('nic', 'msix', 0) },
            { kind: 'eoi', cpu: 1 },
        ];
        const { steps, states } = run(m, events);
        assert.deepEqual(cpuOf(states[2], 1), { irr: [0x41], isr: [0x61], taken: 1 });
        assert.deepEqual(steps[3][steps[3].length - 1].notes, [
            { kind: 'lost', message: "vector 0x41 was already requested on CPU 1 (IRR bit set): nic.msix[0]'s interrupt merges into that request and is lost." },
        ]);
        assert.equal(brief(steps[4])[0], 'cpu: vector 0x61 ends (level-triggered: the EOI is broadcast, remote IRR clears); then takes 0x41 from IRR');
        assert.deepEqual(cpuOf(states[4], 1), { irr: [], isr: [], taken: 2 });
        assert.deepEqual(states[4].stats, { fired: 3, delivered: 2, heldPending: 0, lost: 1, faults: 0 });
        assert.deepEqual(checkScenario(m, scenario(m, events), { profile: 'spec' }).map((f) => [f.code, f.element.id]), [['scenario-pending-lost', 'event:s:3']]);
    });
});

describe('lost interrupts', () => {
    test('fired while MSI-X is disabled: dropped; merged into a pending bit; MSI-X disabled under a pending vector', () => {
        const m = remapped();
        const events: EventSpec[] = [
            { kind: 'mask', source: v('nic', 'msix', 0) },
            { kind: 'fire', source: v('nic', 'msix', 0) },
            { kind: 'fire', source: v('nic', 'msix', 0) },
            { kind: 'enable', device: 'device:nic', capability: 'msix', on: false },
            { kind: 'fire', source: v('nic', 'msix', 1) },
        ];
        const { steps, states } = run(m, events);
        assert.deepEqual(steps.map((s) => s.flatMap((x) => x.notes.map((n) => n.kind))), [[], ['pending'], ['lost'], ['info'], ['lost']]);
        assert.deepEqual(states[4].stats, { fired: 3, delivered: 0, heldPending: 1, lost: 2, faults: 0 });
        assert.deepEqual(checkScenario(m, scenario(m, events), { profile: 'spec' }).map((f) => [f.code, f.element.id]), [
            ['scenario-pending-lost', 'event:s:2'],
            ['scenario-pending-lost', 'event:s:4'],
            ['scenario-pending-lost', 'event:s:3'],
        ]);
        // Enabling again sends the pending vector: nothing is lost at the end.
        const again = [...events, { kind: 'unmask', source: v('nic', 'msix', 0) }, { kind: 'enable', device: 'device:nic', capability: 'msix', on: true }] as EventSpec[];
        const r = run(m, again);
        assert.equal(r.steps[6].filter((s) => s.delivery).length, 5);
        assert.deepEqual(checkScenario(m, scenario(m, again), { profile: 'spec' }).map((f) => f.element.id), ['event:s:2', 'event:s:4']);
    });

    test('MSI: the capability registers are shared; masking needs per-vector masking', () => {
        const m = workstation();
        const { steps } = run(m, [
            { kind: 'mask', source: v('ahci', 'msi', 1) },
            { kind: 'fire', source: v('ahci', 'msi', 1) },
            { kind: 'write', source: v('ahci', 'msi', 0), address: 0xfee0_4000n },
            { kind: 'unmask', source: v('ahci', 'msi', 1) },
        ]);
        assert.deepEqual(brief(steps[1]), ['device-write: ahci.msi[1] writes 0xfee0_1000 ← 0x41 (vector masked) [pending]']);
        // Vector 1 was pending; the unmask sends it with the capability's new address (CPU 4) and its own data.
        assert.equal(steps[3].find((s) => s.stage.kind === 'apic-delivery')!.stage.summary, 'physical dest 0x4 → CPU 4 · fixed');
        assert.equal(steps[3].find((s) => s.stage.kind === 'cpu')!.stage.summary, 'CPU 4 accepts vector 0x41 (edge)');
    });
});

describe('KVM routes', () => {
    test('route-update rewrites the GSI route an irqfd delivers', () => {
        const pci = bus('pci0', 0);
        const m = machine({
            buses: [pci],
            devices: [device('vf', '00:05.0', pci, { msix: msix('vf', 1, [entry('vf', 'msix', 0, 0xfee0_1000n, 0x41)]) })],
            kvm: kvm({ routes: [kvmRoute(24, 0xfee0_1000n, 0x41)], irqfds: [irqfd('vf', 'msix', 0, 24)] }),
        });
        const { steps } = run(m, [
            { kind: 'fire', source: v('vf', 'msix', 0) },
            { kind: 'route-update', gsi: 24, address: 0xfee0_2000n },
            { kind: 'fire', source: v('vf', 'msix', 0) },
            { kind: 'route-update', gsi: 99, data: 1 },
        ]);
        assert.equal(steps[0].find((s) => s.stage.kind === 'apic-delivery')!.stage.summary, 'physical dest 0x1 → CPU 1 · fixed');
        assert.deepEqual(brief(steps[1]), ["kvm-route: the VMM rewrites GSI 24's route (KVM_SET_GSI_ROUTING): 0xfee0_2000 ← 0x41"]);
        assert.equal(steps[2].find((s) => s.stage.kind === 'apic-delivery')!.stage.summary, 'physical dest 0x2 → CPU 2 · fixed');
        assert.deepEqual(brief(steps[3]), ['kvm-route: q35 has no MSI route for GSI 99 in its model: the update is recorded only. [info]']);
    });
});

describe('snapshots and determinism', () => {
    test('a state never changes once made, and running an event again gives the same steps', () => {
        const m = remapped();
        const events: EventSpec[] = [
            { kind: 'fire', source: v('nic', 'msix', 0) },
            { kind: 'update-irte', iommu: 'iommu:dmar0', index: 0, patch: { dest: 6 }, invalidate: false },
            { kind: 'fire', source: v('nic', 'msix', 0) },
        ];
        const { sim, steps, states } = run(m, events);
        const before = JSON.stringify([...states[0].iec[0].entries()], (_k, x) => (typeof x === 'bigint' ? x.toString(16) : x));
        const again = sim.runEvent(states[1], 2);
        assert.deepEqual(brief(again.steps), brief(steps[2]));
        assert.deepEqual(cpuOf(again.state, 3), cpuOf(states[2], 3));
        assert.equal(JSON.stringify([...states[0].iec[0].entries()], (_k, x) => (typeof x === 'bigint' ? x.toString(16) : x)), before);
        assert.equal(states[0].irt[0].size, 0);
        assert.equal(states[1].irt[0].size, 1);
        // The generator yields the same steps as running event by event.
        const all = [...new Simulator(m, scenario(m, events), { profile: 'spec' }).steps()];
        assert.deepEqual(all.map((s) => s.stage.summary), steps.flat().map((s) => s.stage.summary));
    });
});

describe('failed deliveries and events that cannot happen', () => {
    /** EIM off: an IRTE holds an 8-bit destination (bits 47:40). */
    function xapicRemapped(): Machine {
        const pci = bus('pci0', 0, { iommu: 'iommu:dmar0' });
        return machine({
            apic: { mode: 'x2apic', logical: 'flat' },
            cpus: cpus(8, 'x2apic'),
            kvm: kvm({ x2apicApi: true, broadcastQuirkDisabled: true }),
            iommus: [vtd('dmar0', { eim: false, irtes: { 0: { vector: 0x41, dest: 2, sid: 0x18 } } })],
            buses: [pci],
            devices: [device('nic', '00:03.0', pci, { msix: msix('nic', 2, [entry('nic', 'msix', 0, 0xfee0_0010n, 0)]) })],
        });
    }
    const wide: EventSpec[] = [
        { kind: 'update-irte', iommu: 'iommu:dmar0', index: 0, patch: { dest: 0x100 }, invalidate: true },
        { kind: 'fire', source: v('nic', 'msix', 0) },
    ];

    test('a fault during the scenario is a finding on the event that sent the message, with the IRTE and the update that wrote it', () => {
        const m = xapicRemapped();
        assert.deepEqual(checkScenario(m, scenario(m, wide), { profile: 'spec' }), [
            {
                code: 'scenario-fault',
                severity: 'warning',
                message:
                    "nic.msix[0] faults here (`fire nic.msix[0]`): VT-d fault 0x24 (IR_IRTE_RSVD) at dmar0: IRTE 0 sets reserved bits (48); the destination needs more than 8 bits: set `eim on` or use an APIC ID ≤ 0xFF. Recorded in dmar0's fault log (#1).",
                element: { id: 'event:s:1' },
                related: [
                    { element: { id: 'irte:dmar0:0' }, message: 'dmar0: IRTE 0 reserved bits 48' },
                    { element: { id: 'event:s:0' }, message: 'IRTE 0 as `update dmar0.irte 0` (event 1) wrote it' },
                ],
            },
        ]);
        // QEMU reads the 8-bit destination (0x0) and delivers to CPU 0: nothing to report.
        assert.deepEqual(checkScenario(m, scenario(m, wide), { profile: 'qemu' }), []);
    });

    test('the update step shows the destination as written, reserved bits included', () => {
        const { steps } = run(xapicRemapped(), wide);
        assert.deepEqual(brief(steps[0]), [
            'interrupt-remapping: IRTE 0: dest 0x2 → 0x100 (needs EIM: dest[23:8] is in the reserved bits 63:48) in memory',
            'interrupt-remapping: dmar0: interrupt entry cache invalidated (index 0): nothing was cached for IRTE 0',
        ]);
        // Other reserved bits an entry sets are listed too (bits 14:12 here, written raw).
        const lo = 0x0041_0001n | (2n << 40n);
        assert.equal(irteDiff({ lo, hi: 0n }, { lo: lo | 0x7000n, hi: 0n }, false), 'reserved bits none → 14:12');
        assert.equal(irteDiff({ lo, hi: 0n }, { lo: lo | (0x1_00n << 40n), hi: 0n }, false), 'dest 0x2 → 0x102 (needs EIM: dest[23:8] is in the reserved bits 63:48)');
        assert.equal(irteDiff({ lo, hi: 0n }, { lo: lo | (1n << 32n), hi: 0n }, false), 'reserved bits none → 32');
    });

    test('a not-present IRTE faults on every delivery: with FPD=1 it is still reported, as not recorded', () => {
        for (const fpd of [false, true]) {
            const m = remapped({ fpd });
            const findings = checkScenario(m, scenario(m, [
                { kind: 'update-irte', iommu: 'iommu:dmar0', index: 2, patch: { notPresent: true }, invalidate: true },
                { kind: 'unmask', source: v('nic', 'msix', 2) },
                { kind: 'fire', source: v('nic', 'msix', 2) },
            ]), { profile: 'spec' });
            assert.deepEqual(findings.map((f) => [f.code, f.element.id, f.related.map((r) => [r.element.id, r.message])]), [
                ['scenario-fault', 'event:s:2', [['irte:dmar0:2', 'dmar0: IRTE 2 not present'], ['event:s:0', 'IRTE 2 as `update dmar0.irte 2` (event 1) wrote it']]],
            ]);
            assert.match(findings[0].message, /^nic\.msix\[2\] faults here \(`fire nic\.msix\[2\]`\): VT-d fault 0x22 \(IR_ENTRY_P\) at dmar0: IRTE 2 is not present/);
            // The engine's message already says that FPD=1 keeps the fault out of the log.
            assert.match(findings[0].message, fpd ? /FPD=1 in the IRTE: the fault is not recorded, but the interrupt is still blocked\.$/ : /Recorded in dmar0's fault log \(#1\)\.$/);
        }
    });

    test('a fault the unmask releases is reported on the unmask; a message outside the interrupt window on the fire', () => {
        const m = remapped();
        const findings = checkScenario(m, scenario(m, [
            { kind: 'mask', source: v('nic', 'msix', 0) },
            { kind: 'fire', source: v('nic', 'msix', 0) },
            { kind: 'update-irte', iommu: 'iommu:dmar0', index: 0, patch: { notPresent: true }, invalidate: true },
            { kind: 'unmask', source: v('nic', 'msix', 0) },
            { kind: 'mask', source: v('nic', 'msix', 1) },
            { kind: 'write', source: v('nic', 'msix', 1), address: 0xfed0_0000n },
            { kind: 'unmask', source: v('nic', 'msix', 1) },
            { kind: 'fire', source: v('nic', 'msix', 1) },
        ]), { profile: 'spec' });
        assert.deepEqual(findings.map((f) => [f.code, f.element.id, f.related.map((r) => [r.element.id, r.element.property, r.message])]), [
            ['scenario-fault', 'event:s:3', [['irte:dmar0:0', undefined, 'dmar0: IRTE 0 not present'], ['event:s:2', undefined, 'IRTE 0 as `update dmar0.irte 0` (event 3) wrote it']]],
            ['scenario-fault', 'event:s:7', [['msix:nic:1', 'address', 'nic.msix[1]: 0xfed0_0000 outside 0xFEE window']]],
        ]);
        assert.match(findings[0].message, /^nic\.msix\[0\] faults here \(`unmask nic\.msix\[0\]`\): VT-d fault 0x22/);
    });

    test('a message that reaches no CPU is a lost interrupt', () => {
        const m = xapicRemapped();
        const findings = checkScenario(m, scenario(m, [
            { kind: 'update-irte', iommu: 'iommu:dmar0', index: 0, patch: { dest: 0x55 }, invalidate: true },
            { kind: 'fire', source: v('nic', 'msix', 0) },
        ]), { profile: 'spec' });
        assert.deepEqual(findings, [
            {
                code: 'scenario-pending-lost',
                severity: 'warning',
                message: "nic.msix[0]: no CPU accepts physical destination 0x55; the interrupt is lost. Point the IRTE's destination at a CPU that exists and whose local APIC is enabled.",
                element: { id: 'event:s:1' },
                related: [
                    { element: { id: 'irte:dmar0:0', property: 'dest' }, message: 'IRTE 0 of dmar0: physical dest 0x55' },
                    { element: { id: 'event:s:0' }, message: 'IRTE 0 as `update dmar0.irte 0` (event 1) wrote it' },
                ],
            },
        ]);
    });

    test('`eoi` and `affinity` on a CPU the machine does not have', () => {
        const m = remapped();
        const findings = checkScenario(m, scenario(m, [
            { kind: 'eoi', cpu: 99 },
            { kind: 'affinity', source: v('nic', 'msix', 0), cpu: 77, unsafe: false },
        ]), { profile: 'spec' });
        assert.deepEqual(findings, [
            {
                code: 'scenario-unknown-cpu',
                severity: 'error',
                message: 'q35 has no CPU 99 (its CPUs: 0..7): the EOI does nothing.',
                element: { id: 'event:s:0', property: 'cpu' },
                related: [{ element: { id: 'machine:q35' }, message: 'machine q35' }],
            },
            {
                code: 'scenario-unknown-cpu',
                severity: 'error',
                message: "q35 has no CPU 77 (its CPUs: 0..7): nic.msix[0]'s affinity does not change.",
                element: { id: 'event:s:1', property: 'cpu' },
                related: [{ element: { id: 'machine:q35' }, message: 'machine q35' }],
            },
        ]);
    });

    test('an update the IRTE cannot hold, and an affinity change to a CPU the IRTE or the message cannot name', () => {
        const m = xapicRemapped();
        m.cpus.push({ id: 'cpu:8', index: 8, apicId: 0x100_0000, mode: 'x2apic', enabled: true });
        const findings = checkScenario(m, scenario(m, [
            { kind: 'update-irte', iommu: 'iommu:dmar0', index: 0, patch: { dest: 0x100_0000 }, invalidate: true },
            { kind: 'affinity', source: v('nic', 'msix', 0), cpu: 8, unsafe: false },
        ]), { profile: 'spec' });
        assert.deepEqual(findings, [
            {
                code: 'scenario-update-unencodable',
                severity: 'error',
                message: 'IRTE 0 of dmar0 cannot be written: IRTE dest 0x1000000 cannot be written without EIM. The IRTE is not changed: the rest of the scenario runs with the entry it had.',
                element: { id: 'event:s:0', property: 'dest' },
                related: [{ element: { id: 'irte:dmar0:0' }, message: 'IRTE 0 of dmar0 (EIM off: 8-bit destinations)' }],
            },
            {
                code: 'scenario-update-unencodable',
                severity: 'error',
                message: 'affinity of nic.msix[0] → CPU 8 (APIC ID 0x1000000): IRTE 0 cannot hold it: IRTE dest 0x1000000 cannot be written without EIM. The IRTE is not changed.',
                element: { id: 'event:s:1', property: 'cpu' },
                related: [{ element: { id: 'irte:dmar0:0' }, message: 'IRTE 0 of dmar0 (EIM off: 8-bit destinations)' }],
            },
        ]);
        const ws = workstation();
        ws.cpus.push({ id: 'cpu:8', index: 8, apicId: 0x100, mode: 'x2apic', enabled: true });
        const compat = checkScenario(ws, scenario(ws, [{ kind: 'affinity', source: v('eth', 'msix', 0), cpu: 8, unsafe: false }]), { profile: 'spec' });
        assert.deepEqual(compat.map((f) => [f.code, f.element, f.related.map((r) => [r.element, r.message])]), [
            [
                'scenario-update-unencodable',
                { id: 'event:s:0', property: 'cpu' },
                [
                    [{ id: 'msix:eth:0', property: 'address' }, "eth.msix[0]'s message"],
                    [{ id: 'cpu:8', property: 'apicId' }, 'CPU 8 has APIC ID 0x100'],
                ],
            ],
        ]);
    });
});

describe('IRTE updates clear flags too', () => {
    test('`present`, `rh off`, `fpd off`, `posted off`, `urgent off`: a false flag clears it, an absent one keeps it', () => {
        const lo = encodeIrte({ vector: 0x41, dest: 2, present: false, redirectionHint: true, fpd: true }, { eim: true });
        const cleared = patchIrte(lo.lo, lo.hi, { present: true, redirectionHint: false, fpd: false }, true);
        assert.deepEqual(cleared, encodeIrte({ vector: 0x41, dest: 2 }, { eim: true }));
        assert.deepEqual(patchIrte(lo.lo, lo.hi, { vector: 0x42 }, true), encodeIrte({ vector: 0x42, dest: 2, present: false, redirectionHint: true, fpd: true }, { eim: true }));
        // `notPresent` (hand-built patches) still clears P; `present` wins when both are given.
        assert.equal(irteDiff(cleared, patchIrte(cleared.lo, cleared.hi, { notPresent: true }, true), true), 'present true → false');
        const posted = encodeIrte({ vector: 0x60, posted: true, pda: 0x7f3c_0040n, urgent: true }, { eim: true });
        assert.deepEqual(patchIrte(posted.lo, posted.hi, { posted: false, dest: 3 }, true), encodeIrte({ vector: 0x60, dest: 3 }, { eim: true }));
        assert.deepEqual(patchIrte(posted.lo, posted.hi, { urgent: false }, true), encodeIrte({ vector: 0x60, posted: true, pda: 0x7f3c_0040n }, { eim: true }));
    });

    test('a not-present IRTE programmed by the scenario delivers', () => {
        const m = remapped();
        const events: EventSpec[] = [
            { kind: 'update-irte', iommu: 'iommu:dmar0', index: 2, patch: { notPresent: true }, invalidate: true },
            { kind: 'update-irte', iommu: 'iommu:dmar0', index: 2, patch: { present: true, dest: 5 }, invalidate: true },
            { kind: 'unmask', source: v('nic', 'msix', 2) },
            { kind: 'fire', source: v('nic', 'msix', 2) },
        ];
        const { steps } = run(m, events);
        assert.deepEqual(brief(steps[1])[0], 'interrupt-remapping: IRTE 2: present false → true, dest 0x6 → 0x5 in memory');
        assert.equal(steps[3].find((s) => s.stage.kind === 'apic-delivery')!.stage.summary, 'physical dest 0x5 → CPU 5 · fixed');
        assert.deepEqual(checkScenario(m, scenario(m, events), { profile: 'spec' }), []);
    });
});
