/**
 * From an AST node to what the analysis knows about it: the machine analysis it belongs to, its element id,
 * the model element, the traces of an interrupt source. Lookups only; nothing is computed here that the
 * analysis or the engine does not already hold.
 *
 * Every function tolerates a half-built AST: a node without a machine, an id the lowering skipped (a
 * duplicate, an index out of range) or an unresolved reference gives `undefined`, never an exception.
 */
import type { AstNode } from 'langium';
import type { Device, ElementId, Iommu, IrteSlot, RouteTrace } from '../../language/engine/index.js';
import type { IrqServices, MachineAnalysis } from '../../language/index.js';
import type * as Ast from '../../language/generated/ast.js';

export interface ModelTables {
    devices: Map<ElementId, Device>;
    iommus: Map<ElementId, Iommu>;
    /** Every trace of a device, in the order the engine listed them. */
    tracesByDevice: Map<ElementId, RouteTrace[]>;
}

const tables = new WeakMap<MachineAnalysis, ModelTables>();

/** Id → model element maps of one analysis, built once (code lenses and hints ask for every device). */
export function modelTables(analysis: MachineAnalysis): ModelTables {
    let t = tables.get(analysis);
    if (!t) {
        const tracesByDevice = new Map<ElementId, RouteTrace[]>();
        for (const trace of analysis.report.traces) {
            const list = tracesByDevice.get(trace.source.device);
            if (list) list.push(trace); else tracesByDevice.set(trace.source.device, [trace]);
        }
        t = {
            devices: new Map(analysis.model.devices.map(d => [d.id, d])),
            iommus: new Map(analysis.model.iommus.map(i => [i.id, i])),
            tracesByDevice,
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
    return traces.filter(t => t.sourceElement === id);
}

/** The traces of every source of a device, in the engine's order (suspect sources included: see isSuspect). */
export function allDeviceTraces(analysis: MachineAnalysis, node: Ast.Device): RouteTrace[] {
    const id = idOf(analysis, node);
    return id ? modelTables(analysis).tracesByDevice.get(id) ?? [] : [];
}

/** The traces of every source of a device that is not suspect. */
export function deviceTraces(analysis: MachineAnalysis, node: Ast.Device): RouteTrace[] {
    return allDeviceTraces(analysis, node).filter(t => !isSuspect(analysis, t.sourceElement));
}

/** The device node that holds a message store (MSI capability, MSI-X table or entry, IMS store or slot). */
export function enclosingDevice(node: AstNode | undefined): Ast.Device | undefined {
    let cur: AstNode | undefined = node;
    while (cur && cur.$type !== 'Device') cur = cur.$container;
    return cur as Ast.Device | undefined;
}
