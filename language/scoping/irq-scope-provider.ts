/**
 * Scope provider for `.irq` files: every cross-reference is resolved with a map lookup in a table built once
 * per container (see symbol-tables.ts), so linking stays linear in the size of the file.
 *
 * What each reference sees:
 * - `bus … behind X`, `bus … on X`, `bridge … to X`: IOMMUs / PHBs / buses of the enclosing machine.
 * - `nic.msix[0]`: `nic` among the devices of the machine (the enclosing one, or the scenario's `on`
 *   machine), then `0` among the entries of that device's MSI-X table (`msi` → the MSI capability for
 *   every vector below its vector count; `ims` → the IMS slots). On pseries an MSI-X entry that the file
 *   does not list but firmware programmed (below the `irq base` count) resolves to the allocation.
 * - `update dmar0.irte 5`: `dmar0` among the scenario machine's IOMMUs, `5` among its IRTEs, or, for an
 *   index inside the table that the file does not declare, the IOMMU itself (the entry reads as zeros).
 * - `scenario … on q35`: machines of the same file first, then machines exported by other documents.
 */
import {
    AstUtils, EMPTY_SCOPE, EMPTY_STREAM, MapScope, stream,
    type AstNode, type AstNodeDescription, type AstNodeDescriptionProvider,
    type IndexManager, type LangiumCoreServices, type ReferenceInfo, type Scope, type ScopeProvider, type Stream,
} from 'langium';
import {
    isIrqFile, isMachine, isScenario, isUpdateEvent, isVectorRef, Machine,
    type IrqFile, type Scenario, type VectorRef, type UpdateEvent,
} from '../generated/ast.js';
import { entriesByIndex, fileMachines, irtesByIndex, irteTableSize, machineSymbols, msiVectors, msixTargets } from './symbol-tables.js';

/** A scope over a ready-made name → node map; descriptions are created only for the names looked up. */
export class NodeMapScope implements Scope {
    constructor(
        protected readonly nodes: ReadonlyMap<string, AstNode>,
        protected readonly describe: (node: AstNode, name: string) => AstNodeDescription,
        protected readonly outer: Scope = EMPTY_SCOPE,
    ) { }

    getElement(name: string): AstNodeDescription | undefined {
        const node = this.nodes.get(name);
        return node ? this.describe(node, name) : this.outer.getElement(name);
    }

    getElements(name: string): Stream<AstNodeDescription> {
        const node = this.nodes.get(name);
        return node ? stream([this.describe(node, name)]) : this.outer.getElements(name);
    }

    getAllElements(): Stream<AstNodeDescription> {
        return stream(this.nodes).map(([name, node]) => this.describe(node, name)).concat(this.outer.getAllElements());
    }
}

/**
 * Decimal index names below `entries`, each resolving to the description `describe` gives it; lists nothing
 * (completion offers the declared IRTEs, not 65,536 numbers).
 */
class IndexInTableScope implements Scope {
    constructor(private readonly entries: number, private readonly describe: (name: string) => AstNodeDescription) { }

    getElement(name: string): AstNodeDescription | undefined {
        return /^[0-9]+$/.test(name) && Number(name) < this.entries ? this.describe(name) : undefined;
    }

    getElements(name: string): Stream<AstNodeDescription> {
        const d = this.getElement(name);
        return d ? stream([d]) : EMPTY_STREAM;
    }

    getAllElements(): Stream<AstNodeDescription> {
        return EMPTY_STREAM;
    }
}

export class IrqScopeProvider implements ScopeProvider {
    protected readonly descriptions: AstNodeDescriptionProvider;
    protected readonly indexManager: IndexManager;
    /** One description per (node, name): a node referenced from many places is described once. */
    private readonly described = new WeakMap<AstNode, Map<string, AstNodeDescription>>();

    constructor(services: LangiumCoreServices) {
        this.descriptions = services.workspace.AstNodeDescriptionProvider;
        this.indexManager = services.shared.workspace.IndexManager;
    }

