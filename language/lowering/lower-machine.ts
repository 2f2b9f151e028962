/**
 * Lowering: one `machine { … }` block → the engine's `Machine` (plain data), plus the maps back to the
 * source that every view needs (element id ↔ AST node, (element, property) → range).
 *
 * One pass over the block (plus one over its top-level members to pick up `arch`, `apic` and `kvm`, which
 * may appear after the CPUs they affect, and one over the buses to inherit IOMMUs through bridges): linear
 * in the size of the machine.
 *
 * The lowering never throws on a broken AST (half-typed input): missing values take their defaults,
 * unresolved references are left out, and anything that cannot be encoded is reported in `problems`
 * (validation turns those into diagnostics). Values are masked to their field widths so the model stays
 * within the ranges the engine expects; the literal-width check reports the truncation.
 *
 * Defaults follow what real systems do:
 * - `arch` x86_64; `apic xapic flat`.
 * - xAPIC CPUs get Linux's default logical ID (flat: 1 << n for n < 8, else 0); x2APIC CPUs none (fixed by
 *   hardware).
 * - `apic x2apic` → KVM x2APIC API on and the broadcast quirk disabled (QEMU enables KVM_X2APIC_API with
 *   both flags in x2APIC mode), unless the `kvm` block says otherwise. ext-dest-id off.
 * - VT-d: remapping on; EIM on iff the machine runs x2APIC (Linux enables EIME with x2APIC); CFI off (Linux
 *   clears GCMD.CFI when it enables remapping); posted interrupts unsupported; table size 65536 (Linux
 *   allocates INTR_REMAP_TABLE_ENTRIES = 65536, IRTA.S = 15).
 * - Field-form IRTE: present, fixed, edge, physical; `sid` given → SVT requester (bus range for
 *   `sid bus a..b`), SQ all.
 * - MSI: 1 vector, capable = vectors, 32-bit, no per-vector mask, enabled. MSI-X / IMS entries: unmasked.
 *   IMS stores maskable unless `unmaskable`.
 * - Bus number / segment: as written, else those of the first device or bridge on the bus, else 0. A bus
 *   without `behind` / `on` takes the IOMMU / PHB of the bus above its bridge.
 * - pseries (`arch ppc64`): the machine always gets a PHB list (possibly empty), so the engine routes it
 *   (PHB → XICS → server); PHB, XICS, `irq base` and `bus … on` are lowered only there (validation warns
 *   about them elsewhere). `cpus a..b server S [step T]`: CPU a + i is server S + i·T (T defaults to 1).
 *   `irq base B` without `count` allocates as many IRQs as the MSI-X table has entries (else MSI vectors).
 * - KVM: everything the `kvm` block lists, as written; GSI mapping and route limit only when written (the
 *   engine's defaults: direct on ppc64, routed elsewhere; KVM_MAX_IRQ_ROUTES).
 */
import type { AstNode } from 'langium';
import type { Range } from 'vscode-languageserver-types';
import type * as Ast from '../generated/ast.js';
import type {
    ApicConfig, ApicMode, Arch, Bdf, Bridge, Bus, Cpu, Device, ElementId, ImsStore, IrqAllocation, IrteSlot, KvmConfig,
    KvmIrqfd, KvmRoute, KvmSignalMsi, Machine, MessageEntry, MsiCapability, MsixCapability, Phb, SourceKind,
    VfioAssignment, VtdIommu, XicsConfig,
} from '../engine/model.js';
import type { ElementRef } from '../engine/trace.js';
import { cpuServer, defaultXapicLogicalId, encodeIrte, XICS_DEFAULT_PRIORITY, type IrteSpec } from '../engine-api.js';
import { irtaSizeRule, msiLog2OfCount } from '../engine-api.js';
import { parseBdf, requesterId } from '../values/bdf.js';
import { hasTooWideLiteral } from '../values/field-widths.js';
import { offsetsHit } from '../analysis/syntax-errors.js';
import { ElementIds } from './element-ids.js';
import { rangeForProperty } from './source-map.js';

/** Something the lowering could not express in the model; validation reports it. */
export interface LoweringProblem {
    code: string;
    message: string;
    node: AstNode;
    /** AST property the problem is about (for the range). */
    property?: string;
}

export interface LoweredMachine {
    node: Ast.Machine;
    model: Machine;
    idToNode: Map<ElementId, AstNode>;
    /** The (first) element a node stands for. */
    nodeToId: Map<AstNode, ElementId>;
    /** Every element a node stands for: a `cpus 0..11` range stands for twelve CPUs. */
    nodeToIds: Map<AstNode, ElementId[]>;
    /** Where a diagnostic about the element (and property) belongs; undefined for unknown ids. */
    rangeOf(ref: ElementRef): Range | undefined;
    problems: LoweringProblem[];
    /**
     * Elements built from something validation already rejects (a literal wider than its field, a missing
     * required field, a syntax error inside): the model holds a stand-in value, so what the engine says
     * about them would only repeat the error in a confusing form.
     */
    suspect: Set<ElementId>;
}

