/**
 * Positions and keys the simulator's state uses, computed once per machine: device / CPU / IOMMU positions,
 * a dense key per vector (so vector state lives in a persistent array), and the machine's IRTE slots.
 */
import type { Cpu, Device, ElementId, IrteSlot, Machine, VtdIommu } from '../model.js';
import { indexMachine } from '../machine-index.js';
import { msiVectorCount } from '../pci/msi.js';
import { sourceName } from '../route.js';
import type { VectorSource } from './scenario.js';

/** MSI vectors per device: at most 32 (ROUTING.md §7). */
const MSI_SPAN = 32;
/** The largest MSI-X table (ROUTING.md §7) and a bound for IMS stores. */
const MAX_SPAN = 65536;

export interface DeviceLayout {
    device: Device;
    pos: number;
    /** First vector key of the device: MSI at base, MSI-X at base + 32, IMS after the MSI-X span. */
    base: number;
    msixSpan: number;
    imsSpan: number;
    /** Position of the IOMMU that translates the device (-1: none). */
    iommu: number;
}

export class SimIndex {
    readonly devices: DeviceLayout[];
    private readonly devicePos = new Map<ElementId, number>();
    readonly cpuPos = new Map<ElementId, number>();
    /** CPU index as written (`cpu 3`) → position in machine.cpus. */
    readonly cpuByIndex = new Map<number, number>();
    readonly iommuPos = new Map<ElementId, number>();
    /** Vector key → (device position, kind, index). */
    private readonly keys: { device: number; kind: VectorSource['kind']; index: number }[] = [];
    /** Vector key → its device's layout (an array read: vector keys are looked up on every event). */
    private readonly layouts: DeviceLayout[] = [];
    private readonly names: string[] = [];

    constructor(readonly machine: Machine) {
        const idx = indexMachine(machine);
        machine.iommus.forEach((m, i) => this.iommuPos.set(m.id, i));
        machine.cpus.forEach((c, i) => {
            this.cpuPos.set(c.id, i);
            if (!this.cpuByIndex.has(c.index)) this.cpuByIndex.set(c.index, i);
        });
        let base = 0;
        this.devices = machine.devices.map((device, pos) => {
            this.devicePos.set(device.id, pos);
            const span = (size: number, entries: readonly { index: number }[]) =>
                Math.min(MAX_SPAN, Math.max(size, ...entries.map((e) => e.index + 1), 0));
            const msixSpan = device.msix ? span(device.msix.tableSize, device.msix.entries) : 0;
            const imsSpan = device.ims ? span(device.ims.size, device.ims.entries) : 0;
            const iommu = idx.iommuOfBus(device.bus);
            const layout: DeviceLayout = { device, pos, base, msixSpan, imsSpan, iommu: iommu ? this.iommuPos.get(iommu.id) ?? -1 : -1 };
            base += MSI_SPAN + msixSpan + imsSpan;
            return layout;
        });
    }

    deviceAt(id: ElementId): DeviceLayout | undefined {
        const pos = this.devicePos.get(id);
        return pos === undefined ? undefined : this.devices[pos];
    }

    /** The dense key of a vector, or undefined when the device has no such vector. */
    vectorKey(source: Pick<VectorSource, 'device' | 'kind' | 'index'>): number | undefined {
        const d = this.deviceAt(source.device);
        const k = source.index;
        if (!d || !Number.isInteger(k) || k < 0) return undefined;
        let key: number | undefined;
        if (source.kind === 'msi') {
            if (d.device.msi && k < msiVectorCount(Math.min(Math.max(d.device.msi.mme, 0), 5))) key = d.base + k;
        } else if (source.kind === 'msix') {
            if (k < d.msixSpan) key = d.base + MSI_SPAN + k;
        } else if (source.kind === 'ims') {
            if (k < d.imsSpan) key = d.base + MSI_SPAN + d.msixSpan + k;
        }
        if (key !== undefined && this.keys[key] === undefined) {
            this.keys[key] = { device: d.pos, kind: source.kind as VectorSource['kind'], index: k };
            this.layouts[key] = d;
        }
        return key;
    }

    /** The device layout of a vector key handed out by vectorKey. */
    layoutOfKey(key: number): DeviceLayout {
        return this.layouts[key];
    }

    /** The vector a key stands for (keys are handed out by vectorKey). */
    sourceOfKey(key: number): VectorSource | undefined {
        const k = this.keys[key];
        return k ? { device: this.devices[k.device].device.id, kind: k.kind, index: k.index } : undefined;
    }

    /** The key range of a device's vectors of one kind: [first, end). */
    keyRange(device: ElementId, kind: VectorSource['kind']): [number, number] | undefined {
        const d = this.deviceAt(device);
        if (!d) return undefined;
        if (kind === 'msi') return [d.base, d.base + MSI_SPAN];
        if (kind === 'msix') return [d.base + MSI_SPAN, d.base + MSI_SPAN + d.msixSpan];
        return [d.base + MSI_SPAN + d.msixSpan, d.base + MSI_SPAN + d.msixSpan + d.imsSpan];
    }

    nameOf(source: Pick<VectorSource, 'device' | 'kind' | 'index'>): string {
        const key = this.vectorKey(source);
        const known = key === undefined ? undefined : this.names[key];
        if (known) return known;
        const d = this.deviceAt(source.device);
        const name = d ? sourceName(d.device, source) : `${source.device}.${source.kind}[${source.index}]`;
        if (key !== undefined) this.names[key] = name;
        return name;
    }

    cpuAt(pos: number): Cpu {
        return this.machine.cpus[pos];
    }

    iommuAt(pos: number): VtdIommu {
        return this.machine.iommus[pos];
    }

    /** The machine's own IRTE slot (the model, before any scenario write). */
    baseSlot(iommu: number, index: number): IrteSlot | undefined {
        return this.machine.iommus[iommu]?.irtes.get(index);
    }
}
