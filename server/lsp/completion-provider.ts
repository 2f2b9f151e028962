/**
 * Completion: Langium's default (keywords allowed at the cursor, references in scope) plus values the
 * machine still has free, read from the document's analysis (the lowered model and the engine's traces):
 *
 * - `irte |` in an IOMMU block: the lowest free IRTE indices of the table;
 * - `entry |` in an MSI-X table / IMS store: the lowest free entry indices below its size;
 * - `device NAME |` on a bus: free BDFs on the bus (its number as lowered, device slots no member uses);
 * - `data |` of an MSI-X / IMS entry on an x86 machine whose bus has no IOMMU: free vectors (device vectors
 *   that no other source of the machine is delivered with: the engine's freeVectors over its route outcomes).
 *
 * - `address |` of an MSI-X / IMS entry on a bus behind an IOMMU: the remappable-format addresses of the
 *   lowest handles no other source uses (IRTEs that are programmed first), composed by the engine
 *   (remappableAddress): bit layouts are not written outside language/engine.
 */
import { AstUtils, GrammarAST, type MaybePromise } from 'langium';
import { DefaultCompletionProvider, type CompletionAcceptor, type CompletionContext, type NextFeature } from 'langium/lsp';
import { CompletionItemKind } from 'vscode-languageserver';
import {
    freeVectors,
    hex,
    hexGrouped,
    irteTableEntries,
    IRTE_MAX_ENTRIES,
    MSIX_MAX_ENTRIES,
    PCI_DEVICES_PER_BUS,
    remappableAddress,
    type Outcome,
} from '../../language/engine/index.js';
import { parseBdf, type IrqServices } from '../../language/index.js';
import * as Ast from '../../language/generated/ast.js';
import type { IrqLspServices } from '../irq-lsp-module.js';
import { analysisOf, idOf } from './analysis-context.js';

/** How many free values are offered at once: the next one and a few after it. */
const OFFERED = 3;

export class IrqCompletionProvider extends DefaultCompletionProvider {
    private readonly irq: IrqServices;

    constructor(services: IrqLspServices) {
        super(services);
        this.irq = services;
    }

    protected override completionFor(context: CompletionContext, next: NextFeature, acceptor: CompletionAcceptor): MaybePromise<void> {
        const result = super.completionFor(context, next, acceptor);
        try {
            this.valueCompletion(context, next, acceptor);
        } catch {
            // A half-typed document may leave the analysis without the element: no value offers then.
        }
        return result;
    }

    private valueCompletion(context: CompletionContext, next: NextFeature, acceptor: CompletionAcceptor): void {
        const assignment = AstUtils.getContainerOfType(next.feature, GrammarAST.isAssignment);
        const rule = AstUtils.getContainerOfType(next.feature, GrammarAST.isParserRule);
        if (!assignment || !rule || !context.node) return;
        const where = `${rule.name}.${assignment.feature}`;
        const offer = (values: string[], detail: string) => values.forEach((label, i) =>
            acceptor(context, { label, kind: CompletionItemKind.Value, detail, sortText: `0${i}` }));
        if (where === 'Irte.index') {
            const iommu = AstUtils.getContainerOfType(context.node, Ast.isIommu);
            if (iommu) offer(this.freeIrtes(iommu), 'free IRTE index');
        } else if (where === 'MessageEntry.index') {
            const store = AstUtils.getContainerOfType(context.node, (n): n is Ast.Msix | Ast.Ims => Ast.isMsix(n) || Ast.isIms(n));
            if (store) offer(freeEntries(store), `free ${Ast.isMsix(store) ? 'MSI-X table' : 'IMS'} entry`);
        } else if (where === 'Device.bdf') {
            const bus = AstUtils.getContainerOfType(context.node, Ast.isBus);
            if (bus) offer(this.freeBdfs(bus), `free slot on ${bus.name}`);
        } else if (where === 'MessageEntry.address') {
            const entry = AstUtils.getContainerOfType(context.node, Ast.isMessageEntry);
            for (const [i, h] of (entry ? this.freeHandles(entry) : []).entries()) {
                acceptor(context, {
                    label: hexGrouped(remappableAddress(h.handle), 8), kind: CompletionItemKind.Value, sortText: `0${i}`,
                    detail: `remappable, handle ${h.handle} → IRTE ${h.handle}${h.programmed ? '' : ' (not programmed yet)'}`,
                });
            }
        } else if (where === 'MessageEntry.data') {
            const entry = AstUtils.getContainerOfType(context.node, Ast.isMessageEntry);
            if (entry) offer(this.freeVectors(entry), 'free vector (fixed, edge: the data word is the vector)');
        }
    }

