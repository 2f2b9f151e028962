/**
 * Element ids: stable, readable strings that name a model element across document versions, e.g.
 * `irte:q35:dmar0:5`. They carry the machine name so ids from two machines of one file never collide,
 * and they contain only names and indexes (no positions) so a trace or a breakpoint survives edits
 * elsewhere in the file.
 */
import type { ElementId } from '../engine/model.js';

export const ElementIds = {
    machine: (m: string): ElementId => `machine:${m}`,
    cpu: (m: string, index: number | bigint): ElementId => `cpu:${m}:${index}`,
    iommu: (m: string, iommu: string): ElementId => `iommu:${m}:${iommu}`,
    irte: (m: string, iommu: string, index: number | bigint): ElementId => `irte:${m}:${iommu}:${index}`,
    bus: (m: string, bus: string): ElementId => `bus:${m}:${bus}`,
    bridge: (m: string, bridge: string): ElementId => `bridge:${m}:${bridge}`,
    device: (m: string, device: string): ElementId => `device:${m}:${device}`,
    msi: (m: string, device: string): ElementId => `msi:${m}:${device}`,
    /** The MSI-X capability (table); its entries are `msix:m:dev:k`. */
    msix: (m: string, device: string): ElementId => `msix:${m}:${device}`,
    msixEntry: (m: string, device: string, index: number | bigint): ElementId => `msix:${m}:${device}:${index}`,
    /** The IMS store; its slots are `ims:m:dev:k`. */
    ims: (m: string, device: string): ElementId => `ims:${m}:${device}`,
    imsEntry: (m: string, device: string, index: number | bigint): ElementId => `ims:${m}:${device}:${index}`,
    /** pseries: a PCI host bridge, the XICS and one of its per-source XIVE settings, a device's IRQ allocation. */
    phb: (m: string, phb: string): ElementId => `phb:${m}:${phb}`,
    xics: (m: string): ElementId => `xics:${m}`,
    xicsSource: (m: string, irq: number | bigint): ElementId => `xics-source:${m}:${irq}`,
    irqAllocation: (m: string, device: string): ElementId => `irq:${m}:${device}`,
    vfio: (m: string, device: string): ElementId => `vfio:${m}:${device}`,
    /** The `kvm` block, and its routes, irqfds and KVM_SIGNAL_MSI injections. */
    kvm: (m: string): ElementId => `kvm:${m}`,
    /**
     * KVM accepts some repeats (an irqchip route and an MSI route on one GSI; the engine reports the ones it
     * does not), so a route, irqfd or signal that repeats a key gets `:n`, its ordinal among those with that
     * key: the ids stay free of positions, and each declaration keeps its own id.
     */
    kvmRoute: (m: string, gsi: number | bigint, ordinal = 0): ElementId => `kvm-route:${m}:${gsi}${ordinal ? `:${ordinal}` : ''}`,
    kvmIrqfd: (m: string, source: string, ordinal = 0): ElementId => `kvm-irqfd:${m}:${source}${ordinal ? `:${ordinal}` : ''}`,
    /** A named signal by its name, an unnamed one by its position among the signals (`[0]`). */
    kvmSignal: (m: string, key: string, ordinal = 0): ElementId => `kvm-signal:${m}:${key}${ordinal ? `:${ordinal}` : ''}`,
} as const;
