/**
 * The override layer between the simulator's state and route(): a working copy of the machine in which
 * the vector being routed holds its current message and masks, every IOMMU reads IRTEs the way the
 * hardware would now (the interrupt entry cache's copy first, then the table as the scenario left it), and
 * the KVM routes hold their current messages. Routing itself is the engine's route(): no rule is repeated
 * here.
 *
 * The copy is made once per simulator (so the engine's per-machine index is built once); only the parts the
 * state can change are copied (capabilities and their entries, IRTE maps, KVM routes). route() reads message,
 * mask and IRTE contents live (machine-index.ts), so setting them before a route is enough. A stage's
 * decodes are computed on first read from what the copy holds then: the simulator reads them right after
 * routing, before the copy changes again.
 */
import type { Device, ImsStore, IrteSlot, KvmRoute, Machine, MessageEntry, MsixCapability, VtdIommu } from '../model.js';
import type { VectorState } from '../pci/vector-state.js';
import type { SimIndex } from './sim-index.js';
import type { StateView } from './state.js';

/** The IRTE map of a working IOMMU: reads go through the current state. */
class OverlayIrtes extends Map<number, IrteSlot> {
    /** Slots handed out for contents the model does not hold, by index (replaced when the contents change). */
    private readonly made = new Map<number, IrteSlot>();

    constructor(
        base: Map<number, IrteSlot>,
        private readonly prefix: string,
        private readonly lookup: (index: number) => { lo: bigint; hi: bigint } | undefined,
    ) {
        super(base);
    }

    override get(index: number): IrteSlot | undefined {
        const base = super.get(index);
        const now = this.lookup(index);
        if (!now || (base && base.lo === now.lo && base.hi === now.hi)) return base;
        const known = this.made.get(index);
        if (known && known.lo === now.lo && known.hi === now.hi) return known;
        // A new object per content: a stage that captured the old slot keeps decoding the old contents.
        const slot: IrteSlot = { id: base?.id ?? `${this.prefix}:${index}`, index, lo: now.lo, hi: now.hi };
        this.made.set(index, slot);
        return slot;
    }

    override has(index: number): boolean {
        return this.get(index) !== undefined;
    }
}

export class WorkingMachine {
    readonly machine: Machine;
    private state: StateView | undefined;
    private readonly devices: Device[];
    private readonly entryMaps = new Map<MessageEntry[], Map<number, MessageEntry>>();
    private readonly baseRoutes: readonly KvmRoute[];
    private syncedRoutes: StateView['routes'] | undefined;

    constructor(base: Machine, private readonly index: SimIndex) {
        this.devices = base.devices.map((d) => {
            const copy: Device = { ...d };
            if (d.msi) copy.msi = { ...d.msi };
            if (d.msix) copy.msix = { ...d.msix, entries: d.msix.entries.map((e) => ({ ...e })) } satisfies MsixCapability;
            if (d.ims) copy.ims = { ...d.ims, entries: d.ims.entries.map((e) => ({ ...e })) } satisfies ImsStore;
            return copy;
        });
        const iommus: VtdIommu[] = base.iommus.map((m, pos) => ({
            ...m,
            irtes: new OverlayIrtes(m.irtes, `irte:${m.id}`, (i) => this.visibleIrte(pos, i)),
        }));
        this.baseRoutes = base.kvm.routes ?? [];
        const kvm = { ...base.kvm };
        if (base.kvm.routes) kvm.routes = base.kvm.routes.map((r) => ({ ...r }));
        this.machine = { ...base, devices: this.devices, iommus, kvm };
    }

    /** The state the next route() sees (IRTEs through the IEC, KVM routes). */
    useState(state: StateView): void {
        this.state = state;
        if (this.syncedRoutes !== state.routes) {
            const routes = this.machine.kvm.routes ?? [];
            routes.forEach((r, pos) => {
                const o = state.routes.get(pos);
                const b = this.baseRoutes[pos];
                if (o) {
                    r.address = o.address;
                    r.data = o.data;
                } else {
                    if (b.address === undefined) delete r.address;
                    else r.address = b.address;
                    if (b.data === undefined) delete r.data;
                    else r.data = b.data;
                }
            });
            this.syncedRoutes = state.routes;
        }
    }

    /** The IRTE the hardware would read now: the IEC's copy, else the table as written, else the model. */
    visibleIrte(iommu: number, index: number): { lo: bigint; hi: bigint } | undefined {
        const s = this.state;
        if (!s) return undefined;
        return s.iec[iommu]?.get(index) ?? s.irt[iommu]?.get(index);
    }

    /**
     * Puts a vector's current state into the copy. MSI: `vs` is vector k's view; `msiBase` the capability's
     * Message Data register (the device replaces its low MME bits with k, ROUTING.md §7).
     */
    applyVector(source: { device: string; kind: 'msi' | 'msix' | 'ims'; index: number }, vs: VectorState, msiBase?: number): void {
        const layout = this.index.deviceAt(source.device);
        if (!layout) return;
        const d = this.devices[layout.pos];
        const k = source.index;
        if (source.kind === 'msi') {
            const cap = d.msi;
            if (!cap) return;
            cap.enabled = vs.enabled;
            cap.address = vs.address;
            if (msiBase !== undefined) cap.data = msiBase;
            const bit = 2 ** k;
            cap.maskBits = vs.masked ? (cap.maskBits | bit) >>> 0 : (cap.maskBits & ~bit) >>> 0;
            cap.pendingBits = vs.pending ? (cap.pendingBits | bit) >>> 0 : (cap.pendingBits & ~bit) >>> 0;
            return;
        }
        const store = source.kind === 'msix' ? d.msix : d.ims;
        if (!store) return;
        if (source.kind === 'msix' && d.msix) {
            d.msix.enabled = vs.enabled;
            d.msix.functionMask = vs.functionMasked;
        }
        const entry = this.entry(store.entries, k, store.id);
        entry.address = vs.address;
        entry.data = vs.data;
        entry.masked = vs.masked;
        entry.pending = vs.pending;
    }

    private entry(entries: MessageEntry[], index: number, id: string): MessageEntry {
        let map = this.entryMaps.get(entries);
        if (!map) {
            map = new Map(entries.map((e) => [e.index, e]));
            this.entryMaps.set(entries, map);
        }
        let e = map.get(index);
        if (!e) {
            // An entry the model does not list holds its reset value (address 0, data 0, masked).
            e = { id, index, address: 0n, data: 0, masked: true, pending: false };
            entries.push(e);
            map.set(index, e);
        }
        return e;
    }
}
