/**
 * Decodes of single values in the context of their machine: what hover shows and what the debugger's
 * variables view lists. Every bit layout comes from the per-architecture modules; this file only adds the
 * context (which IOMMU, IR on/off, EIM, the KVM options, the profile) and the notes.
 */
import { field, hex, hexGrouped, hexPad, hi32, leBytes, lo32 } from './bits.js';
import { gsiMappingOf, irqfdsOfGsi, maxRoutesOf, routesOfGsi } from './kvm/routing.js';
import type { Bdf, Device, ElementId, Iommu, Machine, Phb, Profile, SourceRef } from './model.js';
import { effectiveMask, vectorStateOf } from './pci/vector-state.js';
import { firmwareMessage, isSpaprRouted, phbMaxDevs, phbModel, phbOfDevice, phbWindowSize, spaprIndex, xicsOf, xiveOf } from './spapr/machine.js';
import { spaprLegacyDecode, spaprLegacyParts } from './spapr/phb-msi.js';
import { indexMachine } from './machine-index.js';
import type { DecodedField, ValueDecode } from './trace.js';
import { prepareVtdUnit, vtdRemap, VTD_FAULTS, type RemapOutput } from './vtd/remap.js';
import { swappedAddressCandidate, swappedDataCandidate } from './x86/byte-swap.js';
import { deliverToApics } from './x86/apic-delivery.js';
import { deliveryModeLabel } from './x86/delivery-mode.js';
import { compatAddressFields, compatDataFields, decodeCompatMsi, isInterruptAddress, type CompatOptions } from './x86/msi-compat.js';
import {
    formatRid,
    ridOf,
    irteDecodedFields,
    irteFieldsOfWords,
    irteHasReservedBits,
    irteReservedMask,
    irteReservedViolations,
    irteWords,
    irteTableEntries,
    irteXapicDestOverflow,
    IRTA_S_MAX,
    SVT_NAMES,
    irteSourceText,
} from './vtd/irte.js';
import { remappableAddressFields, remappableDataFields, decodeRemappableRequest } from './vtd/remappable-msi.js';
import { checkSourceId, expectedIrteSource, formatBdf, NO_SID, requesterIdOf } from './vtd/source-id.js';
import { vtdRuntime } from './vtd/unit.js';

/** Plain-data context of a decode. Everything is optional except the profile. */
export interface DecodeContext {
    profile: Profile;
    machine?: Machine;
    /** The device the value belongs to: decides the IOMMU (through its bus) and the requester id. */
    deviceId?: ElementId;
    /** The IOMMU, when known directly (an IRTE's own IOMMU). */
    iommuId?: ElementId;
    /** For an MSI data word: the address it is sent with (selects the compatibility or remappable view). */
    address?: bigint;
    /** For an MSI address: the data word sent with it (its subhandle when SHV=1); 0 when not given. */
    data?: number;
    /**
     * The requester id of the request (source-id validation, §2.6 step 9): of an IRTE, the request that reads
     * it; of an address or data word, the request that carries it. Default: the device's, else none.
     */
    requesterId?: number;
    /** For an IRTE: its index in the table. */
    index?: number;
    /** For a PHB window write: the PHB, when known directly (else the device's). */
    phbId?: ElementId;
}

interface Resolved {
    machine?: Machine;
    device?: Device;
    iommu?: Iommu;
    kvm: CompatOptions;
    /** The requester id of the request: the context's, else the device's, else NO_SID. */
    rid: number;
}

function resolve(ctx: DecodeContext): Resolved {
    const m = ctx.machine;
    if (!m) return { kvm: { x2apicFormat: false, extDestId: false }, rid: ctx.requesterId ?? NO_SID };
    const idx = indexMachine(m);
    const device = ctx.deviceId ? idx.devices.get(ctx.deviceId) : undefined;
    let iommu = ctx.iommuId ? idx.iommus.get(ctx.iommuId) : undefined;
    if (!iommu && device) iommu = idx.iommuOfBus(device.bus);
    const rid = ctx.requesterId ?? (device ? requesterIdOf(m, device).rid : NO_SID);
    return { machine: m, device, iommu, kvm: { x2apicFormat: m.kvm.x2apicApi, extDestId: m.kvm.extDestId }, rid };
}

/** 'behind dmar0 (VT-d, IR on, EIM on, CFI off, 256 entries)'. */
export function describeIommu(iommu: Iommu): string {
    return `${iommu.name} (VT-d, IR ${iommu.remapping ? 'on' : 'off'}, EIM ${iommu.eim ? 'on' : 'off'}, CFI ${iommu.cfi ? 'on' : 'off'}, ${irteTableEntries(iommu)} entries${iommu.postedSupported ? ', posted interrupts' : ''})`;
}

function contextLines(ctx: DecodeContext, r: Resolved, withKvm: boolean): string[] {
    const lines: string[] = [];
    if (r.device) lines.push(`device ${r.device.name} (${formatBdf(r.device.bdf)})`);
    if (r.iommu) lines.push(`behind ${describeIommu(r.iommu)}`);
    else if (r.device) lines.push('no IOMMU translates this device');
    if (withKvm && r.machine) {
        lines.push(`KVM: x2APIC API ${r.kvm.x2apicFormat ? 'on' : 'off'}, ext dest id ${r.kvm.extDestId ? 'on' : 'off'}, broadcast quirk ${r.machine.kvm.broadcastQuirkDisabled ? 'disabled' : 'enabled'}`);
    }
    lines.push(`profile ${ctx.profile}`);
    return lines;
}

