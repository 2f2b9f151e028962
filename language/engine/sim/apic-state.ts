/**
 * A local APIC's interrupt request state as the simulator carries it: IRR, ISR and TMR (256 bits each), and
 * what the CPU does with a fixed / lowest-priority interrupt once the APIC accepted it.
 *
 * Rules (Intel SDM Vol. 3A, "Interrupt Acceptance for Fixed Interrupts" and "Signaling Interrupt Servicing
 * Completion"; not part of ROUTING.md, whose §1.5 stops at which APIC accepts):
 * - An accepted interrupt sets its vector's IRR bit; TMR records the trigger mode (1 = level). If the IRR bit
 *   is already set, the two requests merge into one: the second interrupt is lost.
 * - The CPU takes the highest vector in IRR when its priority class (vector[7:4]) is above the class of the
 *   highest vector in service (PPR, with TPR = 0): IRR → ISR, and the handler runs.
 * - EOI clears the highest ISR bit (or, with `vector`, that vector's bit: what a directed EOI does), then
 *   lower-priority requests held in IRR are taken. EOI of a level-triggered vector is broadcast (the I/O APIC
 *   or KVM's resampler clears remote IRR).
 * - Simplification of the model: an edge-triggered handler runs to completion and writes EOI before the next
 *   event, so only level-triggered vectors stay in service until an `eoi` event.
 */

/**
 * A 256-bit APIC register (IRR, ISR, TMR) as the set of its set bits: the vectors, ascending. A register
 * of a running CPU holds a handful of bits at most, and a short list is cheaper to copy and search than a
 * 256-bit bigint is to shift (the simulator updates one per delivered interrupt).
 */
export type VectorSet = readonly number[];

export interface CpuState {
    /** Interrupt Request Register: vector v requested, not yet taken. */
    irr: VectorSet;
    /** In-Service Register: vector v's handler running (level-triggered: until EOI). */
    isr: VectorSet;
    /** Trigger Mode Register: vector v was accepted level-triggered. */
    tmr: VectorSet;
    /** Interrupts the CPU has taken (IRR → ISR) so far. */
    taken: number;
    /** The vector taken last. */
    last?: number;
    /** NMI / SMI / INIT / ExtINT deliveries (they bypass IRR). */
    special: number;
}

const EMPTY: VectorSet = Object.freeze([]);

export const IDLE_CPU: CpuState = Object.freeze({ irr: EMPTY, isr: EMPTY, tmr: EMPTY, taken: 0, last: undefined, special: 0 });

export function hasVector(reg: VectorSet, v: number): boolean {
    return reg.includes(v);
}

/** The highest vector of a register, or -1. */
export function highestVector(reg: VectorSet): number {
    return reg.length ? reg[reg.length - 1] : -1;
}

/** The vectors of a register, ascending. */
export function vectorsOf(reg: VectorSet): number[] {
    return [...reg];
}

/** The register as the 256-bit value software reads (bit v = vector v). */
export function registerValue(reg: VectorSet): bigint {
    let v = 0n;
    for (const x of reg) v |= 1n << BigInt(x);
    return v;
}

function withVector(reg: VectorSet, v: number): VectorSet {
    const n = reg.length;
    if (n === 0) return [v];
    if (reg.includes(v)) return reg;
    const out: number[] = new Array(n + 1);
    let i = 0;
    for (; i < n && reg[i] < v; i++) out[i] = reg[i];
    out[i] = v;
    for (; i < n; i++) out[i + 1] = reg[i];
    return out;
}

function withoutVector(reg: VectorSet, v: number): VectorSet {
    if (!reg.includes(v)) return reg;
    return reg.length === 1 ? EMPTY : reg.filter((x) => x !== v);
}

export interface DispatchResult {
    cpu: CpuState;
    /** Vectors the CPU took (IRR → ISR), in order. */
    taken: number[];
    /** Of those, the edge-triggered ones whose handler completed (ISR cleared again). */
    completed: number[];
}

function cpuState(irr: VectorSet, isr: VectorSet, tmr: VectorSet, taken: number, last: number | undefined, special: number): CpuState {
    // One shape for every CpuState (object spreads cost several times more in this hot path).
    return { irr, isr, tmr, taken, last, special };
}

const NONE: number[] = [];

/** Takes every request in IRR whose priority class is above the one in service. */
export function dispatch(cpu: CpuState): DispatchResult {
    let { irr, isr, taken, last } = cpu;
    const tmr = cpu.tmr;
    let took: number[] | undefined;
    let completed: number[] | undefined;
    for (;;) {
        const h = highestVector(irr);
        if (h < 0) break;
        const s = highestVector(isr);
        if (s >= 0 && h >> 4 <= s >> 4) break;
        irr = withoutVector(irr, h);
        taken++;
        last = h;
        (took ??= []).push(h);
        if (tmr.includes(h)) isr = withVector(isr, h);
        // Edge-triggered: the handler runs and writes EOI before the next event, so ISR is clear again.
        else (completed ??= []).push(h);
    }
    if (!took) return { cpu, taken: NONE, completed: NONE };
    return { cpu: cpuState(irr, isr, tmr, taken, last, cpu.special), taken: took, completed: completed ?? NONE };
}

export interface RequestResult extends DispatchResult {
    /** The vector's IRR bit was already set: this interrupt merged into the earlier request. */
    coalesced: boolean;
}

/** A fixed / lowest-priority interrupt accepted by this APIC. */
export function requestVector(cpu: CpuState, vector: number, level: boolean): RequestResult {
    const v = vector & 0xff;
    const coalesced = cpu.irr.includes(v);
    const d = dispatch(cpuState(withVector(cpu.irr, v), cpu.isr, level ? withVector(cpu.tmr, v) : withoutVector(cpu.tmr, v), cpu.taken, cpu.last, cpu.special));
    return { cpu: d.cpu, taken: d.taken, completed: d.completed, coalesced };
}

/** NMI, SMI, INIT, ExtINT: delivered to the CPU without going through IRR. */
export function specialDelivery(cpu: CpuState): CpuState {
    return cpuState(cpu.irr, cpu.isr, cpu.tmr, cpu.taken, cpu.last, cpu.special + 1);
}

export interface EoiResult extends DispatchResult {
    /** The vector whose ISR bit EOI cleared (undefined: nothing was in service). */
    ended?: number;
    /** It was level-triggered: the EOI is broadcast to whoever holds remote IRR for it. */
    level: boolean;
}

export function endOfInterrupt(cpu: CpuState, vector?: number): EoiResult {
    const target = vector ?? highestVector(cpu.isr);
    if (target < 0 || !hasVector(cpu.isr, target)) return { cpu, taken: NONE, completed: NONE, level: false };
    const level = hasVector(cpu.tmr, target);
    const after = dispatch(cpuState(cpu.irr, withoutVector(cpu.isr, target), cpu.tmr, cpu.taken, cpu.last, cpu.special));
    return { cpu: after.cpu, taken: after.taken, completed: after.completed, ended: target, level };
}
