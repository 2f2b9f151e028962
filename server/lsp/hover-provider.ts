/**
 * Hover: the engine's decode of the value under the cursor, in the context of its machine, or the route
 * trace of the interrupt source under the cursor.
 *
 * - address / data of an MSI-X entry, IMS slot, MSI capability, KVM route or signal, or scenario write →
 *   decodeMsiAddress / decodeMsiData with the device (hence its IOMMU), the machine and the profile; on a
 *   pseries machine decodePhbWindowAddress (the PHB's slot, vector and XICS source);
 * - any part of an `irte` line (raw halves, field-form keyword, index or fields), an `update dmar0.irte N`
 *   reference → decodeIrte of the entry as the table holds it, with its encoded 128-bit value;
 * - a BDF (device, bridge, IRTE `sid`) → decodeBdf: the requester id the IOMMU sees;
 * - an MSI-X / IMS entry, an MSI capability, a vector reference (`nic.msix[0]`) → the route trace, stage by
 *   stage, then the vector's mask / pending / enable state (describeVectorState);
 * - a GSI (`route gsi 24`, `irqfd … gsi 24`) → describeGsi: its route(s), irqfds, direct mapping; an irqfd or
 *   a KVM_SIGNAL_MSI line → the trace of what it injects;
 * - `irq base …` (pseries) → the PHB-window decode of the message firmware programmed into vector 0, and
 *   where each vector of the allocation goes; a `vfio { … }` block → the MSI-X table / PBA layout (msixLayout)
 *   and the VFIO findings;
 * - names and references (`dmar0`, `nic`, `pci1`, `phb0`) → the element: an IOMMU's or PHB's settings, a
 *   device's sources.
 *
 * No decoding happens here: the engine provides every field, meaning and summary (see markdown.ts).
 */
import { AstNodeHoverProvider } from 'langium/lsp';
import { GrammarUtils, type AstNode, type LangiumDocument, type MaybePromise } from 'langium';
import type { Hover, HoverParams } from 'vscode-languageserver';
import {
    decodeBdf, decodeIrte, decodeMsiAddress, decodeMsiData, decodePhbWindowAddress, describeGsi, describeIommu, describePhb,
    describeVectorState, firmwareMessage, hex, hexGrouped, irteValue128, msixLayout, msixPbaBytes, sourceName, summarizeDevice,
    summarizeOutcome, unwrittenIrteText, vfioPageSize, type DecodeContext, type RouteTrace, type SourceRef, type ValueDecode,
} from '../../language/engine/index.js';
import { parseBdf, type IrqServices, type MachineAnalysis } from '../../language/index.js';
import * as Ast from '../../language/generated/ast.js';
import { FIELD_WIDTHS } from '../../language/values/field-widths.js';
import { bitLength } from '../../language/values/number-literal.js';
import {
    analysisOf, deviceOf, deviceTraces, enclosingDevice, firmwareTraces, idOf, iommuOf, irqfdTrace, irteSlotOf, isPseries,
    isSuspect, modelTables, phbOf, signalTrace, traceOfSource, tracesOf,
} from './analysis-context.js';
import { hoverTarget, leafAt, type HoverTarget, type MessageHolder } from './hover-target.js';
import { code, renderDecode, renderFindings, renderTrace } from './markdown.js';
import type { IrqLspServices } from '../irq-lsp-module.js';

export class IrqHoverProvider extends AstNodeHoverProvider {
    protected readonly irq: IrqServices;

    constructor(services: IrqLspServices) {
        super(services);
        this.irq = services;
    }

    override async getHoverContent(document: LangiumDocument, params: HoverParams): Promise<Hover | undefined> {
        try {
            const root = document.parseResult?.value?.$cstNode;
            const offset = document.textDocument.offsetAt(params.position);
            const leaf = leafAt(root, offset);
            const target = leaf ? hoverTarget(leaf) : undefined;
            if (target) {
                const value = this.renderTarget(target);
                if (value) return { contents: { kind: 'markdown', value }, range: target.cst.range };
            }
            return await super.getHoverContent(document, params);
        } catch (err) {
            // A half-typed document must never turn a hover into an error response.
            console.error(`irq hover failed at ${document.uri.toString()}:${params.position.line + 1}:${params.position.character + 1}:`, err);
            return undefined;
        }
    }

