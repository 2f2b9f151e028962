/**
 * x86/free-vectors.ts: the device-vector range, and the free vectors read from checkMachine's traces
 * (machine-wide, per CPU, with the edited source left out).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkMachine, deliveredVector, freeVectors, isDeviceVector, usedVectors, type Outcome, type RouteTrace } from '../../language/engine/index.js';
import { bus, device, entry, machine, msix, nic, vtd } from './build.js';

/** A trace that only has what freeVectors reads: the source element and a delivered outcome. */
function delivered(vector: number, cpu?: string, source = `src:${vector}`): RouteTrace {
    const outcome: Outcome = {
        kind: 'delivered', vector, deliveryMode: 0, deliveryModeName: 'fixed', trigger: 'edge', destMode: 'physical', destId: 0,
        lowestPriority: false, broadcast: false, targets: cpu ? [{ cpu, apicId: 0, index: 0 }] : [],
    };
    return { sourceElement: source, outcome } as RouteTrace;
}

describe('free device vectors', () => {
    test('the device range: 0x20 (FIRST_EXTERNAL_VECTOR) to 0xEA, without 0x80 (IA32_SYSCALL_VECTOR)', () => {
        assert.deepEqual(
            [0x00, 0x1f, 0x20, 0x7f, 0x80, 0x81, 0xea, 0xeb, 0xec, 0xef, 0xff, 32.5].map(isDeviceVector),
            [false, false, true, true, false, true, true, false, false, false, false, false],
        );
    });

    test('lowest free first; 0x80 is skipped; none left gives none', () => {
        const below80 = Array.from({ length: 0x80 - 0x20 }, (_, i) => delivered(0x20 + i));
        assert.deepEqual(freeVectors(below80, { count: 2 }), [0x81, 0x82]);
        const all = Array.from({ length: 0xeb - 0x20 }, (_, i) => delivered(0x20 + i));
        assert.deepEqual(freeVectors(all), []);
        assert.deepEqual(freeVectors([]), [0x20]);
    });

    // No IOMMU on pci0: a.msix[0] → CPU 1 vector 0x20, a.msix[1] → CPU 0 vector 0x21, a.msix[2] (masked) would
    // go to CPU 0 with 0x22. Behind dmar0: b.msix[0] is posted with 0x23 (the vCPU is the descriptor's: any CPU).
    const pci0 = bus('pci0', 0);
    const pci1 = bus('pci1', 1, { iommu: 'iommu:dmar0' });
    const dmar0 = vtd('dmar0', { postedSupported: true, irtes: { 0: { posted: true, vector: 0x23, pda: 0x7f3c_0040n } } });
    const m = machine({
        iommus: [dmar0],
        buses: [pci0, pci1],
        devices: [
            device('a', '00:02.0', pci0, {
                msix: msix('a', 4, [entry('a', 'msix', 0, 0xfee0_1000n, 0x20), entry('a', 'msix', 1, 0xfee0_0000n, 0x21), entry('a', 'msix', 2, 0xfee0_0000n, 0x22, true)]),
            }),
            nic('b', '01:00.0', pci1, 0xfee0_0010n, 0),
        ],
    });
    const traces = checkMachine(m, { profile: 'spec' }).traces;

    test('the vector of each outcome: delivered, pending (once unmasked), posted', () => {
        assert.deepEqual(traces.map((t) => [t.sourceName, t.outcome.kind, deliveredVector(t.outcome)]), [
            ['a.msix[0]', 'delivered', 0x20],
            ['a.msix[1]', 'delivered', 0x21],
            ['a.msix[2]', 'pending', 0x22],
            ['b.msix[0]', 'posted', 0x23],
        ]);
    });

    test('machine-wide, per CPU, and without the source being edited', () => {
        assert.deepEqual([...usedVectors(traces)], [0x20, 0x21, 0x22, 0x23]);
        assert.deepEqual(freeVectors(traces, { count: 3 }), [0x24, 0x25, 0x26]);
        assert.deepEqual(freeVectors(traces, { cpu: 'cpu:0', count: 3 }), [0x20, 0x24, 0x25]);
        assert.deepEqual(freeVectors(traces, { cpu: 'cpu:1', count: 3 }), [0x21, 0x22, 0x24]);
        assert.deepEqual(freeVectors(traces, { cpu: 'cpu:0', except: 'msix:a:1', count: 2 }), [0x20, 0x21]);
    });

    test('a pseries XICS delivery numbers IRQs, not vectors: not counted', () => {
        const t = delivered(0x1104, 'cpu:0');
        (t.outcome as Extract<Outcome, { kind: 'delivered' }>).xics = { ics: 'xics', irq: 0x1104, source: 0x104, server: 0, priority: 5 };
        assert.equal(deliveredVector(t.outcome), undefined);
    });
});