function cpuNameForApicId(machine: Machine | undefined, apicId: number): string | undefined {
    const cpu = machine?.cpus.find((c) => c.apicId >>> 0 === apicId >>> 0);
    return cpu ? `CPU ${cpu.index}` : undefined;
}

/**
 * The CPUs a message the IOMMU composed reaches: the same APIC matching the route's delivery stage does
 * (deliverToApics, ROUTING.md §1.5), over the destination, mode, delivery mode and RH that vtdRemap read
 * from the IRTE (the composed message carries exactly these, §2.6 step 11). Undefined when the machine
 * declares no CPUs (a decode without a file), so no CPU is named then.
 */
function remappedTargetsText(machine: Machine | undefined, r: RemapOutput): string | undefined {
    if (!machine || machine.cpus.length === 0) return undefined;
    const idx = indexMachine(machine);
    const d = deliverToApics(
        { destId: r.dest, destMode: r.destMode ? 'logical' : 'physical', deliveryMode: r.deliveryMode, redirectionHint: r.redirectionHint },
        idx.apicTargets,
        machine.kvm.broadcastQuirkDisabled,
        idx.apicIndex,
    );
    const names = (list: number[]): string =>
        list
            .map((i) => machine.cpus[i])
            .sort((a, b) => a.apicId - b.apicId || a.index - b.index)
            .map((c) => `CPU ${c.index}`)
            .join(', ');
    if (d.accepted.length > 0) return `${d.lowestPriority && d.accepted.length > 1 ? 'one of ' : ''}${names(d.accepted)}`;
    if (d.disabled.length > 0) return `no CPU: ${names(d.disabled)} ${d.disabled.length === 1 ? 'has its' : 'have their'} APIC disabled`;
    return 'no CPU';
}

/** 'IRTE 6 (handle 0x4 + subhandle 0x2)': the entry a remappable request selects, as vtdRemap computed it. */
function selectedIrteText(r: RemapOutput): string {
    if (!r.shv) return `IRTE ${r.index}`;
    const wrapped = r.index !== r.handle + r.subhandle;
    return `IRTE ${r.index} (handle ${hex(r.handle)} + subhandle ${hex(r.subhandle)}${wrapped ? `, wrapped at 16 bits` : ''})`;
}

/**
 * What the IOMMU does with a remappable request, from the vtdRemap result the route computes too (the
 * ROUTING.md §2.6 order): the fault and its reason, or what the IRTE delivers and to which CPUs.
 * `entries` and `slotWritten` describe the table for the 0x21 / 0x22 texts; `rid` is the requester id checked.
 */
function remapNote(r: RemapOutput, o: { entries: number; eim: boolean; postedSupported: boolean; profile: Profile; machine?: Machine; rid: number; slotWritten: boolean }): string {
    const fault = ` (fault ${hex(r.faultReason)})`;
    switch (r.cause) {
        case 'addr-hi':
            return `address bits 63:32 are set: the request faults before any IRTE is read${fault}`;
        case 'addr-window':
            return `address bits 31:20 are not 0xFEE: the request faults before any IRTE is read${fault}`;
        case 'shv-data':
            // The specification checks data[31:16] before the index (step 4); QEMU only after the entry is read (§10.5).
            return r.index < 0
                ? `SHV=1 with data[31:16] set: the request faults before any IRTE is read${fault}`
                : `${selectedIrteText(r)}: present, but SHV=1 with data[31:16] set${fault}`;
        default:
            break;
    }
    const head = `${selectedIrteText(r)}: `;
    switch (r.cause) {
        case 'index':
            return `${head}beyond the table of ${o.entries} entries${fault}`;
        case 'read':
            return `${head}cannot be read: the table runs past the host address width${fault}`;
        case 'not-present':
            return `${head}${o.slotWritten ? 'not present' : 'not programmed'}${fault}`;
        case 'reserved': {
            const w = r.irte!;
            const f = irteFieldsOfWords(w, o.eim);
            const viol = irteReservedViolations(w, irteReservedMask(f.posted, o.profile, o.eim, o.postedSupported));
            return `${head}present, but reserved bits set: ${viol.join(', ')}${fault}`;
        }
        case 'svt-reserved':
            return `${head}present, but SVT=11 is reserved${fault}`;
        case 'sid-mismatch':
        case 'bus-out-of-range': {
            const f = irteFieldsOfWords(r.irte!, o.eim);
            const have = f.svt === 2 ? `bus range ${hexPad(f.sid >>> 8, 2)}..${hexPad(f.sid & 0xff, 2)}` : `sid ${formatRid(f.sid)}${f.sq ? ` (sq ${f.sq})` : ''}`;
            return `${head}present, but it verifies ${have} (${SVT_NAMES[f.svt]}) and the requester is ${formatRid(o.rid)}${fault}`;
        }
        case 'ok':
            break;
        default:
            return `${head}${VTD_FAULTS[r.faultReason]?.title ?? r.cause}${fault}`;
    }
    if (r.result === 'posted') return `${head}present, posted, vector ${hex(r.vector)}${r.urgent ? ' (urgent)' : ''}`;
    const targets = remappedTargetsText(o.machine, r);
    return `${head}present, vector ${hex(r.vector)} → ${r.destMode ? 'logical ' : ''}dest ${hex(r.dest)}${targets ? ` (${targets})` : ''}`;
}

