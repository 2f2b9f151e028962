/**
 * x86 delivery modes, as encoded in MSI data[10:8], IRTE DLM[7:5] and IOAPIC RTE[10:8].
 *
 * ROUTING.md §1.2 (encoding; 3 and 6 reserved), §1.3 (KVM passes 6 through as STARTUP), §10.8.
 * Source: qemu include/hw/i386/apic-msidef.h, Linux arch/x86/include/asm/msi.h.
 */
import type { DeliveryModeName } from '../trace.js';

/** Index = the 3-bit encoding. */
export const DELIVERY_MODE_NAMES: readonly DeliveryModeName[] = [
    'fixed',
    'lowest_priority',
    'smi',
    'reserved',
    'nmi',
    'init',
    'reserved',
    'extint',
];

/** What each encoding means, for hover text. */
const DELIVERY_MODE_MEANINGS: readonly string[] = [
    'Fixed: deliver the vector to every destination',
    'Lowest Priority: one destination of the set, chosen by arbitration (KVM: vector hashing)',
    'SMI: system management interrupt (vector ignored, must be 0)',
    'reserved (011b): the APIC does not accept it',
    'NMI: non-maskable interrupt (vector ignored)',
    'INIT: INIT IPI semantics (vector ignored)',
    'reserved (110b): KVM passes it through as STARTUP (ROUTING.md §10.8)',
    'ExtINT: vector supplied by an external 8259A-compatible controller',
];

export function deliveryModeName(dm: number): DeliveryModeName {
    return DELIVERY_MODE_NAMES[dm & 7];
}

export function deliveryModeMeaning(dm: number): string {
    return DELIVERY_MODE_MEANINGS[dm & 7];
}

/** 3 (011b) and 6 (110b) are reserved encodings. */
export function isReservedDeliveryMode(dm: number): boolean {
    return dm === 3 || dm === 6;
}

/**
 * Vectors 0x00..0x0F are illegal for Fixed and Lowest-Priority delivery (the local APIC raises an illegal
 * vector error; ROUTING.md §1.2, marked unconfirmed there). Other modes ignore the vector.
 */
export function isIllegalVector(vector: number, dm: number): boolean {
    return (dm === 0 || dm === 1) && vector < 0x10;
}

/** Display form used in summaries: 'fixed', 'lowest-priority', 'nmi' ... */
export function deliveryModeLabel(dm: number): string {
    const n = deliveryModeName(dm);
    if (n === 'lowest_priority') return 'lowest-priority';
    if (n === 'reserved') return `reserved(${dm})`;
    return n;
}

/**
 * Accepts a delivery mode as the language writes it ('fixed', 'lowest-priority', 'lowest_priority', 'nmi',
 * 'extint', ...) or as its encoding, and returns the encoding. Throws RangeError for anything else.
 */
export function parseDeliveryMode(v: DeliveryModeName | string | number): number {
    if (typeof v === 'number') {
        if (!Number.isInteger(v) || v < 0 || v > 7) throw new RangeError(`delivery mode must be 0..7, got ${v}`);
        return v;
    }
    const key = v.toLowerCase().replace(/-/g, '_');
    const aliases: Record<string, number> = {
        fixed: 0,
        lowest_priority: 1,
        lowest: 1,
        lowestprio: 1,
        smi: 2,
        nmi: 4,
        init: 5,
        startup: 6,
        extint: 7,
    };
    const dm = aliases[key];
    if (dm === undefined) throw new RangeError(`unknown delivery mode '${v}'`);
    return dm;
}
