/**
 * checkMachine(): route every source of every device, then add the checks that belong to the machine as a
 * whole (duplicate APIC IDs, IRTEs nobody uses, capability settings). Each finding sits on the element and
 * property that is wrong and points at the others involved.
 */
import { hex, lo32 } from './bits.js';
import { makeFinding } from './diagnostics.js';
import { kvmMachineFindings } from './kvm/routing.js';
import { indexMachine } from './machine-index.js';
import type { Device, Machine, Profile } from './model.js';
import { msiBaseDataUnaligned, msiVectorCount, MSI_MAX_LOG2 } from './pci/msi.js';
import { msixAddressUnaligned, MSIX_MAX_ENTRIES } from './pci/msix.js';
import { vfioFindings } from './pci/vfio.js';
import { irteUsedBy, listSignals, listSources, route } from './route.js';
import { cpuServer, isSpaprRouted, phbMaxDevs, phbModel, spaprIndex, xicsOf } from './spapr/machine.js';
import type { Finding, MachineReport } from './trace.js';
import { irteXapicDestOverflow } from './vtd/irte.js';
import { decodeRemappableRequest, isRemappableAddress } from './vtd/remappable-msi.js';
import { isInterruptAddress } from './x86/msi-compat.js';
import { swappedAddressCandidate } from './x86/byte-swap.js';
import { slotWords } from './vtd/unit.js';

export interface CheckOptions {
    profile: Profile;
    /**
     * Also report `msi-latch-unknown` on every enabled MSI capability without per-vector masking whose
     * latching is not declared (x86, not behind interrupt remapping). Off by default: it would sit on most
     * MSI declarations until files declare `latch on|off`.
     */
    latchHints?: boolean;
}

/** Whether the engine traces the machine's sources end to end (x86, or pseries with a PHB model). */
function isRouted(machine: Machine): boolean {
    return machine.arch === 'x86_64' || isSpaprRouted(machine);
}

