/**
 * What the Variables view and the debug console show, as plain trees (no DAP types): decodes of the message
 * and of the element a stage uses, field by field with their bit ranges, and the machine state (CPUs' IRR /
 * ISR, vectors' masks and pending bits, each IOMMU's interrupt entry cache and fault log). Every value is
 * the engine's own text (hex where the engine writes hex); nothing here decodes a bit.
 */
import {
    compressIndices,
    decodeIrte,
    hex,
    hexGrouped,
    irteFieldsOf,
    listSources,
    deliveryModeLabel,
    type DecodedField,
    type Stage,
    type ValueDecode,
} from '../../language/engine/index.js';
import { faultRecords, vectorsOf, type SimState, type SimStep, type Simulator, type VectorSet, type VectorSource } from '../../language/engine/sim/index.js';
import { pendingBitOf } from '../../language/engine/pci/vector-state.js';

export interface VarNode {
    name: string;
    value: string;
    children?: () => VarNode[];
}

const leaf = (name: string, value: string): VarNode => ({ name, value });

/** One decoded field: `Destination ID [19:12]` = `0x3 (APIC ID 3)`. */
export function fieldNode(f: DecodedField): VarNode {
    const meaning = f.meaning ? ` · ${f.meaning}` : '';
    return leaf(`${f.name} [${f.bits}]`, `${f.text}${meaning}${f.flagged ? ' ⚠' : ''}`);
}

/** A whole decode: its summary, then its fields, bus bytes, context and notes. */
export function decodeNode(d: ValueDecode, name = d.title): VarNode {
    return {
        name,
        value: d.summary,
        children: () => {
            const out = d.fields.map(fieldNode);
            if (d.busBytes) out.push(leaf('bytes on the bus', d.busBytes.join(' ')));
            d.context.forEach((c, i) => out.push(leaf(d.context.length > 1 ? `context ${i + 1}` : 'context', c)));
            d.notes.forEach((n, i) => out.push(leaf(d.notes.length > 1 ? `note ${i + 1}` : 'note', n)));
            return out;
        },
    };
}

const isMessageDecode = (d: ValueDecode) => /^MSI (address|data|to the APIC)/.test(d.title);

/**
 * The message as it is at a stage: the latest decode of the address and of the data up to this stage of the
 * delivery (after remapping, the message the IOMMU composed for the APIC replaces both).
 */
export function messageNodes(step: SimStep | undefined, stage: Stage | undefined, traceStage?: number): VarNode[] {
    if (!stage) return [];
    const stages = step?.delivery?.trace.stages;
    const upTo = traceStage ?? step?.traceStage;
    const chain = stages && upTo !== undefined ? stages.slice(0, upTo + 1) : [stage];
    let address: ValueDecode | undefined;
    let data: ValueDecode | undefined;
    for (let j = chain.length - 1; j >= 0 && !(address && data); j--) {
        for (const d of chain[j].decodes) {
            if (!isMessageDecode(d)) continue;
            if (d.title.startsWith('MSI to the APIC')) {
                if (!address && !data) return [decodeNode(d)];
                continue;
            }
            if (d.title === 'MSI address') address ??= d;
            else if (d.title === 'MSI data') data ??= d;
        }
    }
    return [address, data].filter((d): d is ValueDecode => d !== undefined).map((d) => decodeNode(d));
}

/** The element a stage uses: what it is, where, and the stage's other decodes (IRTE, BDF, vector state). */
export function elementNodes(stage: Stage | undefined, where: string | undefined): VarNode[] {
    if (!stage) return [];
    const out: VarNode[] = [leaf('stage', `${stage.title}`), leaf('summary', stage.summary)];
    if (stage.element) out.push(leaf('element', `${stage.element.id}${stage.element.property ? ` (${stage.element.property})` : ''}`));
    if (where) out.push(leaf('defined at', where));
    for (const d of stage.decodes) if (!isMessageDecode(d)) out.push(decodeNode(d));
    return out;
}

function regText(reg: VectorSet): string {
    const v = vectorsOf(reg);
    return v.length ? v.map((x) => hex(x)).join(', ') : '—';
}

function pirText(reg: bigint): string {
    const v: number[] = [];
    for (let i = 0; i < 256; i++) if ((reg >> BigInt(i)) & 1n) v.push(i);
    return v.length ? v.map((x) => hex(x)).join(', ') : '—';
}

