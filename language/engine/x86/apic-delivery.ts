/**
 * Local APIC destination matching for messages that do not come from a CPU (MSIs), as KVM implements it.
 *
 * ROUTING.md §1.5; Linux arch/x86/kvm/lapic.c: kvm_apic_mda (broadcast quirk), kvm_apic_broadcast,
 * kvm_apic_match_physical_addr (incl. the hotplug hack for xAPIC IDs > 0xFF), kvm_apic_match_logical_addr
 * (flat, cluster, x2APIC cluster), kvm_irq_delivery_to_apic ("phys broadcast and lowest prio" forced to
 * fixed; lowest-priority candidates are the matching software-enabled APICs).
 */
import type { ApicMode } from '../model.js';

export interface ApicTarget {
    apicId: number;
    mode: ApicMode;
    /** xAPIC LDR[31:24]. Ignored in x2APIC mode (the LDR is derived from the ID). */
    logicalId: number;
    /** xAPIC DFR model. Ignored in x2APIC mode. */
    dfr: 'flat' | 'cluster';
    /** APIC software-enabled (SVR bit 8). */
    enabled: boolean;
}

export interface ApicMessage {
    destId: number;
    destMode: 'physical' | 'logical';
    deliveryMode: number;
    redirectionHint: 0 | 1;
}

export interface DeliveryResult {
    /** Indices into the target list of every APIC the destination matches, in input order. */
    matched: number[];
    /** Indices of the APICs that accept the interrupt (lowest priority: the candidate set). */
    accepted: number[];
    /** Indices that matched but dropped it because the APIC is software-disabled (fixed / lowest priority). */
    disabled: number[];
    /** The delivery mode after KVM's rewrite (physical broadcast + lowest priority becomes fixed). */
    deliveryMode: number;
    lowestPriority: boolean;
    note?: 'phys_broadcast_lowest_prio_forced_fixed';
}

export const APIC_BROADCAST = 0xff;
export const X2APIC_BROADCAST = 0xffff_ffff;

/** x2APIC LDR, fixed by hardware: ((id >> 4) << 16) | (1 << (id & 0xF)). */
export function x2apicLdr(apicId: number): number {
    return (((apicId >>> 4) << 16) | (1 << (apicId & 0xf))) >>> 0;
}

/**
 * Linux's default xAPIC logical ID for a CPU number (used when the model leaves `logicalId` undefined):
 * flat mode gives CPU n (n < 8) bit n; cluster mode gives cluster n/4, bit n%4 (4 CPUs per cluster).
 */
export function defaultXapicLogicalId(cpuIndex: number, dfr: 'flat' | 'cluster'): number {
    if (dfr === 'flat') return cpuIndex < 8 ? 1 << cpuIndex : 0;
    const cluster = cpuIndex >>> 2;
    return cluster < 15 ? ((cluster << 4) | (1 << (cpuIndex & 3))) & 0xff : 0;
}

/** kvm_apic_mda: with the broadcast quirk enabled, 0xFF becomes 0xFFFF_FFFF for an x2APIC target. */
export function messageDestinationAddress(destId: number, target: ApicTarget, broadcastQuirkDisabled: boolean): number {
    if (!broadcastQuirkDisabled && destId === APIC_BROADCAST && target.mode === 'x2apic') return X2APIC_BROADCAST;
    return destId >>> 0;
}

function isBroadcast(target: ApicTarget, mda: number): boolean {
    return mda === (target.mode === 'x2apic' ? X2APIC_BROADCAST : APIC_BROADCAST);
}

/** kvm_apic_match_physical_addr. */
export function matchPhysical(target: ApicTarget, mda: number): boolean {
    if (isBroadcast(target, mda)) return true;
    // Hotplug hack: compare the 32-bit ID when the target is in x2APIC mode or the MDA cannot be an xAPIC ID.
    if (target.mode === 'x2apic' || mda > 0xff) return mda === target.apicId >>> 0;
    return mda === (target.apicId & 0xff);
}

/** kvm_apic_match_logical_addr. */
export function matchLogical(target: ApicTarget, mda: number): boolean {
    if (isBroadcast(target, mda)) return true;
    if (target.mode === 'x2apic') {
        const ldr = x2apicLdr(target.apicId);
        return ldr >>> 16 === mda >>> 16 && (ldr & mda & 0xffff) !== 0;
    }
    const lid = target.logicalId & 0xff;
    if (target.dfr === 'flat') return (lid & mda) !== 0;
    return lid >>> 4 === mda >>> 4 && (lid & mda & 0xf) !== 0;
}

export function matchDestination(target: ApicTarget, msg: ApicMessage, broadcastQuirkDisabled: boolean): boolean {
    const mda = messageDestinationAddress(msg.destId, target, broadcastQuirkDisabled);
    return msg.destMode === 'physical' ? matchPhysical(target, mda) : matchLogical(target, mda);
}

