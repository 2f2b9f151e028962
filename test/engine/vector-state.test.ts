import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import {
    checkMachine,
    effectiveMask,
    fire,
    mask,
    pendingBitOf,
    route,
    setEnabled,
    setFunctionMask,
    summarizeOutcome,
    unmask,
    vectorStateOf,
    writeMessage,
    type Finding,
    type VectorState,
} from '../../language/engine/index.js';
import { bus, device, entry, machine, msi, msix, vtd } from './build.js';

const brief = (f: Finding) => ({ code: f.code, severity: f.severity, element: f.element });

function state(kind: VectorState['kind'], o: Partial<VectorState> = {}): VectorState {
    return { kind, index: 1, enabled: true, functionMasked: false, masked: false, maskable: true, pending: false, address: 0xfee0_1000n, data: 0x41, ...o };
}

describe('vector state machine: fire, mask, unmask, function mask, enable', () => {
    test('MSI-X: masked fire sets the PBA bit; unmask delivers the pending message and clears it', () => {
        let s = state('msix');
        assert.deepEqual(fire(s).effect, { kind: 'delivered', address: 0xfee0_1000n, data: 0x41 });
        s = mask(s).state;
        const f = fire(s);
        assert.deepEqual(f.effect, { kind: 'pending', reason: 'entry-masked' });
        assert.equal(f.state.pending, true);
        assert.equal(s.pending, false, 'states are not mutated');
        const u = unmask(f.state);
        assert.deepEqual(u.effect, { kind: 'delivered', address: 0xfee0_1000n, data: 0x41 });
        assert.equal(u.state.pending, false);
        assert.equal(unmask(u.state).effect, undefined, 'nothing pending: unmask sends nothing');
    });

    test('MSI-X: the function mask holds every vector; clearing it delivers only vectors whose own mask is clear', () => {
        const held = fire(setFunctionMask(state('msix'), true).state);
        assert.deepEqual(held.effect, { kind: 'pending', reason: 'function-masked' });
        assert.deepEqual(setFunctionMask(held.state, false).effect, { kind: 'delivered', address: 0xfee0_1000n, data: 0x41 });
        const both = fire(setFunctionMask(mask(state('msix')).state, true).state);
        assert.deepEqual(both.effect, { kind: 'pending', reason: 'function-masked' }, 'the function mask is reported first');
        const stillMasked = setFunctionMask(both.state, false);
        assert.equal(stillMasked.effect, undefined);
        assert.equal(stillMasked.state.pending, true);
        assert.equal(setFunctionMask(state('msi'), true).state.functionMasked, false, 'MSI has no function mask');
    });

    test('disabled: nothing is sent and nothing becomes pending; enabling releases a pending unmasked vector', () => {
        const off = setEnabled(state('msix'), false).state;
        const f = fire(off);
        assert.deepEqual(f.effect, { kind: 'dropped', reason: 'disabled' });
        assert.equal(f.state.pending, false);
        assert.deepEqual(setEnabled({ ...off, pending: true }, true).effect, { kind: 'delivered', address: 0xfee0_1000n, data: 0x41 });
    });

    test('MSI: only per-vector-mask capable vectors can be masked; the others keep firing (msi-mask-unsupported)', () => {
        const capable = fire(mask(state('msi')).state);
        assert.deepEqual(capable.effect, { kind: 'pending', reason: 'vector-masked' });
        const plain = mask(state('msi', { maskable: false }));
        assert.equal(plain.violation?.code, 'msi-mask-unsupported');
        assert.equal(
            plain.violation?.message,
            'MSI vector 1 cannot be masked: the MSI capability has no per-vector masking (Mask Bits register); the vector keeps firing. Disable the capability, or mask at the interrupt controller instead.',
        );
        assert.equal(plain.state.masked, false);
        assert.equal(effectiveMask(state('msi', { maskable: false, masked: true })), undefined);
        assert.deepEqual(fire(state('msi', { maskable: false, masked: true })).effect, { kind: 'delivered', address: 0xfee0_1000n, data: 0x41 });
    });

    test('IMS: device-declared masking; pending semantics of MSI-X', () => {
        assert.deepEqual(fire(mask(state('ims')).state).effect, { kind: 'pending', reason: 'entry-masked' });
        assert.equal(mask(state('ims', { maskable: false })).violation?.code, 'ims-mask-unsupported');
    });

    test('pending bit positions', () => {
        assert.deepEqual(pendingBitOf({ kind: 'msix', index: 129 }), { register: 'PBA', qword: 2, bit: 1 });
        assert.deepEqual(pendingBitOf({ kind: 'msi', index: 3 }), { register: 'MSI Pending Bits', bit: 3 });
    });
});