/** One CPU's local APIC state. */
export function cpuNode(sim: Simulator, st: SimState, pos: number): VarNode {
    const cpu = sim.index.cpuAt(pos);
    const s = st.cpus.get(pos);
    const summary = s
        ? `IRR ${regText(s.irr)} · ISR ${regText(s.isr)} · taken ${s.taken}${s.last !== undefined ? ` (last ${hex(s.last)})` : ''}`
        : 'idle';
    return {
        name: `CPU ${cpu.index}`,
        value: `APIC ID ${hex(cpu.apicId)} · ${summary}`,
        children: () => [
            leaf('APIC ID', `${hex(cpu.apicId)} (${cpu.mode}${cpu.enabled ? '' : ', software-disabled'})`),
            leaf('IRR', regText(s?.irr ?? [])),
            leaf('ISR', regText(s?.isr ?? [])),
            leaf('TMR', regText(s?.tmr ?? [])),
            leaf('interrupts taken', String(s?.taken ?? 0)),
            leaf('last vector', s?.last === undefined ? '—' : hex(s.last)),
            leaf('NMI / SMI / INIT / ExtINT', String(s?.special ?? 0)),
        ],
    };
}

/** One vector's masks, pending bit and message. */
export function vectorNode(sim: Simulator, st: SimState, source: VectorSource): VarNode | undefined {
    const key = sim.index.vectorKey(source);
    if (key === undefined) return undefined;
    const { vs, sv } = sim.vector(st, key, source);
    const name = sim.index.nameOf(source);
    const bit = pendingBitOf(vs);
    const where = bit.qword !== undefined ? `${bit.register} qword ${bit.qword} bit ${bit.bit}` : `${bit.register} bit ${bit.bit}`;
    const state: string[] = [];
    if (!vs.enabled) state.push('disabled');
    if (vs.functionMasked) state.push('function masked');
    if (vs.masked && vs.maskable) state.push('masked');
    if (vs.pending) state.push(`pending (${where})`);
    if (sv?.remoteIrr) state.push(`remote IRR (CPU ${sim.index.cpuAt(sv.remoteIrr.cpu).index}, vector ${hex(sv.remoteIrr.vector)})`);
    if (state.length === 0) state.push('unmasked');
    const value = `${state.join(' · ')} · ${hexGrouped(vs.address, vs.address > 0xffff_ffffn ? 16 : 8)} ← ${hex(vs.data)}`;
    return {
        name,
        value,
        children: () => [
            leaf('enabled', vs.enabled ? '1' : '0'),
            ...(source.kind === 'msix' ? [leaf('function mask', vs.functionMasked ? '1' : '0')] : []),
            leaf('mask', vs.maskable ? (vs.masked ? '1' : '0') : 'not maskable'),
            leaf('pending', `${vs.pending ? '1' : '0'} (${where})`),
            leaf('address', hexGrouped(vs.address, vs.address > 0xffff_ffffn ? 16 : 8)),
            leaf('data', hex(vs.data)),
            ...(sv?.remoteIrr ? [leaf('remote IRR', `CPU ${sim.index.cpuAt(sv.remoteIrr.cpu).index}, vector ${hex(sv.remoteIrr.vector)}${sv.held ? ', a request is held' : ''}`)] : []),
        ],
    };
}

/** `vector 0x41 → dest 0x3 · fixed · edge` (or posted) for an IRTE's contents. */
export function irteText(lo: bigint, hi: bigint, eim: boolean): string {
    const f = irteFieldsOf(lo, hi, { eim });
    if (!f.present) return 'not present';
    if (f.posted) return `posted · vector ${hex(f.vector)} · descriptor ${hex(f.pda)}${f.urgent ? ' · urgent' : ''}`;
    return `vector ${hex(f.vector)} → ${f.destMode === 'logical' ? 'logical ' : ''}dest ${hex(f.dest)} · ${deliveryModeLabel(f.deliveryMode)} · ${f.trigger}`;
}

