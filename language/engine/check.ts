/**
 * checkMachine(): route every source of every device, then add the checks that belong to the machine as a
 * whole (duplicate APIC IDs, IRTEs nobody uses, capability settings). Each finding sits on the element and
 * property that is wrong and points at the others involved.
 */
import { hex } from './bits.js';
import { makeFinding } from './diagnostics.js';
import type { Machine, Profile } from './model.js';
import { msiBaseDataUnaligned, msiVectorCount, MSI_MAX_LOG2 } from './pci/msi.js';
import { MSIX_MAX_ENTRIES } from './pci/msix.js';
import { irteUsedBy, listSources, route } from './route.js';
import type { Finding, MachineReport } from './trace.js';
import { irteXapicDestOverflow } from './vtd/irte.js';
import { slotWords } from './vtd/unit.js';

export interface CheckOptions {
    profile: Profile;
}

function machineFindings(machine: Machine, used: Set<string>): Finding[] {
    const out: Finding[] = [];
    if (machine.arch !== 'x86_64') {
        out.push(makeFinding('route-unsupported-arch', `${machine.name} is ${machine.arch}: interrupt sources are not traced; only x86 machines are routed end to end.`, { id: machine.id, property: 'arch' }));
    }

    // CPUs: duplicate APIC IDs, IDs that xAPIC mode cannot hold.
    const byApic = new Map<number, (typeof machine.cpus)[number]>();
    for (const cpu of machine.cpus) {
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
        }
        if (d.msix && (d.msix.tableSize < 1 || d.msix.tableSize > MSIX_MAX_ENTRIES)) {
            out.push(makeFinding('msix-table-size', `${d.name}: an MSI-X table holds 1 to ${MSIX_MAX_ENTRIES} entries, not ${d.msix.tableSize}.`, { id: d.msix.id, property: 'tableSize' }));
        }
    }

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

/** Routes every source and returns the traces with all findings (machine-level first). */
export function checkMachine(machine: Machine, options: CheckOptions): MachineReport {
    const traces = machine.arch === 'x86_64' ? listSources(machine).map((s) => route(machine, s, options)) : [];
    const used = new Set<string>();
    for (const t of traces) {
        const u = irteUsedBy(t);
        if (u) used.add(`${u.iommu}\u0000${u.index}`);
    }
    const findings = machineFindings(machine, used);
    for (const t of traces) findings.push(...t.findings);
    return { machine: machine.id, traces, findings };
}
