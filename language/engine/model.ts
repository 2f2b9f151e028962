/**
 * The engine's model of a machine: plain data, no parser or editor types.
 *
 * `language/` lowers the AST into this model and keeps a map from every `ElementId` back to the AST node,
 * so that anything the engine reports about an element can be shown at the line that defines it.
 * Every 64-bit address and every 128-bit IRTE half is a `bigint`; 32-bit data words are `number`
 * (always kept in 0..0xFFFF_FFFF, unsigned).
 */

/** Which model of the hardware the engine follows: the specification, or QEMU's known divergences (ROUTING.md §10). */
export type Profile = 'spec' | 'qemu';

/** An opaque, stable id assigned by the lowering, e.g. `irte:dmar0:5`, `cpu:3`, `device:nic`, `msix:nic:0`. */
export type ElementId = string;

export type Arch = 'x86_64' | 'ppc64' | 'aarch64' | 'riscv64';

export interface Machine {
    id: ElementId;
    name: string;
    arch: Arch;
    apic: ApicConfig;
    /**
     * How the VMM / KVM interprets MSI messages (ROUTING.md §1.3–1.5), and optionally its GSI routing table,
     * irqfds and KVM_SIGNAL_MSI injections (§6).
     */
    kvm: KvmConfig;
    cpus: Cpu[];
    iommus: Iommu[];
    buses: Bus[];
    bridges: Bridge[];
    devices: Device[];
    /**
     * sPAPR (pseries) PCI host bridges (ROUTING.md §5). A `ppc64` machine is routed end to end when this is
     * defined (even empty); without it the engine reports `route-unsupported-arch` as for any other arch.
     */
    phbs?: Phb[];
    /** The XICS interrupt source controller of a pseries machine (ROUTING.md §5.3, §5.4). */
    xics?: XicsConfig;
}

export type ApicMode = 'xapic' | 'x2apic';

export interface ApicConfig {
    /** The mode every CPU's local APIC runs in unless the CPU says otherwise. */
    mode: ApicMode;
    /** xAPIC logical destination model (DFR): flat (0xF...) or cluster (0x0...). Ignored in x2APIC mode. */
    logical: 'flat' | 'cluster';
}

export interface KvmMsiOptions {
    /** KVM_CAP_X2APIC_API with KVM_X2APIC_API_USE_32BIT_IDS: address_hi[31:8] carries dest[31:8] (ROUTING.md §1.3). */
    x2apicApi: boolean;
    /** KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK: 0xFF stays 0xFF for x2APIC targets (ROUTING.md §1.5). */
    broadcastQuirkDisabled: boolean;
    /** The VMM advertises KVM_FEATURE_MSI_EXT_DEST_ID: address[11:5] = dest[14:8] (ROUTING.md §1.4). */
    extDestId: boolean;
}

/** KVM's default KVM_MAX_IRQ_ROUTES (include/linux/kvm_host.h, ROUTING.md §6). */
export const KVM_MAX_IRQ_ROUTES = 4096;

/**
 * The `kvm` block of a machine: the MSI interpretation options plus, all optional, the GSI routing table
 * (KVM_SET_GSI_ROUTING), the irqfds and the KVM_SIGNAL_MSI injections the VMM makes (ROUTING.md §6).
 */
export interface KvmConfig extends KvmMsiOptions {
    /** The element of the `kvm` block (for findings about the table as a whole). */
    id?: ElementId;
    /** GSI routing entries, as the VMM programmed them. */
    routes?: KvmRoute[];
    /** eventfds bound to GSIs: a device vector delivered through an irqfd follows its GSI's route. */
    irqfds?: KvmIrqfd[];
    /** KVM_SIGNAL_MSI injections, traced as sources of their own (SourceRef kind 'signal'). */
    signals?: KvmSignalMsi[];
    /**
     * The route limit: KVM_MAX_IRQ_ROUTES (default 4096) or a lower cap of the VMM. GSIs must be below it
     * and the routing table may hold at most this many entries.
     */
    maxRoutes?: number;
    /**
     * `routed`: the VMM allocates a GSI per vector and programs an MSI route with the vector's message
     * (x86; QEMU kvm_irqchip_add_msi_route). `direct`: the GSI *is* the XICS interrupt number and no route
     * is allocated (pseries, QEMU kvm_gsi_direct_mapping). Default: direct on ppc64, routed elsewhere.
     */
    gsiMapping?: 'routed' | 'direct';
}

