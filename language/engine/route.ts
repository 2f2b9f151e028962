/**
 * route(): the whole path of one interrupt source of an x86 machine, as a RouteTrace.
 *
 *   device write (stored message of MSI vector k / MSI-X entry k / IMS slot k; masks, enable)
 *   → host bridge (0xFEE interrupt window, ROUTING.md §1.1)
 *   → VT-d interrupt remapping when the device's bus is behind an IOMMU with remapping on (§2.6), with the
 *     requester id derived from the BDF and the bridges above (§2.5)
 *   → local APIC delivery with KVM's matching rules (§1.3–1.5); a remapped message reaches the APICs as
 *     QEMU composes it, dest[31:8] in address_hi (§2.6 step 11)
 *   → CPU(s).
 *
 * Every stage names the model element it used; every finding names the element and property that caused
 * it. The rules live in the per-architecture modules; this file only sequences them and explains.
 * Stage `decodes` are computed on first read, from the machine as it is then: a caller that mutates the
 * machine between route() and reading them sees the new IRTE contents in the decode.
 */
import { hex, hexGrouped, hexPad, hi32, lo32 } from './bits.js';
import { decodeBdf, decodeIrte, decodeMsiAddress, decodeMsiData, decodePhbWindowAddress, describeIommu, describeVectorState } from './decode.js';
import { makeFinding, vtdFaultCode, type DiagnosticCode } from './diagnostics.js';
import { indexMachine, type MachineIndex } from './machine-index.js';
import { firstIrqfdOf, gsiMappingOf, routesOfGsi } from './kvm/routing.js';
import type { Cpu, Device, ElementId, Iommu, IrqAllocation, IrteSlot, KvmIrqfd, KvmRoute, Machine, MessageEntry, Profile, SourceRef, VtdIommu } from './model.js';
import { msiPendingWhere, msiVectorCount, msiVectorData } from './pci/msi.js';
import { pbaWhere } from './pci/msix.js';
import type {
    DeliveredOutcome,
    ElementRef,
    FaultOutcome,
    Finding,
    KvmVia,
    Outcome,
    PendingOutcome,
    PostedOutcome,
    RouteTrace,
    Stage,
    StageKind,
    ValueDecode,
} from './trace.js';
import { deliverToApics, vectorHashingPick, type DeliveryResult } from './x86/apic-delivery.js';
import { swappedAddressCandidate, swappedDataCandidate } from './x86/byte-swap.js';
import { deliveryModeLabel, deliveryModeName, isIllegalVector, isReservedDeliveryMode } from './x86/delivery-mode.js';
import { compatAddressFields, compatDataFields, decodeCompatMsi, decodeCompatMsiOrError, isInterruptAddress, type CompatMsi, type CompatOptions, type CompatResult } from './x86/msi-compat.js';
import {
    cpuServer,
    cpusOfServer,
    firmwareMessage,
    isSpaprRouted,
    phbMaxDevs,
    phbModel,
    phbOfDevice,
    phbWindowSize,
    spaprIndex,
    xicsOf,
    xiveOf,
    XICS_MASKED_PRIORITY,
} from './spapr/machine.js';
import { spaprCurrentDecode, spaprLegacyDecode, type SpaprError, type SpaprResult } from './spapr/phb-msi.js';
import { formatRid, irtePda, irteReservedViolations, irteXapicDestOverflow, irteSourceText, ridOf, SVT_NAMES } from './vtd/irte.js';
import { remappableAddress, vtdRemap, VTD_FAULTS, type RemapOutput } from './vtd/remap.js';
import { checkSourceId, expectedIrteSource, formatBdf, requesterIdOf, type RequesterIdInfo } from './vtd/source-id.js';
import { vtdRuntime, vtdRuntimeSince, type VtdRuntime } from './vtd/unit.js';

import { LazyStage } from './lazy-stage.js';

export interface RouteOptions {
    profile: Profile;
}


function makeStage(kind: StageKind, title: string, summary: string | (() => string), element: ElementRef | undefined, decodes: () => ValueDecode[]): Stage {
    return new LazyStage(kind, title, summary, element, decodes);
}

/** index → position in the entries array, per array; verified on every lookup so edits in place are seen. */
const entryPositions = new WeakMap<readonly MessageEntry[], Map<number, number>>();
/** Counts the rebuilds of entryPositions maps (see entryOfSource). A built map is never changed. */
let entryMapBuilds = 0;

function entryAt(entries: readonly MessageEntry[], index: number): MessageEntry | undefined {
    let pos = entryPositions.get(entries);
    const at = pos?.get(index);
    const e = at === undefined ? undefined : entries[at];
    if (e?.index === index) return e;
    pos = new Map(entries.map((x, i) => [x.index, i]));
    entryPositions.set(entries, pos);
    entryMapBuilds++;
    const now = pos.get(index);
    return now === undefined ? undefined : entries[now];
}

/**
 * entryAt(entries, index) through the source's SourceText, without its WeakMap and Map lookups when they
 * would give what they gave last time. The text keeps the array, the position entryAt found and the build
 * count then: with no map rebuilt since (the count is the same), entryAt would read the same map, get the
 * same position and return the entry there if it still has the index, so that check is all that is left.
 * Anything else goes to entryAt itself.
 */
function entryOfSource(text: SourceText, entries: readonly MessageEntry[], index: number): MessageEntry | undefined {
    const pos = text.entryPos;
    if (text.entries === entries && text.entryBuilds === entryMapBuilds && pos >= 0) {
        const e = entries[pos];
        if (e !== undefined && e.index === index) return e;
    }
    const e = entryAt(entries, index);
    text.entries = entries;
    text.entryBuilds = entryMapBuilds;
    // Only a position entryAt would read again from its map (the one it just used or built).
    const at = e === undefined ? undefined : entryPositions.get(entries)?.get(index);
    text.entryPos = at !== undefined && entries[at] === e ? at : -1;
    return e;
}

/**
 * The element and name of a source, and the message it sends. Every key is always present (undefined when
 * it does not apply), in one order: one object shape, so the reads of t.src.* stay monomorphic.
 */
interface SourceMessage {
    name: string;
    /** The device-write stage's title. */
    writeTitle: string;
    /** The source's cached texts and last message (absent for a KVM_SIGNAL_MSI). */
    text: SourceText | undefined;
    element: ElementId;
    address: bigint;
    data: number;
    /** Why nothing is sent now (mask / disabled), and where the pending bit sits. */
    pending: { reason: PendingOutcome['reason']; where: string } | undefined;
    /** The entry holds its reset value (address 0, data 0): nothing to route even once unmasked. */
    unprogrammed: boolean;
    /** The message is the one platform firmware programmed (pseries), not one listed in the model. */
    firmware: boolean | undefined;
    /** The source does not exist (index beyond the capability). */
    invalid: { code: DiagnosticCode; message: string; detail: string; element: ElementRef; related: Finding['related'] } | undefined;
    /**
     * The message as the current one (sourceCurrentMessage), once made. The only field set after the
     * message is complete: route() starts from it, and a SourceMessage is only ever read otherwise.
     */
    current: CurrentMessage | undefined;
}

export function sourceName(device: Device, source: Pick<SourceRef, 'kind' | 'index'>): string {
    return `${device.name}.${source.kind}[${source.index}]`;
}

// ---------------------------------------------------------------------------------------------------------
// What route() derives from the machine's structure alone, made once and reused by every route.
//
// Kept per MachineIndex, so invalidateMachineIndex() (the contract for structural edits in place) drops it
// with the index. The structure it holds (names, the bus → IOMMU link) is like the index's; the device
// fields a plan was derived from (name, bus, BDF) are compared on every use, as the requester-id cache does,
// so an edit in place is seen. Message, mask and IRTE contents are still read live on every route: what a
// source's SourceText remembers about them (SourceMemo, CurrentMessage and the RemapMemo / DeliveryMemo on
// it) is handed out again only after comparing every value it was made from with the value now, and is
// only ever read afterwards, so a route gives the same trace as one computed from scratch.

/**
 * A source's name and its device-write stage title ('nic.msix[3]', 'nic.msix[3] write'), and the last
 * message it sent (address split into dwords, and what routing it computed): Number(bigint) and bigint
 * comparisons are the costly part of a split, while `===` against the address seen last time is cheap, and
 * an entry's address rarely changes.
 */
interface SourceText {
    name: string;
    writeTitle: string;
    /** The message this source sent last, as routed (see sourceCurrentMessage). */
    current: CurrentMessage | undefined;
    /** The message this source was found to send last time, with what it was made from (see SourceMemo). */
    memo: SourceMemo | undefined;
    /** The entries array, entryAt's position in it and the map build count when last looked up (entryOfSource). */
    entries: readonly MessageEntry[] | undefined;
    entryPos: number;
    entryBuilds: number;
    /** The machine's irqfd list when `irqfd` was looked up (see irqfdOfSource), and what it gave. */
    irqfds: readonly KvmIrqfd[] | undefined;
    irqfd: KvmIrqfd | undefined;
}

/**
 * What sourceMessage() read to make a source's SourceMessage: while all of it is the same, the next call
 * hands out the same SourceMessage (it is never changed once made, and route() only reads it). Not kept for
 * a message platform firmware programmed (pseries) or for an invalid source.
 *
 * MSI: the capability, its address, data, id, MME (`size`), enable, per-vector masking (`mask`) and mask
 * bits. MSI-X / IMS: the store, the entry entryAt() found (or none), the entry's id, address, data and mask
 * (or the store's id and the reset values), the table size, and for MSI-X the enable and function mask
 * (`enabled`, `mask`), for IMS whether entries are maskable (`mask`).
 */
interface SourceMemo {
    cap: object;
    entry: MessageEntry | undefined;
    address: bigint;
    data: number;
    id: ElementId;
    size: number;
    enabled: boolean;
    mask: boolean;
    masked: boolean;
    maskBits: number;
    msg: SourceMessage;
}

/** Indices below this get their SourceText cached in an array; others (invalid sources) are made per call. */
const CACHED_SOURCE_INDICES = 1 << 16;

interface DevicePlan {
    device: Device;
    /** device.name and device.bus when the plan was made. */
    name: string;
    bus: ElementId;
    /** The IOMMU translating the device's bus (MachineIndex.iommuOfBus walks the bridges each time). */
    iommu: Iommu | undefined;
    /** Its texts (undefined until first needed). */
    iommuText: IommuText | undefined;
    /** Source texts by kind, then index. */
    texts: { msi: SourceText[]; msix: SourceText[]; ims: SourceText[] };
    /** The device's requester id, with the own-BDF id it was derived for (undefined until first needed). */
    rid: RequesterIdInfo | undefined;
    ridOwn: number;
}

/**
 * The plan of a device of the machine, or undefined when the machine has no such device. Plans live in the
 * index's `routePlans` (one lookup less than a WeakMap keyed by the index, and dropped with it), which also
 * remembers the device asked for last: the sources of a device are usually routed one after another
 * (listSources order), and an id compare is cheaper than a map lookup.
 */
function devicePlanOf(idx: MachineIndex, deviceId: ElementId): DevicePlan | undefined {
    const plans = idx.routePlans;
    const hit = (plans.lastId === deviceId ? plans.last : plans.byId.get(deviceId)) as DevicePlan | undefined;
    if (hit && hit.name === hit.device.name && hit.bus === hit.device.bus) {
        plans.lastId = deviceId;
        plans.last = hit;
        return hit;
    }
    const device = idx.devices.get(deviceId);
    if (!device) return undefined;
    const plan: DevicePlan = {
        device,
        name: device.name,
        bus: device.bus,
        iommu: idx.iommuOfBus(device.bus),
        iommuText: undefined,
        texts: { msi: [], msix: [], ims: [] },
        rid: undefined,
        ridOwn: -1,
    };
    plans.byId.set(deviceId, plan);
    plans.lastId = deviceId;
    plans.last = plan;
    return plan;
}

