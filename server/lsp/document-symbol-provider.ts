/**
 * The outline: machines → CPUs, IOMMUs → IRTEs, PHBs, XICS → sources, buses → bridges and devices → MSI /
 * MSI-X / IMS → entries, IRQ allocation, VFIO; KVM → routes, irqfds, signals; and scenarios → events.
 *
 * Langium's default names symbols after a `name` property, which would leave out every IRTE and entry (they
 * are numbered, not named) and list settings nobody navigates to. Here each element gets the label the
 * user wrote (`irte 5`, `entry 0`, `msix table 4`, `cpus 0..11`), a kind that suits it, and its header as the
 * selection range. Half-typed elements still get a (non-empty) label: VS Code rejects empty symbol names.
 */
import { GrammarUtils, type AstNode, type LangiumDocument } from 'langium';
import type { DocumentSymbolProvider } from 'langium/lsp';
import { SymbolKind, type DocumentSymbol, type DocumentSymbolParams } from 'vscode-languageserver';
import type * as Ast from '../../language/generated/ast.js';
import { headerRange } from './cst-positions.js';

/** The text of a property as written (`0x5` stays `0x5`), or '?' while it is missing. */
function written(node: AstNode, property: string): string {
    return GrammarUtils.findNodeForProperty(node.$cstNode, property)?.text ?? '?';
}

interface SymbolShape {
    name: string;
    kind: SymbolKind;
    detail?: string;
    /** Keyword and property spanning the selection range. */
    header: [keyword: string | undefined, property: string | undefined];
    children?: readonly AstNode[];
}

