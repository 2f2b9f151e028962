/**
 * From an AST node to what the analysis knows about it: the machine analysis it belongs to, its element id,
 * the model element, the traces of an interrupt source. Lookups only; nothing is computed here that the
 * analysis or the engine does not already hold.
 *
 * Every function tolerates a half-built AST: a node without a machine, an id the lowering skipped (a
 * duplicate, an index out of range) or an unresolved reference gives `undefined`, never an exception.
 */
import type { AstNode } from 'langium';
import { irqfdsOf, isSpaprRouted, type Device, type ElementId, type Iommu, type IrteSlot, type KvmVia, type Outcome, type Phb, type RouteTrace, type SourceRef } from '../../language/engine/index.js';
import type { IrqServices, MachineAnalysis } from '../../language/index.js';
import type * as Ast from '../../language/generated/ast.js';

export interface ModelTables {
    devices: Map<ElementId, Device>;
    iommus: Map<ElementId, Iommu>;
    phbs: Map<ElementId, Phb>;
    /** Every trace of a device, in the order the engine listed them. */
    tracesByDevice: Map<ElementId, RouteTrace[]>;
    /** The traces that went through each KVM GSI route (by the route's id). */
    tracesByRoute: Map<ElementId, RouteTrace[]>;
}

const tables = new WeakMap<MachineAnalysis, ModelTables>();

/** Id → model element maps of one analysis, built once (code lenses and hints ask for every device). */
export function modelTables(analysis: MachineAnalysis): ModelTables {
    let t = tables.get(analysis);
    if (!t) {
        const tracesByDevice = new Map<ElementId, RouteTrace[]>();
        const tracesByRoute = new Map<ElementId, RouteTrace[]>();
        const routeIds = new Set((analysis.model.kvm.routes ?? []).map(r => r.id));
        for (const trace of analysis.report.traces) {
            const list = tracesByDevice.get(trace.source.device);
            if (list) list.push(trace); else tracesByDevice.set(trace.source.device, [trace]);
            // The route a vector's irqfd resolved to: in the outcome, or (a fault at the route) its stage.
            const route = kvmOf(trace.outcome)?.route ?? trace.stages.find(s => s.kind === 'kvm-route' && routeIds.has(s.element?.id ?? ''))?.element?.id;
            if (route) {
                const byRoute = tracesByRoute.get(route);
                if (byRoute) byRoute.push(trace); else tracesByRoute.set(route, [trace]);
            }
        }
        t = {
            devices: new Map(analysis.model.devices.map(d => [d.id, d])),
            iommus: new Map(analysis.model.iommus.map(i => [i.id, i])),
            phbs: new Map((analysis.model.phbs ?? []).map(p => [p.id, p])),
            tracesByDevice,
            tracesByRoute,
        };
        tables.set(analysis, t);
    }
    return t;
}

/** The analysis (for the current profile) of the machine that declares `node`. */
export function analysisOf(services: IrqServices, node: AstNode | undefined): MachineAnalysis | undefined {
    if (!node) return undefined;
    return services.analysis.DocumentAnalyzer.analysisAt(node, services.settings.profile);
}

export function idOf(analysis: MachineAnalysis, node: AstNode | undefined): ElementId | undefined {
    return node ? analysis.nodeToId.get(node) : undefined;
}

export function deviceOf(analysis: MachineAnalysis, node: Ast.Device | undefined): Device | undefined {
    const id = idOf(analysis, node);
    return id ? modelTables(analysis).devices.get(id) : undefined;
}

export function iommuOf(analysis: MachineAnalysis, node: Ast.Iommu | undefined): Iommu | undefined {
    const id = idOf(analysis, node);
    return id ? modelTables(analysis).iommus.get(id) : undefined;
}

/** The table slot the lowering made of an `irte` line (absent for a duplicate or an index beyond 16 bits). */
export function irteSlotOf(analysis: MachineAnalysis, node: Ast.Irte): { iommu: Iommu; slot: IrteSlot } | undefined {
    const id = idOf(analysis, node);
    const iommu = iommuOf(analysis, node.$container);
    if (!id || !iommu) return undefined;
    for (const slot of iommu.irtes.values()) if (slot.id === id) return { iommu, slot };
    return undefined;
}

/**
 * True for an element the lowering built from input validation rejects (a literal wider than its field, a
 * missing required field, a syntax error inside): the model holds a stand-in, so its trace would only
 * restate the error in a confusing form. Views leave such traces out, as validation does.
 */
export function isSuspect(analysis: MachineAnalysis, id: ElementId | undefined): boolean {
    return id !== undefined && (analysis.suspect?.has(id) ?? false);
}

/** A trace of a suspect source, or one that went through a suspect element (a PHB without its window). */
export function isSuspectTrace(analysis: MachineAnalysis, trace: RouteTrace): boolean {
    return isSuspect(analysis, trace.sourceElement) || trace.stages.some(s => isSuspect(analysis, s.element?.id));
}

/**
 * The traces of an MSI-X entry / IMS slot (one) or of an MSI capability (one per enabled vector); none for
 * a suspect source.
 */