function sourceTextOf(plan: DevicePlan, kind: SourceRef['kind'], index: number): SourceText {
    // A switch, not plan.texts[kind]: a keyed load whose key varies goes megamorphic.
    let byIndex: SourceText[] | undefined;
    switch (kind) {
        case 'msi':
            byIndex = plan.texts.msi;
            break;
        case 'msix':
            byIndex = plan.texts.msix;
            break;
        case 'ims':
            byIndex = plan.texts.ims;
            break;
    }
    if (!(Number.isInteger(index) && index >= 0 && index < CACHED_SOURCE_INDICES)) byIndex = undefined;
    const known = byIndex?.[index];
    if (known) return known;
    const name = sourceName(plan.device, { kind, index });
    const text: SourceText = {
        name,
        writeTitle: `${name} write`,
        current: undefined,
        memo: undefined,
        entries: undefined,
        entryPos: -1,
        entryBuilds: -1,
        irqfds: undefined,
        irqfd: undefined,
    };
    if (byIndex) byIndex[index] = text;
    return text;
}

/**
 * firstIrqfdOf through the source's SourceText. kvm/routing.ts indexes an irqfd list once, when it first
 * sees the list object, so its answer for a source is fixed per list object: remembering it against the
 * list identity gives the same answer without the index's three map lookups. An empty list is checked live
 * (routing.ts indexes a list only once it has entries).
 */
function irqfdOfSource(machine: Machine, text: SourceText | undefined, source: SourceRef): KvmIrqfd | undefined {
    const list = machine.kvm.irqfds;
    if (!list || list.length === 0) return undefined;
    if (text !== undefined && text.irqfds === list) return text.irqfd;
    const irqfd = firstIrqfdOf(machine, source);
    if (text !== undefined) {
        text.irqfds = list;
        text.irqfd = irqfd;
    }
    return irqfd;
}

/** requesterIdOf for a planned device, without its three cache lookups when the BDF is unchanged. */
function planRequesterId(machine: Machine, plan: DevicePlan): RequesterIdInfo {
    const own = ridOf(plan.device.bdf);
    if (plan.rid && plan.ridOwn === own) return plan.rid;
    plan.rid = requesterIdOf(machine, plan.device);
    plan.ridOwn = own;
    return plan.rid;
}

/** Strings made from an IOMMU's name, per IOMMU object (revalidated against the name). */
interface IommuText {
    name: string;
    remapTitle: string;
    hostBridgeRemapping: string;
}

const iommuTexts = new WeakMap<VtdIommu, IommuText>();

function iommuTextOf(iommu: VtdIommu): IommuText {
    const hit = iommuTexts.get(iommu);
    if (hit && hit.name === iommu.name) return hit;
    const text: IommuText = {
        name: iommu.name,
        remapTitle: `VT-d interrupt remapping (${iommu.name})`,
        hostBridgeRemapping: `interrupt window 0xFEE → ${iommu.name} (interrupt remapping)`,
    };
    iommuTexts.set(iommu, text);
    return text;
}

/**
 * The message a source sends and why it is held back. `firmware` gives the message platform firmware
 * programmed into an unprogrammed vector (pseries ibm,change-msi); an MSI-X entry programmed that way and
 * not listed in the model is unmasked.
 */
function sourceMessage(plan: DevicePlan, source: SourceRef, firmware?: (k: number) => { address: bigint; data: number } | undefined): SourceMessage {
    const device = plan.device;
    const text = sourceTextOf(plan, source.kind, source.index);
    const { name, writeTitle } = text;
    const k = source.index;
    if (source.kind === 'msi') {
        const cap = device.msi;
        if (!cap) throw new Error(`device '${device.id}' has no MSI capability`);
        const last = text.memo;
        if (
            firmware === undefined &&
            last !== undefined &&
            last.cap === cap &&
            last.address === cap.address &&
            last.data === cap.data &&
            last.id === cap.id &&
            last.size === cap.mme &&
            last.enabled === cap.enabled &&
            last.mask === cap.perVectorMask &&
            last.maskBits === cap.maskBits
        ) {
            return last.msg;
        }
        const mme = Math.min(Math.max(cap.mme, 0), 5);
        const nvec = msiVectorCount(mme);
        const msg: SourceMessage = {
            name,
            writeTitle,
            text,
            element: cap.id,
            address: cap.address,
            data: msiVectorData(cap.data, mme, k),
            pending: undefined,
            unprogrammed: cap.address === 0n && cap.data === 0,
            firmware: undefined,
            invalid: undefined,
            current: undefined,
        };
        if (k < 0 || k >= nvec) {
            msg.invalid = {
                code: 'msi-vector-out-of-range',
                message: `MSI vector ${k} of ${device.name} is not enabled: MME=${cap.mme} enables ${nvec} vector${nvec === 1 ? '' : 's'} (0..${nvec - 1}); use a vector below ${nvec} or raise MME`,
                detail: `vector ${k} ≥ ${nvec} enabled`,
                element: { id: cap.id, property: 'mme' },
                related: [],
            };
        } else if (!cap.enabled) msg.pending = { reason: 'disabled', where: 'not sent: MSI Enable is 0 (nothing is pending)' };
        else if (cap.perVectorMask && (cap.maskBits >>> k) & 1) msg.pending = { reason: 'vector-masked', where: msiPendingWhere(k) };
        if (msg.unprogrammed && !msg.invalid) {
            const fw = firmware?.(k);
            if (fw) {
                msg.address = fw.address;
                msg.data = fw.data;
                msg.unprogrammed = false;
                msg.firmware = true;
            }
        }
        if (firmware === undefined && msg.invalid === undefined) {
            text.memo = { cap, entry: undefined, address: cap.address, data: cap.data, id: cap.id, size: cap.mme, enabled: cap.enabled, mask: cap.perVectorMask, masked: false, maskBits: cap.maskBits, msg };
        }
        return msg;
    }
    const store = source.kind === 'msix' ? device.msix : device.ims;
    if (!store) throw new Error(`device '${device.id}' has no ${source.kind === 'msix' ? 'MSI-X capability' : 'IMS store'}`);
    const size = source.kind === 'msix' ? device.msix!.tableSize : device.ims!.size;
    const entry = entryOfSource(text, store.entries, k);
    const msix = source.kind === 'msix' ? device.msix : undefined;
    const ims = source.kind === 'ims' ? device.ims : undefined;
    const last = text.memo;
    if (
        firmware === undefined &&
        last !== undefined &&
        last.cap === store &&
        last.entry === entry &&
        last.id === (entry?.id ?? store.id) &&
        last.address === (entry?.address ?? 0n) &&
        last.data === (entry?.data ?? 0) &&
        last.masked === (entry ? entry.masked : true) &&
        last.size === size &&
        (msix ? last.enabled === msix.enabled && last.mask === msix.functionMask : last.mask === (ims!.maskable !== false))
    ) {
        return last.msg;
    }
    // An entry the model does not list holds its reset value: address 0, data 0, masked.
    const msg: SourceMessage = {
        name,
        writeTitle,
        text,
        element: entry?.id ?? store.id,
        address: entry?.address ?? 0n,
        data: entry?.data ?? 0,
        pending: undefined,
        unprogrammed: !entry || (entry.address === 0n && entry.data === 0),
        firmware: undefined,
        invalid: undefined,
        current: undefined,
    };
    if (k < 0 || k >= size) {
        const what = source.kind === 'msix' ? 'MSI-X table' : 'IMS store';
        msg.invalid = {
            code: source.kind === 'msix' ? 'msix-entry-out-of-range' : 'ims-entry-out-of-range',
            message: `${source.kind === 'msix' ? 'MSI-X entry' : 'IMS entry'} ${k} of ${device.name} is beyond the ${what} of ${size} entr${size === 1 ? 'y' : 'ies'} (0..${size - 1}); use an index below ${size} or enlarge the ${what}`,
            detail: `entry ${k} ≥ size ${size}`,
            element: { id: entry?.id ?? store.id, property: 'index' },
            related: [{ element: { id: store.id, property: source.kind === 'msix' ? 'tableSize' : 'size' }, message: `the ${what} has ${size} entr${size === 1 ? 'y' : 'ies'}` }],
        };
        return msg;
    }
    const fw = !entry && source.kind === 'msix' ? firmware?.(k) : undefined;
    if (fw) {
        msg.address = fw.address;
        msg.data = fw.data;
        msg.unprogrammed = false;
        msg.firmware = true;
    }
    const masked = fw ? false : !entry || entry.masked;
    if (source.kind === 'msix') {
        const cap = device.msix!;
        if (!cap.enabled) msg.pending = { reason: 'disabled', where: 'not sent: MSI-X Enable is 0 (nothing is pending)' };
        else if (cap.functionMask) msg.pending = { reason: 'function-masked', where: pbaWhere(k) };
        else if (masked) msg.pending = { reason: 'entry-masked', where: pbaWhere(k) };
    } else if (masked && device.ims!.maskable !== false) {
        msg.pending = { reason: 'entry-masked', where: `IMS entry ${k} pending bit (device-defined)` };
    }
    if (firmware === undefined) {
        text.memo = {
            cap: store,
            entry,
            address: entry?.address ?? 0n,
            data: entry?.data ?? 0,
            id: entry?.id ?? store.id,
            size,
            enabled: msix ? msix.enabled : false,
            mask: msix ? msix.functionMask : ims!.maskable !== false,
            masked: entry ? entry.masked : true,
            maskBits: 0,
            msg,
        };
    }
    return msg;
}

/**
 * The message being routed now: the source's, or a KVM route's once an irqfd hands over to its GSI.
 * Never changed once made (a hop to a KVM route makes a new one), so it can be shared by routes of the
 * same source and carry what they computed from it (`remap`, `delivery`).
 */
interface CurrentMessage {
    readonly name: string;
    readonly element: ElementId;
    readonly address: bigint;
    readonly data: number;
    /** address bits 31:0 and 63:32, split once (bigint → number conversions are the costly part). */
    readonly addrLo: number;
    readonly addrHi: number;
    /** The last remapping of this message (see RemapMemo); undefined until one is made. */
    remap: RemapMemo | undefined;
    /** The last APIC delivery of a message decoded from this one (see DeliveryMemo). */
    delivery: DeliveryMemo | undefined;
    /** The last compatibility-format decode of this message (not remapped), with the KVM options it used. */
    compat: CompatMemo | undefined;
}

function currentMessage(name: string, element: ElementId, address: bigint, data: number): CurrentMessage {
    return { name, element, address, data, addrLo: lo32(address), addrHi: hi32(address), remap: undefined, delivery: undefined, compat: undefined };
}

/**
 * The source's own message as the current one. The source's SourceText keeps the last one made and hands
 * it out again while the name, element, address and data are the same: the message, and what later routes
 * learned about it, is then shared (an entry's message rarely changes; the simulator's edits in place are
 * seen by the comparison).
 */
function sourceCurrentMessage(src: SourceMessage): CurrentMessage {
    // A SourceMessage handed out again (SourceMemo) has it already.
    const known = src.current;
    if (known !== undefined) return known;
    const text = src.text;
    let cur: CurrentMessage;
    if (!text) cur = currentMessage(src.name, src.element, src.address, src.data);
    else {
        const last = text.current;
        if (last !== undefined && last.address === src.address && last.data === src.data && last.element === src.element && last.name === src.name) cur = last;
        else text.current = cur = currentMessage(src.name, src.element, src.address, src.data);
    }
    src.current = cur;
    return cur;
}

/**
 * Where the stages of the route being traced collect; takeStages() copies them into the trace's own array
 * of exact length (a trace's array filled by push would carry a 17-slot store, most of it spare). One buffer
 * for the module, since routes run one after another; a Tracer that finds it taken (a route started from
 * inside another, or one that threw before it finished) collects into an array of its own.
 */
let stageBuffer: Stage[] | undefined = [];

/**
 * A copy of the first `n` elements (n ≤ length). Array literals up to the usual trace length: for a handful
 * of elements, slice() (a builtin call with its generic checks) costs more than the copy itself.
 */
function prefixOf<T>(a: readonly T[], n: number): T[] {
    switch (n) {
        case 0:
            return [];
        case 1:
            return [a[0]];
        case 2:
            return [a[0], a[1]];
        case 3:
            return [a[0], a[1], a[2]];
        case 4:
            return [a[0], a[1], a[2], a[3]];
        case 5:
            return [a[0], a[1], a[2], a[3], a[4]];
        case 6:
            return [a[0], a[1], a[2], a[3], a[4], a[5]];
        default:
            return a.slice(0, n);
    }
}

/**
 * One route computation; collects stages and findings. Fields are `declare`d and each assigned once in the
 * constructor (a plain class field is first defined as undefined, then assigned: twice the stores for the
 * one object every route makes).
 */
