/**
 * The analysis every view of a document shares: each machine lowered to the engine model, checked by the
 * engine (one route trace per interrupt source), with the maps back to the source.
 *
 * Validation, hover, inlay hints, code lenses and the CLI all ask for it; it is computed once per
 * (document, parse, profile): the cache is keyed by the document's root AST node (a reparse creates a new
 * one) and checked against the text version, and a document that is re-linked drops its entry (links are
 * what the lowering follows). Lowering does not depend on the profile and is shared between profiles.
 */
import { DocumentState, type AstNode, type LangiumCoreServices, type LangiumDocument } from 'langium';
import type { ElementId, Profile } from '../engine/model.js';
import type { MachineReport, RouteTrace } from '../engine/trace.js';
import { checkMachine } from '../engine-api.js';
import { isIrqFile, isMachine, type IrqFile, type Machine } from '../generated/ast.js';
import { lowerMachine, type LoweredMachine } from '../lowering/lower-machine.js';
import type { IrqSettings } from '../settings.js';
import { syntaxErrorOffsets } from './syntax-errors.js';

/** Code of the finding that stands in for an engine exception. */
export const ENGINE_FAILURE = 'engine-failure';
/** Code of the problem that stands in for a lowering exception. */
export const LOWERING_FAILURE = 'lowering-failure';

export interface MachineAnalysis extends LoweredMachine {
    profile: Profile;
    /** The engine's report: every source's trace and every finding. */
    report: MachineReport;
    /** The trace of each source element (an MSI-X entry, an IMS slot; for MSI the capability's vector 0). */
    traceBySourceElement: Map<ElementId, RouteTrace>;
    /** Every trace of each source element (an MSI capability has one per enabled vector). */
    tracesBySourceElement: Map<ElementId, RouteTrace[]>;
}

export interface DocumentAnalysis {
    uri: string;
    version: number;
    profile: Profile;
    machines: MachineAnalysis[];
    /** The analysis of a machine node of this document. */
    machineOf(node: Machine): MachineAnalysis | undefined;
}

export interface IrqDocumentAnalyzer {
    /** Lowers and checks every machine of the document (cached). `profile` defaults to the setting. */
    analyze(document: LangiumDocument, profile?: Profile): DocumentAnalysis;
    /** Lowering only (no routing): cheap, shared by every profile. */
    lower(document: LangiumDocument): LoweredMachine[];
    /** The machine analysis that contains `node` (any node inside a machine block), if any. */
    analysisAt(node: AstNode, profile?: Profile): MachineAnalysis | undefined;
    /** The lowering (no routing) of the machine that contains `node`, if any. */
    loweredAt(node: AstNode): LoweredMachine | undefined;
}

interface CacheEntry {
    version: number;
    lowered: LoweredMachine[];
    byProfile: Map<Profile, DocumentAnalysis>;
}

export class DefaultIrqDocumentAnalyzer implements IrqDocumentAnalyzer {
    private readonly cache = new WeakMap<AstNode, CacheEntry>();
    private readonly settings: IrqSettings;

    constructor(services: LangiumCoreServices & { settings: IrqSettings }) {
        this.settings = services.settings;
        // Re-linking (a dependency changed) keeps the AST root but may change what references point to.
        services.shared.workspace.DocumentBuilder.onDocumentPhase(DocumentState.Linked, doc => {
            this.cache.delete(doc.parseResult.value);
        });
    }

    private entry(document: LangiumDocument): CacheEntry {
        const root = document.parseResult.value;
        const version = document.textDocument.version;
        let entry = this.cache.get(root);
        if (!entry || entry.version !== version) {
            const machines = isIrqFile(root) ? (root as IrqFile).machines ?? [] : [];
            const offsets = syntaxErrorOffsets(document);
            entry = { version, lowered: machines.map(m => safeLower(m, offsets)), byProfile: new Map() };
            this.cache.set(root, entry);
        }
        return entry;
    }

    lower(document: LangiumDocument): LoweredMachine[] {
        return this.entry(document).lowered;
    }

    analyze(document: LangiumDocument, profile: Profile = this.settings.profile): DocumentAnalysis {
        const entry = this.entry(document);
        let analysis = entry.byProfile.get(profile);
        if (!analysis) {
            const machines = entry.lowered.map(l => analyseMachine(l, profile));
            const byNode = new Map<Machine, MachineAnalysis>(machines.map(m => [m.node, m]));
            analysis = {
                uri: document.uri.toString(), version: entry.version, profile, machines,
                machineOf: node => byNode.get(node),
            };
            entry.byProfile.set(profile, analysis);
        }
        return analysis;
    }

    analysisAt(node: AstNode, profile?: Profile): MachineAnalysis | undefined {
        const found = machineAndDocument(node);
        return found ? this.analyze(found.document, profile).machineOf(found.machine) : undefined;
    }

    loweredAt(node: AstNode): LoweredMachine | undefined {
        const found = machineAndDocument(node);
        return found ? this.lower(found.document).find(l => l.node === found.machine) : undefined;
    }
}

function machineAndDocument(node: AstNode): { machine: Machine; document: LangiumDocument } | undefined {
    let cur: AstNode | undefined = node;
    while (cur && !isMachine(cur)) cur = cur.$container;
    if (!cur) return undefined;
    let root: AstNode = cur;
    while (root.$container) root = root.$container;
    return root.$document ? { machine: cur, document: root.$document } : undefined;
}

/** The lowering must not throw on any AST; if it ever does, the machine is analysed as empty. */
function safeLower(machine: Machine, offsets: number[]): LoweredMachine {
    try {
        return lowerMachine(machine, { syntaxErrorOffsets: offsets });
    } catch (e) {
        const copy = { ...machine, members: [] } as Machine;
        const lowered = lowerMachine(copy);
        const empty: LoweredMachine = { ...lowered, node: machine };
        empty.idToNode.set(empty.model.id, machine);
        empty.nodeToId.delete(copy);
        empty.nodeToId.set(machine, empty.model.id);
        empty.problems.push({
            code: LOWERING_FAILURE, node: machine,
            message: `Machine ${machine.name} could not be lowered to the routing model: ${e instanceof Error ? e.message : String(e)}. Please report this.`,
        });
        return empty;
    }
}

function analyseMachine(lowered: LoweredMachine, profile: Profile): MachineAnalysis {
    let report: MachineReport;
    try {
        report = checkMachine(lowered.model, { profile });
    } catch (e) {
        // An engine bug must not take the editor down with it: say so on the machine and carry on.
        report = {
            machine: lowered.model.id, traces: [],
            findings: [{
                code: ENGINE_FAILURE, severity: 'error', related: [], element: { id: lowered.model.id },
                message: `The routing engine failed on machine ${lowered.model.name}: ${e instanceof Error ? e.message : String(e)}. Please report this.`,
            }],
        };
    }
    const traceBySourceElement = new Map<ElementId, RouteTrace>();
    const tracesBySourceElement = new Map<ElementId, RouteTrace[]>();
    for (const trace of report.traces) {
        if (!traceBySourceElement.has(trace.sourceElement)) traceBySourceElement.set(trace.sourceElement, trace);
        const list = tracesBySourceElement.get(trace.sourceElement);
        if (list) list.push(trace); else tracesBySourceElement.set(trace.sourceElement, [trace]);
    }
    return { ...lowered, profile, report, traceBySourceElement, tracesBySourceElement };
}
