/**
 * The route trace: what the engine computes for one interrupt source, and what every view consumes.
 *
 * Validation turns `findings` into diagnostics; inlay hints and code lenses summarise `outcome`; hover shows
 * the `fields` of a decode; the debugger walks `stages`. No consumer adds routing knowledge of its own:
 * names, bit ranges, meanings and messages all come from here.
 */
import type { ElementId, SourceRef } from './model.js';

/** A reference to a model element, optionally to one of its properties (so a diagnostic can sit on `data`). */
export interface ElementRef {
    id: ElementId;
    /** e.g. 'address', 'data', 'dest', 'sid', 'vector', 'index', 'apicId', 'raw'. */
    property?: string;
}

/** One decoded bit field. */
export interface DecodedField {
    /** Short name as the spec / Linux / QEMU call it: 'Destination ID', 'SHV', 'DLM'. */
    name: string;
    /** Inclusive bit range in the value it was taken from: '19:12', '4', '127:84'. */
    bits: string;
    value: bigint;
    /** The value as an engineer expects to read it ('0x41', '1', 'fixed'). */
    text: string;
    /** What it means in context ('remappable format', 'handle[15] = 1'). */
    meaning: string;
    /** True when this field is the cause of a fault or warning. */
    flagged?: boolean;
}

/** A decode of one value (address, data word, raw IRTE) in its context: what hover shows. */
export interface ValueDecode {
    /** What was decoded: 'MSI address', 'MSI data', 'VT-d IRTE (remapped format)'. */
    title: string;
    /** The context the decode assumed: 'behind dmar0 (VT-d, IR on, EIM on)', 'profile spec'. */
    context: string[];
    fields: DecodedField[];
    /** One-line summary ('remappable format, handle 4, SHV=1 → IRTE 4 + subhandle'). */
    summary: string;
    /** Bytes as they cross the bus, little-endian, lowest address first: ['10','00','e0','fe']. */
    busBytes?: string[];
    /** Notes and warnings about the value (e.g. 'looks byte-swapped: 0x1000e0fe'). */
    notes: string[];
}

export type StageKind =
    | 'device-write'        // the device writes its stored message
    | 'host-bridge'         // the host bridge / root complex decodes the write (interrupt window, PHB window)
    | 'interrupt-remapping' // IOMMU interrupt remapping (VT-d, AMD-Vi)
    | 'kvm-route'           // a KVM GSI route / irqfd
    | 'apic-delivery'       // local APIC destination matching
    | 'xics'                // XICS source → server
    | 'cpu';                // the interrupt is accepted by a CPU

export interface Stage {
    kind: StageKind;
    /** 'VT-d interrupt remapping (dmar0)'. */
    title: string;
    /** The model element this stage used (the MSI-X entry, the IRTE, the CPU). */
    element?: ElementRef;
    /** The decodes this stage made (one per value it looked at). */
    decodes: ValueDecode[];
    /** One line for a debugger frame / CLI: 'IRTE 5: present, remapped, vector 0x41 → dest 3'. */
    summary: string;
}

export type DeliveryModeName = 'fixed' | 'lowest_priority' | 'smi' | 'reserved' | 'nmi' | 'init' | 'extint';

export interface DeliveredOutcome {
    kind: 'delivered';
    vector: number;
    deliveryMode: number;
    deliveryModeName: DeliveryModeName;
    trigger: 'edge' | 'level';
    destMode: 'physical' | 'logical';
    destId: number;
    /** Lowest-priority arbitration: `targets` is the candidate set, the pick is implementation-defined. */
    lowestPriority: boolean;
    broadcast: boolean;
    /** The CPUs the message reaches (sorted by APIC ID). Empty: no CPU matched (see findings). */
    targets: { cpu: ElementId; apicId: number; index: number }[];
    /** The IRTE used, when the message was remapped. */
    irte?: { iommu: ElementId; index: number; element: ElementId };
    /**
     * pseries: the XICS source the message raised and its XIVE. `vector` is then the global IRQ number (the
     * XISR the CPU reads from its XIRR), `destId` the server number, `targets` the CPU(s) with that server.
     */
    xics?: { ics: ElementId; irq: number; source: number; server: number; priority: number };
    /** pseries: the PHB that decoded the message (legacy model: the msi_table slot and vector it selected). */
    phb?: { id: ElementId; name: string; model: 'legacy' | 'current'; slot?: number; vector?: number };
    /** The vector went through a KVM irqfd: its GSI, and the route it followed (routed mapping). */
    kvm?: KvmVia;
}