/**
 * A unit as large as any (2^16 entries, every entry readable, nothing programmed): vtdRemap over it gives the
 * index a request selects (QEMU's 16-bit wrap included) when no IRTE is known.
 */
const ANY_TABLE = prepareVtdUnit({ enabled: true, eime: true, cfis: false, irtaS: IRTA_S_MAX, postedSupported: false });

/**
 * What an IRTE index holds when no entry was ever written there (the debugger's `irte N`): beyond the table
 * (0x21), unreadable (0x23), or all-zero, so not present (0x22) — the faults vtdRemap raises for it.
 */
export function unwrittenIrteText(iommu: Iommu, index: number): string {
    const unit = vtdRuntime(iommu).unit;
    if (index >= unit.entries) return `beyond the table of ${unit.entries} entries (fault 0x21)`;
    if (index >= unit.readableEntries) return 'cannot be read: the table runs past the host address width (fault 0x23)';
    return 'never written (reads as not present: fault 0x22)';
}

/** Marks the fields with these bit ranges as the cause of a fault or warning. */
function flagBits(fields: DecodedField[], ...bits: string[]): void {
    for (const f of fields) if (bits.includes(f.bits)) f.flagged = true;
}

/** Marks those of the fields with these bit ranges that are not zero. */
function flagSetBits(fields: DecodedField[], ...bits: string[]): void {
    for (const f of fields) if (f.value !== 0n && bits.includes(f.bits)) f.flagged = true;
}

/**
 * What the context's IOMMU does with a request (vtdRemap, ROUTING.md §2.6), so a decode flags the field
 * that causes the fault; undefined when no IOMMU remaps it. The requester id is the context's, else the
 * device's, else none (source-id check skipped).
 */
function remapInContext(r: Resolved, profile: Profile, addrLo: number, addrHi: number, data: number): RemapOutput | undefined {
    const iommu = r.iommu;
    if (!iommu?.remapping) return undefined;
    const rt = vtdRuntime(iommu);
    return vtdRemap({ addrLo, addrHi, data, sid: r.rid, ioapic: false }, rt.unit, rt.read, profile);
}

/** Decode of a 64-bit MSI address. */
export function decodeMsiAddress(address: bigint, ctx: DecodeContext): ValueDecode {
    const r = resolve(ctx);
    const lo = lo32(address);
    const hi = hi32(address);
    const remappable = (lo & 0x10) !== 0;
    const notes: string[] = [];
    let fields: DecodedField[];
    let summary: string;
    if (!isInterruptAddress(lo)) {
        fields = compatAddressFields(lo, hi, r.kvm);
        summary = `not an interrupt address: ${hexGrouped(address, hi ? 16 : 8)} is outside 0xFEE0_0000..0xFEEF_FFFF, an ordinary memory write`;
    } else if (remappable) {
        fields = remappableAddressFields(lo, hi);
        const remap = remapInContext(r, ctx.profile, lo, hi, ctx.data ?? 0);
        // 0x21: the handle (with the subhandle) indexes past the table; its set parts are the cause.
        if (remap?.cause === 'index') flagSetBits(fields, '19:5', '2');
        const req = decodeRemappableRequest(lo, 0);
        summary = `remappable format, handle ${req.handle}${req.shv ? `, SHV=1 → IRTE ${req.handle} + subhandle (data[15:0])` : ` → IRTE ${req.handle}`}`;
        // With SHV=1 and no data word, the subhandle (so the entry) is not known.
        const subhandleUnknown = req.shv === 1 && ctx.data === undefined;
        const unknownText = `IRTE ${req.handle} + subhandle: the data word (its subhandle) is not given, so the entry is not known`;
        if (remap) {
            const iommu = r.iommu!;
            notes.push(
                subhandleUnknown
                    ? unknownText
                    : remapNote(remap, {
                          entries: irteTableEntries(iommu),
                          eim: iommu.eim,
                          postedSupported: iommu.postedSupported,
                          profile: ctx.profile,
                          machine: r.machine,
                          rid: r.rid,
                          slotWritten: remap.index >= 0 && iommu.irtes.has(remap.index),
                      }),
            );
        } else if (r.iommu) {
            notes.push(`${r.iommu.name} has remapping off: this message cannot be delivered`);
        } else if (r.device) {
            notes.push('no IOMMU remaps this device: a remappable-format message cannot be delivered');
        } else if (subhandleUnknown) {
            notes.push(unknownText);
        } else {
            // No device and no IOMMU (a decode without a file, or of a bare value): say which entry the request
            // selects, and that no table is known to read it from.
            const sel = vtdRemap({ addrLo: lo, addrHi: hi, data: ctx.data ?? 0, sid: NO_SID, ioapic: false }, ANY_TABLE, () => undefined, ctx.profile);
            notes.push(
                sel.cause === 'not-present'
                    ? `${selectedIrteText(sel)}: ${r.machine ? 'no IOMMU is known for this message' : 'no IRTE given'}, so where the message goes is not known`
                    : remapNote(sel, { entries: ANY_TABLE.entries, eim: true, postedSupported: false, profile: ctx.profile, rid: NO_SID, slotWritten: false }),
            );
        }
    } else {
        fields = compatAddressFields(lo, hi, r.kvm);
        const d = decodeCompatMsi(lo, hi, 0x30, r.kvm);
        if (d.ok) {
            const cpu = d.msi.destMode === 'physical' ? cpuNameForApicId(r.machine, d.msi.destId) : undefined;
            summary = `compatibility format, ${d.msi.destMode} dest ${hex(d.msi.destId)}${cpu ? ` (${cpu})` : ''}${d.msi.broadcast ? ' (broadcast)' : ''}${d.msi.redirectionHint ? ', RH=1' : ''}`;
        } else {
            summary = `compatibility format: KVM refuses it (${d.error})`;
        }
        const remap = remapInContext(r, ctx.profile, lo, hi, ctx.data ?? 0);
        if (remap?.cause === 'compat-blocked') {
            // 0x25: the Interrupt Format bit asks for the compatibility format the IOMMU blocks (§2.6 step 3).
            flagBits(fields, '4');
            notes.push(`${r.iommu!.name} blocks compatibility-format interrupts (${r.iommu!.eim ? 'EIM on' : 'CFI off'}): fault 0x25`);
        } else if (remap?.cause === 'addr-hi') {
            // 0x20: under remapping, an interrupt request must have address bits 63:32 clear (§2.6 step 1).
            flagSetBits(fields, '63:40', '39:32');
        }
    }
    const swapped = swappedAddressCandidate(address);
    if (swapped !== undefined) notes.push(`looks byte-swapped: reversed it reads ${hexGrouped(swapped)}, an interrupt address`);
    return {
        title: 'MSI address',
        context: contextLines(ctx, r, !remappable),
        fields,
        summary,
        busBytes: leBytes(address, hi ? 8 : 4),
        notes,
    };
}