/** Every scope of the machine state at a step. */
export function machineStateNodes(sim: Simulator, st: SimState): VarNode[] {
    const machine = sim.machine;
    const out: VarNode[] = [];
    const busy: number[] = [];
    for (const [pos] of st.cpus.entries()) busy.push(pos);
    out.push({
        name: 'CPUs',
        value: `${machine.cpus.length} CPU${machine.cpus.length === 1 ? '' : 's'}, ${busy.length} with interrupts`,
        children: () => {
            const list = busy.map((p) => cpuNode(sim, st, p));
            const idle = machine.cpus.filter((_, i) => !st.cpus.has(i)).map((c) => c.index);
            if (idle.length) list.push(leaf('idle', `CPU ${compressIndices(idle)}`));
            return list;
        },
    });
    const sources = listSources(machine).filter((s): s is VectorSource => s.kind !== 'signal');
    out.push({
        name: 'Vectors',
        value: vectorSummary(sim, st, sources),
        children: () => sources.map((s) => vectorNode(sim, st, s)).filter((n): n is VarNode => n !== undefined),
    });
    machine.iommus.forEach((iommu, p) => {
        const iec = st.iec[p];
        const table = st.irt[p];
        out.push({
            name: `IEC (${iommu.name})`,
            value: iec.size === 0 ? 'empty' : `${iec.size} entr${iec.size === 1 ? 'y' : 'ies'}: IRTE ${[...iec.entries()].map(([i]) => i).join(', ')}`,
            children: () =>
                [...iec.entries()].map(([index, c]) => {
                    const now = sim.tableIrte(st, p, index);
                    const stale = now && (now.lo !== c.lo || now.hi !== c.hi) ? ` · stale: the table holds ${irteText(now.lo, now.hi, iommu.eim)}` : '';
                    const decode = decodeIrte(c.lo, c.hi, { profile: sim.profile, machine, iommuId: iommu.id, index });
                    return { ...decodeNode(decode, `IRTE ${index}`), value: `${irteText(c.lo, c.hi, iommu.eim)} · cached at event ${c.since + 1}${stale}` };
                }),
        });
        if (table.size) {
            out.push({
                name: `IRTEs written (${iommu.name})`,
                value: `IRTE ${[...table.entries()].map(([i]) => i).join(', ')}`,
                children: () => [...table.entries()].map(([index, w]) => leaf(`IRTE ${index}`, `${irteText(w.lo, w.hi, iommu.eim)} · written at event ${w.by + 1}${st.uninvalidated[p].has(index) ? ' · not invalidated' : ''}`)),
            });
        }
        const faults = faultRecords(st).filter((f) => f.iommu === iommu.id);
        out.push({
            name: `Fault log (${iommu.name})`,
            value: faults.length === 0 ? 'no faults' : `${faults.length} fault${faults.length === 1 ? '' : 's'}`,
            children: () =>
                faults.map((f, i) =>
                    leaf(`#${i + 1}`, `${hex(f.reason)} ${f.name}${f.index >= 0 ? ` · IRTE ${f.index}` : ''} · requester ${f.requester} · ${f.source} · event ${f.event + 1}`),
                ),
        });
        const pir = st.pir[p];
        if (pir.size) {
            out.push({
                name: `Posted (${iommu.name})`,
                value: `${pir.size} descriptor${pir.size === 1 ? '' : 's'} with requests`,
                children: () => [...pir.entries()].map(([index, bits]) => leaf(`IRTE ${index} descriptor PIR`, pirText(bits))),
            });
        }
    });
    const routes = machine.kvm.routes ?? [];
    if (routes.length) {
        out.push({
            name: 'KVM routes',
            value: `${routes.length} route${routes.length === 1 ? '' : 's'}, ${st.routes.size} rewritten`,
            children: () =>
                routes.map((r, pos) => {
                    const o = st.routes.get(pos);
                    const address = o?.address ?? r.address ?? 0n;
                    const data = o?.data ?? r.data ?? 0;
                    return leaf(`GSI ${r.gsi}`, r.kind === 'msi' ? `${hexGrouped(address, address > 0xffff_ffffn ? 16 : 8)} ← ${hex(data)}${o ? ` · rewritten at event ${o.by + 1}` : ''}` : `${r.irqchip ?? 'irqchip'} pin ${r.pin ?? '?'}`);
                }),
        });
    }
    const s = st.stats;
    out.push({
        name: 'Statistics',
        value: `fired ${s.fired} · delivered ${s.delivered} · held pending ${s.heldPending} · lost ${s.lost} · faults ${s.faults}`,
        children: () => [
            leaf('fired', String(s.fired)),
            leaf('delivered', String(s.delivered)),
            leaf('held pending', String(s.heldPending)),
            leaf('lost', String(s.lost)),
            leaf('faults', String(s.faults)),
        ],
    });
    return out;
}

function vectorSummary(sim: Simulator, st: SimState, sources: VectorSource[]): string {
    let pending = 0;
    let masked = 0;
    for (const s of sources) {
        const key = sim.index.vectorKey(s);
        if (key === undefined) continue;
        const { vs } = sim.vector(st, key, s);
        if (vs.pending) pending++;
        if ((vs.masked && vs.maskable) || vs.functionMasked) masked++;
    }
    return `${sources.length} vector${sources.length === 1 ? '' : 's'} · ${masked} masked · ${pending} pending`;
}