export type KvmRouteKind = 'msi' | 'irqchip';

/** One GSI routing entry (struct kvm_irq_routing_entry; KVM_IRQ_ROUTING_MSI = 2, IRQCHIP = 1). */
export interface KvmRoute {
    id: ElementId;
    gsi: number;
    kind: KvmRouteKind;
    /** MSI route: the guest's message as the VMM holds it (address_hi in bits 63:32). */
    address?: bigint;
    data?: number;
    /** MSI route: devid with KVM_MSI_VALID_DEVID (ITS DeviceID on ARM). */
    devid?: number;
    /** irqchip route: which irqchip ('ioapic', 'pic', 'xics', …) and pin. */
    irqchip?: string;
    pin?: number;
}

/** An eventfd bound to a GSI (KVM_IRQFD): when `source` fires, KVM injects the GSI. */
export interface KvmIrqfd {
    id: ElementId;
    /** The device vector whose interrupt the eventfd carries (a VFIO or vhost vector). */
    source: SourceRef;
    gsi: number;
    /** A resample fd (level-triggered irqchip routes only). */
    resample?: boolean;
}

/** A KVM_SIGNAL_MSI injection (struct kvm_msi): a message delivered without a device or a route. */
export interface KvmSignalMsi {
    id: ElementId;
    /** A name for the trace ('kvm.signal[0]' when absent). */
    name?: string;
    /** address_lo | address_hi << 32. */
    address: bigint;
    data: number;
    /** With KVM_MSI_VALID_DEVID. */
    devid?: number;
}

/**
 * sPAPR PCI host bridge (ROUTING.md §5). MSIs are decoded per PHB: the same window address on two PHBs is
 * legal, each decodes its own writes.
 */
export interface Phb {
    id: ElementId;
    name: string;
    /** Base of the MSI window (legacy: msi_win_addr of this PHB; current: SPAPR_PCI_MSI_WINDOW). */
    msiWindow: bigint;
    /** Window size. Default: legacy maxDevs × 64 KiB, current one 4 KiB page. */
    windowSize?: bigint;
    /**
     * `legacy`: 2012 per-device 64 KiB slots, ndev = off >> 16, vec = ((off & 0xFFFF) >> 2) | data,
     * irq = msi_table[ndev].irq + vec (§5.1). `current`: the data is the global IRQ number (§5.2).
     * Default: current.
     */
    model?: 'legacy' | 'current';
    /** SPAPR_MSIX_MAX_DEVS, the legacy msi_table size. Default 32. */
    maxDevs?: number;
}

/** The XICS source controller (ICS) and the defaults of its per-source XIVE (server, priority). */
export interface XicsConfig {
    id: ElementId;
    /** First global IRQ number of the ICS: the ICS offset (XICS_IRQ_BASE, 0x1000). */
    first: number;
    /** Last global IRQ number (inclusive). */
    last: number;
    /** The server a source is routed to unless set per source or per allocation. Default: the first CPU's server. */
    defaultServer?: number;
    /** The priority of a source unless set. Default 5 (Linux DEFAULT_PRIORITY). 0xFF masks the source. */
    defaultPriority?: number;
    /** Per-source XIVE settings (ibm,set-xive), by global IRQ number. */
    sources?: XicsSource[];
}

/** ibm,set-xive for one source: the server (CPU) and priority it is presented with. */
export interface XicsSource {
    id: ElementId;
    /** Global IRQ number (source number = irq − ICS offset). */
    irq: number;
    server: number;
    /** 0 is the most favoured, 0xFF masks the source. */
    priority: number;
}