function machineFindings(machine: Machine, used: Set<string>, options: CheckOptions): Finding[] {
    const out: Finding[] = [];
    const spapr = isSpaprRouted(machine);
    if (!isRouted(machine)) {
        out.push(makeFinding('route-unsupported-arch', `${machine.name} is ${machine.arch}: interrupt sources are not traced; only x86 machines are routed end to end.`, { id: machine.id, property: 'arch' }));
    }

    // CPUs: duplicate APIC IDs, IDs that xAPIC mode cannot hold (x86); duplicate server numbers (pseries).
    if (spapr) out.push(...serverFindings(machine));
    const byApic = new Map<number, (typeof machine.cpus)[number]>();
    for (const cpu of spapr ? [] : machine.cpus) {
        const first = byApic.get(cpu.apicId);
        if (first) {
            out.push(
                makeFinding('apic-id-duplicate', `CPU ${cpu.index} has APIC ID ${hex(cpu.apicId)}, already used by CPU ${first.index}; give each CPU its own APIC ID.`, { id: cpu.id, property: 'apicId' }, [
                    { element: { id: first.id, property: 'apicId' }, message: `CPU ${first.index} has APIC ID ${hex(first.apicId)}` },
                ]),
            );
        } else byApic.set(cpu.apicId, cpu);
        if (cpu.mode === 'xapic' && cpu.apicId > 0xff) {
            out.push(
                makeFinding('x86-dest-needs-x2apic', `CPU ${cpu.index} has APIC ID ${hex(cpu.apicId)}, above 0xFF, but runs in xAPIC mode, whose APIC ID register holds 8 bits; set \`apic x2apic\`.`, { id: cpu.id, property: 'apicId' }),
            );
        }
    }

    for (const d of machine.devices) {
        if (d.msi) {
            const m = d.msi;
            if (m.mmc > MSI_MAX_LOG2 || m.mmc < 0) {
                out.push(makeFinding('msi-vector-count', `${d.name}: MSI MMC=${m.mmc} is reserved (at most 5, i.e. 32 vectors).`, { id: m.id, property: 'mmc' }));
            } else if (m.mme > m.mmc || m.mme < 0) {
                out.push(
                    makeFinding('msi-vector-count', `${d.name}: MSI MME=${m.mme} enables ${2 ** m.mme} vectors but the function supports ${2 ** m.mmc} (MMC=${m.mmc}); enable at most ${2 ** m.mmc}.`, { id: m.id, property: 'mme' }, [
                        { element: { id: m.id, property: 'mmc' }, message: `MMC=${m.mmc}: ${2 ** m.mmc} vectors supported` },
                    ]),
                );
            }
            const mme = Math.min(Math.max(m.mme, 0), 5);
            if (mme > 0 && msiBaseDataUnaligned(m.data, mme)) {
                const n = msiVectorCount(mme);
                const aligned = (m.data & ~(n - 1)) >>> 0;
                out.push(
                    makeFinding(
                        'msi-data-unaligned',
                        `${d.name}: MSI base data ${hex(m.data)} has low bits ${hex(m.data & (n - 1))} set, but with ${n} vectors the device replaces the low ${mme} bits with the vector number; write ${hex(aligned)}.`,
                        { id: m.id, property: 'data' },
                        [],
                        { data: hex(aligned) },
                    ),
                );
            }
            // Multi-message MSI behind remapping: the device ORs the vector number into the data's low bits,
            // which VT-d reads only as a subhandle (SHV=1, index = handle + data[15:0]). With SHV=0 the data is
            // ignored and every vector selects the same IRTE: Linux always sets SHV for multi-MSI (ROUTING.md §2.1,
            // drivers/iommu/intel/irq_remapping.c fill_msi_msg).
            const lo = lo32(m.address);
            if (mme > 0 && isInterruptAddress(lo) && isRemappableAddress(lo)) {
                const req = decodeRemappableRequest(lo, m.data);
                if (req.shv === 0) {
                    out.push(
                        makeFinding(
                            'msi-multi-without-shv',
                            `${d.name}: ${msiVectorCount(mme)} MSI vectors in remappable format with SHV=0: the vector number the device puts in the data is ignored without a subhandle, so every vector selects IRTE ${req.handle}; set SHV (address bit 3) and give vector k its IRTE at handle + k, as Linux does.`,
                            { id: m.id, property: 'address' },
                        ),
                    );
                }
            }
        }
        for (const e of d.msix?.entries ?? []) {
            // A byte-swapped address has its low bits set too: msi-byte-swapped already says what to write.
            if (msixAddressUnaligned(e.address) && swappedAddressCandidate(e.address) === undefined) {
                out.push(
                    makeFinding(
                        'msix-address-unaligned',
                        `${d.name}: MSI-X entry ${e.index} has Message Address ${hex(lo32(e.address))} with bits 1:0 = ${Number(e.address & 3n)}; the PCI specification requires them to be 0 (DWORD alignment) and leaves the result undefined otherwise; clear them.`,
                        { id: e.id, property: 'address' },
                    ),
                );
            }
        }
        if (d.msix && (d.msix.tableSize < 1 || d.msix.tableSize > MSIX_MAX_ENTRIES)) {
            out.push(makeFinding('msix-table-size', `${d.name}: an MSI-X table holds 1 to ${MSIX_MAX_ENTRIES} entries, not ${d.msix.tableSize}.`, { id: d.msix.id, property: 'tableSize' }));
        }
        out.push(...maskingFindings(machine, d, options));
        out.push(...vfioFindings(machine, d));
    }
    if (spapr) out.push(...allocationFindings(machine));
    out.push(...kvmMachineFindings(machine));

    for (const iommu of machine.iommus) {
        const entries = 2 ** (iommu.irtaS + 1);
        for (const slot of iommu.irtes.values()) {
            const w = slotWords(slot);
            const present = (w.w0 & 1) === 1;
            const posted = (w.w0 & 0x8000) !== 0;
            if (slot.index >= entries) {
                out.push(
                    makeFinding('vtd-irte-out-of-table', `IRTE ${slot.index} lies beyond the table of ${entries} entries of ${iommu.name} (IRTA.S=${iommu.irtaS}); no request can select it. Enlarge the table or move the entry.`, { id: slot.id, property: 'index' }, [
                        { element: { id: iommu.id, property: 'irtaS' }, message: `${iommu.name}: ${entries} entries` },
                    ]),
                );
                continue;
            }
            if (!present) continue;
            if (!posted && !iommu.eim && irteXapicDestOverflow(w)) {
                // Raw x2APIC layout (bits 39:32 set) or encodeIrte's EIM-off layout (dest[23:8] in 63:48).
                const dest = (w.w1 & 0xff) !== 0 ? w.w1 >>> 0 : (((w.w1 >>> 16) << 8) | ((w.w1 >>> 8) & 0xff)) >>> 0;
                const cpu = machine.cpus.find((c) => c.apicId === dest);
                const related: Finding['related'] = [{ element: { id: iommu.id, property: 'eim' }, message: `${iommu.name} has EIM off: 8-bit destinations` }];
                if (cpu) related.unshift({ element: { id: cpu.id, property: 'apicId' }, message: `CPU ${cpu.index} has APIC ID ${hex(cpu.apicId)}` });
                out.push(
                    makeFinding(
                        'vtd-irte-dest-needs-eim',
                        `IRTE ${slot.index} holds destination ${hex(dest)}, but ${iommu.name} has EIM off, where only bits 47:40 (an 8-bit xAPIC ID, here ${hex((w.w1 >>> 8) & 0xff)}) are the destination: the specification faults 0x24 and QEMU delivers to ${hex((w.w1 >>> 8) & 0xff)}. Set \`eim on\` (with x2APIC) or use an APIC ID ≤ 0xFF.`,
                        { id: slot.id, property: 'dest' },
                        related,
                    ),
                );
            }
            if (posted && !iommu.postedSupported) {
                out.push(
                    makeFinding(
                        'vtd-posted-unsupported',
                        `IRTE ${slot.index} is in posted format (IM=1) but ${iommu.name} does not support posted interrupts: the specification faults 0x24 and QEMU reads it as a remapped entry. Enable posted interrupts on ${iommu.name} or write a remapped entry.`,
                        { id: slot.id, property: 'posted' },
                        [{ element: { id: iommu.id, property: 'postedSupported' }, message: `${iommu.name}: no posted-interrupt support` }],
                    ),
                );
            }
            if (!used.has(`${iommu.id}\u0000${slot.index}`)) {
                out.push(makeFinding('vtd-irte-unused', `IRTE ${slot.index} of ${iommu.name} is present but no interrupt source in ${machine.name} selects it.`, { id: slot.id }));
            }
        }
    }
    return out;
}