/** Decode of a 32-bit MSI data word. */
export function decodeMsiData(data: number, ctx: DecodeContext): ValueDecode {
    const r = resolve(ctx);
    data >>>= 0;
    const lo = ctx.address === undefined ? undefined : lo32(ctx.address);
    const remappable = lo !== undefined && isInterruptAddress(lo) && (lo & 0x10) !== 0;
    const notes: string[] = [];
    let fields: DecodedField[];
    let summary: string;
    if (remappable) {
        const shv = ((lo >>> 3) & 1) as 0 | 1;
        fields = remappableDataFields(data, shv);
        // 0x21: handle + subhandle indexes past the table (the address decode flags the handle).
        if (shv && remapInContext(r, ctx.profile, lo, hi32(ctx.address!), data)?.cause === 'index') flagSetBits(fields, '15:0');
        summary = shv ? `subhandle ${hex(data & 0xffff)}: IRTE index = handle + ${data & 0xffff}` : 'not used for remapping (SHV=0)';
    } else {
        fields = compatDataFields(data);
        const dm = (data >>> 8) & 7;
        summary = `vector ${hex(data & 0xff)} · ${deliveryModeLabel(dm)} · ${data & 0x8000 ? 'level' : 'edge'}`;
    }
    const swapped = swappedDataCandidate(data, remappable ? 'remappable' : 'compat');
    if (swapped !== undefined) notes.push(`looks byte-swapped: reversed it reads ${hex(swapped)}`);
    return { title: 'MSI data', context: contextLines(ctx, r, false), fields, summary, busBytes: leBytes(data, 4), notes };
}

/** Decode of a raw 128-bit IRTE (two 64-bit halves). */
export function decodeIrte(lo: bigint, hi: bigint, ctx: DecodeContext): ValueDecode {
    const r = resolve(ctx);
    const eim = r.iommu?.eim ?? true;
    const postedSupported = r.iommu?.postedSupported ?? false;
    const w = irteWords(lo, hi);
    const f = irteFieldsOfWords(w, eim);
    const postedView = f.posted && postedSupported && ctx.profile === 'spec';
    const fields = irteDecodedFields(w, { eim, postedSupported, profile: ctx.profile });
    // 0x26: the source-id check (§2.6 step 9) of a present entry against the requester, when known.
    const rid = r.rid === NO_SID ? undefined : r.rid;
    if (f.present && rid !== undefined) {
        const check = checkSourceId(f.svt, f.sq, f.sid, rid, ctx.profile);
        if (check === 'mismatch') flagBits(fields, '79:64', '81:80', '83:82');
        else if (check === 'bus-out-of-range') flagBits(fields, '79:64', '83:82');
    }
    const notes: string[] = [];
    const name = ctx.index === undefined ? 'IRTE' : `IRTE ${ctx.index}`;
    let summary: string;
    if (!f.present) summary = `${name}: not present (requests fault 0x22)`;
    else if (postedView) summary = `${name}: present, posted, vector ${hex(f.vector)} → descriptor ${hexPad(f.pda, 16)}${f.urgent ? ' (urgent)' : ''}`;
    else {
        const cpu = f.destMode === 'physical' ? cpuNameForApicId(r.machine, f.dest) : undefined;
        summary = `${name}: present, remapped, vector ${hex(f.vector)} → ${f.destMode} dest ${hex(f.dest)}${cpu ? ` (${cpu})` : ''} · ${deliveryModeLabel(f.deliveryMode)} · ${f.trigger}`;
    }
    if (f.svt !== 0) summary += ` · SID ${f.svt === 2 ? `bus ${hexPad(f.sid >>> 8, 2)}..${hexPad(f.sid & 0xff, 2)}` : formatRid(f.sid)} (${SVT_NAMES[f.svt]})`;
    if (f.present) {
        for (const profile of ['spec', 'qemu'] as const) {
            const m = irteReservedMask(f.posted, profile, eim, postedSupported);
            if (irteHasReservedBits(w, m)) {
                notes.push(`${profile === ctx.profile ? '' : `(profile ${profile}) `}reserved bits set: ${irteReservedViolations(w, m).join(', ')} → fault 0x24`);
            }
        }
        if (!f.posted && !eim && irteXapicDestOverflow(w)) notes.push('destination bits outside 47:40 are set: an APIC ID above 0xFF needs EIM');
        if (f.posted && !postedSupported) notes.push('IM=1 (posted format) but the IOMMU does not support posted interrupts');
    }
    const ctxLines = contextLines(ctx, r, false);
    if (!r.iommu) ctxLines.unshift('IOMMU unknown: assuming EIM on, no posted-interrupt support');
    return {
        title: postedView ? 'VT-d IRTE (posted format)' : 'VT-d IRTE (remapped format)',
        context: ctxLines,
        fields,
        summary,
        busBytes: [...leBytes(lo, 8), ...leBytes(hi, 8)],
        notes,
    };
}

