/**
 * sPAPR (pseries) machine tables: which PHB a device sits on, the legacy msi_table of each PHB, who claims
 * which XICS IRQ, the XIVE (server, priority) of a source, and the message firmware programs into a vector.
 *
 * ROUTING.md §5. The tables are structural and cached per Machine object like machine-index.ts (the
 * lowering rebuilds the model on every change; invalidateMachineIndex() drops this cache too).
 */
import type { Cpu, Device, ElementId, IrqAllocation, Machine, Phb, SourceKind, XicsConfig } from '../model.js';
import { indexMachine } from '../machine-index.js';
import { msiVectorData } from '../pci/msi.js';
import { SPAPR_LEGACY_MAX_DEVS, SPAPR_LEGACY_SLOT_SIZE } from './phb-msi.js';

/** XICS_IRQ_BASE and SPAPR_NR_XIRQS (§5.3): the ICS used when a machine declares none. */
export const SPAPR_DEFAULT_XICS = { first: 0x1000, last: 0x1fff } as const;
/** Linux's DEFAULT_PRIORITY for XICS sources (arch/powerpc/sysdev/xics). */
export const XICS_DEFAULT_PRIORITY = 5;
/** Priority 0xFF masks an XICS source (§5.4, [unconfirmed] in the reference). */
export const XICS_MASKED_PRIORITY = 0xff;
/** Size of the current model's MSI window: one 4 KiB page (§5.2). */
export const SPAPR_CURRENT_WINDOW_SIZE = 0x1000n;

/** A ppc64 machine with a PHB model is routed end to end; without `phbs` it is not (backward compatible). */
export function isSpaprRouted(machine: Machine): boolean {
    return machine.arch === 'ppc64' && machine.phbs !== undefined;
}

export function phbModel(phb: Phb): 'legacy' | 'current' {
    return phb.model ?? 'current';
}

export function phbMaxDevs(phb: Phb): number {
    return phb.maxDevs ?? SPAPR_LEGACY_MAX_DEVS;
}

export function phbWindowSize(phb: Phb): bigint {
    return phb.windowSize ?? (phbModel(phb) === 'legacy' ? BigInt(phbMaxDevs(phb)) * SPAPR_LEGACY_SLOT_SIZE : SPAPR_CURRENT_WINDOW_SIZE);
}

const defaultXics = new WeakMap<Machine, XicsConfig>();

/** The machine's XICS, or the default 0x1000..0x1FFF ICS (then its element is the machine). */
export function xicsOf(machine: Machine): XicsConfig {
    if (machine.xics) return machine.xics;
    let d = defaultXics.get(machine);
    if (!d) {
        d = { id: machine.id, first: SPAPR_DEFAULT_XICS.first, last: SPAPR_DEFAULT_XICS.last };
        defaultXics.set(machine, d);
    }
    return d;
}

/** A CPU's interrupt server number. */
export function cpuServer(cpu: Cpu): number {
    return cpu.server ?? cpu.index;
}

export interface LegacyTable {
    /** msi_table by slot (length maxDevs): the device configured in it, if any. */
    slots: (Device | undefined)[];
    /** Each device's slot (ndev); may be ≥ maxDevs for an explicit slot past the table. */
    slotOf: Map<ElementId, number>;
    /** msi_table as spaprLegacyDecode takes it: first IRQ and vector count per slot (0: not configured). */
    msiTable: { irq: number; nvec: number }[];
}

interface Claim {
    base: number;
    end: number; // exclusive
    device: Device;
}

export interface SpaprIndex {
    phbs: Map<ElementId, Phb>;
    /** The PHB of a bus: its own `phb`, else inherited through the bridges above. */
    phbOfBus(busId: ElementId): Phb | undefined;
    /** The legacy msi_table of a PHB (built for every PHB; used by the legacy model). */
    legacyTable(phbId: ElementId): LegacyTable;
    /** Devices whose allocation holds `irq`, in device order. */
    claimers(irq: number): Device[];
    /** Devices on a PHB with an allocation, in device order. */
    devicesOn(phbId: ElementId): Device[];
}