    getScope(context: ReferenceInfo): Scope {
        const { container, property } = context;
        switch (container.$type) {
            case 'Bus': {
                const machine = enclosingMachine(container);
                if (!machine) return EMPTY_SCOPE;
                const t = machineSymbols(machine);
                return this.scopeOf(property === 'phb' ? t.phbs : t.iommus);
            }
            case 'Bridge': {
                const machine = enclosingMachine(container);
                return machine ? this.scopeOf(machineSymbols(machine).buses) : EMPTY_SCOPE;
            }
            case 'VectorRef':
                return isVectorRef(container) ? this.vectorRefScope(container, property) : EMPTY_SCOPE;
            case 'UpdateEvent':
                return isUpdateEvent(container) ? this.updateEventScope(container, property) : EMPTY_SCOPE;
            case 'Scenario':
                return isScenario(container) ? this.machineScope(container) : EMPTY_SCOPE;
            // `invalidate dmar0.iec`, `function-mask nic on`, `enable nic.msix`, `disable nic.msi`: a name in the
            // scenario's machine.
            case 'InvalidateEvent': {
                const machine = machineInContext(container);
                return machine ? this.scopeOf(machineSymbols(machine).iommus) : EMPTY_SCOPE;
            }
            case 'FunctionMaskEvent':
            case 'EnableEvent':
            case 'DisableEvent': {
                const machine = machineInContext(container);
                return machine ? this.scopeOf(machineSymbols(machine).devices) : EMPTY_SCOPE;
            }
            default:
                return EMPTY_SCOPE;
        }
    }

    protected vectorRefScope(ref: VectorRef, property: string): Scope {
        if (property === 'device') {
            const machine = machineInContext(ref);
            return machine ? this.scopeOf(machineSymbols(machine).devices) : EMPTY_SCOPE;
        }
        // property === 'entry': needs the device first (resolving it lazily is fine: it does not depend on us).
        const device = ref.device?.ref;
        if (!device) return EMPTY_SCOPE;
        switch (ref.kind) {
            case 'msix': {
                if (!device.msix) return EMPTY_SCOPE;
                // pseries: entries the file does not list but firmware programmed from the `irq base`.
                const pseries = device.irq && machineArch(AstUtils.getContainerOfType(device, isMachine)) === 'ppc64';
                return this.scopeOf(pseries ? msixTargets(device) : entriesByIndex(device.msix));
            }
            case 'ims': return device.ims ? this.scopeOf(entriesByIndex(device.ims)) : EMPTY_SCOPE;
            case 'msi': return device.msi ? this.scopeOf(msiVectors(device.msi)) : EMPTY_SCOPE;
            default: return EMPTY_SCOPE;
        }
    }

    protected updateEventScope(event: UpdateEvent, property: string): Scope {
        if (property === 'iommu') {
            const machine = machineInContext(event);
            return machine ? this.scopeOf(machineSymbols(machine).iommus) : EMPTY_SCOPE;
        }
        const iommu = event.iommu?.ref;
        if (!iommu) return EMPTY_SCOPE;
        // A declared `irte N`, or any other index inside the table: the IOMMU stands for the entry the file
        // does not declare (IrteTarget in the grammar); an index past the table does not resolve.
        const entries = irteTableSize(iommu);
        const undeclared = new IndexInTableScope(entries, (name) => this.describe(iommu, name));
        return new NodeMapScope(irtesByIndex(iommu), (node, name) => this.describe(node, name), undeclared);
    }

    protected machineScope(scenario: Scenario): Scope {
        const file = AstUtils.findRootNode(scenario);
        const local = isIrqFile(file) ? fileMachines(file as IrqFile) : new Map<string, Machine>();
        // Other documents' machines (the default export of a document is its top-level named nodes).
        const global = new MapScope(this.indexManager.allElements(Machine.$type));
        return new NodeMapScope(local, (node, name) => this.describe(node, name), global);
    }

    protected scopeOf(nodes: ReadonlyMap<string, AstNode>): Scope {
        return new NodeMapScope(nodes, (node, name) => this.describe(node, name));
    }

    protected describe(node: AstNode, name: string): AstNodeDescription {
        let byName = this.described.get(node);
        if (!byName) this.described.set(node, byName = new Map());
        let d = byName.get(name);
        if (!d) byName.set(name, d = this.descriptions.createDescription(node, name));
        return d;
    }
}

function machineArch(machine: Machine | undefined): string {
    return machine?.members?.find(m => m.$type === 'ArchDecl')?.arch ?? 'x86_64';
}

function enclosingMachine(node: AstNode): Machine | undefined {
    return AstUtils.getContainerOfType(node, isMachine);
}

/** The machine a reference is resolved in: the enclosing machine, or the machine a scenario runs `on`. */
function machineInContext(node: AstNode): Machine | undefined {
    const machine = enclosingMachine(node);
    if (machine) return machine;
    const scenario = AstUtils.getContainerOfType(node, isScenario);
    return scenario?.machine?.ref;
}
