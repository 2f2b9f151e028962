/**
 * The debug console: expressions evaluated against the machine state of the current step.
 *
 *   decode 0xfee00010 0x0     an MSI address and data word, decoded in the context of the machine
 *   irte 5 | irte dmar0 5     an IRTE: the table's entry and the interrupt entry cache's copy
 *   cpu 3                     CPU 3's IRR / ISR / TMR
 *   pending nic               the pending vectors of a device
 *   nic.msix[1]               a vector's masks, pending bit and message
 *   help                      this list
 *
 * Every decode is the engine's; an unknown expression answers with what is understood.
 */
import { decodeIrte, decodeMsiAddress, decodeMsiData, hex, isInterruptAddress, unwrittenIrteText, type Machine } from '../../language/engine/index.js';
import type { SimState, Simulator, VectorSource } from '../../language/engine/sim/index.js';
import { cpuNode, decodeNode, irteText, vectorNode, type VarNode } from './variables.js';

export interface EvaluateResult {
    result: string;
    node?: VarNode;
}

export const EVALUATE_HELP = 'Expressions: decode ADDRESS DATA · irte [IOMMU] N · cpu N · pending DEVICE · DEVICE.msix[N] (also .msi[N], .ims[N]) · help';

const NUMBER = '(0[xX][0-9a-fA-F_]+|[0-9][0-9_]*)';

function num(text: string): bigint {
    return BigInt(text.replace(/_/g, ''));
}

