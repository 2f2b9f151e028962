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
} as const;