/** Decode of a BDF: the requester id the IOMMU sees for writes from that function, through bridges. */
export function decodeBdf(bdf: Bdf, ctx: DecodeContext): ValueDecode {
    const base = resolve(ctx);
    const m = base.machine;
    const device =
        base.device ??
        m?.devices.find((d) => d.bdf.segment === bdf.segment && d.bdf.bus === bdf.bus && d.bdf.device === bdf.device && d.bdf.fn === bdf.fn);
    const r: Resolved = { ...base, device, iommu: base.iommu ?? (device && m ? indexMachine(m).iommuOfBus(device.bus) : undefined) };
    const own = ridOf(bdf);
    const notes: string[] = [];
    let rid = own;
    let summary = `requester id ${formatRid(own)}`;
    if (device && m) {
        const info = requesterIdOf(m, device);
        rid = info.rid;
        if (info.bridge) {
            summary = `requester id ${formatRid(rid)} as ${r.iommu?.name ?? 'the IOMMU'} sees it: ${info.kind === 'pcie-to-pci' ? 'PCIe-to-PCI' : 'PCI'} bridge ${info.bridge.name} (${formatBdf(info.bridge.bdf)}) owns the request`;
        } else {
            summary = `requester id ${formatRid(rid)} (the device's own BDF${r.iommu ? `, as ${r.iommu.name} sees it` : ''})`;
        }
        const exp = expectedIrteSource(m, device);
        notes.push(`an IRTE for this device should hold \`${irteSourceText(exp.svt, exp.sq, exp.sid)}\`: ${exp.reason}`);
    }
    const fields: DecodedField[] = [
        field('Bus', 15, 8, rid >>> 8, hexPad(rid >>> 8, 2), rid === own ? 'bus number' : 'bus number (after bridge aliasing)'),
        field('Device', 7, 3, (rid >>> 3) & 0x1f, hexPad((rid >>> 3) & 0x1f, 2), 'device number'),
        field('Function', 2, 0, rid & 7, String(rid & 7), 'function number'),
    ];
    return { title: `BDF ${formatBdf(bdf)}`, context: contextLines(ctx, r, false), fields, summary, notes };
}

// ---------------------------------------------------------------------------------------------------------
// pseries, KVM GSIs, vector state

/** 'phb0 (legacy MSI model, window 0x1000_0000_0000 + 0x200000, 32 slots)'. */
export function describePhb(phb: Phb): string {
    const model = phbModel(phb);
    return `${phb.name} (${model} MSI model, window ${hexGrouped(phb.msiWindow, phb.msiWindow > 0xffff_ffffn ? 16 : 8)} + ${hex(phbWindowSize(phb))}${model === 'legacy' ? `, ${phbMaxDevs(phb)} slots` : ''})`;
}

function phbOfContext(ctx: DecodeContext): Phb | undefined {
    const m = ctx.machine;
    if (!m) return undefined;
    if (ctx.phbId) return spaprIndex(m).phbs.get(ctx.phbId);
    const device = ctx.deviceId ? indexMachine(m).devices.get(ctx.deviceId) : undefined;
    return device ? phbOfDevice(m, device) : undefined;
}

function ownerText(m: Machine, irq: number): string {
    const claim = spaprIndex(m).claimers(irq);
    if (claim.length === 0) return 'allocated to no device';
    return `allocated to ${claim.map((d) => d.name).join(' and ')}${claim.length > 1 ? ' (claimed twice)' : ''}`;
}

/**
 * Decode of a write to a PHB's MSI window (pseries): the legacy model's slot, vector and XICS IRQ, or the
 * current model's "data is the IRQ" (ROUTING.md §5.1, §5.2). The PHB comes from `ctx.phbId` or the device.
 */