/**
 * What RTAS ibm,change-msi returned for a device: a block of `count` XICS IRQs from `base` (§5.1, §5.2).
 * The device's MSI or MSI-X vector k is XICS irq base + k.
 */
export interface IrqAllocation {
    id: ElementId;
    base: number;
    count: number;
    /** Legacy model: the msi_table slot (ndev). Default: the first free slot, in device order on the PHB. */
    slot?: number;
    /** The XIVE server of the block's sources (overrides the XICS default). */
    server?: number;
    /** The XIVE priority of the block's sources (overrides the XICS default). */
    priority?: number;
}

/**
 * VFIO assignment of a device and where its MSI-X table and PBA sit (thread 004). Offsets are within BAR
 * `msixBar` (and `pbaBar`, default the same BAR).
 */
export interface VfioAssignment {
    id: ElementId;
    /** Table BIR. */
    msixBar: number;
    tableOffset: bigint;
    /** PBA BIR. Default: msixBar. */
    pbaBar?: number;
    pbaOffset: bigint;
    /** Size of the BAR that holds the table (when known). */
    barSize?: bigint;
    /** Host page size: 4096, or 65536 on ppc64 hosts. Default: 65536 on ppc64 machines, 4096 elsewhere. */
    pageSize?: number;
    /**
     * VFIO_REGION_INFO_CAP_MSIX_MAPPABLE used: the table is mapped straight through to the guest instead of
     * being trapped, so the VMM does not see (and cannot emulate) mask writes.
     */
    mmap: boolean;
}

export interface Cpu {
    id: ElementId;
    /** The CPU's index as written in the file (`cpu 12`). */
    index: number;
    /** The local APIC ID (x2APIC: 32-bit; xAPIC: 8-bit). */
    apicId: number;
    /** pseries: the XICS interrupt server number. Default: the CPU index. */
    server?: number;
    mode: ApicMode;
    /** xAPIC logical ID, LDR[31:24]. Undefined: the engine derives the Linux default. */
    logicalId?: number;
    /** APIC software-enabled (only enabled APICs are lowest-priority candidates). */
    enabled: boolean;
}

export type Iommu = VtdIommu;

/** Intel VT-d remapping hardware unit, interrupt-remapping part (ROUTING.md §2). */
export interface VtdIommu {
    kind: 'vtd';
    id: ElementId;
    name: string;
    /** GSTS.IRES: interrupt remapping enabled. */
    remapping: boolean;
    /** IRTA.EIME: extended interrupt mode (32-bit x2APIC destination IDs). */
    eim: boolean;
    /** GSTS.CFIS: compatibility-format interrupts allowed. */
    cfi: boolean;
    /** IRTA.S: the table has 2^(S+1) entries. */
    irtaS: number;
    /** ECAP.PI: posted interrupts supported (changes which IRTE bits are reserved). */
    postedSupported: boolean;
    /** Programmed entries by index. An absent index reads as all-zero (not present). */
    irtes: Map<number, IrteSlot>;
    /** IRTA[63:12]: the table's guest-physical base. Optional; with `haw` it lets the engine raise fault 0x23. */
    irtaAddress?: bigint;
    /** Host address width in bits (CAP.MGAW + 1): an IRTE at or above 2^haw cannot be read (fault 0x23). */
    haw?: number;
}

export interface IrteSlot {
    id: ElementId;
    index: number;
    /** IRTE bits 63:0. */
    lo: bigint;
    /** IRTE bits 127:64. */
    hi: bigint;
}

/** PCI segment/bus/device/function. */
export interface Bdf {
    segment: number;
    bus: number;
    device: number;
    fn: number;
}

export interface Bus {
    id: ElementId;
    name: string;
    segment: number;
    /** Bus number. */
    number: number;
    /** The IOMMU that translates this bus's requests (directly or inherited through the bridge above). */
    iommu?: ElementId;
    /** The sPAPR PHB this bus sits on (pseries), directly or inherited through the bridge above. */
    phb?: ElementId;
    /** The bridge whose secondary bus this is, if any. */
    parentBridge?: ElementId;
}