export interface LoweringOptions {
    /** Sorted offsets of lexer / parser errors in the document (elements containing one are `suspect`). */
    syntaxErrorOffsets?: readonly number[];
}

/** CPU ranges larger than this are not expanded (KVM_MAX_VCPUS is 4096 on current x86 kernels). */
export const MAX_CPUS_PER_RANGE = 4096;
/** Linux's INTR_REMAP_TABLE_ENTRIES. */
export const DEFAULT_IRT_SIZE = 65536;

/** log2 of an MSI vector count by the engine's rule (1..32, a power of two); undefined for any other count. */
function msiCountLog2(v: bigint | undefined): number | undefined {
    if (v === undefined || v > 32n) return undefined;
    const r = msiLog2OfCount(Number(v));
    return r.ok ? r.log2 : undefined;
}

const MASK8 = 0xffn, MASK16 = 0xffffn, MASK32 = 0xffff_ffffn, MASK64 = 0xffff_ffff_ffff_ffffn;

/** bigint → number, masked to `mask` first so the conversion is exact (mask ≤ 32 bits). */
function num(v: bigint | undefined, mask: bigint, fallback = 0): number {
    return v === undefined ? fallback : Number(v & mask);
}

function onOff(v: string | undefined, fallback: boolean): boolean {
    return v === undefined ? fallback : v === 'on';
}

export function lowerMachine(node: Ast.Machine, options: LoweringOptions = {}): LoweredMachine {
    return new MachineLowering(node, options.syntaxErrorOffsets ?? []).run();
}

class MachineLowering {
    private readonly m: string;
    private readonly idToNode = new Map<ElementId, AstNode>();
    private readonly nodeToId = new Map<AstNode, ElementId>();
    private readonly nodeToIds = new Map<AstNode, ElementId[]>();
    private readonly problems: LoweringProblem[] = [];
    private readonly suspect = new Set<ElementId>();
    private apic: ApicConfig = { mode: 'xapic', logical: 'flat' };
    /** `arch ppc64`: the pseries constructs are lowered, and MSI messages may come from firmware. */
    private ppc64 = false;

    constructor(private readonly node: Ast.Machine, private readonly errorOffsets: readonly number[]) {
        this.m = node.name ?? '';
    }

    private link(id: ElementId, node: AstNode): void {
        if (this.isSuspect(node)) this.suspect.add(id);
        this.idToNode.set(id, node);
        if (!this.nodeToId.has(node)) this.nodeToId.set(node, id);
        const ids = this.nodeToIds.get(node);
        if (ids) ids.push(id); else this.nodeToIds.set(node, [id]);
    }

    private isSuspect(node: AstNode): boolean {
        if (hasTooWideLiteral(node) || missesRequiredField(node, this.ppc64)) return true;
        if (node.$type === 'Irte' && (node as Ast.Irte).sid && hasTooWideLiteral((node as Ast.Irte).sid!)) return true;
        // A syntax error inside a container (machine, IOMMU, bus, device) belongs to one of its members.
        if (!SYNTAX_TAINTABLE.has(node.$type)) return false;
        const cst = node.$cstNode;
        if (!cst || this.errorOffsets.length === 0) return false;
        return offsetsHit(this.errorOffsets, cst.offset, cst.end);
    }

    /** First declaration of an id wins; a duplicate (reported by validation) is left out of the model. */
    private claim(id: ElementId, node: AstNode): boolean {
        if (this.idToNode.has(id)) return false;
        this.link(id, node);
        return true;
    }