export function decodePhbWindowAddress(address: bigint, data: number, ctx: DecodeContext): ValueDecode {
    data >>>= 0;
    const m = ctx.machine;
    const phb = phbOfContext(ctx);
    const device = m && ctx.deviceId ? indexMachine(m).devices.get(ctx.deviceId) : undefined;
    const context: string[] = [];
    if (device) context.push(`device ${device.name} (${formatBdf(device.bdf)})`);
    if (phb) context.push(`on PHB ${describePhb(phb)}`);
    const xics = m ? xicsOf(m) : undefined;
    if (xics) context.push(`XICS sources ${hex(xics.first)}..${hex(xics.last)}${m?.xics ? '' : ' (default)'}`);
    context.push(`profile ${ctx.profile}`);
    const addrText = hexGrouped(address, address > 0xffff_ffffn ? 16 : 8);
    const busBytes = leBytes(address, address > 0xffff_ffffn ? 8 : 4);
    if (!phb || !m || !xics) {
        return {
            title: 'PHB MSI window write',
            context,
            fields: [field('Data', 31, 0, data, hex(data), 'message data')],
            summary: `${addrText} ← ${hex(data)}: no PHB is known for this write, so it cannot be decoded`,
            busBytes,
            notes: [],
        };
    }
    const size = phbWindowSize(phb);
    const model = phbModel(phb);
    const notes: string[] = [];
    if (address < phb.msiWindow || address - phb.msiWindow >= size) {
        return {
            title: `PHB ${phb.name} MSI window write`,
            context,
            fields: [field('Address', 63, 0, address, addrText, `outside the window ${hexGrouped(phb.msiWindow, 16)} + ${hex(size)}`, true), field('Data', 31, 0, data, hex(data), 'message data')],
            summary: `outside the MSI window of ${phb.name}: an ordinary DMA write, no interrupt`,
            busBytes,
            notes,
        };
    }
    const off = address - phb.msiWindow;
    const inIcs = (irq: number): boolean => irq >= xics.first && irq <= xics.last;
    if (model === 'current') {
        const ok = inIcs(data);
        const owner = ok ? ownerText(m, data) : '';
        const unclaimed = ok && spaprIndex(m).claimers(data).length === 0;
        const fields = [
            field('Window offset', 63, 0, off, hex(off), 'ignored: spapr_msi_write uses only the data'),
            field('IRQ (data)', 31, 0, data, hex(data), ok ? `global XICS IRQ → ICS source ${hex(data - xics.first)}, ${owner}` : `outside the XICS sources ${hex(xics.first)}..${hex(xics.last)}`, !ok || unclaimed),
        ];
        if (!ok) notes.push(`IRQ ${hex(data)} is not an XICS source: spapr-irq-out-of-ics`);
        else if (unclaimed) notes.push(`IRQ ${hex(data)} is in no device's allocation: spapr-irq-unclaimed`);
        const xive = ok ? xiveOf(m, data, spaprIndex(m).claimers(data)[0]?.irqAllocation) : undefined;
        return {
            title: `PHB ${phb.name} MSI window write (current model)`,
            context,
            fields,
            summary: ok ? `data is the IRQ: XICS irq ${hex(data)} (source ${hex(data - xics.first)}) → server ${xive!.server} · priority ${xive!.priority}` : `data ${hex(data)} is not an XICS IRQ`,
            busBytes,
            notes,
        };
    }
    // Legacy (ROUTING.md §5.1): the slot and vector come from spaprLegacyParts, the verdict from spaprLegacyDecode
    // with the same inputs the route gives it.
    const { ndev, addrVec, vec } = spaprLegacyParts(off, data);
    const max = phbMaxDevs(phb);
    const table = spaprIndex(m).legacyTable(phb.id);
    const res = spaprLegacyDecode(
        { icsOffset: xics.first, nrIrqs: xics.last - xics.first + 1, msiWinAddr: phb.msiWindow, windowSize: size, maxDevs: max, msiTable: table.msiTable },
        address,
        data,
    );
    const owner = ndev < max ? table.slots[ndev] : undefined;
    const alloc = owner?.irqAllocation;
    const badSlot = !res.ok && (res.error === 'NDEV_OVERFLOW' || res.error === 'MSI_NOT_CONFIGURED');
    const hiBit = Math.max(16, (size - 1n).toString(2).length - 1);
    const fields: DecodedField[] = [
        field('ndev (slot)', hiBit, 16, ndev, String(ndev), ndev >= max ? `past the ${max} msi_table slots` : owner && !badSlot ? `msi_table[${ndev}]: ${owner.name}, IRQs ${hex(alloc!.base)}..${hex(alloc!.base + alloc!.count - 1)}` : 'slot not configured', badSlot),
        field('vector (address)', 15, 2, addrVec, String(addrVec), 'MSI-X vector number firmware put in the address'),
        field('Data', 31, 0, data, hex(data), data ? `ORed into the vector (MSI: the device's vector number) → vec ${vec}` : 'ORed into the vector (0)'),
    ];
    let summary: string;
    if (!res.ok && res.error === 'NDEV_OVERFLOW') {
        summary = `slot ${ndev} is past msi_table (${max} slots): spapr-ndev-overflow`;
        notes.push('the 2012 decoder read past msi_table here (ROUTING.md §10.9)');
    } else if (!res.ok && res.error === 'MSI_NOT_CONFIGURED') {
        summary = `slot ${ndev}, vector ${vec}: the slot is not configured`;
    } else if (!res.ok && res.error === 'VECTOR_OUT_OF_RANGE') {
        summary = `slot ${ndev} (${owner!.name}), vector ${vec}: past the ${alloc!.count} allocated vector(s)`;
        fields.push(field('vec', 31, 0, vec, String(vec), `not below ${alloc!.count}`, true));
    } else {
        const irq = res.ok ? res.irq : res.irq!;
        const xive = res.ok ? xiveOf(m, irq, alloc) : undefined;
        summary = res.ok
            ? `slot ${ndev} (${owner!.name}), vector ${vec} → XICS irq ${hex(irq)} (source ${hex(res.icsSource)}) → server ${xive!.server} · priority ${xive!.priority}`
            : `slot ${ndev} (${owner!.name}), vector ${vec} → IRQ ${hex(irq)}, outside the XICS sources`;
        if (device && owner !== device) notes.push(`slot ${ndev} belongs to ${owner!.name}, not ${device.name}`);
    }
    return { title: `PHB ${phb.name} MSI window write (legacy model)`, context, fields, summary, busBytes, notes };
}