    /** Names and references: the element itself. */
    protected override getAstNodeHoverContent(node: AstNode): MaybePromise<string | undefined> {
        try {
            switch (node.$type) {
                case 'Device': return this.deviceHover(node as Ast.Device);
                case 'Iommu': return this.iommuHover(node as Ast.Iommu);
                case 'Bus': return this.busHover(node as Ast.Bus);
                case 'Irte': return this.irteHover(node as Ast.Irte);
                case 'MessageEntry': case 'Msi': return this.sourceHover(node as Ast.MessageEntry | Ast.Msi);
                case 'Phb': return this.phbHover(node as Ast.Phb);
                case 'IrqAllocation': return this.allocationHover(node as Ast.IrqAllocation);
                default: return undefined;
            }
        } catch (err) {
            console.error('irq hover failed:', err);
            return undefined;
        }
    }

    protected renderTarget(target: HoverTarget): string | undefined {
        switch (target.kind) {
            case 'address': return this.messageHover(target.holder, 'address', target.cst.text);
            case 'data': return this.messageHover(target.holder, 'data', target.cst.text);
            case 'irte': return this.irteHover(target.irte);
            case 'irte-ref': {
                const irte = target.event.irte?.ref;
                if (irte && Ast.isIrte(irte)) return this.irteHover(irte);
                // An index the file does not declare resolves to the IOMMU: say what the entry holds.
                const analysis = irte && Ast.isIommu(irte) ? analysisOf(this.irq, irte) : undefined;
                const iommu = analysis && iommuOf(analysis, irte as Ast.Iommu);
                const index = target.event.irte?.$refText;
                if (!iommu || iommu.kind !== 'vtd' || !index || !/^[0-9]+$/.test(index)) return undefined;
                return `**VT-d IRTE ${index}** of ${iommu.name}: not declared in the file; ${unwrittenIrteText(iommu, Number(index))} until this update writes it.`;
            }
            case 'bdf': return this.bdfHover(target.holder, target.cst.text);
            case 'source': return this.sourceHover(target.node);
            case 'vector-ref': return this.vectorRefHover(target.ref);
            case 'gsi': return this.gsiHover(target.holder);
            case 'irqfd': return this.irqfdHover(target.irqfd);
            case 'signal': return this.signalHover(target.signal);
            case 'allocation': return this.allocationHover(target.allocation);
            case 'vfio': return this.vfioHover(target.vfio);
        }
    }

    // ------------------------------------------------------------------------------------------------
    // Values

    /** The literal of `property` on `node` when it fits its field; otherwise a sentence saying it does not. */
    protected literal(node: AstNode, property: string): { value: bigint } | { tooWide: string } | undefined {
        const value = (node as unknown as Record<string, unknown>)[property];
        if (typeof value !== 'bigint') return undefined;
        const width = FIELD_WIDTHS[node.$type]?.[property];
        if (width && bitLength(value) > width.bits) {
            return { tooWide: `${width.label} is ${width.bits} bits wide; this literal needs ${bitLength(value)} bits, so it is not decoded.` };
        }
        return { value };
    }