class Tracer {
    declare readonly machine: Machine;
    declare readonly idx: MachineIndex;
    declare readonly device: Device;
    declare readonly src: SourceMessage;
    declare readonly profile: Profile;
    /** The source being traced (its index matters for pseries allocations). */
    declare readonly source: SourceRef | undefined;
    /** The device's plan (absent for a KVM_SIGNAL_MSI's stand-in device). */
    declare readonly plan: DevicePlan | undefined;
    declare readonly findings: Finding[];
    declare addrSwapReported: boolean;
    declare dataSwapReported: boolean;
    /** What is being routed now (starts as the source's message). */
    declare cur: CurrentMessage;
    /** The KVM irqfd / GSI the vector went through, if any (annotates the outcome). */
    declare kvm: KvmVia | undefined;
    declare private stages: Stage[];
    declare private stageCount: number;

    constructor(machine: Machine, idx: MachineIndex, device: Device, src: SourceMessage, profile: Profile, source?: SourceRef, plan?: DevicePlan) {
        this.machine = machine;
        this.idx = idx;
        this.device = device;
        this.src = src;
        this.profile = profile;
        this.source = source;
        this.plan = plan;
        this.findings = [];
        this.addrSwapReported = false;
        this.dataSwapReported = false;
        this.cur = sourceCurrentMessage(src);
        this.kvm = undefined;
        const buffer = stageBuffer;
        stageBuffer = undefined;
        this.stages = buffer ?? [];
        this.stageCount = 0;
    }

    addStage(stage: Stage): void {
        this.stages[this.stageCount++] = stage;
    }

    /** Drops the stages after the first `n` (a pending trace keeps only the device write). */
    keepStages(n: number): void {
        if (n < this.stageCount) this.stageCount = n;
    }

    /**
     * The trace's stages, in an array of their exact number; returns the shared buffer, emptied (a long-lived
     * buffer that kept the stages would keep every trace's objects alive past the next scavenge).
     */
    takeStages(): Stage[] {
        const buffer = this.stages;
        const out = prefixOf(buffer, this.stageCount);
        if (stageBuffer === undefined) {
            for (let k = 0; k < buffer.length; k++) buffer[k] = undefined!;
            stageBuffer = buffer;
        }
        this.stages = out;
        return out;
    }

    ref(property: string): ElementRef {
        return { id: this.cur.element, property };
    }

    fault(code: DiagnosticCode, name: string, message: string, detail: string, element: ElementRef, extra?: Partial<FaultOutcome>): FaultOutcome {
        return { kind: 'fault', code, name, message, detail, element, ...extra };
    }
}

/** 'CPU n' by n, made once per number (a trace names its target CPU on every delivered route). */
const CPU_LABELS: string[] = [];

function cpuLabel(cpu: Cpu): string {
    const n = cpu.index;
    if (n >= 0 && n < 4096 && Number.isInteger(n)) return (CPU_LABELS[n] ??= `CPU ${n}`);
    return `CPU ${n}`;
}

/** Up to three CPUs whose APIC IDs are closest to `dest` (related information for unreachable destinations). */
function nearestCpus(machine: Machine, dest: number): Cpu[] {
    return [...machine.cpus].sort((a, b) => Math.abs(a.apicId - dest) - Math.abs(b.apicId - dest) || a.apicId - b.apicId).slice(0, 3);
}

function apicIdList(machine: Machine): string {
    const ids = machine.cpus.map((c) => c.apicId).sort((a, b) => a - b);
    if (ids.length === 0) return 'none';
    if (ids.length > 8) return `${ids.slice(0, 8).map((i) => hex(i)).join(', ')}, … (${ids.length} CPUs)`;
    return ids.map((i) => hex(i)).join(', ');
}

/** Explains a VT-d fault: finding message, summary detail and related elements. */
function vtdFault(t: Tracer, iommu: VtdIommu, r: RemapOutput, rid: RequesterIdInfo): FaultOutcome {
    const reason = r.faultReason;
    const fname = VTD_FAULTS[reason].name;
    const code = vtdFaultCode(reason);
    const slot = r.index >= 0 ? iommu.irtes.get(r.index) : undefined;
    const entries = 2 ** (iommu.irtaS + 1);
    const iommuRef = (property: string): ElementRef => ({ id: iommu.id, property });
    const irteRef = (property: string): ElementRef => (slot ? { id: slot.id, property } : iommuRef('irtes'));
    const head = `VT-d fault ${hex(reason)} (${fname}) at ${iommu.name}`;
    let message: string;
    let detail: string;
    let element: ElementRef = t.ref('address');
    const related: Finding['related'] = [];
    const data: Record<string, unknown> = {};
    const fpdNote = r.fpd === 1 ? ' FPD=1 in the IRTE: the fault is not recorded, but the interrupt is still blocked.' : '';
    switch (r.cause) {
        case 'addr-hi':
            message = `${head}: address bits 63:32 are ${hex(t.cur.address >> 32n)}, but an interrupt request must have them 0; write 0 to the upper address dword.`;
            detail = `address_hi ${hex(t.cur.address >> 32n)} ≠ 0`;
            related.push({ element: iommuRef('remapping'), message: `${iommu.name} remaps this device's interrupts` });
            break;
        case 'shv-data':
            element = t.ref('data');
            message = `${head}: SHV=1 makes data[15:0] the subhandle, and data[31:16] (${hex(t.cur.data >>> 16)}) is reserved; clear data bits 31:16.`;
            detail = `SHV=1 with data[31:16] = ${hex(t.cur.data >>> 16)}`;
            related.push({ element: iommuRef('remapping'), message: `${iommu.name} remaps this device's interrupts` });
            break;
        case 'compat-blocked': {
            const why = [iommu.eim ? 'eim is on' : '', !iommu.cfi ? 'cfi is off' : ''].filter(Boolean).join(' and ');
            const fix = iommu.eim
                ? 'program the device with a remappable-format message (address bit 4 = 1, handle → IRTE); with EIM on, `cfi on` does not help'
                : 'program the device with a remappable-format message (address bit 4 = 1, handle → IRTE), or set `cfi on`';
            message = `${head}: compatibility-format interrupts are blocked because ${why}; ${fix}.`;
            detail = `compatibility format blocked: ${why}`;
            related.push({ element: iommuRef(iommu.eim ? 'eim' : 'cfi'), message: `${iommu.name}: ${why}` });
            break;
        }
        case 'index':
            message = `${head}: interrupt index ${r.index} (${hex(r.index)}: handle ${hex(r.handle)}${r.shv ? ` + subhandle ${hex(r.subhandle)}` : ''}) is beyond the table of ${entries} entries (IRTA.S=${iommu.irtaS}); use an index below ${entries} or enlarge the table.`;
            detail = `index ${r.index} ≥ table size ${entries}`;
            related.push({ element: iommuRef('irtaS'), message: `${iommu.name}: the table has ${entries} entries` });
            break;
        case 'read':
            message = `${head}: IRTE ${r.index} cannot be read: the table${iommu.irtaAddress !== undefined ? ` at ${hexGrouped(iommu.irtaAddress, 16)}` : ''} runs past the host address width${iommu.haw !== undefined ? ` (${iommu.haw} bits)` : ''}; move the table below 2^HAW.`;
            detail = `IRTE ${r.index} unreadable`;
            related.push({ element: iommuRef('irtaAddress'), message: `${iommu.name}: interrupt remapping table address` });
            break;
        case 'not-present':
            message = `${head}: IRTE ${r.index} is not present (P=0)${slot ? '' : ': the table has no entry at this index'}; program IRTE ${r.index}, or point the ${r.shv ? 'handle/subhandle' : 'handle'} at a present entry.${fpdNote}`;
            detail = `IRTE ${r.index} not present`;
            related.push({ element: slot ? irteRef('present') : iommuRef('irtes'), message: slot ? `IRTE ${r.index} has P=0` : `${iommu.name} has no IRTE ${r.index}` });
            break;
        case 'reserved': {
            const w = r.irte!;
            const u = vtdRuntime(iommu).unit;
            const viol = irteReservedViolations(w, t.profile === 'qemu' ? u.rsvdQemu : (w.w0 & 0x8000) !== 0 ? u.rsvdSpecPosted : u.rsvdSpecRemapped);
            const hints: string[] = [];
            const posted = (w.w0 & 0x8000) !== 0;
            if (!posted && !iommu.eim && irteXapicDestOverflow(w)) hints.push('the destination needs more than 8 bits: set `eim on` or use an APIC ID ≤ 0xFF');
            if (posted && !iommu.postedSupported && t.profile === 'spec') hints.push('the posted format (IM=1) needs posted-interrupt support: enable it on the IOMMU or use the remapped format');
            if (viol.includes('SVT=11')) hints.push('SVT=11 is reserved: use `svt none`, a requester (`sid BB:DD.F`) or a bus range (`sid bus A..B`)');
            if (hints.length === 0) hints.push('clear them');
            message = `${head}: IRTE ${r.index} sets reserved bits (${viol.join(', ')}); ${hints.join('; ')}.${fpdNote}`;
            detail = `IRTE ${r.index} reserved bits ${viol.join(', ')}`;
            related.push({ element: irteRef('raw'), message: `IRTE ${r.index} sets reserved bits ${viol.join(', ')}` });
            break;
        }
        default: {
            // 0x26: source-id validation.
            const w = r.irte!;
            const svt = (w.w2 >>> 18) & 3;
            const sq = (w.w2 >>> 16) & 3;
            const sid = w.w2 & 0xffff;
            const exp = expectedIrteSource(t.machine, t.device);
            const have = svt === 2 ? `bus range ${hexPad(sid >>> 8, 2)}..${hexPad(sid & 0xff, 2)}` : `sid ${formatRid(sid)}${sq ? ` (sq ${sq})` : ''}`;
            // Written the way the file writes it, so the advice can be pasted (irteSourceText).
            const want = irteSourceText(exp.svt, exp.sq, exp.sid);
            let why = '';
            if (r.cause === 'svt-reserved') why = ' SVT=11 is reserved (QEMU reports it as 0x26).';
            else if (t.profile === 'qemu' && svt === 2 && checkSourceId(svt, sq, sid, rid.rid, 'spec') === 'ok') {
                why = ' The specification order (SID[15:8] = start bus) accepts it; QEMU reads the bus range reversed (ROUTING.md §10.1), so under QEMU only a one-bus range (start == end) works as it does on hardware.';
            }
            message = `${head}: IRTE ${r.index} verifies ${have} (${SVT_NAMES[svt]}), but requests from ${t.device.name} arrive with requester id ${formatRid(rid.rid)}${rid.bridge ? ` (set by ${rid.kind === 'pcie-to-pci' ? 'PCIe-to-PCI' : 'PCI'} bridge ${rid.bridge.name})` : ''}.${why} The IRTE should hold \`${want}\`: ${exp.reason}.${fpdNote}`;
            detail = `requester ${formatRid(rid.rid)} fails IRTE ${r.index} ${have}`;
            related.push({ element: irteRef('sid'), message: `IRTE ${r.index} expects ${have}` });
            related.push({ element: { id: t.device.id, property: 'bdf' }, message: `${t.device.name} is ${formatBdf(t.device.bdf)}` });
            if (rid.bridge) related.push({ element: { id: rid.bridge.id, property: 'kind' }, message: `${rid.bridge.name} (${rid.bridge.kind}) determines the requester id ${formatRid(rid.rid)}` });
            data.expectedSid = exp.sid;
            data.expectedSvt = SVT_NAMES[exp.svt];
            data.expectedSq = exp.sq;
            // The IRTE's `sid` as the file writes it, so a quick fix needs no knowledge of SID layouts.
            data.expectedSidText = exp.svt === 2 ? `bus ${hex(exp.sid >>> 8)}..${hex(exp.sid & 0xff)}` : formatRid(exp.sid);
            if (slot) data.irte = slot.id;
        }
    }
    if ((r.cause === 'index' || r.cause === 'not-present') && !slot) {
        // Quick-fix data for a vector that points at no IRTE: the lowest free index inside the table, the
        // address that selects it, and the requester id a new IRTE there should verify. The new IRTE's vector
        // needs every source's outcome (x86/free-vectors.ts freeVectors over the report's traces, restricted
        // to `skeletonCpu`), which one route() does not have: the consumer computes it from the report.
        let free = 0;
        while (free < entries && iommu.irtes.has(free)) free++;
        if (free < entries) {
            const exp = expectedIrteSource(t.machine, t.device);
            data.freeIrte = free;
            data.freeIrteAddress = hexGrouped(remappableAddress(free, 0));
            data.iommu = iommu.id;
            data.index = r.index;
            // A new IRTE needs a destination that exists: the first enabled CPU's APIC ID.
            const cpu = t.machine.cpus.find((c) => c.enabled);
            if (cpu) {
                data.skeletonDest = hex(cpu.apicId);
                data.skeletonCpu = cpu.id;
            }
            data.expectedSidText = exp.svt === 2 ? `bus ${hex(exp.sid >>> 8)}..${hex(exp.sid & 0xff)}` : formatRid(exp.sid);
        }
    }
    const fpd = r.fpd === -1 ? null : r.fpd;
    t.findings.push(makeFinding(code, message, element, related, Object.keys(data).length ? data : undefined));
    const extra: Partial<FaultOutcome> = { faultReason: reason, fpd };
    if (r.index >= 0 && r.irte) extra.irte = slot ? { iommu: iommu.id, index: r.index, element: slot.id } : { iommu: iommu.id, index: r.index };
    return t.fault(code, fname, message, detail, slot ? { id: slot.id } : { id: iommu.id }, extra);
}