export function tracesOf(analysis: MachineAnalysis, node: Ast.MessageEntry | Ast.Msi): RouteTrace[] {
    const id = idOf(analysis, node);
    if (!id || isSuspect(analysis, id)) return [];
    const traces = analysis.tracesBySourceElement.get(id) ?? [];
    // An entry the lowering skipped (duplicate index) shares no id; a trace of the capability itself (an
    // unlisted entry) is not this node's.
    return traces.filter(t => t.sourceElement === id && !isSuspectTrace(analysis, t));
}

/** The traces of every source of a device, in the engine's order (suspect sources included: see isSuspect). */
export function allDeviceTraces(analysis: MachineAnalysis, node: Ast.Device): RouteTrace[] {
    const id = idOf(analysis, node);
    return id ? modelTables(analysis).tracesByDevice.get(id) ?? [] : [];
}

/** The traces of every source of a device that is not suspect. */
export function deviceTraces(analysis: MachineAnalysis, node: Ast.Device): RouteTrace[] {
    return allDeviceTraces(analysis, node).filter(t => !isSuspectTrace(analysis, t));
}

/** The device node that holds a message store (MSI capability, MSI-X table or entry, IMS store or slot). */
export function enclosingDevice(node: AstNode | undefined): Ast.Device | undefined {
    let cur: AstNode | undefined = node;
    while (cur && cur.$type !== 'Device') cur = cur.$container;
    return cur as Ast.Device | undefined;
}

/** Whether the engine routes the machine as pseries (PHB → XICS), so its messages are PHB-window writes. */
export function isPseries(analysis: MachineAnalysis): boolean {
    return isSpaprRouted(analysis.model);
}

export function phbOf(analysis: MachineAnalysis, node: Ast.Phb | undefined): Phb | undefined {
    const id = idOf(analysis, node);
    return id ? modelTables(analysis).phbs.get(id) : undefined;
}

/** The trace of one source (device vector, or a KVM_SIGNAL_MSI), unless it is suspect. */
export function traceOfSource(analysis: MachineAnalysis, source: Pick<SourceRef, 'device' | 'kind' | 'index'>): RouteTrace | undefined {
    const list = source.kind === 'signal' ? analysis.tracesBySourceElement.get(source.device) : modelTables(analysis).tracesByDevice.get(source.device);
    const t = list?.find(x => x.source.kind === source.kind && x.source.index === source.index);
    return t && !isSuspectTrace(analysis, t) ? t : undefined;
}

/**
 * The traces of the MSI-X entries of a device that the file does not list: on pseries, the ones firmware
 * programmed from the `irq base` allocation (their source element is the MSI-X capability).
 */
export function firmwareTraces(analysis: MachineAnalysis, node: Ast.Device): RouteTrace[] {
    const device = deviceOf(analysis, node);
    if (!device?.msix || !device.irqAllocation || isSuspect(analysis, device.irqAllocation.id)) return [];
    return (analysis.tracesBySourceElement.get(device.msix.id) ?? []).filter(t => !isSuspectTrace(analysis, t));
}

/** The KVM part of an outcome (for a held vector, of where it goes once unmasked). */
export function kvmOf(outcome: Outcome): KvmVia | undefined {
    if (outcome.kind === 'delivered') return outcome.kvm;
    if (outcome.kind === 'pending') return outcome.kvm ?? (outcome.whenUnmasked ? kvmOf(outcome.whenUnmasked) : undefined);
    return undefined;
}

/** The trace of the vector an irqfd carries, when this irqfd is the one the vector uses (the first bound to it). */
export function irqfdTrace(analysis: MachineAnalysis, node: Ast.KvmIrqfd): RouteTrace | undefined {
    const id = idOf(analysis, node);
    if (!id || isSuspect(analysis, id)) return undefined;
    const irqfd = analysis.model.kvm.irqfds?.find(f => f.id === id);
    if (!irqfd || irqfdsOf(analysis.model, irqfd.source)[0]?.id !== id) return undefined;
    return traceOfSource(analysis, irqfd.source);
}

/** The traces that went through a KVM GSI route (irqfds on its GSI that KVM resolved to this entry). */
export function routeTraces(analysis: MachineAnalysis, node: Ast.KvmRoute): RouteTrace[] {
    const id = idOf(analysis, node);
    if (!id || isSuspect(analysis, id)) return [];
    // Looked up in a table built once per analysis: a routing table of thousands of GSIs asks for each.
    return (modelTables(analysis).tracesByRoute.get(id) ?? []).filter(t => !isSuspectTrace(analysis, t));
}

/** The trace of a KVM_SIGNAL_MSI injection. */
export function signalTrace(analysis: MachineAnalysis, node: Ast.KvmSignal): RouteTrace | undefined {
    const id = idOf(analysis, node);
    if (!id || isSuspect(analysis, id)) return undefined;
    const trace = analysis.tracesBySourceElement.get(id)?.[0];
    return trace && !isSuspectTrace(analysis, trace) ? trace : undefined;
}