    /** Machine, device and the source's display name for a message holder. */
    protected messageContext(holder: MessageHolder): { analysis?: MachineAnalysis; ctx: DecodeContext; owner?: string } {
        const profile = this.irq.settings.profile;
        switch (holder.$type) {
            case 'MessageEntry': case 'Msi': {
                const deviceNode = enclosingDevice(holder);
                const analysis = analysisOf(this.irq, deviceNode);
                const device = analysis && deviceOf(analysis, deviceNode);
                const ctx: DecodeContext = { profile, machine: analysis?.model, deviceId: device?.id };
                let owner: string | undefined;
                if (device && holder.$type === 'MessageEntry' && holder.index !== undefined && holder.index <= 0xffff_ffffn) {
                    owner = sourceName(device, { kind: holder.$container.$type === 'Ims' ? 'ims' : 'msix', index: Number(holder.index) });
                } else if (device && holder.$type === 'Msi') {
                    owner = `MSI capability of ${device.name}`;
                }
                return { analysis, ctx, owner };
            }
            case 'KvmRoute': {
                const analysis = analysisOf(this.irq, holder);
                const gsi = holder.gsi === undefined ? '' : ` gsi ${holder.gsi}`;
                const ctx: DecodeContext = { profile, machine: analysis?.model };
                // A route has no device of its own; on pseries the PHB that decodes it is the one of the vector
                // whose irqfd fires the GSI.
                const irqfd = analysis && holder.gsi !== undefined ? analysis.model.kvm.irqfds?.find(f => BigInt(f.gsi) === holder.gsi) : undefined;
                if (irqfd && analysis && isPseries(analysis)) ctx.deviceId = irqfd.source.device;
                return { analysis, ctx, owner: `kvm route${gsi}` };
            }
            case 'KvmSignal': {
                const analysis = analysisOf(this.irq, holder);
                return { analysis, ctx: { profile, machine: analysis?.model }, owner: `signal-msi${holder.name ? ` ${holder.name}` : ''}` };
            }
            case 'WriteEvent': {
                const deviceNode = holder.source?.device?.ref;
                const analysis = analysisOf(this.irq, deviceNode);
                const device = analysis && deviceOf(analysis, deviceNode);
                const owner = holder.source?.$cstNode ? `write ${holder.source.$cstNode.text}` : undefined;
                return { analysis, ctx: { profile, machine: analysis?.model, deviceId: device?.id }, owner };
            }
        }
    }

    protected messageHover(holder: MessageHolder, role: 'address' | 'data', text: string): string | undefined {
        const title = role === 'address' ? 'MSI address' : 'MSI data';
        const lit = this.literal(holder, role);
        if (!lit) return undefined;
        if ('tooWide' in lit) return `**${title}** ${code(text)}\n\n${lit.tooWide}`;
        const { analysis, ctx, owner } = this.messageContext(holder);
        let decode: ValueDecode;
        if (analysis && isPseries(analysis)) {
            // pseries: the PHB decodes the write, address and data together (slot, vector, XICS IRQ).
            const other = this.literal(holder, role === 'address' ? 'data' : 'address');
            const otherValue = other && 'value' in other ? other.value : 0n;
            const address = role === 'address' ? lit.value : otherValue;
            const data = Number((role === 'data' ? lit.value : otherValue) & 0xffff_ffffn);
            decode = decodePhbWindowAddress(address, data, ctx);
        } else if (role === 'address') {
            // The data word sent with it: with SHV=1 its subhandle selects the IRTE the note describes.
            const data = this.literal(holder, 'data');
            decode = decodeMsiAddress(lit.value, { ...ctx, data: data && 'value' in data ? Number(data.value & 0xffff_ffffn) : undefined });
        } else {
            // The data word is read in the light of the address it is sent with (compatibility or remappable).
            const address = this.literal(holder, 'address');
            decode = decodeMsiData(Number(lit.value), { ...ctx, address: address && 'value' in address ? address.value : undefined });
        }
        return renderDecode(decode, { literal: text, owner });
    }