/** Duplicate interrupt server numbers (pseries). */
function serverFindings(machine: Machine): Finding[] {
    const out: Finding[] = [];
    const byServer = new Map<number, (typeof machine.cpus)[number]>();
    for (const cpu of machine.cpus) {
        const server = cpuServer(cpu);
        const first = byServer.get(server);
        if (first) {
            out.push(
                makeFinding('xics-server-duplicate', `CPU ${cpu.index} has interrupt server ${server}, already used by CPU ${first.index}; give each CPU its own server number.`, { id: cpu.id, property: 'server' }, [
                    { element: { id: first.id, property: 'server' }, message: `CPU ${first.index} is server ${server}` },
                ]),
            );
        } else byServer.set(server, cpu);
    }
    return out;
}

/**
 * Masking and latching of the stored messages (ROUTING.md §7, threads 002, 003): mask bits an MSI
 * capability cannot hold, masked entries of an unmaskable IMS store, and MSIs whose rewrite may tear.
 */
function maskingFindings(machine: Machine, d: Device, options: CheckOptions): Finding[] {
    const out: Finding[] = [];
    const m = d.msi;
    if (m) {
        const nvec = msiVectorCount(Math.min(Math.max(m.mme, 0), 5));
        const live = nvec >= 32 ? 0xffff_ffff : (1 << nvec) - 1;
        if (!m.perVectorMask && ((m.maskBits & live) !== 0 || (m.pendingBits & live) !== 0)) {
            const bits: number[] = [];
            for (let k = 0; k < nvec; k++) if ((((m.maskBits | m.pendingBits) >>> k) & 1) === 1) bits.push(k);
            out.push(
                makeFinding(
                    'msi-mask-unsupported',
                    `${d.name}: MSI vector${bits.length === 1 ? '' : 's'} ${bits.join(', ')} ${bits.length === 1 ? 'is' : 'are'} marked masked or pending, but the capability has no per-vector masking, so there are no Mask or Pending bits: the vector${bits.length === 1 ? '' : 's'} keep${bits.length === 1 ? 's' : ''} firing. Declare \`per-vector-mask\` if the function has it, or drop the mask.`,
                    { id: m.id, property: 'maskBits' },
                ),
            );
        }
        // Tearing: the kernel rewrites an enabled MSI on affinity changes (x86 msi_set_affinity, without
        // interrupt remapping); it cannot mask a capability without per-vector masking around the write.
        const ir = indexMachine(machine).iommuOfBus(d.bus)?.remapping === true;
        if (machine.arch === 'x86_64' && m.enabled && !m.perVectorMask && !ir && m.latches !== true) {
            if (m.latches === false) {
                out.push(
                    makeFinding(
                        'msi-may-tear',
                        `${d.name}: the device does not latch its MSI message and the capability has no per-vector masking, so when the kernel moves the interrupt (x86 msi_set_affinity without interrupt remapping) it rewrites address and data of the live vector and the device may send a torn message — old destination with new vector or the reverse (thread 002). Put the device behind interrupt remapping (the message then never changes), or use a function with per-vector masking or MSI-X.`,
                        { id: m.id, property: 'latches' },
                    ),
                );
            } else if (options.latchHints) {
                out.push(
                    makeFinding(
                        'msi-latch-unknown',
                        `${d.name}: whether the device latches its MSI message is not declared, and without per-vector masking the kernel cannot mask the vector while msi_set_affinity rewrites it (thread 002): a non-latching device may send a torn message. Declare \`latch on\` or \`latch off\`.`,
                        { id: m.id, property: 'latches' },
                    ),
                );
            }
        }
    }
    if (d.ims && d.ims.maskable === false) {
        for (const e of d.ims.entries) {
            if (!e.masked) continue;
            out.push(
                makeFinding(
                    'ims-mask-unsupported',
                    `${d.name}: IMS entry ${e.index} is marked masked, but the device declares its interrupt message store without a per-entry mask: the entry keeps firing. Drop the mask, or declare the store maskable if the device has one.`,
                    { id: e.id, property: 'masked' },
                    [{ element: { id: d.ims.id, property: 'maskable' }, message: `${d.name}'s IMS store is not maskable` }],
                ),
            );
        }
    }
    return out;
}

