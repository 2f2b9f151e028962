/**
 * The machine state the simulator carries from event to event, as an immutable snapshot.
 *
 * Only what the scenario changed is stored: a vector that no event touched reads as the machine model
 * says (engine `vectorStateOf`), a CPU as idle, the interrupt remapping table as declared. Every collection
 * is a persistent array (persistent-array.ts), so a snapshot per event shares everything but the few nodes
 * the event changed: the debugger keeps one per event for stepping back.
 */
import type { ElementId } from '../model.js';
import type { CpuState } from './apic-state.js';
import { PArray } from './persistent-array.js';

/** What the scenario changed of one vector (MSI vector / MSI-X entry / IMS entry). */
export interface SimVector {
    /** The vector's own mask (Vector Control bit 0, MSI Mask bit, IMS mask). */
    masked: boolean;
    /** PBA bit / MSI Pending bit / IMS pending bit. */
    pending: boolean;
    /** MSI-X / IMS: the entry's message. (MSI: the capability's registers, in DeviceFlags.) */
    address: bigint;
    data: number;
    /** The event that set the pending bit (for the end-of-scenario check). */
    pendingSince?: number;
    /**
     * Level-triggered: delivered and in service at `cpu` (position in machine.cpus) until EOI of `vector`
     * there. While set, a new request from the vector is held, as an I/O APIC holds a pin with remote IRR.
     */
    remoteIrr?: { cpu: number; vector: number };
    /** A request held back by remote IRR, sent when the EOI arrives. */
    held?: boolean;
}

/** What the scenario changed of a device's capabilities. Undefined fields: as the model says. */
export interface DeviceFlags {
    msiEnabled?: boolean;
    msixEnabled?: boolean;
    functionMasked?: boolean;
    /** MSI Message Address / Data registers (shared by the capability's vectors). */
    msiAddress?: bigint;
    msiData?: number;
    /** The event that disabled MSI-X / MSI while a vector was pending. */
    disabledWithPending?: number;
}

/** An IRTE copy held by the interrupt entry cache. */
export interface CachedIrte {
    lo: bigint;
    hi: bigint;
    /** The simulator's id of these contents (equal contents, equal ids). */
    cid: number;
    /** The event whose delivery fetched it. */
    since: number;
}

/** An IRTE the scenario wrote to the table in memory. */
export interface IrteWrite {
    lo: bigint;
    hi: bigint;
    /** The simulator's id of these contents (equal contents, equal ids). */
    cid: number;
    /** The event that wrote it. */
    by: number;
}

/** An IRTE update not yet followed by an IEC invalidation of that entry. */
export interface UninvalidatedUpdate {
    /** The update (or affinity) event. */
    event: number;
    /** Written by an `affinity … unsafe` event rather than an `update`. */
    affinity: boolean;
    /** The first delivery that used the stale cached copy, if any. */
    staleUseAt?: number;
}

/** A recorded VT-d fault (a fault recording register entry; not recorded when the IRTE has FPD=1). */
export interface FaultRecord {
    /** The event whose delivery faulted. */
    event: number;
    iommu: ElementId;
    /** Fault reason (0x20..0x26). */
    reason: number;
    name: string;
    /** The interrupt index, when the request got that far (else -1). */
    index: number;
    /** The requester id of the request, as a BDF. */
    requester: string;
    /** The source that sent it ('nic.msix[1]'). */
    source: string;
}

/** The fault log, newest first (a persistent list). */
export interface FaultList {
    record: FaultRecord;
    prev?: FaultList;
    count: number;
}

export interface SimStats {
    /** Interrupts raised (`fire`). */
    fired: number;
    /** Messages accepted by a CPU (or posted). */
    delivered: number;
    /** Raised while masked: set a pending bit. */
    heldPending: number;
    /** Lost: dropped by a disabled capability, merged into a pending bit or IRR, or reaching no CPU. */
    lost: number;
    /** Routing faults (VT-d faults, writes outside the interrupt window, …). */
    faults: number;
}

/** What the simulator reads of a state: a SimState, or the state of an event being run. */
export interface StateView {
    readonly vectors: PArray<SimVector>;
    readonly devices: PArray<DeviceFlags>;
    readonly cpus: PArray<CpuState>;
    readonly iec: readonly PArray<CachedIrte>[];
    readonly irt: readonly PArray<IrteWrite>[];
    readonly uninvalidated: readonly PArray<UninvalidatedUpdate>[];
    readonly pir: readonly PArray<bigint>[];
    readonly routes: PArray<{ address: bigint; data: number; by: number }>;
    readonly faults: FaultList | undefined;
    readonly stats: SimStats;
}