    /** An `irte` line as the table holds it: the lowering's slot (field form encoded by the engine). */
    protected irteHover(irte: Ast.Irte): string | undefined {
        const analysis = analysisOf(this.irq, irte);
        const profile = this.irq.settings.profile;
        const iommuNode = irte.$container;
        const indexText = findIndexText(irte);
        const owner = `irte ${indexText ?? irte.index ?? '?'}${iommuNode?.name ? ` of ${iommuNode.name}` : ''}`;
        // A half wider than 64 bits is reported by validation; the table holds a truncated stand-in.
        if (irte.raw) {
            for (const half of ['lo', 'hi'] as const) {
                const l = this.literal(irte, half);
                if (l && 'tooWide' in l) return `**VT-d IRTE** — ${owner}\n\n${l.tooWide}`;
            }
        }
        const found = analysis && irteSlotOf(analysis, irte);
        let lo: bigint, hi: bigint;
        let ctx: DecodeContext;
        const preamble: string[] = [];
        if (found) {
            ({ lo, hi } = found.slot);
            ctx = { profile, machine: analysis.model, iommuId: found.iommu.id, index: found.slot.index };
            if (isSuspect(analysis, found.slot.id)) {
                preamble.push('_This entry has errors (see the diagnostics): the decode shows the value the checker used in its place._');
            }
        } else if (irte.raw && irte.lo !== undefined && irte.hi !== undefined) {
            lo = irte.lo; hi = irte.hi;
            const iommu = analysis && iommuOf(analysis, iommuNode);
            ctx = { profile, machine: analysis?.model, iommuId: iommu?.id };
        } else {
            return `**VT-d IRTE** — ${owner}\n\nNot in the interrupt remapping table of the model (a duplicate, or an index that does not fit): nothing to decode.`;
        }
        const decode = decodeIrte(lo, hi, ctx);
        const value128 = irteValue128(lo, hi);
        preamble.unshift(
            `128-bit value ${code(hexGrouped(value128, 32))}  \nas a table dump: ${code(`raw ${hexGrouped(lo, 16)} ${hexGrouped(hi, 16)}`)}`,
        );
        return renderDecode(decode, { owner, preamble });
    }

    protected bdfHover(holder: Ast.Device | Ast.Bridge | Ast.SidBdf, text: string): string | undefined {
        const parsed = parseBdf(text);
        if (!parsed) return undefined;
        const profile = this.irq.settings.profile;
        const analysis = analysisOf(this.irq, holder);
        const ctx: DecodeContext = { profile, machine: analysis?.model };
        let bdf = { segment: parsed.segment ?? 0, bus: parsed.bus, device: parsed.device, fn: parsed.fn };
        if (analysis && holder.$type === 'Device') {
            const device = deviceOf(analysis, holder);
            if (device) { bdf = device.bdf; ctx.deviceId = device.id; }
        } else if (analysis && holder.$type === 'Bridge') {
            const id = idOf(analysis, holder);
            const bridge = id ? analysis.model.bridges.find(b => b.id === id) : undefined;
            if (bridge) bdf = bridge.bdf;
        } else if (analysis && holder.$type === 'SidBdf') {
            // The IRTE's IOMMU: the requester id is what that IOMMU compares the SID with.
            const irte = holder.$container;
            const iommu = irte?.$type === 'Irte' ? iommuOf(analysis, irte.$container) : undefined;
            if (iommu) ctx.iommuId = iommu.id;
        }
        return renderDecode(decodeBdf(bdf, ctx), { literal: text });
    }

    // ------------------------------------------------------------------------------------------------
    // Traces and elements

    protected sourceHover(node: Ast.MessageEntry | Ast.Msi): string | undefined {
        const analysis = analysisOf(this.irq, node);
        if (!analysis) return undefined;
        return this.vectorsHover(analysis, tracesOf(analysis, node));
    }

    /** Each vector's trace, then its mask / pending / enable state. */
    protected vectorsHover(analysis: MachineAnalysis, traces: readonly RouteTrace[]): string | undefined {
        if (traces.length === 0) return undefined;
        const ctx: DecodeContext = { profile: analysis.profile, machine: analysis.model };
        return traces.map(t => {
            const blocks = [renderTrace(t, { profile: analysis.profile })];
            if (t.source.kind !== 'signal') blocks.push(renderDecode(describeVectorState(t.source, ctx)));
            return blocks.join('\n\n');
        }).join('\n\n---\n\n');
    }

    protected vectorRefHover(ref: Ast.VectorRef): string | undefined {
        const target = ref.entry?.ref;
        if (!target) return undefined;
        const analysis = analysisOf(this.irq, target);
        if (!analysis) return undefined;
        const k = Number(ref.entry?.$refText);
        let traces: RouteTrace[];
        if (target.$type === 'IrqAllocation') {
            // An entry firmware programmed (pseries): the file has no node for it, the allocation stands in.
            const device = deviceOf(analysis, target.$container);
            const t = device && ref.kind ? traceOfSource(analysis, { device: device.id, kind: ref.kind as SourceRef['kind'], index: k }) : undefined;
            traces = t ? [t] : [];
        } else {
            traces = tracesOf(analysis, target);
            // One capability, many vectors: the reference's index picks the vector.
            if (target.$type === 'Msi') traces = traces.filter(t => t.source.index === k);
        }
        return this.vectorsHover(analysis, traces);
    }