/** What a KVM GSI is: its route(s), the irqfds on it, direct mapping (ROUTING.md §6). */
export function describeGsi(gsi: number, ctx: DecodeContext): ValueDecode {
    const m = ctx.machine;
    const context: string[] = [];
    if (!m) {
        return { title: `KVM GSI ${gsi}`, context: [`profile ${ctx.profile}`], fields: [], summary: `GSI ${gsi}: no machine to look it up in`, notes: [] };
    }
    const mapping = gsiMappingOf(m);
    const max = maxRoutesOf(m);
    context.push(`${m.name}: ${mapping} GSI mapping, route limit ${max}, ${(m.kvm.routes ?? []).length} route(s)`);
    context.push(`profile ${ctx.profile}`);
    const routes = routesOfGsi(m, gsi);
    const fds = irqfdsOfGsi(m, gsi);
    const idx = indexMachine(m);
    const srcName = (f: { source: { device: string; kind: string; index: number } }): string => {
        const d = idx.devices.get(f.source.device);
        return `${d?.name ?? f.source.device}.${f.source.kind}[${f.source.index}]`;
    };
    const fields: DecodedField[] = [];
    const notes: string[] = [];
    if (mapping === 'routed' && (gsi < 0 || gsi >= max)) notes.push(`GSI ${gsi} is not below the route limit ${max}: kvm-gsi-out-of-range`);
    for (const r of routes) {
        if (r.kind === 'msi') {
            const a = r.address ?? 0n;
            fields.push(field(`route ${r.kind}`, 63, 0, a, hexGrouped(a, a > 0xffff_ffffn ? 16 : 8), `MSI route: address ${hexGrouped(a, a > 0xffff_ffffn ? 16 : 8)} data ${hex(r.data ?? 0)}${r.devid !== undefined ? ` devid ${hex(r.devid)} (KVM_MSI_VALID_DEVID)` : ''}`));
        } else {
            fields.push(field('route irqchip', 31, 0, r.pin ?? 0, `${r.irqchip ?? 'irqchip'} pin ${r.pin ?? '?'}`, 'irqchip (pin) route'));
        }
    }
    if (routes.length > 1) notes.push(`${routes.length} routes on one GSI: KVM accepts only one MSI route (and one per irqchip) per GSI`);
    for (const f of fds) notes.push(`irqfd from ${srcName(f)}`);
    let summary: string;
    if (mapping === 'direct') {
        const xics = xicsOf(m);
        const inIcs = gsi >= xics.first && gsi <= xics.last;
        summary = inIcs
            ? `GSI ${gsi} (${hex(gsi)}) = XICS irq ${hex(gsi)} (source ${hex(gsi - xics.first)}), ${ownerText(m, gsi)}: direct mapping, no route`
            : `GSI ${gsi} (${hex(gsi)}) is not an XICS source (${hex(xics.first)}..${hex(xics.last)}): direct mapping needs GSI = XICS irq`;
        if (routes.some((r) => r.kind === 'msi')) notes.push('direct mapping: the MSI route is never used');
    } else if (routes.length === 0) {
        summary = `GSI ${gsi}: no route${fds.length ? ` — the irqfd from ${fds.map(srcName).join(', ')} injects nothing` : ''}`;
    } else {
        const r = routes.find((x) => x.kind === 'msi') ?? routes[0];
        summary =
            r.kind === 'msi'
                ? `GSI ${gsi} → MSI route ${hexGrouped(r.address ?? 0n, (r.address ?? 0n) > 0xffff_ffffn ? 16 : 8)} ← ${hex(r.data ?? 0)}${fds.length ? ` (irqfd from ${fds.map(srcName).join(', ')})` : ''}`
                : `GSI ${gsi} → ${r.irqchip ?? 'irqchip'} pin ${r.pin ?? '?'}`;
        if (r.kind === 'msi') {
            for (const f of fds) {
                const d = idx.devices.get(f.source.device);
                if (!d || f.source.kind === 'signal') continue;
                const st = vectorStateOf(d, f.source.kind, f.source.index);
                if (st && (st.address !== (r.address ?? 0n) || st.data !== ((r.data ?? 0) >>> 0))) {
                    notes.push(`stale: ${srcName(f)} now holds ${hexGrouped(st.address, st.address > 0xffff_ffffn ? 16 : 8)} ← ${hex(st.data)} (kvm-route-stale)`);
                }
            }
        }
    }
    return { title: `KVM GSI ${gsi}`, context, fields, summary, notes };
}