/** Remap-stage summary line. */
function remapSummary(iommu: VtdIommu, r: RemapOutput, rid: RequesterIdInfo): string {
    const who = `requester ${formatRid(rid.rid)}`;
    switch (r.result) {
        case 'passthrough':
            return r.cause === 'ir-disabled' ? `${iommu.name}: remapping off, message passes unchanged` : `${iommu.name}: compatibility format passes through unremapped (${who})`;
        case 'fault':
            return `${iommu.name}: fault ${hex(r.faultReason)} ${VTD_FAULTS[r.faultReason].name}${r.index >= 0 ? ` (index ${r.index})` : ''}`;
        case 'posted':
            return `IRTE ${r.index}: present, posted, vector ${hex(r.vector)}${r.urgent ? ', urgent' : ''} (${who})`;
        case 'remapped':
            return `IRTE ${r.index}: present, remapped, vector ${hex(r.vector)} → ${r.destMode ? 'logical' : 'physical'} dest ${hex(r.dest)} (${who})`;
    }
}

/** What a finding names as the sender: the IRTE that composed the message, or the message's owner. */
function srcTextOf(t: Tracer, via: { index: number } | undefined): string {
    return via ? `IRTE ${via.index}` : t.cur.name;
}

function destTextOf(msg: CompatMsi): string {
    return `${msg.destMode} dest ${hex(msg.destId)}`;
}

/** The summaries' list of target CPUs (made when a summary is read, not on every route). */
function targetsText(targets: readonly Cpu[]): string {
    return targets.length ? targets.map(cpuLabel).join(', ') : 'no CPU';
}

/** Where a delivery finding sits: on the IRTE that composed the message, else on the message's address / data. */
function onIrte(t: Tracer, via: { slot: IrteSlot } | undefined, property: string): ElementRef {
    return via ? { id: via.slot.id, property } : t.ref(property === 'dest' ? 'address' : 'data');
}

/**
 * What the APIC-delivery and CPU stages show, fixed when they are made: the message, the matching result
 * and the sorted targets (none of them changes afterwards; t.cur is final, see hostBridgeDecodes). Nothing
 * in it belongs to one trace, so routes of the same message share it (DeliveryMemo).
 */
interface DeliveryFacts {
    machine: Machine;
    msg: CompatMsi;
    d: DeliveryResult;
    targets: Cpu[];
    /** The IOMMU composed the message (remapped), rather than the device or a KVM route. */
    composed: boolean;
    /** The current message's data word (what the APIC receives when nothing composed it). */
    data: number;
}

function deliveryStageSummary({ msg, d, targets }: DeliveryFacts): string {
    return `${destTextOf(msg)}${msg.broadcast ? ' (broadcast)' : ''} → ${targetsText(targets)} · ${deliveryModeLabel(d.deliveryMode)}${d.lowestPriority ? ` (${targets.length} candidate${targets.length === 1 ? '' : 's'})` : ''}${d.note ? ' · physical broadcast with lowest priority forced to fixed' : ''}`;
}

function deliveryStageDecodes({ machine, msg, d, composed, data }: DeliveryFacts): ValueDecode[] {
    return [
        {
            title: composed ? 'MSI to the APIC (composed by the IOMMU)' : 'MSI to the APIC',
            context: [`KVM: x2APIC API ${msg.wide ? 'on' : 'off'}, broadcast quirk ${machine.kvm.broadcastQuirkDisabled ? 'disabled' : 'enabled'}`],
            fields: [...compatAddressFields(msg.addrLo, msg.addrHi, { x2apicFormat: msg.wide, extDestId: false }), ...compatDataFields(composed ? (msg.vector | (msg.deliveryMode << 8) | (1 << 14) | (msg.trigger === 'level' ? 0x8000 : 0)) >>> 0 : data)],
            summary: `${destTextOf(msg)} · vector ${hex(msg.vector)} · ${deliveryModeLabel(d.deliveryMode)} · ${msg.trigger}`,
            notes: d.note ? ['KVM forces a physical broadcast with lowest priority to fixed ("phys broadcast and lowest prio")'] : [],
        },
    ];
}

/**
 * APIC matching of a message, kept on the current message (CurrentMessage.delivery) for the next route of
 * the same source. Valid for the same decoded message object (a RemapMemo or CompatMemo hands the same one
 * out while its inputs are unchanged), the same MachineIndex (APIC targets and their index: a CPU edited in
 * place means invalidateMachineIndex, hence a new index), the same broadcast quirk and the same CPU list.
 */
interface DeliveryMemo {
    msg: CompatMsi;
    idx: MachineIndex;
    quirk: boolean;
    cpus: readonly Cpu[];
    composed: boolean;
    facts: DeliveryFacts;
}

/** deliverToApics and the sorted target CPUs for `msg`, through the current message's DeliveryMemo. */
function deliveryOf(t: Tracer, msg: CompatMsi, composed: boolean): DeliveryFacts {
    const { machine, idx, cur } = t;
    const quirk = machine.kvm.broadcastQuirkDisabled;
    const cpus = machine.cpus;
    const last = cur.delivery;
    if (last !== undefined && last.msg === msg && last.idx === idx && last.quirk === quirk && last.cpus === cpus && last.composed === composed) return last.facts;
    const d = deliverToApics(msg, idx.apicTargets, quirk, idx.apicIndex);
    // Arrays of their final length: a push into [] reserves 16 slots, and a route makes several such arrays.
    const targets = new Array<Cpu>(d.accepted.length);
    for (let k = 0; k < targets.length; k++) targets[k] = cpus[d.accepted[k]];
    if (targets.length > 1) targets.sort((a, b) => a.apicId - b.apicId || a.index - b.index);
    const facts: DeliveryFacts = { machine, msg, d, targets, composed, data: cur.data };
    cur.delivery = { msg, idx, quirk, cpus, composed, facts };
    return facts;
}

function cpuStageSummary({ msg, d, targets }: DeliveryFacts): string {
    return `${d.lowestPriority ? 'one of ' : ''}${targetsText(targets)} accepts vector ${hex(msg.vector)} (${msg.trigger})`;
}

/** The APIC-delivery part: matching, findings, delivered outcome. */
function deliver(t: Tracer, msg: CompatMsi, via?: IrteVia): DeliveredOutcome {
    const { machine } = t;
    const facts = deliveryOf(t, msg, via !== undefined);
    const { d, targets } = facts;
    const cpus = machine.cpus;

    if (isReservedDeliveryMode(msg.deliveryMode)) {
        t.findings.push(
            makeFinding(
                'x86-reserved-delivery-mode',
                `${srcTextOf(t, via)} uses reserved delivery mode ${msg.deliveryMode} (${msg.deliveryMode.toString(2).padStart(3, '0')}b)${msg.deliveryMode === 6 ? ', which KVM passes through as STARTUP' : ', which the APIC does not accept'}; use fixed (0) or lowest-priority (1).`,
                onIrte(t, via, 'deliveryMode'),
            ),
        );
    }
    if (isIllegalVector(msg.vector, d.deliveryMode) && !(t.dataSwapReported && !via)) {
        t.findings.push(
            makeFinding(
                'x86-illegal-vector',
                `${srcTextOf(t, via)} sends vector ${hex(msg.vector)} with ${deliveryModeLabel(d.deliveryMode)} delivery; vectors 0x00-0x0F are illegal (the APIC raises an illegal-vector error); use a vector from 0x10 to 0xFF.`,
                onIrte(t, via, 'vector'),
            ),
        );
    }
    if (d.matched.length === 0) {
        const near = nearestCpus(machine, msg.destId);
        const fix =
            msg.destMode === 'physical'
                ? `point the destination at an existing APIC ID or declare a CPU with APIC ID ${hex(msg.destId)}`
                : `point the logical destination at a logical ID a CPU has`;
        t.findings.push(
            makeFinding(
                'x86-dest-unreachable',
                `${srcTextOf(t, via)}: ${destTextOf(msg)} matches no CPU (APIC IDs: ${apicIdList(machine)}); ${fix}.`,
                onIrte(t, via, 'dest'),
                near.map((c) => ({ element: { id: c.id, property: 'apicId' }, message: `${cpuLabel(c)} has APIC ID ${hex(c.apicId)} (${c.mode})` })),
            ),
        );
    } else if (d.disabled.length > 0) {
        const off = d.disabled.map((i) => cpus[i]);
        t.findings.push(
            makeFinding(
                d.accepted.length === 0 ? 'x86-dest-unreachable' : 'x86-dest-apic-disabled',
                `${srcTextOf(t, via)}: ${destTextOf(msg)} reaches ${off.map(cpuLabel).join(', ')}, whose local APIC is software-disabled and drops ${deliveryModeLabel(d.deliveryMode)} interrupts${d.accepted.length === 0 ? ', so no CPU receives it' : ''}; enable the APIC or target another CPU.`,
                onIrte(t, via, 'dest'),
                off.map((c) => ({ element: { id: c.id, property: 'enabled' }, message: `${cpuLabel(c)}: APIC software-disabled` })),
            ),
        );
    }
    if (msg.destMode === 'physical' && msg.destId > 0xff && !msg.broadcast) {
        // Usually every match is in x2APIC mode: only collect the xAPIC ones when there are any.
        let anyXapic = false;
        for (const i of d.matched) if (cpus[i].mode === 'xapic') anyXapic = true;
        const xapicTargets = anyXapic ? d.matched.map((i) => cpus[i]).filter((c) => c.mode === 'xapic') : [];
        if (xapicTargets.length > 0) {
            t.findings.push(
                makeFinding(
                    'x86-dest-needs-x2apic',
                    `${srcTextOf(t, via)}: destination ${hex(msg.destId)} is above 0xFF but ${xapicTargets.map(cpuLabel).join(', ')} ${xapicTargets.length === 1 ? 'is' : 'are'} in xAPIC mode (KVM reaches it only through its hotplug hack); put the CPU in x2APIC mode (\`apic x2apic\`).`,
                    onIrte(t, via, 'dest'),
                    xapicTargets.map((c) => ({ element: { id: c.id, property: 'apicId' }, message: `${cpuLabel(c)}: APIC ID ${hex(c.apicId)} in xAPIC mode` })),
                ),
            );
        }
    }
    if (d.lowestPriority && targets.length > 0) {
        // KVM's vector hashing picks the (vector mod n)-th candidate in vCPU order (ROUTING.md §1.5).
        const pick = cpus[d.accepted[vectorHashingPick(msg.vector, d.accepted.length)]];
        t.findings.push(
            makeFinding(
                'x86-lowest-priority',
                `${srcTextOf(t, via)}: lowest-priority delivery${msg.deliveryMode !== 1 ? ' (RH=1: KVM arbitrates every RH=1 message)' : ''} to one of ${targets.map(cpuLabel).join(', ')} (${targets.length} candidate${targets.length === 1 ? '' : 's'})${pick ? `; with KVM's vector hashing ${cpuLabel(pick)} receives vector ${hex(msg.vector)}` : ''}.`,
                onIrte(t, via, 'dest'),
                targets.map((c) => ({ element: { id: c.id, property: 'apicId' }, message: `candidate ${cpuLabel(c)} (APIC ID ${hex(c.apicId)})` })),
            ),
        );
    }

    t.addStage(
        new LazyStage('apic-delivery', 'Local APIC delivery', deliveryStageSummary, targets.length === 1 ? { id: targets[0].id, property: 'apicId' } : undefined, deliveryStageDecodes, facts),
    );
    if (targets.length > 0) {
        t.addStage(new LazyStage('cpu', targets.length === 1 ? cpuLabel(targets[0]) : `${targets.length} CPUs`, cpuStageSummary, targets.length === 1 ? { id: targets[0].id } : undefined, undefined, facts));
    }
    const outTargets = new Array<DeliveredOutcome['targets'][number]>(targets.length);
    for (let k = 0; k < targets.length; k++) {
        const c = targets[k];
        outTargets[k] = { cpu: c.id, apicId: c.apicId, index: c.index };
    }
    const vector = msg.vector;
    const deliveryMode = d.deliveryMode;
    const deliveryModeNameOut = deliveryModeName(deliveryMode);
    // `irte` written in the literal (still the last key) rather than added afterwards: adding a property
    // to a finished literal moves the object to a new shape and allocates an out-of-object property store.
    if (via) {
        return {
            kind: 'delivered',
            vector,
            deliveryMode,
            deliveryModeName: deliveryModeNameOut,
            trigger: msg.trigger,
            destMode: msg.destMode,
            destId: msg.destId,
            lowestPriority: d.lowestPriority,
            broadcast: msg.broadcast,
            targets: outTargets,
            irte: { iommu: via.iommu.id, index: via.index, element: via.slot.id },
        };
    }
    return {
        kind: 'delivered',
        vector,
        deliveryMode,
        deliveryModeName: deliveryModeNameOut,
        trigger: msg.trigger,
        destMode: msg.destMode,
        destId: msg.destId,
        lowestPriority: d.lowestPriority,
        broadcast: msg.broadcast,
        targets: outTargets,
    };
}