    /** `route gsi N …` or `irqfd … gsi N`: what the GSI is (its route, the irqfds on it, direct mapping). */
    protected gsiHover(holder: Ast.KvmRoute | Ast.KvmIrqfd): string | undefined {
        const lit = this.literal(holder, 'gsi');
        if (!lit) return undefined;
        const text = propertyText(holder, 'gsi');
        if ('tooWide' in lit) return `**KVM GSI** ${code(text ?? '')}\n\n${lit.tooWide}`;
        const analysis = analysisOf(this.irq, holder);
        const owner = holder.$type === 'KvmRoute' ? 'kvm route' : `irqfd ${holder.source?.$cstNode?.text ?? ''}`.trimEnd();
        return renderDecode(describeGsi(Number(lit.value), { profile: this.irq.settings.profile, machine: analysis?.model }), { literal: text, owner });
    }

    /** An irqfd line: the trace of the vector it carries (through its GSI); a second irqfd of a vector: its GSI. */
    protected irqfdHover(node: Ast.KvmIrqfd): string | undefined {
        const analysis = analysisOf(this.irq, node);
        if (!analysis) return undefined;
        const trace = irqfdTrace(analysis, node);
        return trace ? this.vectorsHover(analysis, [trace]) : this.gsiHover(node);
    }

    protected signalHover(node: Ast.KvmSignal): string | undefined {
        const analysis = analysisOf(this.irq, node);
        const trace = analysis && signalTrace(analysis, node);
        return trace ? renderTrace(trace, { profile: analysis.profile }) : undefined;
    }

    /**
     * `irq base …` (pseries): the message firmware programmed into the first vector, decoded as the PHB sees
     * it (slot, vector, XICS IRQ), then where every vector of the allocation goes.
     */
    protected allocationHover(node: Ast.IrqAllocation): string | undefined {
        const deviceNode = node.$container;
        const analysis = analysisOf(this.irq, deviceNode);
        const device = analysis && deviceOf(analysis, deviceNode);
        const alloc = device?.irqAllocation;
        if (!analysis || !device || !alloc) return undefined;
        const owner = `irq base ${propertyText(node, 'base') ?? hex(alloc.base)} of ${device.name}`;
        if (isSuspect(analysis, alloc.id)) return `**XICS IRQ allocation** — ${owner}\n\n${SUSPECT}`;
        const kind = device.msix ? 'msix' : 'msi';
        const blocks: string[] = [];
        const fw = firmwareMessage(analysis.model, device, kind, 0);
        if (fw) {
            const ctx: DecodeContext = { profile: analysis.profile, machine: analysis.model, deviceId: device.id };
            blocks.push(renderDecode(decodePhbWindowAddress(fw.address, fw.data, ctx), { owner: `${sourceName(device, { kind, index: 0 })} as firmware programmed it (${owner})` }));
        } else {
            blocks.push(`**XICS IRQ allocation** — ${owner}`);
        }
        const traces = kind === 'msix' ? firmwareTraces(analysis, deviceNode) : deviceTraces(analysis, deviceNode).filter(t => t.source.kind === 'msi');
        if (traces.length > 0) blocks.push(traces.map(t => `- ${code(t.sourceName)} ${summarizeOutcome(t)}`).join('\n'));
        return blocks.join('\n\n');
    }

