/**
 * Lookup tables over a Machine, built once per Machine object and cached, so route() does no scanning.
 * The model is plain data that the lowering rebuilds on every document change; a WeakMap keyed by the
 * Machine object therefore never serves stale tables. What is cached is the structure (element lists,
 * bus/bridge links) and the CPUs' APIC settings; message, mask and IRTE contents are always read live.
 * Code that edits the structure or a CPU in place calls invalidateMachineIndex().
 */
import type { ApicMode, Bridge, Bus, Cpu, Device, ElementId, Iommu, Machine } from './model.js';
import { invalidateSpaprIndex } from './spapr/machine.js';
import { defaultXapicLogicalId, indexApicTargets, type ApicDestinationIndex, type ApicTarget } from './x86/apic-delivery.js';

export interface MachineIndex {
    devices: Map<ElementId, Device>;
    buses: Map<ElementId, Bus>;
    bridges: Map<ElementId, Bridge>;
    iommus: Map<ElementId, Iommu>;
    cpus: Map<ElementId, Cpu>;
    /** CPUs as APIC targets, same order as machine.cpus. */
    apicTargets: ApicTarget[];
    /** apicTargets by APIC ID: a physical destination finds its CPUs without a scan (ROUTING.md §1.5). */
    apicIndex: ApicDestinationIndex;
    /** Bridges from the device's bus up to the root, nearest first. */
    bridgesAbove(busId: ElementId): Bridge[];
    /** The IOMMU translating a bus: its own `iommu`, else inherited through the bridges above. */
    iommuOfBus(busId: ElementId): Iommu | undefined;
    /**
     * route()'s per-device plans (route.ts DevicePlan), kept here so they are dropped with the index. Opaque
     * to this module (the engine's layering has route.ts import this file, not the reverse).
     */
    routePlans: { byId: Map<ElementId, unknown>; lastId: ElementId | undefined; last: unknown };
}

const cache = new WeakMap<Machine, MachineIndex>();

/**
 * The same APIC mode as the literal constant. A mode lowered from the document is a slice of its text, and
 * comparing that with 'x2apic' takes a character compare on every delivery; the literal is one pointer.
 */
function internedMode(mode: ApicMode): ApicMode {
    return mode === 'x2apic' ? 'x2apic' : mode === 'xapic' ? 'xapic' : mode;
}

/** Drops the cached tables of a machine edited in place. */
export function invalidateMachineIndex(machine: Machine): void {
    cache.delete(machine);
    invalidateSpaprIndex(machine);
}

export function indexMachine(machine: Machine): MachineIndex {
    const hit = cache.get(machine);
    if (hit) return hit;
    const devices = new Map(machine.devices.map((d) => [d.id, d]));
    const buses = new Map(machine.buses.map((b) => [b.id, b]));
    const bridges = new Map(machine.bridges.map((b) => [b.id, b]));
    const iommus = new Map(machine.iommus.map((i) => [i.id, i]));
    const cpus = new Map(machine.cpus.map((c) => [c.id, c]));
    const apicTargets: ApicTarget[] = machine.cpus.map((c) => ({
        apicId: c.apicId >>> 0,
        mode: internedMode(c.mode),
        logicalId: c.logicalId ?? defaultXapicLogicalId(c.index, machine.apic.logical),
        dfr: machine.apic.logical,
        enabled: c.enabled,
    }));
    const aboveCache = new Map<ElementId, Bridge[]>();
    const bridgesAbove = (busId: ElementId): Bridge[] => {
        const known = aboveCache.get(busId);
        if (known) return known;
        const chain: Bridge[] = [];
        const seen = new Set<ElementId>();
        let bus = buses.get(busId);
        while (bus?.parentBridge && !seen.has(bus.id)) {
            seen.add(bus.id);
            const br = bridges.get(bus.parentBridge);
            if (!br) break;
            chain.push(br);
            bus = buses.get(br.bus);
        }
        aboveCache.set(busId, chain);
        return chain;
    };
    const iommuOfBus = (busId: ElementId): Iommu | undefined => {
        const bus = buses.get(busId);
        if (bus?.iommu) return iommus.get(bus.iommu);
        for (const br of bridgesAbove(busId)) {
            const up = buses.get(br.bus);
            if (up?.iommu) return iommus.get(up.iommu);
        }
        return undefined;
    };
    const apicIndex = indexApicTargets(apicTargets);
    const idx: MachineIndex = { devices, buses, bridges, iommus, cpus, apicTargets, apicIndex, bridgesAbove, iommuOfBus, routePlans: { byId: new Map(), lastId: undefined, last: undefined } };
    cache.set(machine, idx);
    return idx;
}