/**
 * Destination lookup over a fixed target list, so delivery does not test every APIC (ROUTING.md §1.5).
 * `candidates` returns, in input order, every target the destination can match (a superset of the
 * matches); deliverToApics still applies matchDestination to each, so the result is the scan's.
 */
export interface ApicDestinationIndex {
    /** The targets the index was built over (deliverToApics ignores an index built for another list). */
    readonly targets: readonly ApicTarget[];
    candidates(msg: Pick<ApicMessage, 'destId' | 'destMode'>): readonly number[];
}

const NO_CANDIDATES: readonly number[] = Object.freeze([]);

/**
 * Indexes targets by APIC ID for physical destinations. kvm_apic_match_physical_addr compares the 32-bit ID
 * for an x2APIC target or an MDA above 0xFF, and ID[7:0] for an xAPIC target otherwise; so a physical,
 * non-broadcast destination d matches only targets keyed d (d ≤ 0xFF: x2APIC ID d or xAPIC ID[7:0] = d;
 * d > 0xFF: ID d). Broadcasts (0xFF, which the quirk widens for x2APIC targets, and 0xFFFF_FFFF) and
 * logical destinations (flat masks, clusters) get every target.
 */
export function indexApicTargets(targets: readonly ApicTarget[]): ApicDestinationIndex {
    const all: number[] = [];
    const low = new Map<number, number[]>();
    const byId = new Map<number, number[]>();
    const add = (m: Map<number, number[]>, key: number, i: number): void => {
        const list = m.get(key);
        if (list) list.push(i);
        else m.set(key, [i]);
    };
    for (let i = 0; i < targets.length; i++) {
        const t = targets[i];
        const id = t.apicId >>> 0;
        all.push(i);
        add(byId, id, i);
        if (t.mode === 'x2apic') {
            if (id <= 0xff) add(low, id, i);
        } else {
            add(low, id & 0xff, i);
        }
    }
    return {
        targets,
        candidates(msg) {
            const d = msg.destId >>> 0;
            if (msg.destMode !== 'physical' || d === APIC_BROADCAST || d === X2APIC_BROADCAST) return all;
            return (d <= 0xff ? low.get(d) : byId.get(d)) ?? NO_CANDIDATES;
        },
    };
}

/**
 * kvm_irq_delivery_to_apic for a non-IPI source. With `index` (built over the same `targets`), only its
 * candidates are tested; the result is the same as scanning every target.
 */
export function deliverToApics(msg: ApicMessage, targets: readonly ApicTarget[], broadcastQuirkDisabled: boolean, index?: ApicDestinationIndex): DeliveryResult {
    let deliveryMode = msg.deliveryMode;
    let note: DeliveryResult['note'];
    const lowestBefore = deliveryMode === 1 || msg.redirectionHint === 1;
    if (msg.destMode === 'physical' && msg.destId === APIC_BROADCAST && lowestBefore) {
        // pr_info("apic: phys broadcast and lowest prio"): only the delivery mode is rewritten; a set RH
        // still makes kvm_lowest_prio_delivery() true afterwards.
        deliveryMode = 0;
        note = 'phys_broadcast_lowest_prio_forced_fixed';
    }
    const lowestPriority = deliveryMode === 1 || msg.redirectionHint === 1;
    // Fixed and lowest-priority interrupts are dropped by a software-disabled APIC (__apic_accept_irq);
    // NMI, INIT, SMI and ExtINT are not gated by the software enable.
    const needsEnabled = lowestPriority || deliveryMode === 0;
    const candidates = index && index.targets === targets ? index.candidates(msg) : undefined;
    const n = candidates ? candidates.length : targets.length;
    if (candidates && n === 1) {
        // The usual indexed physical destination: one candidate. Arrays made to size (a push into []
        // reserves 16 slots), same result as the loop below.
        const i = candidates[0];
        const t = targets[i];
        let out: DeliveryResult;
        if (!matchDestination(t, msg, broadcastQuirkDisabled)) out = { matched: [], accepted: [], disabled: [], deliveryMode, lowestPriority };
        else if (needsEnabled && !t.enabled) out = { matched: [i], accepted: [], disabled: [i], deliveryMode, lowestPriority };
        else out = { matched: [i], accepted: [i], disabled: [], deliveryMode, lowestPriority };
        if (note) out.note = note;
        return out;
    }
    const matched: number[] = [];
    const accepted: number[] = [];
    const disabled: number[] = [];
    for (let c = 0; c < n; c++) {
        const i = candidates ? candidates[c] : c;
        const t = targets[i];
        if (!matchDestination(t, msg, broadcastQuirkDisabled)) continue;
        matched.push(i);
        if (needsEnabled && !t.enabled) disabled.push(i);
        else accepted.push(i);
    }
    const out: DeliveryResult = { matched, accepted, disabled, deliveryMode, lowestPriority };
    if (note) out.note = note;
    return out;
}

/** KVM's default lowest-priority pick with vector hashing: the (vector mod n)-th candidate. */
export function vectorHashingPick(vector: number, candidates: number): number {
    return candidates === 0 ? -1 : vector % candidates;
}
