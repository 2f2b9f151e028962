/**
 * A scenario as plain data: an ordered list of events run against one machine, with the state (masks,
 * pending bits, IRR/ISR, the interrupt entry cache, the fault log) carried from one event to the next.
 *
 * Like the machine model, a scenario names everything by ElementId: each event has an id of its own (the
 * lowering maps it back to the line that wrote it), and refers to the machine's elements by their ids.
 */
import type { ElementId, SourceRef } from '../model.js';

export interface Scenario {
    /** `scenario:NAME`. */
    id: ElementId;
    name: string;
    /** The machine the scenario runs on. */
    machine: ElementId;
    events: ScenarioEvent[];
}

/** A vector source: MSI vector k, MSI-X entry k or IMS entry k of a device. */
export type VectorSource = SourceRef & { kind: 'msi' | 'msix' | 'ims' };

/**
 * IRTE fields an `update` sets (the others keep their value). A flag is set by `true` and cleared by
 * `false` (`rh` / `rh off`, `fpd` / `fpd off`, `urgent` / `urgent off`, `posted` / `posted off`,
 * `not-present` / `present`); `sid` without `svt` selects requester-id validation (bus-range validation for a
 * bus range), as in an `irte` block.
 */
export interface IrtePatch {
    /** P: `present` (true) or `not-present` (false). */
    present?: boolean;
    /** IM: the posted format (true) or the remapped format (false). */
    posted?: boolean;
    vector?: number;
    dest?: number;
    deliveryMode?: string;
    trigger?: 'edge' | 'level';
    destMode?: 'physical' | 'logical';
    redirectionHint?: boolean;
    fpd?: boolean;
    /** The same as `present: false` (kept for callers that build patches by hand); `present` wins when both are given. */
    notPresent?: boolean;
    sid?: number;
    sq?: string;
    svt?: string;
    pda?: bigint;
    urgent?: boolean;
    avail?: number;
}

interface EventBase {
    /** `event:SCENARIO:N`, N the event's position as written. */
    id: ElementId;
}

/** The device raises the vector. */
export interface FireEvent extends EventBase {
    kind: 'fire';
    source: VectorSource;
}

/** Software sets or clears the vector's own mask. */
export interface MaskEvent extends EventBase {
    kind: 'mask' | 'unmask';
    source: VectorSource;
}

/** Software rewrites the stored message (MSI: the capability's Message Address / Data registers). */
export interface WriteEvent extends EventBase {
    kind: 'write';
    source: VectorSource;
    address?: bigint;
    data?: number;
}

/** Software rewrites fields of an IRTE in memory, optionally followed by an IEC invalidation of it. */
export interface UpdateIrteEvent extends EventBase {
    kind: 'update-irte';
    iommu: ElementId;
    index: number;
    patch: IrtePatch;
    invalidate: boolean;
}

/** An interrupt entry cache invalidation: one index, or global. */
export interface InvalidateIecEvent extends EventBase {
    kind: 'invalidate-iec';
    iommu: ElementId;
    /** Undefined: global invalidation. */
    index?: number;
}

/** The MSI-X Function Mask bit. */
export interface FunctionMaskEvent extends EventBase {
    kind: 'function-mask';
    device: ElementId;
    on: boolean;
}

/** MSI Enable / MSI-X Enable. */
export interface EnableEvent extends EventBase {
    kind: 'enable';
    device: ElementId;
    capability: 'msi' | 'msix';
    on: boolean;
}

/** The kernel moves a vector to another CPU (irq_set_affinity). */
export interface AffinityEvent extends EventBase {
    kind: 'affinity';
    source: VectorSource;
    /** The CPU index as written (`cpu 3`). */
    cpu: number;
    /** Leave out the step that makes the change safe (mask around the write / IEC invalidation). */
    unsafe: boolean;
}

/** The CPU's handler writes the local APIC EOI register. */
export interface EoiEvent extends EventBase {
    kind: 'eoi';
    cpu: number;
    /** The vector the handler believes it ends; undefined: the highest in service (what EOI does). */
    vector?: number;
}

/** The VMM rewrites a KVM GSI route. */
export interface RouteUpdateEvent extends EventBase {
    kind: 'route-update';
    gsi: number;
    address?: bigint;
    data?: number;
}

export type ScenarioEvent =
    | FireEvent
    | MaskEvent
    | WriteEvent
    | UpdateIrteEvent
    | InvalidateIecEvent
    | FunctionMaskEvent
    | EnableEvent
    | AffinityEvent
    | EoiEvent
    | RouteUpdateEvent;

export type ScenarioEventKind = ScenarioEvent['kind'];