/**
 * The host-bridge stage's decodes. t.cur is final here: routeMessage is the last hop of a trace (an irqfd
 * switches t.cur to its route's message before it calls routeMessage, never after).
 */
function hostBridgeDecodes(t: Tracer): ValueDecode[] {
    const { profile, machine, device } = t;
    return [decodeMsiAddress(t.cur.address, { profile, machine, deviceId: device.id, data: t.cur.data >>> 0 })];
}

/**
 * What the interrupt-remapping stage shows, fixed when the stage is made (the slot as it was read). Like
 * DeliveryFacts it belongs to no one trace: the routes of one message share it (RemapMemo).
 */
interface RemapFacts {
    profile: Profile;
    machine: Machine;
    device: Device;
    iommu: VtdIommu;
    r: RemapOutput;
    rid: RequesterIdInfo;
    slot: IrteSlot | undefined;
}

function remapStageSummary(f: RemapFacts): string {
    return remapSummary(f.iommu, f.r, f.rid);
}

function remapStageDecodes(f: RemapFacts): ValueDecode[] {
    const { profile, machine, device } = f;
    const decodes = [decodeBdf(device.bdf, { profile, machine, deviceId: device.id })];
    if (f.slot) decodes.unshift(decodeIrte(f.slot.lo, f.slot.hi, { profile, machine, iommuId: f.iommu.id, index: f.r.index, requesterId: f.rid.rid }));
    return decodes;
}

/** The IRTE that composed a remapped message (what deliver() names in findings and the outcome). */
interface IrteVia {
    iommu: VtdIommu;
    slot: IrteSlot;
    index: number;
}

/**
 * A remapping of a message, kept on the message (CurrentMessage.remap) so the next route of the same
 * source does not remap, compose and decode again. It is valid while everything vtdRemap read is the same:
 * the prepared unit (vtdRuntime hands out a new VtdRuntime whenever a register of the IOMMU changes, and one
 * per IOMMU object), the requester id, the profile, and the IRTE: the same slot object at the index, holding
 * the same lo/hi (the simulator's overlay makes a new slot per content; a direct edit changes lo/hi). The
 * message itself (address, data) is fixed for the CurrentMessage. Nothing here is changed after it is made,
 * so every trace may share it; each trace still gets its own stages, findings and outcome.
 */
interface RemapMemo {
    rt: VtdRuntime;
    sid: number;
    profile: Profile;
    rid: RequesterIdInfo;
    /** The slot at r.index when remapped (undefined for none, or when r.index < 0), and its halves then. */
    slot: IrteSlot | undefined;
    lo: bigint;
    hi: bigint;
    r: RemapOutput;
    facts: RemapFacts;
    /** Remapped only: the message the IOMMU composed, as KVM decodes it, and the IRTE that composed it. */
    msg: CompatMsi | undefined;
    via: IrteVia | undefined;
}

/** vtdRemap of the current message through `iommu`, or the current message's RemapMemo when still valid. */
function remapOf(t: Tracer, iommu: VtdIommu, rid: RequesterIdInfo): RemapMemo {
    const { cur, profile } = t;
    const last = cur.remap;
    const rt = vtdRuntimeSince(iommu, last?.rt);
    const sid = rid.rid;
    // A route's message may be shared by the irqfds of several devices (KVM routes): device and machine too.
    if (
        last !== undefined &&
        last.rt === rt &&
        last.sid === sid &&
        last.profile === profile &&
        last.rid === rid &&
        last.facts.device === t.device &&
        last.facts.machine === t.machine
    ) {
        const index = last.r.index;
        const slot = index >= 0 ? iommu.irtes.get(index) : undefined;
        // Same slot object, same halves: an in-place edit of lo/hi is seen; the overlay's new slot per content is too.
        if (slot === last.slot && (slot === undefined || (slot.lo === last.lo && slot.hi === last.hi))) return last;
    }
    const r = vtdRemap({ addrLo: cur.addrLo, addrHi: cur.addrHi, data: cur.data >>> 0, sid, ioapic: false }, rt.unit, rt.read, profile);
    const slot = r.index >= 0 ? iommu.irtes.get(r.index) : undefined;
    let msg: CompatMsi | undefined;
    let via: IrteVia | undefined;
    if (r.result === 'remapped') {
        // The composed message always decodes: window 0xFEE, format bit 0, address_hi[7:0] = 0.
        const m = decodeCompatMsiOrError(r.outAddrLo, r.outAddrHi, r.outData, COMPOSED_MSG_OPTIONS);
        if (typeof m === 'string') throw new Error(`composed message did not decode (${m})`);
        msg = m;
        via = { iommu, slot: slot!, index: r.index };
    }
    const facts: RemapFacts = { profile, machine: t.machine, device: t.device, iommu, r, rid, slot };
    const memo: RemapMemo = { rt, sid, profile, rid, slot, lo: slot ? slot.lo : 0n, hi: slot ? slot.hi : 0n, r, facts, msg, via };
    cur.remap = memo;
    return memo;
}

/** How KVM reads a message the IOMMU composed: dest[31:8] in address_hi (§2.6 step 11). */
const COMPOSED_MSG_OPTIONS: CompatOptions = Object.freeze({ x2apicFormat: true, extDestId: false });

/** KVM's decode of a message that is not remapped, with the two KVM options it depends on. */
interface CompatMemo {
    x2apicApi: boolean;
    extDestId: boolean;
    m: CompatResult;
}

/** decodeCompatMsi of the current message, kept on it while the KVM options are the same. */
function compatOf(cur: CurrentMessage, x2apicApi: boolean, extDestId: boolean): CompatResult {
    const last = cur.compat;
    if (last !== undefined && last.x2apicApi === x2apicApi && last.extDestId === extDestId) return last.m;
    const m = decodeCompatMsi(cur.addrLo, cur.addrHi, cur.data >>> 0, { x2apicFormat: x2apicApi, extDestId });
    cur.compat = { x2apicApi, extDestId, m };
    return m;
}

/** Host bridge → IOMMU → APIC for a message that is actually sent. */
function routeMessage(t: Tracer): Exclude<Outcome, PendingOutcome> {
    const { machine, device, idx, profile } = t;
    const { address, addrLo, addrHi } = t.cur;
    const data = t.cur.data >>> 0;
    if (machine.arch !== 'x86_64') {
        return t.fault('route-unsupported-arch', '', `${machine.name} is ${machine.arch}: the route tracer follows x86 machines only.`, `${machine.arch} not traced`, { id: machine.id });
    }
    if (!isInterruptAddress(addrLo)) {
        t.addStage(makeStage('host-bridge', 'Host bridge', `${hexGrouped(address, addrHi ? 16 : 8)} is outside the interrupt window: an ordinary memory write`, t.ref('address'), () => [decodeMsiAddress(address, { profile, machine, deviceId: device.id, data })]));
        const message = `${t.cur.name} writes ${hexGrouped(address, addrHi ? 16 : 8)}, which is not an interrupt address (0xFEE0_0000..0xFEEF_FFFF): the write goes to memory and no interrupt is raised; program an address in the interrupt window.`;
        if (!t.addrSwapReported) t.findings.push(makeFinding('x86-not-interrupt-address', message, t.ref('address')));
        return t.fault('x86-not-interrupt-address', 'NOT_INTERRUPT_ADDRESS', message, `${hexGrouped(address, addrHi ? 16 : 8)} outside 0xFEE window`, t.ref('address'));
    }
    const plan = t.plan;
    const iommu = plan ? plan.iommu : idx.iommuOfBus(device.bus);
    let iommuText: IommuText | undefined;
    if (iommu && plan) {
        if (plan.iommuText?.name !== iommu.name) plan.iommuText = iommuTextOf(iommu);
        iommuText = plan.iommuText;
    } else if (iommu) iommuText = iommuTextOf(iommu);
    t.addStage(
        new LazyStage('host-bridge', 'Host bridge', iommu?.remapping ? iommuText!.hostBridgeRemapping : 'interrupt window 0xFEE → local APICs', t.ref('address'), hostBridgeDecodes, t),
    );
    if (iommu?.remapping) {
        const rid = plan ? planRequesterId(machine, plan) : requesterIdOf(machine, device);
        const memo = remapOf(t, iommu, rid);
        const { r, slot } = memo;
        t.addStage(new LazyStage('interrupt-remapping', iommuText!.remapTitle, remapStageSummary, slot ? { id: slot.id } : { id: iommu.id }, remapStageDecodes, memo.facts));
        if (r.result === 'fault') return vtdFault(t, iommu, r, rid);
        if (r.result === 'posted') {
            const out: PostedOutcome = { kind: 'posted', vector: r.vector, urgent: r.urgent === 1, pda: irtePda(r.irte!), irte: { iommu: iommu.id, index: r.index, element: slot!.id } };
            return out;
        }
        if (r.result === 'remapped') return deliver(t, memo.msg!, memo.via);
        // Compatibility format allowed through: KVM decodes it as below.
    } else if (iommu) {
        t.addStage(makeStage('interrupt-remapping', `VT-d interrupt remapping (${iommu.name})`, `${iommu.name}: remapping off, message passes unchanged`, { id: iommu.id, property: 'remapping' }, () => []));
    }
    const m = compatOf(t.cur, machine.kvm.x2apicApi, machine.kvm.extDestId);
    if (!m.ok) {
        if (m.error === 'REMAPPABLE_FORMAT') {
            const message = `${t.cur.name} uses the remappable format (address bit 4 = 1), but ${iommu ? `${iommu.name} has remapping off` : 'no IOMMU translates this device'}, so the message cannot be delivered; ${iommu ? 'turn `remapping on`' : 'put the bus behind a VT-d IOMMU with remapping on'} or program a compatibility-format address (bit 4 = 0, APIC ID in bits 19:12).`;
            const related = iommu ? [{ element: { id: iommu.id, property: 'remapping' }, message: `${describeIommu(iommu)}` }] : [];
            t.findings.push(makeFinding('x86-remappable-without-ir', message, t.ref('address'), related));
            return t.fault('x86-remappable-without-ir', 'REMAPPABLE_FORMAT', message, iommu ? `${iommu.name} has remapping off` : `no IOMMU remaps ${device.name}`, t.ref('address'));
        }
        const message = `${t.cur.name}: with the KVM x2APIC API, address_hi[7:0] must be 0 but is ${hex(addrHi & 0xff)}; KVM refuses the route (kvm_msi_route_invalid). Put dest[31:8] in address_hi[31:8] and leave bits 7:0 clear.`;
        t.findings.push(makeFinding('kvm-msi-route-invalid', message, t.ref('address')));
        return t.fault('kvm-msi-route-invalid', 'KVM_MSI_ROUTE_INVALID', message, `address_hi[7:0] = ${hex(addrHi & 0xff)}`, t.ref('address'));
    }
    return deliver(t, m.msi);
}