const cache = new WeakMap<Machine, SpaprIndex>();

export function invalidateSpaprIndex(machine: Machine): void {
    cache.delete(machine);
}

export function spaprIndex(machine: Machine): SpaprIndex {
    const hit = cache.get(machine);
    if (hit) return hit;
    const idx = indexMachine(machine);
    const phbs = new Map((machine.phbs ?? []).map((p) => [p.id, p]));
    const phbOfBusCache = new Map<ElementId, Phb | undefined>();
    const phbOfBus = (busId: ElementId): Phb | undefined => {
        if (phbOfBusCache.has(busId)) return phbOfBusCache.get(busId);
        let found: Phb | undefined;
        const bus = idx.buses.get(busId);
        if (bus?.phb) found = phbs.get(bus.phb);
        else {
            for (const br of idx.bridgesAbove(busId)) {
                const up = idx.buses.get(br.bus);
                if (up?.phb) {
                    found = phbs.get(up.phb);
                    break;
                }
            }
        }
        phbOfBusCache.set(busId, found);
        return found;
    };

    const onPhb = new Map<ElementId, Device[]>();
    for (const d of machine.devices) {
        if (!d.irqAllocation) continue;
        const phb = phbOfBus(d.bus);
        if (!phb) continue;
        const list = onPhb.get(phb.id);
        if (list) list.push(d);
        else onPhb.set(phb.id, [d]);
    }

    const tables = new Map<ElementId, LegacyTable>();
    const legacyTable = (phbId: ElementId): LegacyTable => {
        const known = tables.get(phbId);
        if (known) return known;
        const phb = phbs.get(phbId);
        const max = phb ? phbMaxDevs(phb) : SPAPR_LEGACY_MAX_DEVS;
        const slots: (Device | undefined)[] = new Array(max).fill(undefined);
        const slotOf = new Map<ElementId, number>();
        const devs = onPhb.get(phbId) ?? [];
        // Explicit slots first (a second claimant of a slot keeps its number; the check reports it).
        for (const d of devs) {
            const s = d.irqAllocation!.slot;
            if (s === undefined) continue;
            slotOf.set(d.id, s);
            if (s >= 0 && s < max && !slots[s]) slots[s] = d;
        }
        // Then the first free slot in device order, as ibm,change-msi did.
        let next = 0;
        for (const d of devs) {
            if (d.irqAllocation!.slot !== undefined) continue;
            while (next < max && slots[next]) next++;
            slotOf.set(d.id, next);
            if (next < max) slots[next] = d;
            next++;
        }
        const msiTable = slots.map((d) => (d?.irqAllocation ? { irq: d.irqAllocation.base, nvec: d.irqAllocation.count } : { irq: 0, nvec: 0 }));
        const t = { slots, slotOf, msiTable };
        tables.set(phbId, t);
        return t;
    };

    const claims: Claim[] = machine.devices
        .filter((d) => d.irqAllocation && d.irqAllocation.count > 0)
        .map((d) => ({ base: d.irqAllocation!.base, end: d.irqAllocation!.base + d.irqAllocation!.count, device: d }));
    const order = new Map(machine.devices.map((d, i) => [d.id, i]));
    const sorted = [...claims].sort((a, b) => a.base - b.base);
    const prefixMaxEnd: number[] = [];
    for (let i = 0; i < sorted.length; i++) prefixMaxEnd.push(Math.max(sorted[i].end, i ? prefixMaxEnd[i - 1] : -Infinity));
    const claimers = (irq: number): Device[] => {
        // Last claim whose base ≤ irq, then walk back while an earlier claim can still reach irq.
        let lo = 0;
        let hi = sorted.length - 1;
        let at = -1;
        while (lo <= hi) {
            const mid = (lo + hi) >> 1;
            if (sorted[mid].base <= irq) {
                at = mid;
                lo = mid + 1;
            } else hi = mid - 1;
        }
        const out: Device[] = [];
        for (let i = at; i >= 0 && prefixMaxEnd[i] > irq; i--) if (sorted[i].end > irq) out.push(sorted[i].device);
        return out.sort((a, b) => order.get(a.id)! - order.get(b.id)!);
    };

    const s: SpaprIndex = { phbs, phbOfBus, legacyTable, claimers, devicesOn: (id) => onPhb.get(id) ?? [] };
    cache.set(machine, s);
    return s;
}