    private freeIrtes(iommu: Ast.Iommu): string[] {
        const used = new Set(iommu.irtes.map(i => i.index));
        // The table as the lowering sized it (IRTA.S); before that is known, the 16-bit handle space.
        const analysis = analysisOf(this.irq, iommu);
        const id = analysis ? idOf(analysis, iommu) : undefined;
        const model = analysis?.model.iommus.find(i => i.id === id);
        const size = model ? irteTableEntries(model) : IRTE_MAX_ENTRIES;
        return lowestFree(size, i => used.has(BigInt(i))).map(String);
    }

    private freeBdfs(bus: Ast.Bus): string[] {
        const analysis = analysisOf(this.irq, bus);
        const id = analysis ? idOf(analysis, bus) : undefined;
        const model = analysis?.model.buses.find(b => b.id === id);
        const number = model?.number ?? Number(bus.number ?? 0n);
        const segment = model?.segment ?? Number(bus.segment ?? 0n);
        const used = new Set<number>();
        for (const member of bus.members) {
            const bdf = member.bdf ? parseBdf(member.bdf) : undefined;
            if (bdf) used.add(bdf.device);
        }
        // Function 0 is the one every device has.
        return lowestFree(PCI_DEVICES_PER_BUS, d => used.has(d)).map(device => {
            const h = (v: number) => v.toString(16).padStart(2, '0');
            const short = `${h(number)}:${h(device)}.0`;
            return segment ? `${segment.toString(16).padStart(4, '0')}:${short}` : short;
        });
    }

    /** Handles (= IRTE indices, SHV 0) of the entry's IOMMU that no other source's route reads. */
    private freeHandles(entry: Ast.MessageEntry): { handle: number; programmed: boolean }[] {
        const analysis = analysisOf(this.irq, entry);
        if (!analysis || analysis.model.arch !== 'x86_64') return [];
        const device = AstUtils.getContainerOfType(entry, Ast.isDevice);
        const deviceModel = analysis.model.devices.find(d => d.id === idOf(analysis, device));
        const bus = analysis.model.buses.find(b => b.id === deviceModel?.bus);
        const iommu = analysis.model.iommus.find(i => i.id === bus?.iommu);
        if (!iommu || !iommu.remapping) return [];
        const self = idOf(analysis, entry);
        const used = new Set<number>();
        for (const trace of analysis.report.traces) {
            if (self !== undefined && trace.sourceElement === self) continue;
            const irte = irteOf(trace.outcome);
            if (irte && irte.iommu === iommu.id) used.add(irte.index);
        }
        const size = irteTableEntries(iommu);
        const free = (programmed: boolean) => lowestFree(size, i => used.has(i) || iommu.irtes.has(i) !== programmed);
        return [...free(true).map(handle => ({ handle, programmed: true })), ...free(false).map(handle => ({ handle, programmed: false }))]
            .slice(0, OFFERED);
    }

    private freeVectors(entry: Ast.MessageEntry): string[] {
        const analysis = analysisOf(this.irq, entry);
        if (!analysis || analysis.model.arch !== 'x86_64') return [];
        const device = AstUtils.getContainerOfType(entry, Ast.isDevice);
        const deviceModel = analysis.model.devices.find(d => d.id === idOf(analysis, device));
        const bus = analysis.model.buses.find(b => b.id === deviceModel?.bus);
        // Behind an IOMMU the data word carries a subhandle, not a vector; without the bus, nothing is known.
        if (!bus || bus.iommu !== undefined) return [];
        // Machine-wide (no CPU filter): while its data is typed the entry itself has no route to read a CPU from.
        return freeVectors(analysis.report.traces, { except: idOf(analysis, entry), count: OFFERED }).map(v => hex(v));
    }
}

/** The IRTE a source's route read (a pending source: the one it reads once unmasked). */
function irteOf(outcome: Outcome): { iommu: string; index: number } | undefined {
    if (outcome.kind === 'pending') return outcome.whenUnmasked ? irteOf(outcome.whenUnmasked) : undefined;
    return outcome.irte;
}

function freeEntries(store: Ast.Msix | Ast.Ims): string[] {
    const size = Number(Ast.isMsix(store) ? store.tableSize ?? 0n : store.size ?? 0n);
    const used = new Set(store.entries.map(e => e.index));
    return lowestFree(Math.min(size, MSIX_MAX_ENTRIES), i => used.has(BigInt(i))).map(String);
}

function lowestFree(size: number, isUsed: (i: number) => boolean): number[] {
    const out: number[] = [];
    for (let i = 0; i < size && out.length < OFFERED; i++) if (!isUsed(i)) out.push(i);
    return out;
}