// ---------------------------------------------------------------------------------------------------------
// pseries: PHB MSI window → XICS source → interrupt server (ROUTING.md §5)

const SPAPR_ERROR_CODE: Record<SpaprError, DiagnosticCode> = {
    OUTSIDE_MSI_WINDOW: 'spapr-outside-msi-window',
    NDEV_OVERFLOW: 'spapr-ndev-overflow',
    MSI_NOT_CONFIGURED: 'spapr-slot-not-configured',
    VECTOR_OUT_OF_RANGE: 'spapr-vector-out-of-range',
    IRQ_OUT_OF_ICS: 'spapr-irq-out-of-ics',
    IRQ_NOT_CLAIMED: 'spapr-irq-unclaimed',
};

interface SpaprDecoded {
    irq: number;
    phb: NonNullable<DeliveredOutcome['phb']>;
    /** The allocation whose XIVE settings apply (the device's own when it claims the IRQ). */
    allocation?: IrqAllocation;
}

function allocRef(d: Device, property?: string): ElementRef {
    const id = d.irqAllocation?.id ?? d.id;
    return property ? { id, property } : { id };
}

function allocText(d: Device): string {
    const a = d.irqAllocation;
    return a ? `${d.name} holds XICS IRQs ${hex(a.base)}..${hex(a.base + a.count - 1)} (${a.count})` : `${d.name} has no allocation`;
}

/** The PHB stage: decodes the current message on the device's PHB and checks who owns the IRQ. */
function spaprDecodeStage(t: Tracer): { ok: true; d: SpaprDecoded } | { ok: false; fault: FaultOutcome } {
    const { machine, device, profile } = t;
    const address = t.cur.address;
    const data = t.cur.data >>> 0;
    const phb = phbOfDevice(machine, device);
    if (!phb) {
        const bus = t.idx.buses.get(device.bus);
        const message = `${device.name} sits on ${bus ? `bus ${bus.name}` : 'a bus'} that is under no PHB, so nothing decodes its MSI writes; put the bus \`on\` a PHB.`;
        t.addStage(makeStage('host-bridge', 'PHB', 'no PHB decodes this device’s MSIs', { id: device.id, property: 'bus' }, () => []));
        t.findings.push(makeFinding('spapr-no-phb', message, { id: device.id, property: 'bus' }, bus ? [{ element: { id: bus.id }, message: `bus ${bus.name} names no PHB` }] : []));
        return { ok: false, fault: t.fault('spapr-no-phb', '', message, `${device.name} under no PHB`, { id: device.id, property: 'bus' }) };
    }
    const xics = xicsOf(machine);
    const model = phbModel(phb);
    const sp = spaprIndex(machine);
    const icsParams = { icsOffset: xics.first, nrIrqs: xics.last - xics.first + 1, msiWinAddr: phb.msiWindow, windowSize: phbWindowSize(phb) };
    const table = model === 'legacy' ? sp.legacyTable(phb.id) : undefined;
    const r: SpaprResult =
        model === 'legacy'
            ? spaprLegacyDecode(
                  {
                      ...icsParams,
                      maxDevs: phbMaxDevs(phb),
                      msiTable: table!.msiTable,
                  },
                  address,
                  data,
              )
            : spaprCurrentDecode(icsParams, address, data);
    const via: SpaprDecoded['phb'] = { id: phb.id, name: phb.name, model };
    if (r.ndev !== undefined) via.slot = r.ndev;
    if (r.vec !== undefined) via.vector = r.vec;
    const win = `${hexGrouped(phb.msiWindow, phb.msiWindow > 0xffff_ffffn ? 16 : 8)}+${hex(phbWindowSize(phb))}`;
    const slotText = r.ndev !== undefined ? ` slot ${r.ndev}${r.vec !== undefined ? ` vec ${r.vec}` : ''}` : '';
    const summary = r.ok
        ? `${model === 'legacy' ? `window ${win}:${slotText}` : `window ${win}: data is the IRQ`} → XICS irq ${hex(r.irq)} (source ${hex(r.icsSource)})`
        : `${model} model: ${r.error.toLowerCase().replace(/_/g, ' ')}${slotText}`;
    t.addStage(
        makeStage('host-bridge', `PHB ${phb.name} (${model} MSI model)`, summary, { id: phb.id }, () => [decodePhbWindowAddress(address, data, { profile, machine, deviceId: device.id })]),
    );
    const k = t.source?.index ?? 0;
    const own = device.irqAllocation;
    // A message firmware programmed has no entry of its own in the model: findings sit on the allocation.
    const at = (property: string): ElementRef => (t.src.firmware && t.cur.element === t.src.element && own ? { id: own.id, property: 'base' } : t.ref(property));
    const phbRef = (property: string): ElementRef => ({ id: phb.id, property });
    if (!r.ok) {
        const code = SPAPR_ERROR_CODE[r.error];
        let message: string;
        let detail: string;
        let element = at('address');
        const related: Finding['related'] = [];
        switch (r.error) {
            case 'OUTSIDE_MSI_WINDOW':
                message = `${t.cur.name} writes ${hexGrouped(address, address > 0xffff_ffffn ? 16 : 8)}, outside the MSI window of ${phb.name} (${win}): the PHB decodes no interrupt from it. ${t.src.firmware ? 'Check the PHB window.' : `Program an address inside the window${model === 'current' ? ` (${hexGrouped(phb.msiWindow, 16)})` : ''}.`}`;
                detail = `${hex(address)} outside ${phb.name} window`;
                related.push({ element: phbRef('msiWindow'), message: `${phb.name}: MSI window ${win}` });
                break;
            case 'NDEV_OVERFLOW': {
                const mySlot = own ? table?.slotOf.get(device.id) : undefined;
                message =
                    mySlot === r.ndev
                        ? `${t.cur.name}: ${device.name}'s msi_table slot ${r.ndev} of ${phb.name} is past its ${phbMaxDevs(phb)} slots (SPAPR_MSIX_MAX_DEVS): ibm,change-msi cannot configure it, and the 2012 decoder read past msi_table. Give the device a free slot below ${phbMaxDevs(phb)}, or move it to another PHB.`
                        : `${t.cur.name}: the address selects msi_table slot ${r.ndev} of ${phb.name}, past its ${phbMaxDevs(phb)} slots (SPAPR_MSIX_MAX_DEVS); the 2012 decoder read past msi_table. Use the slot firmware gave the device${mySlot !== undefined && mySlot < phbMaxDevs(phb) ? ` (slot ${mySlot}: address ${hex(phb.msiWindow + (BigInt(mySlot) << 16n))})` : ''}.`;
                detail = `slot ${r.ndev} ≥ ${phbMaxDevs(phb)}`;
                related.push({ element: phbRef('maxDevs'), message: `${phb.name}: ${phbMaxDevs(phb)} msi_table slots` });
                break;
            }
            case 'MSI_NOT_CONFIGURED':
                message = `${t.cur.name}: the address selects msi_table slot ${r.ndev} of ${phb.name}, which no ibm,change-msi allocation configured; the 2012 decoder delivered IRQ 0 + vector. ${own ? `Use the device's slot (${table?.slotOf.get(device.id)}).` : `Give ${device.name} an IRQ allocation.`}`;
                detail = `slot ${r.ndev} not configured`;
                related.push({ element: phbRef('msiWindow'), message: `${phb.name}: slot ${r.ndev} is empty` });
                break;
            case 'VECTOR_OUT_OF_RANGE': {
                const owner = table?.slots[r.ndev!];
                message = `${t.cur.name}: vector ${r.vec} (address bits 15:2 ORed with data ${hex(data)}) is past the ${owner?.irqAllocation?.count ?? 0} vector(s) allocated in slot ${r.ndev} of ${phb.name}; the 2012 decoder raised IRQ base + ${r.vec}, another source. Use a vector below ${owner?.irqAllocation?.count ?? 0} or allocate more.`;
                detail = `vector ${r.vec} ≥ ${owner?.irqAllocation?.count ?? 0}`;
                element = (address & 0xfffcn) !== 0n || data === 0 ? at('address') : at('data');
                if (owner) related.push({ element: allocRef(owner, 'count'), message: allocText(owner) });
                break;
            }
            case 'IRQ_OUT_OF_ICS':
                message = `${t.cur.name} decodes to IRQ ${hex(r.irq!)}, outside the XICS sources ${hex(xics.first)}..${hex(xics.last)}: no source raises it. ${model === 'current' ? 'The data must be an XICS IRQ number allocated to the device.' : 'Move the allocation into the XICS range.'}`;
                detail = `IRQ ${hex(r.irq!)} outside ${hex(xics.first)}..${hex(xics.last)}`;
                element = model === 'current' ? at('data') : at('address');
                related.push({ element: { id: xics.id }, message: `XICS sources ${hex(xics.first)}..${hex(xics.last)}` });
                break;
            default:
                message = `${t.cur.name}: IRQ ${hex(r.irq!)} is not allocated.`;
                detail = `IRQ ${hex(r.irq!)} unclaimed`;
        }
        t.findings.push(makeFinding(code, message, element, related));
        return { ok: false, fault: t.fault(code, r.error, message, detail, element) };
    }

    // Who owns the IRQ.
    const irq = r.irq;
    const claimers = sp.claimers(irq);
    const mine = claimers.includes(device);
    if (claimers.length === 0) {
        const past = own && model === 'current' && k >= own.count && irq >= own.base && irq < own.base + k + 1;
        const code: DiagnosticCode = past ? 'spapr-vector-out-of-range' : 'spapr-irq-unclaimed';
        const message = past
            ? `${t.cur.name}: vector ${k} is past the ${own!.count} IRQ(s) firmware allocated to ${device.name} (${hex(own!.base)}..${hex(own!.base + own!.count - 1)}); IRQ ${hex(irq)} belongs to no device and its source was never configured, so the interrupt is lost. Use vectors below ${own!.count} or allocate more.`
            : `${t.cur.name} raises XICS IRQ ${hex(irq)}, which no device's ibm,change-msi allocation holds; its source was never configured (priority 0xFF), so the interrupt is lost. ${own ? `Use an IRQ of ${device.name}'s allocation (${hex(own.base)}..${hex(own.base + own.count - 1)}).` : `Give ${device.name} an IRQ allocation and program its data from it.`}`;
        const related: Finding['related'] = own ? [{ element: allocRef(device, past ? 'count' : 'base'), message: allocText(device) }] : [];
        t.findings.push(makeFinding(code, message, at(model === 'current' ? 'data' : 'address'), related));
        return { ok: false, fault: t.fault(code, past ? 'VECTOR_OUT_OF_RANGE' : 'IRQ_NOT_CLAIMED', message, past ? `vector ${k} ≥ ${own!.count}` : `IRQ ${hex(irq)} unclaimed`, at(model === 'current' ? 'data' : 'address')) };
    }
    const others = claimers.filter((d) => d !== device);
    if (!mine) {
        const o = others[0];
        const how = model === 'legacy' ? `the address selects msi_table slot ${r.ndev}, which belongs to ${o.name}` : `IRQ ${hex(irq)} belongs to ${o.name}`;
        const mySlot = own ? table?.slotOf.get(device.id) : undefined;
        const fix = !own
            ? `give ${device.name} its own IRQ allocation`
            : model === 'current'
              ? `use an IRQ of ${device.name}'s allocation (${hex(own.base)}..${hex(own.base + own.count - 1)})`
              : mySlot === r.ndev
                ? `${device.name}'s allocation names slot ${mySlot}, which ${o.name} holds; give ${device.name} a slot of its own`
                : `use ${device.name}'s own slot ${mySlot}`;
        t.findings.push(
            makeFinding(
                'spapr-irq-other-device',
                `${t.cur.name} raises XICS IRQ ${hex(irq)}, but ${how}: ${o.name}'s handler runs for ${device.name}'s interrupt; ${fix}.`,
                at(model === 'current' ? 'data' : 'address'),
                others.map((d) => ({ element: allocRef(d), message: allocText(d) })),
            ),
        );
    } else if (others.length > 0) {
        t.findings.push(
            makeFinding(
                'spapr-irq-claimed-twice',
                `${t.cur.name} raises XICS IRQ ${hex(irq)}, which is also allocated to ${others.map((d) => d.name).join(', ')}: both drivers take the interrupt. XICS sources are global (only the MSI decode is per PHB); give the devices disjoint allocations.`,
                at(model === 'current' ? 'data' : 'address'),
                others.map((d) => ({ element: allocRef(d, 'base'), message: allocText(d) })),
            ),
        );
    }
    const allocation = mine ? own : others[0]?.irqAllocation;
    const d: SpaprDecoded = { irq, phb: via };
    if (allocation) d.allocation = allocation;
    return { ok: true, d };
}