/** The PHB that decodes a device's MSI writes. */
export function phbOfDevice(machine: Machine, device: Device): Phb | undefined {
    return spaprIndex(machine).phbOfBus(device.bus);
}

/** The legacy msi_table slot (ndev) of a device with an allocation on its PHB. */
export function legacySlotOf(machine: Machine, device: Device): number | undefined {
    const phb = phbOfDevice(machine, device);
    if (!phb || !device.irqAllocation) return undefined;
    return spaprIndex(machine).legacyTable(phb.id).slotOf.get(device.id);
}

/**
 * The message firmware programs into vector k of a device after ibm,change-msi (§5.1, §5.2): legacy MSI-X
 * vector k: address = window | ndev << 16 | k << 2, data 0; legacy MSI: the slot address, data 0 (the device
 * ORs k into the data); current: address = the window, data = base + k (MSI: base, the device ORs k).
 * For MSI the returned data is what vector k sends. Undefined: no allocation, no PHB, or k ≥ count.
 */
export function firmwareMessage(machine: Machine, device: Device, kind: SourceKind, k: number): { address: bigint; data: number } | undefined {
    const alloc = device.irqAllocation;
    const phb = phbOfDevice(machine, device);
    if (!alloc || !phb || k < 0 || k >= alloc.count || (kind !== 'msi' && kind !== 'msix')) return undefined;
    const mme = kind === 'msi' && device.msi ? Math.min(Math.max(device.msi.mme, 0), 5) : 0;
    if (phbModel(phb) === 'legacy') {
        const slot = legacySlotOf(machine, device) ?? 0;
        const base = phb.msiWindow + (BigInt(slot) << 16n);
        if (kind === 'msix') return { address: base + (BigInt(k) << 2n), data: 0 };
        return { address: base, data: msiVectorData(0, mme, k) };
    }
    if (kind === 'msix') return { address: phb.msiWindow, data: (alloc.base + k) >>> 0 };
    return { address: phb.msiWindow, data: msiVectorData(alloc.base >>> 0, mme, k) };
}

export interface Xive {
    server: number;
    priority: number;
    /** Where the setting comes from: the per-source XIVE, the device's allocation, or the XICS defaults. */
    from: 'source' | 'allocation' | 'default';
    element: ElementId;
}

/** The (server, priority) an XICS source is presented with. */
export function xiveOf(machine: Machine, irq: number, allocation?: IrqAllocation): Xive {
    const xics = xicsOf(machine);
    const own = xics.sources?.find((s) => s.irq === irq);
    if (own) return { server: own.server, priority: own.priority, from: 'source', element: own.id };
    const firstServer = machine.cpus.length ? cpuServer(machine.cpus[0]) : 0;
    const server = allocation?.server ?? xics.defaultServer ?? firstServer;
    const priority = allocation?.priority ?? xics.defaultPriority ?? XICS_DEFAULT_PRIORITY;
    const fromAlloc = allocation && (allocation.server !== undefined || allocation.priority !== undefined);
    return { server, priority, from: fromAlloc ? 'allocation' : 'default', element: fromAlloc ? allocation!.id : xics.id };
}

/** The CPUs with a given server number (more than one is a configuration error). */
export function cpusOfServer(machine: Machine, server: number): Cpu[] {
    return machine.cpus.filter((c) => cpuServer(c) === server);
}
