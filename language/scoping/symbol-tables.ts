/**
 * Name tables built once per container node, so that every cross-reference resolves with one map lookup.
 *
 * Why: Langium's default scoping walks the local symbols of every enclosing container linearly for each
 * reference, which is quadratic in the number of named siblings (a 45k-line file took ~12 s to link).
 * Here each table is built in one pass over its container the first time a reference needs it, and is
 * keyed by the container node itself (WeakMap): a reparse creates new nodes, so stale tables are never
 * consulted and are collected with the old AST.
 *
 * When a name is declared twice, the first declaration wins (validation reports the second), so links
 * stay stable while the user fixes the duplicate.
 */
import type { AstNode } from 'langium';
import type { Bus, Device, Iommu, IrqAllocation, IrqFile, Irte, Machine, MessageEntry, Msi, Phb, Bridge } from '../generated/ast.js';
import { isBus, isIommu, isPhb } from '../generated/ast.js';
import { irtaSizeRule } from '../engine-api.js';
import { DEFAULT_IRT_SIZE } from '../lowering/lower-machine.js';

export interface MachineSymbols {
    iommus: Map<string, Iommu>;
    buses: Map<string, Bus>;
    phbs: Map<string, Phb>;
    devices: Map<string, Device>;
    bridges: Map<string, Bridge>;
}

const machineTables = new WeakMap<Machine, MachineSymbols>();
const fileTables = new WeakMap<IrqFile, Map<string, Machine>>();
const indexTables = new WeakMap<AstNode, Map<string, AstNode>>();

function addFirst<T>(map: Map<string, T>, name: string | undefined, node: T): void {
    if (name !== undefined && name !== '' && !map.has(name)) map.set(name, node);
}

/** Names declared in one machine: IOMMUs, buses, PHBs (machine level) and devices, bridges (inside buses). */
export function machineSymbols(machine: Machine): MachineSymbols {
    let table = machineTables.get(machine);
    if (!table) {
        table = { iommus: new Map(), buses: new Map(), phbs: new Map(), devices: new Map(), bridges: new Map() };
        for (const member of machine.members ?? []) {
            if (isIommu(member)) addFirst(table.iommus, member.name, member);
            else if (isPhb(member)) addFirst(table.phbs, member.name, member);
            else if (isBus(member)) {
                addFirst(table.buses, member.name, member);
                for (const child of member.members ?? []) {
                    if (child.$type === 'Device') addFirst(table.devices, child.name, child);
                    else addFirst(table.bridges, child.name, child);
                }
            }
        }
        machineTables.set(machine, table);
    }
    return table;
}

/** Machines declared in one file. */
export function fileMachines(file: IrqFile): Map<string, Machine> {
    let table = fileTables.get(file);
    if (!table) {
        table = new Map();
        for (const m of file.machines ?? []) addFirst(table, m.name, m);
        fileTables.set(file, table);
    }
    return table;
}

/**
 * Index texts (decimal, as the IndexText rule produces them) → entries of an MSI-X table / IMS store, or
 * → IRTEs of an IOMMU.
 */
export function entriesByIndex(owner: { entries?: MessageEntry[] } & AstNode): Map<string, MessageEntry> {
    return indexTable(owner, () => (owner.entries ?? []).map(e => [e.index, e] as const)) as Map<string, MessageEntry>;
}

export function irtesByIndex(iommu: Iommu): Map<string, Irte> {
    return indexTable(iommu, () => (iommu.irtes ?? []).map(e => [e.index, e] as const)) as Map<string, Irte>;
}

/** Entries of an IOMMU's interrupt remapping table as the file sizes it (the engine's IRTA.S rule). */
export function irteTableSize(iommu: Iommu): number {
    const sized = irtaSizeRule(iommu.tableSize ?? BigInt(DEFAULT_IRT_SIZE));
    const s = 's' in sized ? sized.s : (irtaSizeRule(BigInt(DEFAULT_IRT_SIZE)) as { s: number }).s;
    return 2 ** (s + 1);
}

/** Larger than any MSI-X table (2048 entries): bounds what a typo in `count` can allocate. */
const MAX_FIRMWARE_VECTORS = 2048;

/**
 * The MSI-X entries of a pseries device: the listed ones, and every other entry below the `irq base`
 * allocation's count (and the table size), which firmware programmed: those resolve to the allocation.
 * Keyed by the device (the table of listed entries alone is keyed by the MSI-X node).
 */
export function msixTargets(device: Device): Map<string, MessageEntry | IrqAllocation> {
    return indexTable(device, () => {
        const listed: (readonly [bigint | undefined, AstNode])[] = (device.msix?.entries ?? []).map(e => [e.index, e] as const);
        const irq = device.irq;
        if (!irq || !device.msix || device.msix.tableSize === undefined) return listed;
        const size = device.msix.tableSize < BigInt(MAX_FIRMWARE_VECTORS) ? Number(device.msix.tableSize) : MAX_FIRMWARE_VECTORS;
        const count = irq.count === undefined ? size : irq.count < BigInt(size) ? Number(irq.count) : size;
        const out = [...listed];
        for (let i = 0; i < count; i++) out.push([BigInt(i), irq]);
        return out; // addFirst: a listed entry wins over the allocation
    }) as Map<string, MessageEntry | IrqAllocation>;
}

/** The MSI capability's vectors 0..n-1 all resolve to the capability node (vectors have no node). */
export function msiVectors(msi: Msi): Map<string, Msi> {
    return indexTable(msi, () => {
        // Capped so that a typo (`vectors 100000000`) cannot allocate a huge table; validation reports it.
        const count = msi.vectors === undefined ? 1 : Math.min(Number(msi.vectors), 32);
        const out: (readonly [bigint, Msi])[] = [];
        for (let i = 0; i < count; i++) out.push([BigInt(i), msi]);
        return out;
    }) as Map<string, Msi>;
}

function indexTable(owner: AstNode, items: () => ReadonlyArray<readonly [bigint | undefined, AstNode]>): Map<string, AstNode> {
    let table = indexTables.get(owner);
    if (!table) {
        table = new Map();
        for (const [index, node] of items()) {
            if (typeof index === 'bigint') addFirst(table, index.toString(), node);
        }
        indexTables.set(owner, table);
    }
    return table;
}