/** XICS source → server → CPU (ROUTING.md §5.4). */
function deliverXics(t: Tracer, irq: number, via: SpaprDecoded['phb'] | undefined, allocation: IrqAllocation | undefined): DeliveredOutcome | PendingOutcome | FaultOutcome {
    const { machine } = t;
    const xics = xicsOf(machine);
    if (irq < xics.first || irq > xics.last) {
        // Only reachable through a direct-mapped GSI (the PHB decode checks the range itself).
        const message = `GSI ${irq} (direct mapping: the GSI is the XICS IRQ) is not an XICS source (${hex(xics.first)}..${hex(xics.last)}); bind the irqfd to the IRQ the PHB decodes from the vector.`;
        const element: ElementRef = t.kvm ? { id: t.kvm.irqfd, property: 'gsi' } : t.ref('data');
        t.findings.push(makeFinding('kvm-gsi-out-of-range', message, element, [{ element: { id: xics.id }, message: `XICS sources ${hex(xics.first)}..${hex(xics.last)}` }]));
        return t.fault('kvm-gsi-out-of-range', '', message, `GSI ${irq} not an XICS source`, element);
    }
    const source = irq - xics.first;
    const xive = xiveOf(machine, irq, allocation);
    const info = { ics: xics.id, irq, source, server: xive.server, priority: xive.priority };
    const masked = xive.priority === XICS_MASKED_PRIORITY;
    t.addStage(
        makeStage(
            'xics',
            'XICS',
            `irq ${hex(irq)} = ICS source ${hex(source)} → server ${xive.server} · priority ${masked ? '0xFF (masked)' : xive.priority}${xive.from === 'default' ? ' (defaults)' : ''}`,
            { id: xive.element },
            () => [],
        ),
    );
    if (masked) {
        const p: PendingOutcome = {
            kind: 'pending',
            reason: 'xics-masked',
            where: `XICS source ${hex(source)} (irq ${hex(irq)}) masked-pending: priority 0xFF`,
            element: { id: xive.element, property: 'priority' },
            xics: info,
        };
        if (t.kvm) p.kvm = t.kvm;
        return p;
    }
    const cpus = cpusOfServer(machine, xive.server);
    if (cpus.length === 0) {
        const servers = machine.cpus.map((c) => cpuServer(c));
        t.findings.push(
            makeFinding(
                'xics-server-unknown',
                `XICS IRQ ${hex(irq)} is routed to server ${xive.server}, but no CPU has that interrupt server number (servers: ${servers.length ? servers.slice(0, 8).join(', ') + (servers.length > 8 ? ', …' : '') : 'none'}); set the source's server to an existing one.`,
                { id: xive.element, property: 'server' },
                machine.cpus.slice(0, 3).map((c) => ({ element: { id: c.id, property: 'server' }, message: `CPU ${c.index}: server ${cpuServer(c)}` })),
            ),
        );
    } else {
        t.addStage(
            makeStage(
                'cpu',
                cpus.length === 1 ? `CPU ${cpus[0].index}` : `${cpus.length} CPUs`,
                `${cpus.map((c) => `CPU ${c.index}`).join(', ')} (server ${xive.server}) accepts irq ${hex(irq)} at priority ${xive.priority} (XIRR ${hexPad(((xive.priority << 24) | irq) >>> 0, 8)})`,
                cpus.length === 1 ? { id: cpus[0].id } : undefined,
                () => [],
            ),
        );
    }
    const out: DeliveredOutcome = {
        kind: 'delivered',
        vector: irq,
        deliveryMode: 0,
        deliveryModeName: 'fixed',
        trigger: 'edge',
        destMode: 'physical',
        destId: xive.server,
        lowestPriority: false,
        broadcast: false,
        targets: cpus.map((c) => ({ cpu: c.id, apicId: c.apicId, index: c.index })),
        xics: info,
    };
    if (via) out.phb = via;
    if (t.kvm) out.kvm = t.kvm;
    return out;
}

function routeSpapr(t: Tracer): Outcome {
    const r = spaprDecodeStage(t);
    if (!r.ok) return r.fault;
    return deliverXics(t, r.d.irq, r.d.phb, r.d.allocation);
}

/** Routes the current message by the machine's architecture. */
function routeCurrent(t: Tracer): Outcome {
    return isSpaprRouted(t.machine) ? routeSpapr(t) : routeMessage(t);
}

// ---------------------------------------------------------------------------------------------------------
// KVM irqfd → GSI → route (ROUTING.md §6, thread 001)

/** What the kvm-route stage of a routed GSI shows, fixed when the stage is made (the route's values then). */
interface KvmRouteFacts {
    gsi: number;
    address: bigint;
    data: number;
    devid: number | undefined;
    stale: boolean;
    profile: Profile;
    machine: Machine;
    deviceId: ElementId;
}

function kvmRouteSummary(f: KvmRouteFacts): string {
    const { gsi, address, data, devid } = f;
    return `irqfd → GSI ${gsi} → MSI route ${hexGrouped(address, address > 0xffff_ffffn ? 16 : 8)} ← ${hex(data)}${devid !== undefined ? ` devid ${hex(devid)}` : ''}${f.stale ? ' (stale)' : ''}`;
}

function kvmRouteDecodes({ address, data, profile, machine, deviceId }: KvmRouteFacts): ValueDecode[] {
    return [decodeMsiAddress(address, { profile, machine, deviceId, data }), decodeMsiData(data, { profile, machine, deviceId, address })];
}

/**
 * A KVM route's message as the current one, kept per route object while its GSI, id, address and data are
 * the same (the simulator rewrites a route's message in place), so that what routing it computed (RemapMemo,
 * DeliveryMemo) serves the next route through the same irqfd.
 */
const kvmRouteMessages = new WeakMap<KvmRoute, { gsi: number; cur: CurrentMessage }>();

function kvmRouteMessage(r: KvmRoute, gsi: number, address: bigint, data: number): CurrentMessage {
    const hit = kvmRouteMessages.get(r);
    if (hit !== undefined && hit.gsi === gsi && hit.cur.element === r.id && hit.cur.address === address && hit.cur.data === data) return hit.cur;
    const cur = currentMessage(`GSI ${gsi} route`, r.id, address, data);
    kvmRouteMessages.set(r, { gsi, cur });
    return cur;
}

function routeIrqfd(t: Tracer, irqfd: KvmIrqfd): Outcome {
    const { machine } = t;
    const mapping = gsiMappingOf(machine);
    const gsi = irqfd.gsi;
    const irqfdRef = (property?: string): ElementRef => (property ? { id: irqfd.id, property } : { id: irqfd.id });
    if (mapping === 'direct') {
        t.kvm = { gsi, irqfd: irqfd.id, mapping };
        if (!isSpaprRouted(machine)) {
            const message = `${t.src.name} is carried by an irqfd on GSI ${gsi} with direct GSI mapping, which exists only on pseries (GSI = XICS IRQ); use routed mapping with an MSI route for GSI ${gsi}.`;
            t.addStage(makeStage('kvm-route', `KVM GSI ${gsi}`, `irqfd → GSI ${gsi}: direct mapping unsupported on ${machine.arch}`, irqfdRef(), () => []));
            t.findings.push(makeFinding('kvm-direct-mapping-unsupported', message, irqfdRef('gsi')));
            return t.fault('kvm-direct-mapping-unsupported', '', message, `direct mapping on ${machine.arch}`, irqfdRef('gsi'));
        }
        // What the vector's message names (QEMU looks it up to pick the GSI), then the GSI itself.
        const dec = spaprDecodeStage(t);
        t.addStage(makeStage('kvm-route', `KVM GSI ${gsi}`, `irqfd → GSI ${gsi} (${hex(gsi)}): direct mapping, GSI = XICS irq, no route`, irqfdRef(), () => []));
        if (dec.ok && dec.d.irq !== gsi) {
            t.findings.push(
                makeFinding(
                    'kvm-gsi-mismatch',
                    `The irqfd of ${t.src.name} fires GSI ${gsi} (${hex(gsi)}), but with direct GSI mapping the GSI is the XICS IRQ, and the vector's message decodes (PHB ${dec.d.phb.name}) to IRQ ${hex(dec.d.irq)}: KVM raises the wrong source. Bind the irqfd to GSI ${dec.d.irq} (${hex(dec.d.irq)}).`,
                    irqfdRef('gsi'),
                    [
                        { element: { id: t.src.element }, message: `${t.src.name} decodes to XICS IRQ ${hex(dec.d.irq)}` },
                        { element: { id: dec.d.phb.id }, message: `PHB ${dec.d.phb.name} (${dec.d.phb.model} model)` },
                    ],
                    { gsi: dec.d.irq },
                ),
            );
        }
        const claim = spaprIndex(machine).claimers(gsi);
        const alloc = claim.includes(t.device) ? t.device.irqAllocation : claim[0]?.irqAllocation;
        return deliverXics(t, gsi, dec.ok && dec.d.irq === gsi ? dec.d.phb : undefined, alloc);
    }

    // Routed: the GSI's route is what KVM delivers.
    const routes = routesOfGsi(machine, gsi);
    if (routes.length === 0) {
        const message = `The irqfd of ${t.src.name} fires GSI ${gsi}, which has no routing entry: KVM injects nothing and the interrupt is lost. Add \`route gsi ${gsi} msi address … data …\` with the vector's message, or bind the irqfd to a routed GSI.`;
        t.addStage(makeStage('kvm-route', `KVM GSI ${gsi}`, `irqfd → GSI ${gsi}: no route`, irqfdRef(), () => []));
        t.findings.push(makeFinding('kvm-irqfd-missing-gsi', message, irqfdRef('gsi'), [{ element: { id: t.src.element }, message: `${t.src.name} is carried by this irqfd` }]));
        return t.fault('kvm-irqfd-missing-gsi', '', message, `GSI ${gsi} has no route`, irqfdRef('gsi'));
    }
    const r = routes.find((x) => x.kind === 'msi') ?? routes[0];
    t.kvm = { gsi, irqfd: irqfd.id, mapping, route: r.id };
    if (r.kind === 'irqchip') {
        const pin = `${r.irqchip ?? 'irqchip'} pin ${r.pin ?? '?'}`;
        const message = `The irqfd of ${t.src.name} fires GSI ${gsi}, an irqchip route (${pin}): the guest sees a pin interrupt, not the vector's message. Give GSI ${gsi} an MSI route with the vector's message. (I/O APIC redirection is not modelled; the trace ends at the pin.)`;
        t.addStage(makeStage('kvm-route', `KVM GSI ${gsi}`, `irqfd → GSI ${gsi} → ${pin}`, { id: r.id }, () => []));
        t.findings.push(makeFinding('kvm-irqfd-irqchip-route', message, irqfdRef('gsi'), [{ element: { id: r.id }, message: `GSI ${gsi}: ${pin}` }]));
        return t.fault('kvm-irqfd-irqchip-route', '', message, `GSI ${gsi} → ${pin}`, { id: r.id });
    }
    const address = r.address ?? 0n;
    const data = (r.data ?? 0) >>> 0;
    const diffs: string[] = [];
    if (address !== t.src.address) diffs.push(`address ${hexGrouped(address, address > 0xffff_ffffn ? 16 : 8)} ≠ ${hexGrouped(t.src.address, t.src.address > 0xffff_ffffn ? 16 : 8)}`);
    if (data !== t.src.data >>> 0) diffs.push(`data ${hex(data)} ≠ ${hex(t.src.data)}`);
    const routeFacts: KvmRouteFacts = { gsi, address, data, devid: r.devid, stale: diffs.length > 0, profile: t.profile, machine, deviceId: t.device.id };
    t.addStage(new LazyStage('kvm-route', `KVM GSI ${gsi}`, kvmRouteSummary, { id: r.id }, kvmRouteDecodes, routeFacts));
    if (diffs.length) {
        t.kvm.stale = true;
        t.findings.push(
            makeFinding(
                'kvm-route-stale',
                `GSI ${gsi}'s route no longer matches ${t.src.name} (${diffs.join(', ')}): the irqfd delivers the route's message, not the entry's. The VMM must update the route when the guest changes the vector (QEMU kvm_irqchip_update_msi_route; thread 001's "FIXME: MSI(-X) vector has changed"); write the entry's message into the route.`,
                { id: r.id, property: address !== t.src.address ? 'address' : 'data' },
                [
                    { element: { id: t.src.element, property: address !== t.src.address ? 'address' : 'data' }, message: `${t.src.name} holds ${hexGrouped(t.src.address, t.src.address > 0xffff_ffffn ? 16 : 8)} ← ${hex(t.src.data)}` },
                    { element: irqfdRef('gsi'), message: `the irqfd of ${t.src.name} fires GSI ${gsi}` },
                ],
                { address: hex(t.src.address), data: hex(t.src.data) },
            ),
        );
    }
    t.cur = kvmRouteMessage(r, gsi, address, data);
    const out = routeCurrent(t);
    if (out.kind === 'delivered' || (out.kind === 'pending' && out.reason === 'xics-masked')) out.kvm = t.kvm;
    return out;
}

