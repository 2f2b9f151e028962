/**
 * Free device vectors on x86: the vectors an OS can hand to a device that no other interrupt source already
 * arrives with, read from the engine's route outcomes (checkMachine's traces). Completion offers them after
 * `data` of an MSI-X / IMS entry, and the "add an IRTE" quick fixes of vtd-fault-0x21 / 0x22 write one into
 * the new entry instead of a placeholder.
 *
 * The device range is the one Linux allocates device vectors from (arch/x86/include/asm/irq_vectors.h,
 * the vector matrix of arch/x86/kernel/apic/vector.c):
 *
 * - vectors 0..31 are reserved for architecture-defined exceptions and interrupts (Intel SDM Vol. 3A,
 *   "Exception and Interrupt Vectors"; 0..15 are even illegal for fixed delivery, x86/delivery-mode.ts
 *   isIllegalVector): Linux's FIRST_EXTERNAL_VECTOR is 0x20;
 * - 0x80 is IA32_SYSCALL_VECTOR (the int 0x80 gate), which arch/x86/kernel/idt.c sets in `system_vectors`,
 *   so the vector allocator never hands it out;
 * - FIRST_SYSTEM_VECTOR and up are the kernel's own vectors (local timer, IPIs, posted-interrupt
 *   notification, spurious, error): LOCAL_TIMER_VECTOR (0xEC) in current kernels, and
 *   POSTED_MSI_NOTIFICATION_VECTOR (0xEB) with CONFIG_X86_POSTED_MSI (Linux 6.10 and later). The lower one is
 *   used, so an offered vector is free on either kernel.
 *
 * Vector numbers on pseries (the global XICS IRQ number) are another name space: outcomes that went
 * through an XICS are ignored.
 */
import type { ElementId } from '../model.js';
import type { Outcome, RouteTrace } from '../trace.js';

/** The first vector usable for external interrupts (Linux FIRST_EXTERNAL_VECTOR; SDM: 0..31 reserved). */
export const FIRST_EXTERNAL_VECTOR = 0x20;
/** The int 0x80 system-call gate (Linux IA32_SYSCALL_VECTOR), never a device vector. */
export const IA32_SYSCALL_VECTOR = 0x80;
/** The lowest vector current Linux kernels reserve for themselves (POSTED_MSI_NOTIFICATION_VECTOR, 6.10+). */
export const FIRST_SYSTEM_VECTOR = 0xeb;

/** Whether an OS can hand `vector` to a device (see the module comment for the range). */
export function isDeviceVector(vector: number): boolean {
    return Number.isInteger(vector) && vector >= FIRST_EXTERNAL_VECTOR && vector < FIRST_SYSTEM_VECTOR && vector !== IA32_SYSCALL_VECTOR;
}

/** The vector a source arrives with (a pending source: the one it would arrive with once unmasked). */
export function deliveredVector(outcome: Outcome): number | undefined {
    if (outcome.kind === 'delivered') return outcome.xics ? undefined : outcome.vector;
    if (outcome.kind === 'posted') return outcome.vector;
    if (outcome.kind === 'pending' && outcome.whenUnmasked) return deliveredVector(outcome.whenUnmasked);
    return undefined;
}

/**
 * Whether the outcome may put its vector into `cpu`'s IRR. A delivered message reaches its `targets` (for
 * lowest priority: every candidate, since the pick is the hardware's); a posted interrupt goes to whatever
 * vCPU its descriptor names, which the machine model does not say, so it counts for every CPU.
 */
function mayReach(outcome: Outcome, cpu: ElementId): boolean {
    if (outcome.kind === 'delivered') return outcome.targets.some((t) => t.cpu === cpu);
    if (outcome.kind === 'posted') return true;
    if (outcome.kind === 'pending' && outcome.whenUnmasked) return mayReach(outcome.whenUnmasked, cpu);
    return false;
}

export interface FreeVectorQuery {
    /** Only vectors that arrive at this CPU are taken (absent: a vector any source arrives with, anywhere). */
    cpu?: ElementId;
    /** The source being edited (its `sourceElement`): its own vector does not count as taken. */
    except?: ElementId;
    /** How many free vectors to return (default 1). */
    count?: number;
}

/** The vectors other sources arrive with (at `query.cpu` when given), in the order first seen. */
export function usedVectors(traces: readonly RouteTrace[], query: Omit<FreeVectorQuery, 'count'> = {}): Set<number> {
    const used = new Set<number>();
    for (const trace of traces) {
        if (query.except !== undefined && trace.sourceElement === query.except) continue;
        const vector = deliveredVector(trace.outcome);
        if (vector === undefined) continue;
        if (query.cpu !== undefined && !mayReach(trace.outcome, query.cpu)) continue;
        used.add(vector);
    }
    return used;
}

/** The lowest device vectors no other source arrives with (at `query.cpu` when given), ascending. */
export function freeVectors(traces: readonly RouteTrace[], query: FreeVectorQuery = {}): number[] {
    const count = query.count ?? 1;
    const used = usedVectors(traces, query);
    const out: number[] = [];
    for (let v = FIRST_EXTERNAL_VECTOR; v < FIRST_SYSTEM_VECTOR && out.length < count; v++) {
        if (isDeviceVector(v) && !used.has(v)) out.push(v);
    }
    return out;
}