function shapeOf(node: AstNode): SymbolShape | undefined {
    switch (node.$type) {
        case 'Machine': {
            const n = node as Ast.Machine;
            return { name: n.name || 'machine', kind: SymbolKind.Namespace, header: ['machine', 'name'], children: n.members };
        }
        case 'CpuRange':
            return { name: `cpus ${written(node, 'first')}..${written(node, 'last')}`, kind: SymbolKind.Variable, header: ['cpus', 'last'] };
        case 'CpuDecl': {
            const n = node as Ast.CpuDecl;
            return {
                name: `cpu ${written(node, 'index')}`, kind: SymbolKind.Variable, header: ['cpu', 'index'],
                detail: n.apicId !== undefined ? `apic ${written(node, 'apicId')}` : undefined,
            };
        }
        case 'Iommu': {
            const n = node as Ast.Iommu;
            return { name: n.name || 'iommu', kind: SymbolKind.Module, detail: n.kind, header: ['iommu', 'name'], children: n.irtes };
        }
        case 'Irte': {
            const n = node as Ast.Irte;
            return {
                name: `irte ${written(node, 'index')}`, kind: SymbolKind.EnumMember, header: ['irte', 'index'],
                detail: n.raw ? 'raw' : n.posted ? 'posted' : undefined,
            };
        }
        case 'Bus': {
            const n = node as Ast.Bus;
            const detail = n.iommu ? `behind ${n.iommu.$refText}` : n.phb ? `on ${n.phb.$refText}` : undefined;
            return { name: n.name || 'bus', kind: SymbolKind.Package, detail, header: ['bus', 'name'], children: n.members };
        }
        case 'Bridge': {
            const n = node as Ast.Bridge;
            const detail = [n.bdf, n.kind, n.secondary ? `to ${n.secondary.$refText}` : undefined].filter(Boolean).join(' ');
            return { name: n.name || 'bridge', kind: SymbolKind.Interface, detail: detail || undefined, header: ['bridge', 'name'] };
        }
        case 'Device': {
            const n = node as Ast.Device;
            const detail = [n.bdf, n.model].filter(Boolean).join(' ');
            const children = [n.msi, n.msix, n.ims, n.irq, n.vfio].filter((c): c is Ast.Msi | Ast.Msix | Ast.Ims | Ast.IrqAllocation | Ast.Vfio => c !== undefined);
            return { name: n.name || 'device', kind: SymbolKind.Class, detail: detail || undefined, header: ['device', 'name'], children };
        }
        case 'Msi': {
            const n = node as Ast.Msi;
            return { name: 'msi', kind: SymbolKind.Array, detail: n.vectors !== undefined ? `vectors ${written(node, 'vectors')}` : undefined, header: ['msi', undefined] };
        }
        case 'Msix': {
            const n = node as Ast.Msix;
            return { name: `msix table ${written(node, 'tableSize')}`, kind: SymbolKind.Array, header: ['msix', 'tableSize'], children: n.entries };
        }
        case 'Ims': {
            const n = node as Ast.Ims;
            return { name: `ims ${written(node, 'size')}`, kind: SymbolKind.Array, header: ['ims', 'size'], children: n.entries, detail: n.unmaskable ? 'unmaskable' : undefined };
        }
        case 'IrqAllocation': {
            const n = node as Ast.IrqAllocation;
            return { name: `irq base ${written(node, 'base')}`, kind: SymbolKind.Constant, header: ['irq', 'base'], detail: n.count !== undefined ? `count ${written(node, 'count')}` : undefined };
        }
        case 'Vfio': {
            const n = node as Ast.Vfio;
            return { name: 'vfio', kind: SymbolKind.Property, header: ['vfio', undefined], detail: n.access };
        }
        case 'MessageEntry':
            return { name: `entry ${written(node, 'index')}`, kind: SymbolKind.EnumMember, header: ['entry', 'index'] };
        case 'Kvm': {
            const n = node as Ast.Kvm;
            // In the order written: routes, irqfds and signals may interleave.
            const children = [...(n.routes ?? []), ...(n.irqfds ?? []), ...(n.signals ?? [])]
                .sort((a, b) => (a.$cstNode?.offset ?? 0) - (b.$cstNode?.offset ?? 0));
            return { name: 'kvm', kind: SymbolKind.Object, header: ['kvm', undefined], children };
        }
        case 'KvmRoute': {
            const n = node as Ast.KvmRoute;
            const detail = n.kind === 'irqchip' ? `irqchip ${n.irqchip ?? '?'} pin ${written(node, 'pin')}` : n.kind;
            return { name: `route gsi ${written(node, 'gsi')}`, kind: SymbolKind.Event, header: ['route', 'gsi'], detail };
        }
        case 'KvmIrqfd':
            return { name: `irqfd ${written(node, 'source')}`, kind: SymbolKind.Event, header: ['irqfd', 'source'], detail: `gsi ${written(node, 'gsi')}` };
        case 'KvmSignal': {
            const n = node as Ast.KvmSignal;
            return { name: n.name ? `signal-msi ${n.name}` : 'signal-msi', kind: SymbolKind.Event, header: ['signal-msi', 'name'] };
        }
        case 'Phb': {
            const n = node as Ast.Phb;
            const detail = [n.model, n.msiWindow !== undefined ? `msi window ${written(node, 'msiWindow')}` : undefined].filter(Boolean).join(' ');
            return { name: n.name || 'phb', kind: SymbolKind.Module, header: ['phb', 'name'], detail: detail || undefined };
        }
        case 'Xics': {
            const n = node as Ast.Xics;
            return { name: `xics sources ${written(node, 'first')}..${written(node, 'last')}`, kind: SymbolKind.Constant, header: ['xics', 'last'], children: n.sources };
        }
        case 'XicsSource':
            return { name: `source ${written(node, 'irq')}`, kind: SymbolKind.EnumMember, header: ['source', 'irq'] };
        case 'Scenario': {
            const n = node as Ast.Scenario;
            return {
                name: n.name || 'scenario', kind: SymbolKind.Function, header: ['scenario', 'name'], children: n.events,
                detail: n.machine ? `on ${n.machine.$refText}` : undefined,
            };
        }
        case 'FireEvent': case 'MaskEvent': case 'UnmaskEvent': case 'WriteEvent': {
            const keyword = node.$type === 'FireEvent' ? 'fire' : node.$type === 'MaskEvent' ? 'mask' : node.$type === 'UnmaskEvent' ? 'unmask' : 'write';
            return { name: `${keyword} ${written(node, 'source')}`, kind: SymbolKind.Event, header: [keyword, 'source'] };
        }
        case 'UpdateEvent': {
            const n = node as Ast.UpdateEvent;
            return { name: `update ${n.iommu?.$refText ?? '?'}.irte ${written(node, 'irte')}`, kind: SymbolKind.Event, header: ['update', 'irte'] };
        }
        default:
            return undefined;
    }
}

export class IrqDocumentSymbolProvider implements DocumentSymbolProvider {
    getSymbols(document: LangiumDocument, _params: DocumentSymbolParams): DocumentSymbol[] {
        const root = document.parseResult?.value as Ast.IrqFile | undefined;
        if (!root) return [];
        // Machines and scenarios in the order they appear in the file.
        const top = [...(root.machines ?? []), ...(root.scenarios ?? [])]
            .sort((a, b) => (a.$cstNode?.offset ?? 0) - (b.$cstNode?.offset ?? 0));
        return this.symbols(top);
    }

    protected symbols(nodes: readonly AstNode[] | undefined): DocumentSymbol[] {
        const out: DocumentSymbol[] = [];
        for (const node of nodes ?? []) {
            try {
                const s = this.symbol(node);
                if (s) out.push(s);
            } catch (err) {
                console.error('irq document symbol failed:', err);
            }
        }
        return out;
    }

    protected symbol(node: AstNode): DocumentSymbol | undefined {
        const shape = shapeOf(node);
        const cst = node.$cstNode;
        if (!shape || !cst) return undefined;
        const selectionRange = headerRange(node, shape.header[0], shape.header[1]) ?? cst.range;
        const symbol: DocumentSymbol = { name: shape.name, kind: shape.kind, range: cst.range, selectionRange };
        if (shape.detail) symbol.detail = shape.detail;
        const children = this.symbols(shape.children);
        if (children.length > 0) symbol.children = children;
        return symbol;
    }
}