describe('vector state machine: writing the message', () => {
    test('MSI-X: writing an unmasked entry of an enabled, unmasked function is undefined (msix-write-unmasked)', () => {
        const w = writeMessage(state('msix'), { address: 0xfee0_2000n });
        assert.deepEqual(w.violation, {
            code: 'msix-write-unmasked',
            message: 'MSI-X entry 1: writing the address while the entry is unmasked is undefined — the device may send a mix of the old and new fields; mask the entry (or the function) first, write, then unmask (as Linux does).',
        });
        assert.equal(w.state.address, 0xfee0_2000n);
        assert.equal(writeMessage(mask(state('msix')).state, { data: 0x42 }).violation, undefined);
        assert.equal(writeMessage(state('msix', { functionMasked: true }), { data: 0x42 }).violation, undefined);
        assert.equal(writeMessage(state('msix', { enabled: false }), { data: 0x42 }).violation, undefined);
        const same = state('msix');
        assert.deepEqual(writeMessage(same, {}), { state: same }, 'writing nothing changes nothing');
    });

    test('mask, write, unmask: the pending message delivered on unmask is the new one', () => {
        let s = mask(state('msix')).state;
        s = fire(s).state;
        const w = writeMessage(s, { address: 0xfee0_5000n, data: 0x50 });
        assert.equal(w.violation, undefined);
        assert.deepEqual(unmask(w.state).effect, { kind: 'delivered', address: 0xfee0_5000n, data: 0x50 });
    });

    test('IMS: same caveat, its own code; an unmaskable store can only be rewritten while disabled', () => {
        assert.equal(writeMessage(state('ims'), { data: 1 }).violation?.code, 'ims-write-unmasked');
        assert.match(writeMessage(state('ims', { maskable: false, masked: true }), { data: 1 }).violation!.message, /disable the store while rewriting it/);
    });

    test('MSI: a device that does not latch may tear; unknown latching says so; a latching or masked vector is safe', () => {
        assert.equal(writeMessage(state('msi', { maskable: false, latches: false }), { data: 0x42 }).violation?.code, 'msi-may-tear');
        assert.equal(writeMessage(state('msi', { maskable: false }), { data: 0x42 }).violation?.code, 'msi-latch-unknown');
        assert.equal(writeMessage(state('msi', { maskable: false, latches: true }), { data: 0x42 }).violation, undefined);
        assert.equal(writeMessage(state('msi', { masked: true, latches: false }), { data: 0x42 }).violation, undefined);
        assert.equal(writeMessage(state('msi', { enabled: false, latches: false }), { data: 0x42 }).violation, undefined);
    });
});