    run(): LoweredMachine {
        const members = this.node.members ?? [];
        let arch: Arch = 'x86_64';
        let kvmNode: Ast.Kvm | undefined;
        // `arch`, `apic` and `kvm` are singletons (validation reports repeats); the first one counts.
        let archSeen = false, apicSeen = false;
        for (const member of members) {
            if (member.$type === 'ArchDecl' && member.arch && !archSeen) { arch = member.arch; archSeen = true; }
            else if (member.$type === 'ApicDecl' && member.mode && !apicSeen) {
                this.apic = { mode: member.mode, logical: member.mode === 'xapic' ? member.logical ?? 'flat' : 'flat' };
                apicSeen = true;
            } else if (member.$type === 'Kvm' && !kvmNode) kvmNode = member;
        }
        this.ppc64 = arch === 'ppc64';
        const x2 = this.apic.mode === 'x2apic';
        const x2apicApi = onOff(kvmNode?.x2apicApi, x2);
        const kvm: KvmConfig = {
            x2apicApi,
            // KVM disables the xAPIC broadcast quirk only through KVM_CAP_X2APIC_API
            // (KVM_X2APIC_API_DISABLE_BROADCAST_QUIRK), and QEMU sets that flag together with
            // KVM_X2APIC_API_USE_32BIT_IDS (target/i386/kvm/kvm.c kvm_enable_x2apic): without the x2APIC API the
            // quirk stays on, whatever the APIC mode.
            broadcastQuirkDisabled: kvmNode?.broadcastQuirk === undefined ? x2apicApi : kvmNode.broadcastQuirk === 'off',
            extDestId: onOff(kvmNode?.extDestId, false),
        };

        const machineId = ElementIds.machine(this.m);
        this.link(machineId, this.node);
        const cpus = new Map<number, Cpu>();
        const iommus: VtdIommu[] = [];
        const buses: Bus[] = [];
        const busNodes: Ast.Bus[] = [];
        const phbs: Phb[] = [];
        let xicsNode: Ast.Xics | undefined;
        for (const member of members) {
            switch (member.$type) {
                case 'CpuRange': this.lowerCpuRange(member, cpus); break;
                case 'CpuDecl': this.lowerCpu(member, cpus); break;
                case 'Iommu': { const i = this.lowerIommu(member); if (i) iommus.push(i); break; }
                case 'Bus': { const b = this.lowerBus(member); if (b) { buses.push(b); busNodes.push(member); } break; }
                case 'Phb': { const p = this.ppc64 ? this.lowerPhb(member) : undefined; if (p) phbs.push(p); break; }
                case 'Xics': if (this.ppc64 && !xicsNode) xicsNode = member; break;
                default: break;
            }
        }
        const { bridges, devices } = this.lowerBusMembers(busNodes, buses);
        // After the CPUs: a source's default server is the first CPU's, as in the engine.
        const first = cpus.values().next().value;
        const xics = xicsNode ? this.lowerXics(xicsNode, first ? cpuServer(first) : 0, devices) : undefined;
        if (kvmNode) this.lowerKvm(kvmNode, kvm);
        const model: Machine = {
            id: machineId, name: this.m, arch, apic: this.apic, kvm,
            cpus: [...cpus.values()], iommus, buses, bridges, devices,
        };
        // A pseries machine is routed by the engine when it has a PHB list, even an empty one (a device under
        // no PHB is then `spapr-no-phb`, which is what such a machine does).
        if (this.ppc64) {
            model.phbs = phbs;
            if (xics) model.xics = xics;
        }
        const idToNode = this.idToNode;
        return {
            node: this.node, model, idToNode, nodeToId: this.nodeToId, nodeToIds: this.nodeToIds,
            problems: this.problems, suspect: this.suspect,
            rangeOf(ref: ElementRef): Range | undefined {
                const n = idToNode.get(ref.id);
                return n ? rangeForProperty(n, ref.property) : undefined;
            },
        };
    }

    // ------------------------------------------------------------------------------------------------
    // CPUs

    private makeCpu(index: number, apicId: number, mode: ApicMode | undefined, logicalId: number | undefined, enabled: boolean, server?: number): Cpu {
        const cpuMode = mode ?? this.apic.mode;
        const cpu: Cpu = { id: ElementIds.cpu(this.m, index), index, apicId, mode: cpuMode, enabled };
        if (logicalId !== undefined) cpu.logicalId = logicalId;
        else if (cpuMode === 'xapic') cpu.logicalId = defaultXapicLogicalId(index, this.apic.logical);
        if (server !== undefined) cpu.server = server;
        return cpu;
    }

    private lowerCpuRange(node: Ast.CpuRange, cpus: Map<number, Cpu>): void {
        if (node.first === undefined || node.last === undefined) return;
        const first = node.first, last = node.last;
        // Validation reports empty and oversized ranges; expanding them here would only waste memory.
        if (first > last || last - first >= BigInt(MAX_CPUS_PER_RANGE) || last > MASK32) return;
        for (let i = Number(first); i <= Number(last); i++) {
            // `server S step T`: interrupt servers S, S + T, … (pseries numbers them per thread: step 8 on SMT8).
            const server = node.server === undefined ? undefined
                : Number((node.server + BigInt(i - Number(first)) * (node.step ?? 1n)) & MASK32);
            const cpu = this.makeCpu(i, i, node.mode, undefined, !node.disabled, server);
            if (cpus.has(i)) continue; // overlapping ranges: validation reports; first wins
            cpus.set(i, cpu);
            this.link(cpu.id, node);
        }
    }