// ---------------------------------------------------------------------------------------------------------
// KVM_SIGNAL_MSI injections

function routeSignal(machine: Machine, source: SourceRef, options: RouteOptions): RouteTrace {
    const signals = machine.kvm.signals ?? [];
    let i = signals.findIndex((s) => s.id === source.device);
    if (i < 0 && source.index >= 0 && source.index < signals.length && !source.device) i = source.index;
    if (i < 0) throw new Error(`unknown KVM_SIGNAL_MSI '${source.device}' in machine '${machine.id}'`);
    const sig = signals[i];
    const name = sig.name ?? `kvm.signal[${i}]`;
    const idx = indexMachine(machine);
    // A signal has no device: a stand-in with no bus, so no IOMMU and no requester id applies.
    const pseudo: Device = { id: sig.id, name, bdf: { segment: 0, bus: 0, device: 0, fn: 0 }, bus: '' };
    const src: SourceMessage = {
        name,
        writeTitle: `KVM_SIGNAL_MSI ${name}`,
        text: undefined,
        element: sig.id,
        address: sig.address,
        data: sig.data >>> 0,
        pending: undefined,
        unprogrammed: false,
        firmware: undefined,
        invalid: undefined,
        current: undefined,
    };
    const t = new Tracer(machine, idx, pseudo, src, options.profile, { device: sig.id, kind: 'signal', index: i });
    const ref: SourceRef = { device: sig.id, kind: 'signal', index: i };
    const trace = (outcome: Outcome): RouteTrace => ({ source: ref, sourceName: name, sourceElement: sig.id, stages: t.takeStages(), outcome, findings: t.findings });
    t.addStage(
        makeStage(
            'device-write',
            src.writeTitle,
            `KVM_SIGNAL_MSI ${hexGrouped(sig.address, sig.address > 0xffff_ffffn ? 16 : 8)} ← ${hex(sig.data)}${sig.devid !== undefined ? ` devid ${hex(sig.devid)}` : ''} (no requester id: straight to the in-kernel irqchip)`,
            { id: sig.id },
            () => [decodeMsiAddress(sig.address, { profile: options.profile, machine, data: sig.data }), decodeMsiData(sig.data, { profile: options.profile, machine, address: sig.address })],
        ),
    );
    if (machine.arch === 'ppc64') {
        const message = `${name}: KVM_SIGNAL_MSI needs MSI routing in the in-kernel irqchip, which the pseries XICS does not have; QEMU pulses the XICS IRQ instead. Raise the IRQ through a device vector or an irqfd on its GSI.`;
        t.findings.push(makeFinding('kvm-signal-unsupported', message, { id: sig.id }));
        return trace(t.fault('kvm-signal-unsupported', '', message, 'no MSI routing on XICS', { id: sig.id }));
    }
    return trace(routeMessage(t));
}

// The device-write stage's lazy parts. They read only t.src, t.source and what the Tracer was made with,
// which never change after route() made the stage.

function deviceWriteSummary(t: Tracer): string {
    const { name, address, data, firmware, pending } = t.src;
    return `${name} writes ${hexGrouped(address, hi32(address) ? 16 : 8)} ← ${hex(data)}${firmware ? ' (programmed by firmware)' : ''}${pending ? ` (${pending.reason.replace('-', ' ')})` : ''}`;
}

function deviceWriteDecodes(t: Tracer): ValueDecode[] {
    const { profile, machine, device, src } = t;
    return [decodeMsiAddress(src.address, { profile, machine, deviceId: device.id, data: src.data }), decodeMsiData(src.data, { profile, machine, deviceId: device.id, address: src.address })];
}

function spaprDeviceWriteDecodes(t: Tracer): ValueDecode[] {
    const { profile, machine, device, src } = t;
    return [describeVectorState(t.source!, { profile, machine }), decodePhbWindowAddress(src.address, src.data, { profile, machine, deviceId: device.id })];
}

function traceOf(t: Tracer, source: SourceRef, outcome: Outcome): RouteTrace {
    return { source, sourceName: t.src.name, sourceElement: t.src.element, stages: t.takeStages(), outcome, findings: t.findings };
}

/**
 * Routes one interrupt source: an MSI vector, MSI-X entry or IMS entry of a device, or (kind 'signal') a
 * KVM_SIGNAL_MSI injection. x86 machines go host bridge → VT-d → local APICs; pseries machines with a PHB
 * model go PHB → XICS → interrupt server; a vector carried by a KVM irqfd follows its GSI. Throws only for
 * a source that does not name a device or capability of the machine (a caller error); everything wrong
 * with the topology is in the trace.
 */
export function route(machine: Machine, source: SourceRef, options: RouteOptions): RouteTrace {
    if (source.kind === 'signal') return routeSignal(machine, source, options);
    const idx = indexMachine(machine);
    const plan = devicePlanOf(idx, source.device);
    if (!plan) throw new Error(`unknown device '${source.device}' in machine '${machine.id}'`);
    const device = plan.device;
    const spapr = isSpaprRouted(machine);
    const src = sourceMessage(plan, source, spapr && device.irqAllocation ? (k) => firmwareMessage(machine, device, source.kind, k) : undefined);
    const t = new Tracer(machine, idx, device, src, options.profile, source, plan);

    if (src.invalid) {
        const inv = src.invalid;
        t.findings.push(makeFinding(inv.code, inv.message, inv.element, inv.related));
        return traceOf(t, source, t.fault(inv.code, '', inv.message, inv.detail, inv.element));
    }

    const address = src.address;
    const { addrLo, addrHi } = t.cur;
    const remappable = isInterruptAddress(addrLo) && (addrLo & 0x10) !== 0;
    t.addStage(new LazyStage('device-write', src.writeTitle, deviceWriteSummary, { id: src.element }, spapr ? spaprDeviceWriteDecodes : deviceWriteDecodes, t));

    if (src.pending?.reason === 'disabled' || (src.pending && src.unprogrammed)) {
        return traceOf(t, source, { kind: 'pending', reason: src.pending.reason, where: src.pending.where, element: { id: src.element } });
    }

    // Byte-order suspicion (reported once, here; the later stages then do not repeat the same cause).
    const swappedAddr = spapr ? undefined : swappedAddressCandidate(address, addrLo, addrHi);
    if (swappedAddr !== undefined) {
        t.addrSwapReported = true;
        const s = hexGrouped(swappedAddr);
        t.findings.push(
            makeFinding(
                'msi-byte-swapped',
                `${src.name}: address ${hexGrouped(address, hi32(address) ? 16 : 8)} is not an interrupt address, but with its bytes reversed it is ${s}; the value was probably stored in the wrong byte order — write ${s}.`,
                t.ref('address'),
                [],
                { swapBytes: hexPad(swappedAddr, 8), property: 'address' },
            ),
        );
    }
    const swappedData = spapr ? undefined : swappedDataCandidate(src.data, remappable ? 'remappable' : 'compat');
    if (swappedData !== undefined) {
        t.dataSwapReported = true;
        t.findings.push(
            makeFinding(
                'msi-byte-swapped',
                src.data >>> 16 === 0
                    // x86/byte-swap.ts swappedData16: the 16-bit MSI Message Data register stored big-endian.
                    ? `${src.name}: data ${hexPad(src.data, 4)} has an illegal vector (${hex(src.data & 0xff)}); with the two bytes of the 16-bit Message Data register reversed it is ${hex(swappedData)} (vector ${hex(swappedData & 0xff)}): a big-endian store? Write ${hex(swappedData)}.`
                    : `${src.name}: data ${hexPad(src.data, 8)} sets only the reserved upper half; with its bytes reversed it is ${hex(swappedData)}${remappable ? '' : ` (vector ${hex(swappedData & 0xff)})`}; write ${hex(swappedData)}.`,
                t.ref('data'),
                [],
                { swapBytes: hex(swappedData), property: 'data' },
            ),
        );
    }

    const irqfd = irqfdOfSource(machine, src.text, source);
    const outcome = irqfd ? routeIrqfd(t, irqfd) : routeCurrent(t);
    if (src.pending) {
        const p: PendingOutcome = { kind: 'pending', reason: src.pending.reason, where: src.pending.where, element: { id: src.element } };
        if (outcome.kind !== 'pending') p.whenUnmasked = outcome;
        // The stages after the device write are what happens on unmask; the interrupt has not taken them yet.
        t.keepStages(1);
        return traceOf(t, source, p);
    }
    return traceOf(t, source, outcome);
}

/**
 * Every source a machine declares: MSI vectors 0..2^MME−1, every MSI-X entry and IMS entry listed; on a
 * routed pseries machine also the MSI-X entries firmware programmed for a device's IRQ allocation.
 * KVM_SIGNAL_MSI injections are listed by listSignals().
 */
export function listSources(machine: Machine): SourceRef[] {
    const out: SourceRef[] = [];
    const spapr = isSpaprRouted(machine);
    for (const d of machine.devices) {
        if (d.msi) {
            const n = msiVectorCount(Math.min(Math.max(d.msi.mme, 0), 5));
            for (let k = 0; k < n; k++) out.push({ device: d.id, kind: 'msi', index: k });
        }
        if (d.msix) {
            const declared = d.msix.entries.map((e) => e.index);
            if (spapr && d.irqAllocation && firmwareMessage(machine, d, 'msix', 0)) {
                const n = Math.min(d.irqAllocation.count, d.msix.tableSize);
                for (let k = 0; k < n; k++) declared.push(k);
            }
            for (const k of [...new Set(declared)].sort((a, b) => a - b)) out.push({ device: d.id, kind: 'msix', index: k });
        }
        if (d.ims) for (const e of [...d.ims.entries].sort((a, b) => a.index - b.index)) out.push({ device: d.id, kind: 'ims', index: e.index });
    }
    return out;
}

/** The KVM_SIGNAL_MSI injections of a machine, as sources (kind 'signal'; `device` is the signal's id). */
export function listSignals(machine: Machine): SourceRef[] {
    return (machine.kvm.signals ?? []).map((s, i) => ({ device: s.id, kind: 'signal', index: i }));
}

/** The IRTE a trace used, if any (remapped, posted, or a fault after the entry was read). */
export function irteUsedBy(trace: RouteTrace): { iommu: ElementId; index: number } | undefined {
    const o = trace.outcome.kind === 'pending' ? trace.outcome.whenUnmasked : trace.outcome;
    if (!o) return undefined;
    if (o.kind === 'delivered' && o.irte) return { iommu: o.irte.iommu, index: o.irte.index };
    if (o.kind === 'posted') return { iommu: o.irte.iommu, index: o.irte.index };
    if (o.kind === 'fault' && o.irte) return { iommu: o.irte.iommu, index: o.irte.index };
    return undefined;
}