    /**
     * A `vfio { … }` block: where the MSI-X table and PBA sit in their BARs and host pages (the engine's
     * msixLayout), and what the engine finds about it.
     */
    protected vfioHover(node: Ast.Vfio): string | undefined {
        const deviceNode = node.$container;
        const analysis = analysisOf(this.irq, deviceNode);
        const device = analysis && deviceOf(analysis, deviceNode);
        const v = device?.vfio;
        if (!analysis || !device || !v) return undefined;
        const head = `**VFIO assignment** — ${device.name}`;
        if (isSuspect(analysis, v.id)) return `${head}\n\n${SUSPECT}`;
        const page = vfioPageSize(analysis.model, v);
        const context = [
            `_MSI-X table ${v.mmap ? 'mapped straight through to the guest (MSIX_MAPPABLE)' : 'trapped by the VMM'}_`,
            `_host page ${hex(page)} bytes_`,
            `_profile ${analysis.profile}_`,
        ];
        const blocks = [head, context.join('  \n')];
        if (device.msix) {
            const n = device.msix.tableSize;
            const L = msixLayout(v, n, page);
            const yes = (b: boolean) => (b ? 'yes' : 'no');
            blocks.push([
                '| structure | BAR | bytes | size | page-aligned |',
                '|---|---|---|---|---|',
                `| MSI-X table | ${v.msixBar} | ${hex(L.table.start)}..${hex(L.table.end - 1n)} | ${n} × 16 | ${yes(L.tableAligned)} |`,
                `| PBA | ${L.pba.bar} | ${hex(L.pba.start)}..${hex(L.pba.end - 1n)} | ${msixPbaBytes(n)} | ${yes(L.pbaAligned)} |`,
            ].join('\n'));
            if (L.overlap) blocks.push('The table and the PBA overlap.');
            if (L.sharedBytes > 0n) blocks.push(`Other registers in the table's page(s): ${hex(L.sharedBytes)} bytes.`);
        } else {
            blocks.push(`${device.name} has no MSI-X table: nothing of its interrupt storage is mapped or trapped page by page.`);
        }
        const findings = analysis.report.findings.filter(f => f.element.id === v.id);
        if (findings.length > 0) blocks.push(renderFindings(findings));
        return blocks.join('\n\n');
    }

    protected phbHover(node: Ast.Phb): string | undefined {
        const analysis = analysisOf(this.irq, node);
        const phb = analysis && phbOf(analysis, node);
        return phb ? `**phb** ${describePhb(phb)}` : undefined;
    }

    protected deviceHover(node: Ast.Device): string | undefined {
        const analysis = analysisOf(this.irq, node);
        const device = analysis && deviceOf(analysis, node);
        if (!analysis || !device) return undefined;
        const traces = deviceTraces(analysis, node);
        const head = `**device ${device.name}**${device.model ? ` ${code(device.model)}` : ''} — ${summarizeDevice(traces)}`;
        const rows = traces.map(t => `- ${code(t.sourceName)} ${summarizeOutcome(t)}`);
        return [head, `_profile ${analysis.profile}_`, ...(rows.length ? [rows.join('\n')] : [])].join('\n\n');
    }

    protected iommuHover(node: Ast.Iommu): string | undefined {
        const analysis = analysisOf(this.irq, node);
        const iommu = analysis && iommuOf(analysis, node);
        return iommu ? `**iommu** ${describeIommu(iommu)}` : undefined;
    }

    protected busHover(node: Ast.Bus): string | undefined {
        const analysis = analysisOf(this.irq, node);
        const id = analysis && idOf(analysis, node);
        const bus = id ? analysis.model.buses.find(b => b.id === id) : undefined;
        if (!analysis || !bus) return undefined;
        if (isPseries(analysis)) {
            const phb = bus.phb ? modelTables(analysis).phbs.get(bus.phb) : undefined;
            return `**bus ${bus.name}** — ${phb ? `on PHB ${describePhb(phb)}` : 'on no PHB: its devices\' MSIs decode nowhere'}`;
        }
        const iommu = bus.iommu ? modelTables(analysis).iommus.get(bus.iommu) : undefined;
        return `**bus ${bus.name}** — ${iommu ? `behind ${describeIommu(iommu)}` : 'no IOMMU translates this bus'}`;
    }
}

const SUSPECT = '_This statement has errors (see the diagnostics): the checker used stand-in values for it, so nothing is decoded._';

/** The text of a property as written (`0x5` stays `0x5`). */
function propertyText(node: AstNode, property: string): string | undefined {
    return GrammarUtils.findNodeForProperty(node.$cstNode, property)?.text;
}


/** The index as written (`0x5` stays `0x5`). */
function findIndexText(irte: Ast.Irte): string | undefined {
    return GrammarUtils.findNodeForProperty(irte.$cstNode, 'index')?.text;
}