/**
 * A vector's mask, pending and enable state with the bit positions that hold them: MSI-X Message Control
 * bits 15 / 14, Vector Control bit 0 at table offset 16·k + 12, PBA qword k/64 bit k mod 64; MSI Enable,
 * Mask Bits and Pending Bits (offsets 0x0C / 0x10 for a 32-bit capability, 0x10 / 0x14 for 64-bit); IMS
 * device-defined.
 */
export function describeVectorState(source: SourceRef, ctx: DecodeContext): ValueDecode {
    const m = ctx.machine;
    const device = m ? indexMachine(m).devices.get(source.device) : undefined;
    const name = `${device?.name ?? source.device}.${source.kind}[${source.index}]`;
    if (!m || !device || source.kind === 'signal') {
        return { title: `${name} state`, context: [`profile ${ctx.profile}`], fields: [], summary: source.kind === 'signal' ? 'a KVM_SIGNAL_MSI injection has no mask or pending state' : 'unknown source', notes: [] };
    }
    const fw = isSpaprRouted(m) && device.irqAllocation ? firmwareMessage(m, device, source.kind, source.index) : undefined;
    const s = vectorStateOf(device, source.kind, source.index, fw);
    if (!s) return { title: `${name} state`, context: [`profile ${ctx.profile}`], fields: [], summary: `${device.name} has no ${source.kind} storage`, notes: [] };
    const k = source.index;
    const fields: DecodedField[] = [];
    const notes: string[] = [];
    const onOff = (b: boolean): string => (b ? '1' : '0');
    if (s.kind === 'msix') {
        fields.push(field('MSI-X Enable', 15, 15, s.enabled ? 1 : 0, onOff(s.enabled), 'Message Control bit 15'));
        fields.push(field('Function Mask', 14, 14, s.functionMasked ? 1 : 0, onOff(s.functionMasked), 'Message Control bit 14: masks every vector'));
        fields.push(field('Vector Control: Mask', 0, 0, s.masked ? 1 : 0, onOff(s.masked), `entry ${k}: table offset ${hex(k * 16 + 12)} (16·${k} + 12), bit 0`));
        fields.push(field('Pending', k & 63, k & 63, s.pending ? 1 : 0, onOff(s.pending), `PBA qword ${k >>> 6} (offset ${hex((k >>> 6) * 8)}) bit ${k & 63}`));
    } else if (s.kind === 'msi') {
        const cap = device.msi!;
        const maskOff = cap.is64 ? 0x10 : 0x0c;
        fields.push(field('MSI Enable', 0, 0, s.enabled ? 1 : 0, onOff(s.enabled), 'Message Control bit 0'));
        fields.push(field('Per-Vector Masking Capable', 8, 8, s.maskable ? 1 : 0, onOff(s.maskable), s.maskable ? 'has Mask Bits and Pending Bits' : 'no Mask / Pending registers: the vector cannot be masked'));
        if (s.maskable) {
            fields.push(field('Mask Bits', k, k, s.masked ? 1 : 0, onOff(s.masked), `capability offset ${hex(maskOff)}, bit ${k}`));
            fields.push(field('Pending Bits', k, k, s.pending ? 1 : 0, onOff(s.pending), `capability offset ${hex(maskOff + 4)}, bit ${k}`));
        } else if (s.masked || s.pending) {
            notes.push(`mask / pending bit ${k} set on a capability without per-vector masking: ignored (msi-mask-unsupported)`);
        }
        notes.push(cap.latches === true ? 'the device latches its message' : cap.latches === false ? 'the device does not latch its message: a rewrite while enabled and unmasked may tear' : 'latching not declared: whether a rewrite while enabled may tear is unknown');
    } else {
        fields.push(field('Mask', 0, 0, s.masked ? 1 : 0, onOff(s.masked), s.maskable ? `IMS entry ${k} mask (device-defined)` : 'the store declares no mask: ignored'));
        fields.push(field('Pending', 0, 0, s.pending ? 1 : 0, onOff(s.pending), `IMS entry ${k} pending bit (device-defined)`));
    }
    const hold = effectiveMask(s);
    let summary: string;
    if (hold === 'disabled') summary = `disabled: nothing is sent and nothing becomes pending`;
    else if (hold) summary = `${hold.replace('-', ' ')}: a fired vector sets its pending bit${s.pending ? ' (set now: delivered on unmask)' : ''}`;
    else summary = `enabled, unmasked: fires now${s.pending ? '; the pending bit is set although nothing holds the vector' : ''}`;
    if (fw) notes.push('message programmed by firmware (ibm,change-msi)');
    return {
        title: `${name} state`,
        context: [`device ${device.name} (${formatBdf(device.bdf)})`, `profile ${ctx.profile}`],
        fields,
        summary,
        notes,
    };
}
