/**
 * A model VtdIommu turned into what vtdRemap needs: the prepared unit (derived constants) and an IRTE
 * reader over its `irtes` map. Both are cached per object and revalidated cheaply, so the simulator may
 * change registers or rewrite an IRTE (`update dmar0.irte 0 dest 5`) and the next route sees it.
 */
import type { IrteSlot, VtdIommu } from '../model.js';
import { irteWords, type IrteWords } from './irte.js';
import { prepareVtdUnit, type IrteReader, type PreparedVtdUnit } from './remap.js';

export interface VtdRuntime {
    unit: PreparedVtdUnit;
    read: IrteReader;
    /** The IOMMU it reads, and the register values it was prepared for (see vtdRuntimeSince). */
    readonly iommu: VtdIommu;
    readonly entry: UnitCacheEntry;
}

export interface UnitCacheEntry {
    remapping: boolean;
    eim: boolean;
    cfi: boolean;
    irtaS: number;
    postedSupported: boolean;
    irtaAddress: bigint | undefined;
    haw: number | undefined;
    rt: VtdRuntime;
}

const units = new WeakMap<VtdIommu, UnitCacheEntry>();
const words = new WeakMap<IrteSlot, { lo: bigint; hi: bigint; w: IrteWords }>();

/** The IRTE words of a slot (cached while its lo/hi are unchanged). */
export function slotWords(slot: IrteSlot): IrteWords {
    const hit = words.get(slot);
    if (hit && hit.lo === slot.lo && hit.hi === slot.hi) return hit.w;
    const w = irteWords(slot.lo, slot.hi);
    words.set(slot, { lo: slot.lo, hi: slot.hi, w });
    return w;
}

/** How many 16-byte entries fit below 2^haw from the table base (fault 0x23 beyond); undefined if unknown. */
export function readableEntriesOf(iommu: Pick<VtdIommu, 'irtaAddress' | 'haw'>): number | undefined {
    if (iommu.irtaAddress === undefined || iommu.haw === undefined) return undefined;
    const limit = 1n << BigInt(iommu.haw);
    if (iommu.irtaAddress >= limit) return 0;
    const n = (limit - iommu.irtaAddress) / 16n;
    return n > 0x2_0000n ? Number.POSITIVE_INFINITY : Number(n);
}

/** Whether `c` was made for `iommu` as its registers are now (the comparisons vtdRuntime makes on a hit). */
function entryCurrent(c: UnitCacheEntry, iommu: VtdIommu): boolean {
    return (
        c.remapping === iommu.remapping &&
        c.eim === iommu.eim &&
        c.cfi === iommu.cfi &&
        c.irtaS === iommu.irtaS &&
        c.postedSupported === iommu.postedSupported &&
        c.irtaAddress === iommu.irtaAddress &&
        c.haw === iommu.haw
    );
}

export function vtdRuntime(iommu: VtdIommu): VtdRuntime {
    const c = units.get(iommu);
    if (c && entryCurrent(c, iommu)) return c.rt;
    const unit = prepareVtdUnit({
        enabled: iommu.remapping,
        eime: iommu.eim,
        cfis: iommu.cfi,
        irtaS: iommu.irtaS,
        postedSupported: iommu.postedSupported,
        readableEntries: readableEntriesOf(iommu),
    });
    const read: IrteReader = (index) => {
        const slot = iommu.irtes.get(index);
        return slot ? slotWords(slot) : undefined;
    };
    const entry: UnitCacheEntry = {
        remapping: iommu.remapping,
        eim: iommu.eim,
        cfi: iommu.cfi,
        irtaS: iommu.irtaS,
        postedSupported: iommu.postedSupported,
        irtaAddress: iommu.irtaAddress,
        haw: iommu.haw,
        rt: undefined!,
    };
    entry.rt = { unit, read, iommu, entry };
    units.set(iommu, entry);
    return entry.rt;
}

/**
 * vtdRuntime(iommu) for a caller that kept the runtime it got last time: `last` itself while it was made
 * for this IOMMU object and its registers are unchanged (no WeakMap lookup), else vtdRuntime(iommu). A
 * runtime that is still current is equivalent to the one vtdRuntime would return (same unit constants, a
 * reader over the same IOMMU's live `irtes`).
 */
export function vtdRuntimeSince(iommu: VtdIommu, last: VtdRuntime | undefined): VtdRuntime {
    if (last !== undefined && last.iommu === iommu && entryCurrent(last.entry, iommu)) return last;
    return vtdRuntime(iommu);
}