    /** `cpu N …` declares CPU N, or refines CPU N of an earlier or later `cpus` range. */
    private lowerCpu(node: Ast.CpuDecl, cpus: Map<number, Cpu>): void {
        if (node.index === undefined || node.index > MASK32) return;
        const index = Number(node.index);
        const id = ElementIds.cpu(this.m, index);
        const previous = this.idToNode.get(id);
        if (previous && previous.$type === 'CpuDecl') return; // duplicate `cpu N`: validation reports
        const apicId = node.apicId === undefined ? index : num(node.apicId, MASK32);
        const logicalId = node.logicalId === undefined ? undefined : num(node.logicalId, MASK8);
        // A `cpu N` that refines a CPU of a range keeps the range's server number unless it gives its own.
        const server = node.server !== undefined ? num(node.server, MASK32) : cpus.get(index)?.server;
        const cpu = this.makeCpu(index, apicId, node.mode, logicalId, !node.disabled, server);
        cpus.set(index, cpu); // keeps the position of a range's CPU it replaces
        if (previous) {
            // The range no longer stands for this CPU.
            const ids = this.nodeToIds.get(previous)?.filter(x => x !== id) ?? [];
            this.nodeToIds.set(previous, ids);
            if (this.nodeToId.get(previous) === id) {
                if (ids.length > 0) this.nodeToId.set(previous, ids[0]); else this.nodeToId.delete(previous);
            }
            this.idToNode.delete(id);
        }
        this.link(id, node);
    }

    // ------------------------------------------------------------------------------------------------
    // IOMMUs

    private lowerIommu(node: Ast.Iommu): VtdIommu | undefined {
        if (!node.name) return undefined;
        const id = ElementIds.iommu(this.m, node.name);
        if (!this.claim(id, node)) return undefined;
        const eim = onOff(node.eim, this.apic.mode === 'x2apic');
        // IRTA.S by the engine's rule; a size it refuses (validation reports it) keeps the default.
        const sized = irtaSizeRule(node.tableSize ?? BigInt(DEFAULT_IRT_SIZE));
        const irtaS = 's' in sized ? sized.s : (irtaSizeRule(BigInt(DEFAULT_IRT_SIZE)) as { s: number }).s;
        const iommu: VtdIommu = {
            kind: 'vtd', id, name: node.name,
            remapping: onOff(node.remapping, true),
            eim,
            cfi: onOff(node.cfi, false),
            irtaS,
            postedSupported: onOff(node.posted, false),
            irtes: new Map(),
        };
        for (const irte of node.irtes ?? []) {
            if (irte.index === undefined || irte.index > MASK16) continue;
            const index = Number(irte.index);
            const irteId = ElementIds.irte(this.m, node.name, index);
            if (!this.claim(irteId, irte)) continue;
            const halves = irte.raw
                ? { lo: (irte.lo ?? 0n) & MASK64, hi: (irte.hi ?? 0n) & MASK64 }
                : this.encodeFieldIrte(irte, eim);
            const slot: IrteSlot = { id: irteId, index, lo: halves.lo, hi: halves.hi };
            iommu.irtes.set(index, slot);
        }
        return iommu;
    }