/** How a vector carried by an irqfd reached KVM's irqchip. */
export interface KvmVia {
    gsi: number;
    irqfd: ElementId;
    mapping: 'routed' | 'direct';
    /** The GSI's MSI route (routed mapping). */
    route?: ElementId;
    /** The route's message differs from the device's current entry (kvm-route-stale). */
    stale?: boolean;
}

export interface PostedOutcome {
    kind: 'posted';
    vector: number;
    urgent: boolean;
    /** Posted-interrupt descriptor address (64-bit). */
    pda: bigint;
    irte: { iommu: ElementId; index: number; element: ElementId };
}

export interface PendingOutcome {
    kind: 'pending';
    /**
     * Why the message was not sent: per-vector mask, function mask, capability disabled; or (pseries) the
     * XICS source is masked (priority 0xFF) and holds the interrupt masked-pending.
     */
    reason: 'entry-masked' | 'function-masked' | 'vector-masked' | 'disabled' | 'xics-masked';
    /** Where the pending bit sits: 'PBA qword 0 bit 1', 'MSI Pending bit 3'. */
    where: string;
    element: ElementRef;
    /** Where the message goes once unmasked (absent for a disabled capability or an unprogrammed entry). */
    whenUnmasked?: Exclude<Outcome, PendingOutcome>;
    /** reason 'xics-masked': the XICS source that holds the interrupt. */
    xics?: DeliveredOutcome['xics'];
    /** The vector went through a KVM irqfd before the XICS source held it. */
    kvm?: KvmVia;
}

export interface FaultOutcome {
    kind: 'fault';
    /** The stable diagnostic code: 'vtd-fault-0x22', 'x86-not-interrupt-address'. */
    code: string;
    /** The hardware's name for it ('IR_ENTRY_P'), when there is one. */
    name: string;
    /** VT-d fault reason (0x20..0x26) when the fault is a VT-d fault. */
    faultReason?: number;
    /** FPD of the IRTE read (null when no IRTE was read). A fault with fpd=1 is blocked but not recorded. */
    fpd?: 0 | 1 | null;
    element: ElementRef;
    message: string;
    /** A short parenthetical for one-line summaries ('IRTE 7 not present'). */
    detail?: string;
    /** The IRTE the fault concerns, when the request got as far as reading one (0x22, 0x24, 0x26). */
    irte?: { iommu: ElementId; index: number; element?: ElementId };
}

export type Outcome = DeliveredOutcome | PostedOutcome | PendingOutcome | FaultOutcome;

export type Severity = 'error' | 'warning' | 'info' | 'hint';

/** Something the checker reports: becomes a diagnostic on `element`, with `related` pointing at the others. */
export interface Finding {
    /** Stable code, documented in the README's diagnostic table. */
    code: string;
    severity: Severity;
    /** Says what is wrong and what would fix it. */
    message: string;
    element: ElementRef;
    related: { element: ElementRef; message: string }[];
    /** Machine-readable hint for a quick fix (e.g. { swapBytes: '0xfee00010' }); consumers may ignore it. */
    data?: Record<string, unknown>;
}

export interface RouteTrace {
    source: SourceRef;
    /** 'nic.msix[0]'. */
    sourceName: string;
    /** The element that holds the source's message (MSI-X entry / MSI capability / IMS entry). */
    sourceElement: ElementId;
    stages: Stage[];
    outcome: Outcome;
    /** Everything suspicious seen along the way, including the outcome's fault if any. */
    findings: Finding[];
}

/** The result of checking a whole machine: one trace per source, plus machine-level findings. */
export interface MachineReport {
    machine: ElementId;
    traces: RouteTrace[];
    /** All findings: machine-level ones and every trace's. */
    findings: Finding[];
}
