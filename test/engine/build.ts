/**
 * Small builders for hand-made Machine objects in the engine tests (plain data, as the lowering produces).
 */
import {
    encodeIrte,
    parseBdf,
    type Bridge,
    type BridgeKind,
    type Bus,
    type Cpu,
    type Device,
    type IrqAllocation,
    type IrteSlot,
    type IrteSpec,
    type KvmConfig,
    type KvmIrqfd,
    type KvmRoute,
    type Phb,
    type VfioAssignment,
    type Machine,
    type MessageEntry,
    type MsiCapability,
    type MsixCapability,
    type VtdIommu,
} from '../../language/engine/index.js';

export function cpu(index: number, apicId = index, mode: Cpu['mode'] = 'xapic', extra: Partial<Cpu> = {}): Cpu {
    return { id: `cpu:${index}`, index, apicId, mode, enabled: true, ...extra };
}

export function cpus(n: number, mode: Cpu['mode'] = 'xapic'): Cpu[] {
    return Array.from({ length: n }, (_, i) => cpu(i, i, mode));
}

export interface IommuOpts extends Partial<Omit<VtdIommu, 'irtes'>> {
    irtes?: Record<number, IrteSpec | { lo: bigint; hi: bigint }>;
}

export function vtd(name: string, o: IommuOpts = {}): VtdIommu {
    const id = `iommu:${name}`;
    const eim = o.eim ?? true;
    const irtes = new Map<number, IrteSlot>();
    for (const [k, v] of Object.entries(o.irtes ?? {})) {
        const index = Number(k);
        const raw = 'lo' in v && typeof v.lo === 'bigint' ? (v as { lo: bigint; hi: bigint }) : encodeIrte(v as IrteSpec, { eim });
        irtes.set(index, { id: `irte:${name}:${index}`, index, lo: raw.lo, hi: raw.hi });
    }
    const { irtes: _ignored, ...rest } = o;
    void _ignored;
    return { kind: 'vtd', id, name, remapping: true, eim, cfi: false, irtaS: 7, postedSupported: false, ...rest, irtes };
}

export function bus(name: string, number: number, o: Partial<Bus> = {}): Bus {
    return { id: `bus:${name}`, name, segment: 0, number, ...o };
}

export function bridge(name: string, kind: BridgeKind, bdf: string, on: Bus, secondary: Bus): Bridge {
    return { id: `bridge:${name}`, name, kind, bdf: parseBdf(bdf), bus: on.id, secondary: secondary.id };
}

export function entry(device: string, kind: 'msix' | 'ims', index: number, address: bigint, data: number, masked = false, pending = false): MessageEntry {
    return { id: `${kind}:${device}:${index}`, index, address, data, masked, pending };
}

export function msix(device: string, tableSize: number, entries: MessageEntry[], o: Partial<MsixCapability> = {}): MsixCapability {
    return { id: `msix:${device}`, enabled: true, tableSize, functionMask: false, entries, ...o };
}

export function msi(device: string, o: Partial<MsiCapability> & { address: bigint; data: number }): MsiCapability {
    return { id: `msi:${device}`, enabled: true, mmc: 5, mme: 0, is64: true, perVectorMask: false, maskBits: 0, pendingBits: 0, ...o };
}

export function device(name: string, bdf: string, on: Bus, caps: Partial<Pick<Device, 'msi' | 'msix' | 'ims' | 'model'>> = {}): Device {
    return { id: `device:${name}`, name, bdf: parseBdf(bdf), bus: on.id, ...caps };
}

/** A single-entry MSI-X device. */
export function nic(name: string, bdf: string, on: Bus, address: bigint, data: number, o: { masked?: boolean; cap?: Partial<MsixCapability> } = {}): Device {
    return device(name, bdf, on, { msix: msix(name, 4, [entry(name, 'msix', 0, address, data, o.masked ?? false)], o.cap) });
}

export function machine(o: Partial<Machine> = {}): Machine {
    return {
        id: 'machine:q35',
        name: 'q35',
        arch: 'x86_64',
        apic: { mode: 'xapic', logical: 'flat' },
        kvm: { x2apicApi: false, broadcastQuirkDisabled: false, extDestId: false },
        cpus: cpus(4),
        iommus: [],
        buses: [],
        bridges: [],
        devices: [],
        ...o,
    };
}

// ---------------------------------------------------------------------------------------------------------
// pseries, KVM, VFIO

/** CPUs 0..n−1 with interrupt servers 0, step, 2·step, … */
export function ppcCpus(n: number, step = 8): Cpu[] {
    return Array.from({ length: n }, (_, i) => cpu(i, i, 'xapic', { server: i * step }));
}

export function phb(name: string, msiWindow: bigint, o: Partial<Phb> = {}): Phb {
    return { id: `phb:${name}`, name, msiWindow, ...o };
}

export function alloc(device: string, base: number, count: number, o: Partial<IrqAllocation> = {}): IrqAllocation {
    return { id: `alloc:${device}`, base, count, ...o };
}

/** A device on a pseries bus with an MSI-X table and an IRQ allocation (entries programmed by firmware). */
export function ppcDevice(name: string, bdf: string, on: Bus, base: number, count: number, o: { tableSize?: number; entries?: MessageEntry[]; alloc?: Partial<IrqAllocation>; cap?: Partial<MsixCapability> } = {}): Device {
    return {
        ...device(name, bdf, on, { msix: msix(name, o.tableSize ?? count, o.entries ?? [], o.cap) }),
        irqAllocation: alloc(name, base, count, o.alloc),
    };
}

export function pseries(o: Partial<Machine> = {}): Machine {
    return machine({
        id: 'machine:pseries',
        name: 'pseries',
        arch: 'ppc64',
        cpus: ppcCpus(4),
        phbs: [],
        xics: { id: 'xics', first: 0x1000, last: 0x1fff },
        ...o,
    });
}

export function kvm(o: Partial<KvmConfig> = {}): KvmConfig {
    return { x2apicApi: false, broadcastQuirkDisabled: false, extDestId: false, id: 'kvm', ...o };
}

export function route(gsi: number, address: bigint, data: number, o: Partial<KvmRoute> = {}): KvmRoute {
    return { id: `route:${gsi}`, gsi, kind: 'msi', address, data, ...o };
}

export function irqfd(dev: string, kind: 'msi' | 'msix' | 'ims', index: number, gsi: number): KvmIrqfd {
    return { id: `irqfd:${dev}.${kind}[${index}]`, source: { device: `device:${dev}`, kind, index }, gsi };
}

export function vfio(device: string, o: Partial<VfioAssignment> = {}): VfioAssignment {
    return { id: `vfio:${device}`, msixBar: 2, tableOffset: 0n, pbaOffset: 0x1000n, mmap: false, ...o };
}