/**
 * How a bridge affects the requester ID of requests from below it (ROUTING.md §2.5, Linux set_msi_sid):
 * - `pcie-root-port`, `pcie-switch-port`: PCIe all the way, requester ID is the device's own BDF.
 * - `pcie-to-pci`: conventional PCI below a PCIe bridge; requests arrive with the bridge's secondary bus
 *   and devfn 0, Linux programs SVT=10 with the bus range.
 * - `pci-to-pci`: legacy PCI bridge; requests arrive with the bridge's own BDF.
 */
export type BridgeKind = 'pcie-root-port' | 'pcie-switch-port' | 'pcie-to-pci' | 'pci-to-pci';

export interface Bridge {
    id: ElementId;
    name: string;
    kind: BridgeKind;
    bdf: Bdf;
    /** The bus the bridge sits on. */
    bus: ElementId;
    /** The bus below it. */
    secondary: ElementId;
}

export interface Device {
    id: ElementId;
    name: string;
    /** Free-form model name (`virtio-net`). */
    model?: string;
    bdf: Bdf;
    bus: ElementId;
    msi?: MsiCapability;
    msix?: MsixCapability;
    ims?: ImsStore;
    /** pseries: the XICS IRQs firmware (RTAS ibm,change-msi) allocated to the device's MSI / MSI-X vectors. */
    irqAllocation?: IrqAllocation;
    /** The device is assigned to the guest through VFIO. */
    vfio?: VfioAssignment;
}

/** PCI MSI capability (ROUTING.md §7). */
export interface MsiCapability {
    id: ElementId;
    /** MSI enable bit. */
    enabled: boolean;
    /** log2 of the vectors the device supports (MMC, 0..5). */
    mmc: number;
    /** log2 of the vectors software enabled (MME, 0..5, ≤ MMC). */
    mme: number;
    /** 64-bit address capable. */
    is64: boolean;
    /** Per-vector masking capable (adds Mask and Pending dwords). */
    perVectorMask: boolean;
    /** The message address as programmed (bits 63:32 are zero for a 32-bit capability). */
    address: bigint;
    /** The base message data (16 bits are architected; kept as 32-bit). */
    data: number;
    /** Mask bits, one per vector (only meaningful with perVectorMask). */
    maskBits: number;
    /** Pending bits, one per vector. */
    pendingBits: number;
    /** Whether the device latches address/data atomically; undefined = unknown (ROUTING.md §7, thread 002). */
    latches?: boolean;
}

/** One stored address/data pair: an MSI-X table entry or an IMS slot. */
export interface MessageEntry {
    id: ElementId;
    index: number;
    /** 64-bit message address (address high dword in bits 63:32). */
    address: bigint;
    data: number;
    /** Vector Control bit 0 (MSI-X) or the device-defined mask (IMS). */
    masked: boolean;
    /** PBA bit (MSI-X) or the device-defined pending bit (IMS). */
    pending: boolean;
}

export interface MsixCapability {
    id: ElementId;
    enabled: boolean;
    /** Table size in entries (Message Control bits 10:0 hold size − 1). */
    tableSize: number;
    functionMask: boolean;
    entries: MessageEntry[];
}

/** Interrupt Message Store: device-defined storage of address/data pairs (thread 003). */
export interface ImsStore {
    id: ElementId;
    size: number;
    entries: MessageEntry[];
    /**
     * Whether the device implements a per-entry mask (device-defined, thread 003). Undefined: maskable.
     * An unmaskable store cannot hold a vector pending: a masked entry still fires.
     */
    maskable?: boolean;
}

/**
 * Which interrupt source: MSI vector k, MSI-X entry k, or IMS slot k of a device; or `signal`: the
 * KVM_SIGNAL_MSI injection at position `index` of `machine.kvm.signals`, whose id is in `device`.
 */
export type SourceKind = 'msi' | 'msix' | 'ims' | 'signal';

export interface SourceRef {
    /** The device; for kind 'signal', the KvmSignalMsi's id. */
    device: ElementId;
    kind: SourceKind;
    index: number;
}