    /** Field form → raw halves through the engine's encoder (bit layouts live only in the engine). */
    private encodeFieldIrte(irte: Ast.Irte, eim: boolean): { lo: bigint; hi: bigint } {
        const spec = irteSpecOf(irte);
        try {
            return encodeIrte(spec, { eim });
        } catch (e) {
            // Only what widths cannot catch gets here (a destination above 0xFF_FFFF without EIM, an
            // unaligned descriptor): report it, then encode what an xAPIC-mode entry holds (dest[7:0]; the
            // engine would otherwise report the same destination a second time) and an aligned descriptor.
            const message = e instanceof Error ? e.message : String(e);
            const property = /pda|descriptor/i.test(message) ? 'descriptor' : /dest/i.test(message) ? 'dest' : undefined;
            this.problems.push({ code: 'irte-not-encodable', message: `${message}.`, node: irte, property });
            const safe: IrteSpec = { ...spec, dest: (spec.dest ?? 0) & (eim ? 0xffff_ffff : 0xff), pda: (spec.pda ?? 0n) & ~0x3fn };
            try {
                return encodeIrte(safe, { eim });
            } catch {
                return { lo: 0n, hi: 0n };
            }
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Buses, bridges, devices

    private lowerBus(node: Ast.Bus): Bus | undefined {
        if (!node.name) return undefined;
        const id = ElementIds.bus(this.m, node.name);
        if (!this.claim(id, node)) return undefined;
        const first = (node.members ?? []).map(c => c.bdf ? parseBdf(c.bdf) : undefined).find(b => b !== undefined);
        const bus: Bus = {
            id, name: node.name,
            segment: node.segment !== undefined ? num(node.segment, MASK16) : first?.segment ?? 0,
            number: node.number !== undefined ? num(node.number, MASK8) : first?.bus ?? 0,
        };
        const iommu = node.iommu?.ref;
        if (iommu?.name) bus.iommu = ElementIds.iommu(this.m, iommu.name);
        const phb = node.phb?.ref;
        if (phb?.name && this.ppc64) bus.phb = ElementIds.phb(this.m, phb.name);
        return bus;
    }

    private lowerBusMembers(busNodes: Ast.Bus[], buses: Bus[]): { bridges: Bridge[]; devices: Device[] } {
        const bridges: Bridge[] = [];
        const devices: Device[] = [];
        const busById = new Map(buses.map(b => [b.id, b]));
        for (let i = 0; i < busNodes.length; i++) {
            const busNode = busNodes[i], bus = buses[i];
            for (const child of busNode.members ?? []) {
                if (child.$type === 'Bridge') {
                    const br = this.lowerBridge(child, bus);
                    if (br) {
                        bridges.push(br);
                        const secondary = busById.get(br.secondary);
                        if (secondary && secondary.parentBridge === undefined && secondary.id !== bus.id) secondary.parentBridge = br.id;
                    }
                } else {
                    const d = this.lowerDevice(child, bus);
                    if (d) devices.push(d);
                }
            }
        }
        const bridgeById = new Map(bridges.map(b => [b.id, b]));
        this.inherit('iommu', buses, busById, bridgeById);
        this.inherit('phb', buses, busById, bridgeById);
        return { bridges, devices };
    }

    /**
     * A bus without `behind` (`on`) takes the IOMMU (PHB) of the bus above its bridge (memoised, cycle-safe).
     */
    private inherit(key: 'iommu' | 'phb', buses: Bus[], busById: Map<ElementId, Bus>, bridgeById: Map<ElementId, Bridge>): void {
        const done = new Set<ElementId>();
        const resolve = (bus: Bus): string | undefined => {
            const chain: Bus[] = [];
            const onChain = new Set<ElementId>();
            let cur: Bus | undefined = bus;
            let found: string | undefined;
            while (cur && !done.has(cur.id) && !onChain.has(cur.id)) {
                if (cur[key]) { found = cur[key]; done.add(cur.id); break; }
                chain.push(cur);
                onChain.add(cur.id);
                const br: Bridge | undefined = cur.parentBridge ? bridgeById.get(cur.parentBridge) : undefined;
                cur = br ? busById.get(br.bus) : undefined;
            }
            if (found === undefined && cur && done.has(cur.id)) found = cur[key];
            for (const b of chain) {
                if (found !== undefined) b[key] = found;
                done.add(b.id);
            }
            return found;
        };
        for (const bus of buses) resolve(bus);
    }

    private bdfOf(text: string | undefined, bus: Bus): Bdf | undefined {
        const p = text ? parseBdf(text) : undefined;
        if (!p) return undefined;
        return { segment: p.segment ?? bus.segment, bus: p.bus, device: p.device & 0x1f, fn: p.fn & 0x7 };
    }

    private lowerBridge(node: Ast.Bridge, bus: Bus): Bridge | undefined {
        if (!node.name) return undefined;
        const target = node.secondary?.ref;
        const bdf = this.bdfOf(node.bdf, bus);
        if (!target?.name || !bdf || !node.kind) return undefined;
        const id = ElementIds.bridge(this.m, node.name);
        if (!this.claim(id, node)) return undefined;
        return { id, name: node.name, kind: node.kind, bdf, bus: bus.id, secondary: ElementIds.bus(this.m, target.name) };
    }

    private lowerDevice(node: Ast.Device, bus: Bus): Device | undefined {
        const bdf = this.bdfOf(node.bdf, bus);
        if (!node.name || !bdf) return undefined;
        const id = ElementIds.device(this.m, node.name);
        if (!this.claim(id, node)) return undefined;
        const device: Device = { id, name: node.name, bdf, bus: bus.id };
        if (node.model !== undefined) device.model = node.model;
        if (node.msi) device.msi = this.lowerMsi(node.msi, node.name);
        if (node.msix) device.msix = this.lowerMsix(node.msix, node.name);
        if (node.ims) device.ims = this.lowerIms(node.ims, node.name);
        if (node.irq?.base !== undefined && this.ppc64) device.irqAllocation = this.lowerIrqAllocation(node.irq, node.name, device);
        if (node.vfio) device.vfio = this.lowerVfio(node.vfio, node.name);
        return device;
    }

    private lowerMsi(node: Ast.Msi, device: string): MsiCapability {
        const id = ElementIds.msi(this.m, device);
        this.link(id, node);
        const mme = msiCountLog2(node.vectors) ?? 0;
        const mmc = msiCountLog2(node.capable) ?? mme;
        const msi: MsiCapability = {
            id,
            enabled: !node.disabled,
            mmc,
            mme,
            is64: node.is64 ?? false,
            perVectorMask: node.perVectorMask ?? false,
            address: (node.address ?? 0n) & MASK64,
            data: num(node.data, MASK32),
            maskBits: num(node.masked, MASK32),
            pendingBits: num(node.pending, MASK32),
        };
        if (node.latch !== undefined) msi.latches = node.latch === 'on';
        return msi;
    }

    private lowerMsix(node: Ast.Msix, device: string): MsixCapability {
        const id = ElementIds.msix(this.m, device);
        this.link(id, node);
        return {
            id,
            enabled: !node.disabled,
            tableSize: num(node.tableSize, MASK32),
            functionMask: node.functionMasked ?? false,
            entries: this.lowerEntries(node.entries, i => ElementIds.msixEntry(this.m, device, i)),
        };
    }

    private lowerIms(node: Ast.Ims, device: string): ImsStore {
        const id = ElementIds.ims(this.m, device);
        this.link(id, node);
        const ims: ImsStore = {
            id,
            size: num(node.size, MASK32),
            entries: this.lowerEntries(node.entries, i => ElementIds.imsEntry(this.m, device, i)),
        };
        if (node.unmaskable) ims.maskable = false;
        return ims;
    }

    /** `irq base B [count N] [slot S] [server N] [priority P]`: what ibm,change-msi returned. */
    private lowerIrqAllocation(node: Ast.IrqAllocation, deviceName: string, device: Device): IrqAllocation {
        const id = ElementIds.irqAllocation(this.m, deviceName);
        this.link(id, node);
        // Firmware allocates what the driver asks for, at most the device's maximum: without a count, as many
        // IRQs as the device has vectors.
        const count = node.count !== undefined ? num(node.count, MASK32)
            : device.msix ? device.msix.tableSize
            : device.msi ? 1 << device.msi.mme
            : 1;
        const a: IrqAllocation = { id, base: num(node.base, MASK32), count };
        if (node.slot !== undefined) a.slot = num(node.slot, MASK32);
        if (node.server !== undefined) a.server = num(node.server, MASK32);
        if (node.priority !== undefined) a.priority = num(node.priority, MASK8);
        return a;
    }

    /** `vfio { … }`: offsets as written (missing ones are reported; 0 stands in). */
    private lowerVfio(node: Ast.Vfio, device: string): VfioAssignment {
        const id = ElementIds.vfio(this.m, device);
        this.link(id, node);
        const v: VfioAssignment = {
            id,
            msixBar: num(node.msixBar, 0x7n),
            tableOffset: (node.tableOffset ?? 0n) & MASK32,
            pbaOffset: (node.pbaOffset ?? 0n) & MASK32,
            mmap: node.access === 'mmap',
        };
        if (node.pbaBar !== undefined) v.pbaBar = num(node.pbaBar, 0x7n);
        if (node.barSize !== undefined) v.barSize = node.barSize & MASK64;
        if (node.pageSize !== undefined) v.pageSize = num(node.pageSize, MASK32);
        return v;
    }

    // ------------------------------------------------------------------------------------------------
    // pseries: PHBs, XICS

    private lowerPhb(node: Ast.Phb): Phb | undefined {
        if (!node.name) return undefined;
        const id = ElementIds.phb(this.m, node.name);
        if (!this.claim(id, node)) return undefined;
        const phb: Phb = { id, name: node.name, msiWindow: (node.msiWindow ?? 0n) & MASK64 };
        if (node.msiWindowSize !== undefined) phb.windowSize = node.msiWindowSize & MASK64;
        if (node.model !== undefined) phb.model = node.model;
        if (node.maxDevs !== undefined) phb.maxDevs = num(node.maxDevs, MASK32);
        return phb;
    }

    private lowerXics(node: Ast.Xics, firstServer: number, devices: readonly Device[]): XicsConfig | undefined {
        if (node.first === undefined || node.last === undefined) return undefined;
        const id = ElementIds.xics(this.m);
        this.link(id, node);
        const xics: XicsConfig = { id, first: num(node.first, MASK32), last: num(node.last, MASK32) };
        if (node.server !== undefined) xics.defaultServer = num(node.server, MASK32);
        if (node.priority !== undefined) xics.defaultPriority = num(node.priority, MASK8);
        for (const s of node.sources ?? []) {
            if (s.irq === undefined || s.irq > MASK32) continue;
            const sid = ElementIds.xicsSource(this.m, s.irq);
            if (!this.claim(sid, s)) continue; // a repeated source: validation reports it, the first counts
            // A source that sets only one of server / priority keeps what it had for the other: the XIVE of the
            // allocation that holds it, else the XICS defaults (ibm,set-xive always writes both).
            const irq = Number(s.irq);
            const alloc = devices.find(d => d.irqAllocation && irq >= d.irqAllocation.base && irq < d.irqAllocation.base + d.irqAllocation.count)?.irqAllocation;
            const server = s.server !== undefined ? num(s.server, MASK32) : alloc?.server ?? xics.defaultServer ?? firstServer;
            const priority = s.priority !== undefined ? num(s.priority, MASK8) : alloc?.priority ?? xics.defaultPriority ?? XICS_DEFAULT_PRIORITY;
            (xics.sources ??= []).push({ id: sid, irq, server, priority });
        }
        return xics;
    }

    // ------------------------------------------------------------------------------------------------
    // KVM: GSI routes, irqfds, KVM_SIGNAL_MSI

    private lowerKvm(node: Ast.Kvm, kvm: KvmConfig): void {
        kvm.id = ElementIds.kvm(this.m);
        this.link(kvm.id, node);
        if (node.gsiMapping !== undefined) kvm.gsiMapping = node.gsiMapping;
        if (node.maxRoutes !== undefined) kvm.maxRoutes = num(node.maxRoutes, MASK32);
        const ordinals = new Map<string, number>();
        const nextId = (key: string, make: (ordinal: number) => ElementId): ElementId => {
            const n = ordinals.get(key) ?? 0;
            ordinals.set(key, n + 1);
            return make(n);
        };
        // Routes, irqfds and signals are lists in the engine: a repeat is the engine's to judge (a GSI routed
        // twice, a vector bound twice), so each declaration gets an id of its own.
        const routes: KvmRoute[] = [];
        for (const r of node.routes ?? []) {
            if (r.gsi === undefined || r.gsi > MASK32 || !r.kind) continue;
            const id = nextId(`gsi ${r.gsi}`, n => ElementIds.kvmRoute(this.m, r.gsi!, n));
            this.link(id, r);
            const route: KvmRoute = { id, gsi: Number(r.gsi), kind: r.kind };
            if (r.kind === 'msi') {
                route.address = (r.address ?? 0n) & MASK64;
                route.data = num(r.data, MASK32);
                if (r.devid !== undefined) route.devid = num(r.devid, MASK32);
            } else {
                if (r.irqchip !== undefined) route.irqchip = r.irqchip;
                if (r.pin !== undefined) route.pin = num(r.pin, MASK32);
            }
            routes.push(route);
        }
        const irqfds: KvmIrqfd[] = [];
        for (const f of node.irqfds ?? []) {
            const source = this.sourceOf(f.source);
            if (!source || f.gsi === undefined || f.gsi > MASK32) continue;
            const key = `${f.source.device?.ref?.name}.${source.kind}[${source.index}]`;
            const id = nextId(`irqfd ${key}`, n => ElementIds.kvmIrqfd(this.m, key, n));
            this.link(id, f);
            const irqfd: KvmIrqfd = { id, source, gsi: Number(f.gsi) };
            if (f.resample) irqfd.resample = true;
            irqfds.push(irqfd);
        }
        const signals: KvmSignalMsi[] = [];
        for (const sig of node.signals ?? []) {
            const key = sig.name ?? `[${signals.length}]`;
            const id = nextId(`signal ${key}`, n => ElementIds.kvmSignal(this.m, key, n));
            this.link(id, sig);
            const signal: KvmSignalMsi = { id, address: (sig.address ?? 0n) & MASK64, data: num(sig.data, MASK32) };
            if (sig.name !== undefined) signal.name = sig.name;
            if (sig.devid !== undefined) signal.devid = num(sig.devid, MASK32);
            signals.push(signal);
        }
        if (routes.length) kvm.routes = routes;
        if (irqfds.length) kvm.irqfds = irqfds;
        if (signals.length) kvm.signals = signals;
    }

    /**
     * The interrupt source a vector reference names: the device it resolves to, and the index as written
     * (the reference text is the index's decimal value). Undefined while the reference does not resolve
     * (the linker reports it).
     */
    private sourceOf(ref: Ast.VectorRef | undefined): { device: ElementId; kind: SourceKind; index: number } | undefined {
        const device = ref?.device?.ref;
        const text = ref?.entry?.$refText;
        if (!device?.name || !ref?.kind || !ref.entry?.ref || !text || !/^[0-9]+$/.test(text) || BigInt(text) > MASK32) return undefined;
        return { device: ElementIds.device(this.m, device.name), kind: ref.kind, index: Number(text) };
    }

    private lowerEntries(nodes: Ast.MessageEntry[] | undefined, idOf: (index: number) => ElementId): MessageEntry[] {
        const out: MessageEntry[] = [];
        for (const e of nodes ?? []) {
            if (e.index === undefined || e.index > MASK32) continue;
            const index = Number(e.index);
            const id = idOf(index);
            if (!this.claim(id, e)) continue;
            out.push({
                id, index,
                address: (e.address ?? 0n) & MASK64,
                data: num(e.data, MASK32),
                masked: e.masked ?? false,
                pending: e.pending ?? false,
            });
        }
        return out;
    }
}

/** Element nodes without member elements of their own: a syntax error inside one is about it. */
const SYNTAX_TAINTABLE = new Set([
    'Irte', 'MessageEntry', 'Msi', 'CpuDecl', 'CpuRange', 'Bridge', 'Phb', 'XicsSource', 'IrqAllocation', 'Vfio',
    'KvmRoute', 'KvmIrqfd', 'KvmSignal',
]);

/**
 * Whether an MSI capability's message comes from platform firmware rather than the file: on pseries the
 * guest never programs it (RTAS ibm,change-msi does, from the device's `irq base` allocation).
 */
export function msiFromFirmware(msi: Ast.Msi, ppc64: boolean): boolean {
    return ppc64 && msi.$container?.irq !== undefined;
}

/** Required fields missing (validation: `missing-field`), or values the registers cannot hold. */
function missesRequiredField(node: AstNode, ppc64: boolean): boolean {
    switch (node.$type) {
        case 'Irte': {
            const irte = node as Ast.Irte;
            if (irte.raw) return irte.lo === undefined || irte.hi === undefined;
            return irte.vector === undefined || (irte.posted ? irte.descriptor === undefined : irte.dest === undefined);
        }
        case 'MessageEntry': {
            const e = node as Ast.MessageEntry;
            return e.address === undefined || e.data === undefined;
        }
        case 'Msi': {
            // Also what the capability's registers cannot hold (validation reports each). Mask or pending
            // bits without per-vector masking are not such a value: the engine says what they do
            // (`msi-mask-unsupported`: nothing, the vector keeps firing).
            const m = node as Ast.Msi;
            const count = (v: bigint | undefined) => v === undefined || msiCountLog2(v) !== undefined;
            const firmware = msiFromFirmware(m, ppc64);
            return (!firmware && (m.address === undefined || m.data === undefined))
                || (!m.is64 && m.address !== undefined && m.address > 0xffff_ffffn)
                || !count(m.vectors) || !count(m.capable);
        }
        case 'Phb': return (node as Ast.Phb).msiWindow === undefined;
        case 'KvmRoute': {
            const r = node as Ast.KvmRoute;
            return r.kind === 'irqchip' ? r.pin === undefined || r.irqchip === undefined : r.address === undefined || r.data === undefined;
        }
        case 'KvmSignal': {
            const sig = node as Ast.KvmSignal;
            return sig.address === undefined || sig.data === undefined;
        }
        case 'Vfio': return vfioMissingFields(node as Ast.Vfio).length > 0;
        default: return false;
    }
}

/** The layout fields a `vfio` block must give: only when the device has an MSI-X table to place. */
export function vfioMissingFields(v: Ast.Vfio): ('msixBar' | 'tableOffset' | 'pbaOffset')[] {
    if (!v.$container?.msix) return [];
    return (['msixBar', 'tableOffset', 'pbaOffset'] as const).filter(p => v[p] === undefined);
}

/**
 * The engine's friendly IRTE description of a field-form entry. Numbers are masked to their field widths
 * (the literal-width check reports anything wider), so the encoder only rejects what no width check can
 * see.
 */
export function irteSpecOf(irte: Pick<Ast.Irte, 'posted' | 'vector' | 'dest' | 'deliveryMode' | 'trigger' | 'destMode' | 'rh' | 'fpd' | 'notPresent' | 'sid' | 'sq' | 'svt' | 'descriptor' | 'urgent' | 'avail'>): IrteSpec {
    const spec: IrteSpec = {
        present: !irte.notPresent,
        fpd: irte.fpd ?? false,
        posted: irte.posted ?? false,
        vector: num(irte.vector, MASK8),
        avail: num(irte.avail, 0xfn),
    };
    if (irte.posted) {
        spec.urgent = irte.urgent ?? false;
        spec.pda = (irte.descriptor ?? 0n) & MASK64;
    } else {
        spec.dest = num(irte.dest, MASK32);
        spec.deliveryMode = irte.deliveryMode ?? 'fixed';
        spec.trigger = irte.trigger ?? 'edge';
        spec.destMode = irte.destMode ?? 'physical';
        spec.redirectionHint = irte.rh ?? false;
    }
    const sid = irte.sid;
    if (sid) {
        if (sid.$type === 'SidBdf') {
            const b = sid.bdf ? parseBdf(sid.bdf) : undefined;
            spec.sid = b ? requesterId(b) : 0;
        } else if (sid.$type === 'SidRaw') {
            spec.sid = num(sid.value, MASK16);
        } else {
            spec.sidBusRange = { start: num(sid.start, MASK8), end: num(sid.end, MASK8) };
            spec.svt = 'bus-range';
        }
    }
    if (irte.sq !== undefined) spec.sq = irte.sq;
    if (irte.svt !== undefined) spec.svt = irte.svt;
    return spec;
}
