/**
 * Decodes of single values in the context of their machine: what hover shows and what the debugger's
 * variables view lists. Every bit layout comes from the per-architecture modules; this file only adds the
 * context (which IOMMU, IR on/off, EIM, the KVM options, the profile) and the notes.
 */
import { field, hex, hexGrouped, hexPad, hi32, leBytes, lo32 } from './bits.js';
import type { Bdf, Device, ElementId, Iommu, Machine, Profile } from './model.js';
import { indexMachine } from './machine-index.js';
import type { DecodedField, ValueDecode } from './trace.js';
import { swappedAddressCandidate, swappedDataCandidate } from './x86/byte-swap.js';
import { deliveryModeLabel } from './x86/delivery-mode.js';
import { compatAddressFields, compatDataFields, decodeCompatMsi, isInterruptAddress, type CompatOptions } from './x86/msi-compat.js';
import {
    formatRid,
    irteDecodedFields,
    irteFieldsOfWords,
    irteHasReservedBits,
    irteReservedMask,
    irteReservedViolations,
    irteWords,
    irteXapicDestOverflow,
    SVT_NAMES,
} from './vtd/irte.js';
import { remappableAddressFields, remappableDataFields, decodeRemappableRequest } from './vtd/remappable-msi.js';
import { expectedIrteSource, formatBdf, requesterIdOf } from './vtd/source-id.js';
import { slotWords } from './vtd/unit.js';

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
    /** For an IRTE: its index in the table. */
    index?: number;
}

interface Resolved {
    machine?: Machine;
    device?: Device;
    iommu?: Iommu;
    kvm: CompatOptions;
}

function resolve(ctx: DecodeContext): Resolved {
    const m = ctx.machine;
    if (!m) return { kvm: { x2apicFormat: false, extDestId: false } };
    const idx = indexMachine(m);
    const device = ctx.deviceId ? idx.devices.get(ctx.deviceId) : undefined;
    let iommu = ctx.iommuId ? idx.iommus.get(ctx.iommuId) : undefined;
    if (!iommu && device) iommu = idx.iommuOfBus(device.bus);
    return { machine: m, device, iommu, kvm: { x2apicFormat: m.kvm.x2apicApi, extDestId: m.kvm.extDestId } };
}

/** 'behind dmar0 (VT-d, IR on, EIM on, CFI off, 256 entries)'. */
export function describeIommu(iommu: Iommu): string {
    return `${iommu.name} (VT-d, IR ${iommu.remapping ? 'on' : 'off'}, EIM ${iommu.eim ? 'on' : 'off'}, CFI ${iommu.cfi ? 'on' : 'off'}, ${2 ** (iommu.irtaS + 1)} entries${iommu.postedSupported ? ', posted interrupts' : ''})`;
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

function irteStateText(r: Resolved, index: number, profile: Profile): string {
    const iommu = r.iommu;
    if (!iommu) return '';
    if (index >= 2 ** (iommu.irtaS + 1)) return `beyond the table of ${2 ** (iommu.irtaS + 1)} entries (fault 0x21)`;
    const slot = iommu.irtes.get(index);
    if (!slot) return 'not programmed (fault 0x22)';
    const w = slotWords(slot);
    if ((w.w0 & 1) === 0) return 'not present (fault 0x22)';
    const f = irteFieldsOfWords(w, iommu.eim);
    if (f.posted && iommu.postedSupported && profile === 'spec') return `present, posted, vector ${hex(f.vector)}`;
    const cpu = cpuNameForApicId(r.machine, f.dest);
    return `present, vector ${hex(f.vector)} → dest ${hex(f.dest)}${cpu ? ` (${cpu})` : ''}`;
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
        const req = decodeRemappableRequest(lo, 0);
        summary = `remappable format, handle ${req.handle}${req.shv ? `, SHV=1 → IRTE ${req.handle} + subhandle (data[15:0])` : ` → IRTE ${req.handle}`}`;
        if (!r.iommu?.remapping) {
            notes.push(r.iommu ? `${r.iommu.name} has remapping off: this message cannot be delivered` : 'no IOMMU remaps this device: a remappable-format message cannot be delivered');
        } else if (!req.shv) {
            notes.push(`IRTE ${req.handle}: ${irteStateText(r, req.handle, ctx.profile)}`);
        } else {
            notes.push(`IRTE ${req.handle} + subhandle: base entry ${irteStateText(r, req.handle, ctx.profile)}`);
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
        if (r.iommu?.remapping && ctx.profile === 'spec' && (r.iommu.eim || !r.iommu.cfi)) {
            notes.push(`${r.iommu.name} blocks compatibility-format interrupts (${r.iommu.eim ? 'EIM on' : 'CFI off'}): fault 0x25`);
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
    const own = ((bdf.bus & 0xff) << 8) | ((bdf.device & 0x1f) << 3) | (bdf.fn & 7);
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
        notes.push(`an IRTE for this device should hold svt ${SVT_NAMES[exp.svt]} sq ${exp.sq} sid ${exp.svt === 2 ? hexPad(exp.sid, 4) : formatRid(exp.sid)}: ${exp.reason}`);
    }
    const fields: DecodedField[] = [
        field('Bus', 15, 8, rid >>> 8, hexPad(rid >>> 8, 2), rid === own ? 'bus number' : 'bus number (after bridge aliasing)'),
        field('Device', 7, 3, (rid >>> 3) & 0x1f, hexPad((rid >>> 3) & 0x1f, 2), 'device number'),
        field('Function', 2, 0, rid & 7, String(rid & 7), 'function number'),
    ];
    return { title: `BDF ${formatBdf(bdf)}`, context: contextLines(ctx, r, false), fields, summary, notes };
}