/** What one step changes of a state (the fields it names); see SimState.with. */
export interface StateChange {
    vectors?: PArray<SimVector>;
    devices?: PArray<DeviceFlags>;
    cpus?: PArray<CpuState>;
    iec?: readonly PArray<CachedIrte>[];
    irt?: readonly PArray<IrteWrite>[];
    uninvalidated?: readonly PArray<UninvalidatedUpdate>[];
    pir?: readonly PArray<bigint>[];
    routes?: PArray<{ address: bigint; data: number; by: number }>;
    faults?: FaultList;
    stats?: SimStats;
}

/**
 * The machine state: immutable; `with` makes the next one. A class rather than object spreads: a simulated
 * event makes a few states, and a constructor call is several times cheaper than `{ ...state, x }`.
 */
export class SimState implements StateView {
    constructor(
        /** By vector key (SimIndex.vectorKey). */
        readonly vectors: PArray<SimVector>,
        /** By device position in machine.devices. */
        readonly devices: PArray<DeviceFlags>,
        /** By CPU position in machine.cpus; absent = idle. */
        readonly cpus: PArray<CpuState>,
        /** Per IOMMU (position in machine.iommus), by IRTE index: the interrupt entry cache. */
        readonly iec: readonly PArray<CachedIrte>[],
        /** Per IOMMU, by IRTE index: entries the scenario wrote to the table. */
        readonly irt: readonly PArray<IrteWrite>[],
        /** Per IOMMU, by IRTE index: updates not yet invalidated. */
        readonly uninvalidated: readonly PArray<UninvalidatedUpdate>[],
        /** Per IOMMU, by IRTE index: the posted-interrupt request bits (PIR) of the entry's descriptor. */
        readonly pir: readonly PArray<bigint>[],
        /** By route position in machine.kvm.routes: routes the scenario rewrote. */
        readonly routes: PArray<{ address: bigint; data: number; by: number }>,
        /** The fault log, newest first. */
        readonly faults: FaultList | undefined,
        readonly stats: SimStats,
    ) {}

    with(c: StateChange): SimState {
        return new SimState(
            c.vectors ?? this.vectors,
            c.devices ?? this.devices,
            c.cpus ?? this.cpus,
            c.iec ?? this.iec,
            c.irt ?? this.irt,
            c.uninvalidated ?? this.uninvalidated,
            c.pir ?? this.pir,
            c.routes ?? this.routes,
            c.faults ?? this.faults,
            c.stats ?? this.stats,
        );
    }

    /** The state with one counter of `stats` increased. */
    count(what: keyof SimStats): SimState {
        const s = this.stats;
        return this.with({
            stats: {
                fired: s.fired + (what === 'fired' ? 1 : 0),
                delivered: s.delivered + (what === 'delivered' ? 1 : 0),
                heldPending: s.heldPending + (what === 'heldPending' ? 1 : 0),
                lost: s.lost + (what === 'lost' ? 1 : 0),
                faults: s.faults + (what === 'faults' ? 1 : 0),
            },
        });
    }
}

export function initialState(iommuCount: number): SimState {
    const empty = () => Array.from({ length: iommuCount }, () => PArray.empty<never>());
    return new SimState(PArray.empty(), PArray.empty(), PArray.empty(), empty(), empty(), empty(), empty(), PArray.empty(), undefined, {
        fired: 0,
        delivered: 0,
        heldPending: 0,
        lost: 0,
        faults: 0,
    });
}

/** A copy of a per-IOMMU array with one IOMMU's entry replaced. */
export function withIommu<T>(list: readonly PArray<T>[], pos: number, value: PArray<T>): readonly PArray<T>[] {
    if (list[pos] === value) return list;
    const copy = list.slice();
    copy[pos] = value;
    return copy;
}

/** The fault log as an array, oldest first. */
export function faultRecords(state: SimState): FaultRecord[] {
    const out: FaultRecord[] = [];
    for (let f = state.faults; f; f = f.prev) out.push(f.record);
    return out.reverse();
}
