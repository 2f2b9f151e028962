/**
 * The simulator's building blocks: the persistent array its snapshots are made of, the local APIC's
 * IRR / ISR / TMR rules, and the IRTE patch of an affinity change (the compatibility-format address of one
 * is the x86 module's: test/engine/x86.test.ts).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { irteFieldsOf } from '../../language/engine/index.js';
import { endOfInterrupt, IDLE_CPU, PArray, patchIrte, registerValue, requestVector } from '../../language/engine/sim/index.js';

describe('PArray (persistent sparse array)', () => {
    test('set returns a new array; the old one is unchanged', () => {
        const a = PArray.empty<string>();
        const b = a.set(3, 'x');
        const c = b.set(70_000, 'y').set(3, 'z');
        assert.equal(a.get(3), undefined);
        assert.equal(b.get(3), 'x');
        assert.equal(c.get(3), 'z');
        assert.equal(c.get(70_000), 'y');
        assert.deepEqual([...c.entries()], [[3, 'z'], [70_000, 'y']]);
        assert.deepEqual([b.size, c.size], [1, 2]);
        const d = c.set(3, undefined);
        assert.deepEqual([...d.entries()], [[70_000, 'y']]);
        assert.equal(d.set(70_000, undefined).size, 0);
        assert.equal(c.set(3, 'z'), c, 'setting the same value returns the same array');
        const seen: [number, string][] = [];
        c.forEach((value, key) => seen.push([key, value]));
        assert.deepEqual(seen, [[3, 'z'], [70_000, 'y']]);
        assert.throws(() => a.set(-1, 'x'), RangeError);
    });
});

describe('local APIC registers', () => {
    test('edge: taken and completed at once; level: stays in service until EOI', () => {
        const edge = requestVector(IDLE_CPU, 0x41, false);
        assert.deepEqual([edge.taken, edge.completed, edge.coalesced, [...edge.cpu.isr]], [[0x41], [0x41], false, []]);
        const level = requestVector(IDLE_CPU, 0x61, true);
        assert.deepEqual([[...level.cpu.isr], [...level.cpu.tmr], level.completed], [[0x61], [0x61], []]);
        const eoi = endOfInterrupt(level.cpu);
        assert.deepEqual([eoi.ended, eoi.level, [...eoi.cpu.isr]], [0x61, true, []]);
        assert.deepEqual(endOfInterrupt(IDLE_CPU), { cpu: IDLE_CPU, taken: [], completed: [], level: false });
    });

    test('priority classes: a lower class waits in IRR behind the one in service; the same vector twice merges', () => {
        const busy = requestVector(IDLE_CPU, 0x80, true).cpu;
        const low = requestVector(busy, 0x45, false);
        assert.deepEqual([[...low.cpu.irr], low.taken], [[0x45], []]);
        assert.equal(requestVector(low.cpu, 0x45, false).coalesced, true);
        const high = requestVector(busy, 0x91, false);
        assert.deepEqual([[...high.cpu.irr], high.taken], [[], [0x91]]);
        const done = endOfInterrupt(low.cpu, 0x80);
        assert.deepEqual([done.taken, [...done.cpu.irr], done.cpu.taken], [[0x45], [], 2]);
        assert.equal(registerValue(low.cpu.irr), 1n << 0x45n);
    });
});

describe('affinity composition', () => {
    test('IRTE patch: the named fields change, the others keep their value', () => {
        const base = patchIrte(0n, 0n, { vector: 0x41, dest: 3, sid: 0x18 }, true);
        const moved = patchIrte(base.lo, base.hi, { dest: 7 }, true);
        const f = irteFieldsOf(moved.lo, moved.hi, { eim: true });
        assert.deepEqual([f.vector, f.dest, f.sid, f.svt, f.trigger], [0x41, 7, 0x18, 1, 'edge']);
        assert.equal(irteFieldsOf(base.lo, base.hi, { eim: true }).present, false, 'an all-zero entry stays not present unless the patch makes it');
        assert.throws(() => patchIrte(base.lo, base.hi, { dest: 0x100_0000 }, false), RangeError);
    });
});