export function evaluateExpression(sim: Simulator, st: SimState, expression: string): EvaluateResult {
    const text = expression.trim();
    const machine = sim.machine;
    let m: RegExpExecArray | null;
    if (/^help$/i.test(text)) return { result: EVALUATE_HELP };

    if ((m = new RegExp(`^decode\\s+${NUMBER}(?:\\s+${NUMBER})?$`, 'i').exec(text))) {
        const address = num(m[1]);
        const dataWide = m[2] === undefined ? 0n : num(m[2]);
        if (address > 0xffff_ffff_ffff_ffffn) throw new Error(`${m[1]} is wider than a 64-bit MSI address`);
        if (dataWide > 0xffff_ffffn) throw new Error(`${m[2]} is wider than a 32-bit MSI data word`);
        const data = Number(dataWide);
        // With one IOMMU the value is decoded behind it (which IRTE it selects and what that holds).
        const ctx = { profile: sim.profile, machine, iommuId: soleIommu(machine) };
        const a = decodeMsiAddress(address, { ...ctx, data });
        const d = decodeMsiData(data, { ...ctx, address });
        return {
            result: `${a.summary} · ${d.summary}`,
            node: { name: 'decode', value: `${a.summary} · ${d.summary}`, children: () => [decodeNode(a), decodeNode(d)] },
        };
    }

    if ((m = new RegExp(`^irte\\s+(?:([A-Za-z_][\\w-]*)\\s+)?${NUMBER}$`, 'i').exec(text))) {
        const p = m[1] === undefined ? 0 : machine.iommus.findIndex((x) => x.name === m![1]);
        const iommu = machine.iommus[p];
        if (!iommu) throw new Error(m[1] === undefined ? `${machine.name} has no IOMMU` : `${machine.name} has no IOMMU '${m[1]}'`);
        const index = Number(num(m[2]));
        const table = sim.tableIrte(st, p, index);
        const cached = st.iec[p].get(index);
        if (!table && !cached) return { result: `IRTE ${index} of ${iommu.name}: ${unwrittenIrteText(iommu, index)}` };
        const ctx = { profile: sim.profile, machine, iommuId: iommu.id, index };
        const parts = [`IRTE ${index} of ${iommu.name}: ${table ? irteText(table.lo, table.hi, iommu.eim) : 'not in the table'}`];
        if (cached) {
            const same = table && table.lo === cached.lo && table.hi === cached.hi;
            parts.push(same ? 'cached in the IEC' : `the IEC holds a stale copy: ${irteText(cached.lo, cached.hi, iommu.eim)}`);
        } else parts.push('not cached');
        const children: VarNode[] = [];
        if (table) children.push(decodeNode(decodeIrte(table.lo, table.hi, ctx), 'in memory'));
        if (cached) children.push(decodeNode(decodeIrte(cached.lo, cached.hi, ctx), 'in the interrupt entry cache'));
        const result = parts.join(' · ');
        return { result, node: { name: `IRTE ${index}`, value: result, children: () => children } };
    }

    if ((m = new RegExp(`^cpu\\s+${NUMBER}$`, 'i').exec(text))) {
        const index = Number(num(m[1]));
        const pos = sim.index.cpuByIndex.get(index);
        if (pos === undefined) throw new Error(`${machine.name} has no CPU ${index}`);
        const node = cpuNode(sim, st, pos);
        return { result: `${node.name}: ${node.value}`, node };
    }

    if ((m = /^pending\s+([A-Za-z_][\w-]*)$/i.exec(text))) {
        const device = machine.devices.find((d) => d.name === m![1]);
        if (!device) throw new Error(`${machine.name} has no device '${m[1]}'`);
        const nodes = vectorsOfDevice(machine, device.id)
            .map((s) => vectorNode(sim, st, s))
            .filter((n): n is VarNode => n !== undefined && / pending \(/.test(` ${n.value}`));
        if (nodes.length === 0) return { result: `${device.name}: nothing pending` };
        const result = `${device.name}: ${nodes.map((n) => `${n.name} ${n.value.match(/pending \([^)]*\)/)?.[0] ?? 'pending'}`).join(', ')}`;
        return { result, node: { name: `pending ${device.name}`, value: result, children: () => nodes } };
    }

    if ((m = new RegExp(`^([A-Za-z_][\\w-]*)\\.(msi|msix|ims)\\[${NUMBER}\\]$`).exec(text))) {
        const device = machine.devices.find((d) => d.name === m![1]);
        if (!device) throw new Error(`${machine.name} has no device '${m[1]}'`);
        const node = vectorNode(sim, st, { device: device.id, kind: m[2] as VectorSource['kind'], index: Number(num(m[3])) });
        if (!node) throw new Error(`${text} is not a vector of ${device.name}`);
        return { result: `${node.name}: ${node.value}`, node };
    }

    if ((m = new RegExp(`^${NUMBER}$`).exec(text))) {
        // A number alone (a hover over a literal): an interrupt address is decoded, anything else converted.
        const v = num(m[1]);
        if (v <= 0xffff_ffff_ffff_ffffn && isInterruptAddress(Number(v & 0xffff_ffffn))) {
            const a = decodeMsiAddress(v, { profile: sim.profile, machine, iommuId: soleIommu(machine) });
            return { result: `${hex(v)}: ${a.summary}`, node: decodeNode(a) };
        }
        return { result: `${hex(v)} = ${v.toString(10)}` };
    }
    throw new Error(`cannot evaluate '${text}'. ${EVALUATE_HELP}`);
}

/** The machine's IOMMU when it has exactly one: a bare value is decoded behind it. */
function soleIommu(machine: Machine): string | undefined {
    return machine.iommus.length === 1 ? machine.iommus[0].id : undefined;
}

function vectorsOfDevice(machine: Machine, deviceId: string): VectorSource[] {
    const d = machine.devices.find((x) => x.id === deviceId);
    if (!d) return [];
    const out: VectorSource[] = [];
    if (d.msi) for (let k = 0; k < 2 ** Math.min(Math.max(d.msi.mme, 0), 5); k++) out.push({ device: d.id, kind: 'msi', index: k });
    for (const e of d.msix?.entries ?? []) out.push({ device: d.id, kind: 'msix', index: e.index });
    for (const e of d.ims?.entries ?? []) out.push({ device: d.id, kind: 'ims', index: e.index });
    return out;
}