/** pseries IRQ allocations (ibm,change-msi): ICS range, overlaps, legacy slots, sizes, MSI alignment. */
function allocationFindings(machine: Machine): Finding[] {
    const out: Finding[] = [];
    const xics = xicsOf(machine);
    const sp = spaprIndex(machine);
    const allocated = machine.devices.filter((d) => d.irqAllocation);
    for (const d of allocated) {
        const a = d.irqAllocation!;
        const last = a.base + a.count - 1;
        if (a.count > 0 && (a.base < xics.first || last > xics.last)) {
            out.push(
                makeFinding(
                    'spapr-allocation-outside-ics',
                    `${d.name}: IRQs ${hex(a.base)}..${hex(last)} (base ${hex(a.base)}, ${a.count}) run outside the XICS sources ${hex(xics.first)}..${hex(xics.last)}; move the base so the block fits${a.count <= xics.last - xics.first + 1 ? ` (at most ${hex(xics.last - a.count + 1)})` : ''}, or enlarge the ICS.`,
                    { id: a.id, property: 'base' },
                    [{ element: { id: xics.id }, message: `XICS sources ${hex(xics.first)}..${hex(xics.last)}` }],
                ),
            );
        }
        const max = d.msix ? d.msix.tableSize : d.msi ? msiVectorCount(Math.min(Math.max(d.msi.mmc, 0), 5)) : undefined;
        if (max !== undefined && a.count > max) {
            out.push(
                makeFinding(
                    'spapr-allocation-exceeds-device',
                    `${d.name}: ${a.count} IRQs allocated, but the device has ${max} ${d.msix ? 'MSI-X entries' : 'MSI vectors'}; ibm,change-msi clamps the request to ${max}, so the last ${a.count - max} are never used. Allocate ${max}.`,
                    { id: a.id, property: 'count' },
                    [{ element: d.msix ? { id: d.msix.id, property: 'tableSize' } : { id: d.msi!.id, property: 'mmc' }, message: `${d.name}: ${max} ${d.msix ? 'entries' : 'vectors'}` }],
                ),
            );
        }
        const phb = sp.phbOfBus(d.bus);
        if (d.msi && !d.msix && phb && phbModel(phb) === 'current' && a.count > 0 && ((a.count & (a.count - 1)) !== 0 || a.base % a.count !== 0)) {
            const n = 2 ** Math.ceil(Math.log2(a.count));
            out.push(
                makeFinding(
                    'spapr-msi-block-unaligned',
                    `${d.name}: an MSI block must be a power of two aligned to its size, because the device puts the vector number in the low bits of the data (the IRQ number); IRQs ${hex(a.base)}..${hex(last)} are not, so vector k raises ${hex(a.base)} with its low bits replaced. Allocate ${n} IRQs at a multiple of ${n} (e.g. ${hex(Math.ceil(a.base / n) * n)}).`,
                    { id: a.id, property: 'base' },
                ),
            );
        }
        if (phb && phbModel(phb) === 'legacy') {
            const slot = sp.legacyTable(phb.id).slotOf.get(d.id);
            if (slot !== undefined && slot >= phbMaxDevs(phb)) {
                out.push(
                    makeFinding(
                        'spapr-ndev-overflow',
                        `${d.name}: msi_table slot ${slot} of ${phb.name} is past its ${phbMaxDevs(phb)} slots (SPAPR_MSIX_MAX_DEVS)${a.slot === undefined ? ': every slot is taken by the devices before it' : ''}; ibm,change-msi cannot configure it. Use a free slot below ${phbMaxDevs(phb)}, or move the device to another PHB.`,
                        { id: a.id, property: a.slot === undefined ? 'base' : 'slot' },
                        [{ element: { id: phb.id, property: 'maxDevs' }, message: `${phb.name}: ${phbMaxDevs(phb)} slots` }],
                    ),
                );
            }
        }
    }
    // Overlapping blocks (each pair once, on the later device in declaration order): a sweep by base that
    // only visits blocks that can still reach the current one, so disjoint allocations cost O(n log n).
    const order = new Map(machine.devices.map((d, i) => [d.id, i]));
    const byBase = allocated.filter((d) => d.irqAllocation!.count > 0).sort((x, y) => x.irqAllocation!.base - y.irqAllocation!.base || order.get(x.id)! - order.get(y.id)!);
    const maxEnd: number[] = [];
    const pairs: [Device, Device][] = [];
    for (let i = 0; i < byBase.length; i++) {
        const a = byBase[i].irqAllocation!;
        for (let j = i - 1; j >= 0 && maxEnd[j] > a.base; j--) {
            const b = byBase[j].irqAllocation!;
            if (b.base + b.count > a.base) pairs.push(order.get(byBase[i].id)! > order.get(byBase[j].id)! ? [byBase[i], byBase[j]] : [byBase[j], byBase[i]]);
        }
        maxEnd.push(Math.max(a.base + a.count, i ? maxEnd[i - 1] : -Infinity));
    }
    pairs.sort((x, y) => order.get(x[0].id)! - order.get(y[0].id)! || order.get(x[1].id)! - order.get(y[1].id)!);
    for (const [later, earlier] of pairs) {
        const a = later.irqAllocation!;
        const b = earlier.irqAllocation!;
        const lo = Math.max(a.base, b.base);
        const hi = Math.min(a.base + a.count, b.base + b.count) - 1;
        out.push(
            makeFinding(
                'spapr-allocation-overlap',
                `${later.name}: IRQs ${hex(a.base)}..${hex(a.base + a.count - 1)} overlap ${earlier.name}'s ${hex(b.base)}..${hex(b.base + b.count - 1)} at ${hex(lo)}${hi > lo ? `..${hex(hi)}` : ''}; XICS sources are global (per-PHB decode does not separate them). Give each device its own block.`,
                { id: a.id, property: 'base' },
                [{ element: { id: b.id, property: 'base' }, message: `${earlier.name}: IRQs ${hex(b.base)}..${hex(b.base + b.count - 1)}` }],
            ),
        );
    }
    for (const phb of machine.phbs ?? []) {
        if (phbModel(phb) !== 'legacy') continue;
        const seen = new Map<number, Device>();
        for (const d of sp.devicesOn(phb.id)) {
            const s = d.irqAllocation!.slot;
            if (s === undefined) continue;
            const first = seen.get(s);
            if (first) {
                out.push(
                    makeFinding(
                        'spapr-allocation-overlap',
                        `${d.name}: msi_table slot ${s} of ${phb.name} is already ${first.name}'s; one slot holds one device's block. Use another slot.`,
                        { id: d.irqAllocation!.id, property: 'slot' },
                        [{ element: { id: first.irqAllocation!.id, property: 'slot' }, message: `${first.name} uses slot ${s}` }],
                    ),
                );
            } else seen.set(s, d);
        }
    }
    return out;
}

/** Routes every source and returns the traces with all findings (machine-level first). */
export function checkMachine(machine: Machine, options: CheckOptions): MachineReport {
    const routed = isRouted(machine);
    const traces = routed ? [...listSources(machine), ...listSignals(machine)].map((s) => route(machine, s, options)) : [];
    const used = new Set<string>();
    for (const t of traces) {
        const u = irteUsedBy(t);
        if (u) used.add(`${u.iommu}\u0000${u.index}`);
    }
    const findings = machineFindings(machine, used, options);
    for (const t of traces) findings.push(...t.findings);
    return { machine: machine.id, traces, findings };
}