describe('vector state from the model and in route()', () => {
    const pci0 = bus('pci0', 0);

    test('vectorStateOf reads MSI mask / pending bits, MSI-X entries (unlisted: reset, masked), IMS maskability', () => {
        const d = device('d', '00:02.0', pci0, {
            msi: msi('d', { address: 0xfee0_1000n, data: 0x40, mme: 2, perVectorMask: true, maskBits: 0b0100, pendingBits: 0b0100, latches: false }),
            msix: msix('d', 4, [entry('d', 'msix', 0, 0xfee0_1000n, 0x41, false, true)]),
            ims: { id: 'ims:d', size: 2, maskable: false, entries: [entry('d', 'ims', 0, 0xfee0_1000n, 0x45, true)] },
        });
        assert.deepEqual(vectorStateOf(d, 'msi', 2), { kind: 'msi', index: 2, enabled: true, functionMasked: false, masked: true, maskable: true, pending: true, address: 0xfee0_1000n, data: 0x42, latches: false });
        assert.deepEqual(vectorStateOf(d, 'msix', 3), { kind: 'msix', index: 3, enabled: true, functionMasked: false, masked: true, maskable: true, pending: false, address: 0n, data: 0 });
        assert.equal(vectorStateOf(d, 'msix', 0)!.pending, true);
        assert.equal(vectorStateOf(d, 'ims', 0)!.maskable, false);
    });

    test('an IMS entry of an unmaskable store is delivered although marked masked, with ims-mask-unsupported', () => {
        const ims = { id: 'ims:gpu', size: 4, maskable: false, entries: [entry('gpu', 'ims', 0, 0xfee0_2000n, 0x45, true)] };
        const m = machine({ buses: [pci0], devices: [device('gpu', '00:05.0', pci0, { ims })] });
        assert.equal(summarizeOutcome(route(m, { device: 'device:gpu', kind: 'ims', index: 0 }, { profile: 'spec' })), '→ CPU 2 · vec 0x45 · fixed · edge');
        assert.deepEqual(checkMachine(m, { profile: 'spec' }).findings.map(brief), [{ code: 'ims-mask-unsupported', severity: 'warning', element: { id: 'ims:gpu:0', property: 'masked' } }]);
    });

    test('machine-level MSI checks: mask bits without per-vector masking, may-tear, latch-unknown only on request', () => {
        const m = machine({
            buses: [pci0],
            devices: [
                device('a', '00:01.0', pci0, { msi: msi('a', { address: 0xfee0_1000n, data: 0x40, mme: 1, maskBits: 2, latches: true }) }),
                device('b', '00:02.0', pci0, { msi: msi('b', { address: 0xfee0_1000n, data: 0x42, latches: false }) }),
                device('c', '00:03.0', pci0, { msi: msi('c', { address: 0xfee0_1000n, data: 0x43 }) }),
                device('e', '00:04.0', pci0, { msi: msi('e', { address: 0xfee0_1000n, data: 0x44, perVectorMask: true, latches: false }) }),
            ],
        });
        const r = checkMachine(m, { profile: 'spec' });
        assert.deepEqual(r.findings.map(brief), [
            { code: 'msi-mask-unsupported', severity: 'warning', element: { id: 'msi:a', property: 'maskBits' } },
            { code: 'msi-may-tear', severity: 'warning', element: { id: 'msi:b', property: 'latches' } },
        ]);
        assert.equal(
            r.findings[0].message,
            'a: MSI vector 1 is marked masked or pending, but the capability has no per-vector masking, so there are no Mask or Pending bits: the vector keeps firing. Declare `per-vector-mask` if the function has it, or drop the mask.',
        );
        assert.match(r.findings[1].message, /msi_set_affinity without interrupt remapping.*torn message.*thread 002/);
        // a.msi[1] is delivered: its mask bit does not exist.
        assert.equal(summarizeOutcome(route(m, { device: 'device:a', kind: 'msi', index: 1 }, { profile: 'spec' })), '→ CPU 1 · vec 0x41 · fixed · edge');
        const hinted = checkMachine(m, { profile: 'spec', latchHints: true });
        assert.deepEqual(
            hinted.findings.filter((f) => f.code === 'msi-latch-unknown').map(brief),
            [{ code: 'msi-latch-unknown', severity: 'hint', element: { id: 'msi:c', property: 'latches' } }],
        );
    });

    test('behind interrupt remapping the message never changes on affinity: no tearing finding', () => {
        const pciIr = bus('pci0', 0, { iommu: 'iommu:dmar0' });
        const m = machine({
            iommus: [vtd('dmar0', { irtes: { 0: { vector: 0x41, dest: 1, sid: { bus: 0, device: 2, fn: 0 } } } })],
            buses: [pciIr],
            devices: [device('b', '00:02.0', pciIr, { msi: msi('b', { address: 0xfee0_0010n, data: 0, latches: false }) })],
        });
        assert.deepEqual(checkMachine(m, { profile: 'spec', latchHints: true }).findings, []);
    });
});
