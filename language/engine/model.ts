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
    /** How the VMM / KVM interprets MSI messages (ROUTING.md §1.3–1.5). */
    kvm: KvmMsiOptions;
    cpus: Cpu[];
    iommus: Iommu[];
    buses: Bus[];
    bridges: Bridge[];
    devices: Device[];
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

export interface Cpu {
    id: ElementId;
    /** The CPU's index as written in the file (`cpu 12`). */
    index: number;
    /** The local APIC ID (x2APIC: 32-bit; xAPIC: 8-bit). */
    apicId: number;
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
}

/** Which interrupt source of a device: MSI vector k, MSI-X entry k, or IMS slot k. */
export type SourceKind = 'msi' | 'msix' | 'ims';

export interface SourceRef {
    device: ElementId;
    kind: SourceKind;
    index: number;
}
