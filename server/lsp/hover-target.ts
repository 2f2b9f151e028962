/**
 * What the cursor is on, in terms of the value's role: an MSI address, a data word, an IRTE (raw half or
 * any part of a field-form entry), a BDF, an interrupt source (an MSI-X / IMS entry, an MSI capability), a
 * reference to a vector or to an IRTE, a KVM GSI, an irqfd or KVM_SIGNAL_MSI, a pseries IRQ allocation, a
 * VFIO assignment.
 *
 * The role comes from the AST property the token is assigned to (`address=NUMBER` in a MessageEntry is an
 * MSI address, `lo=NUMBER` in an Irte is IRTE bits 63:0), never from the token's text.
 */
import { CstUtils, GrammarUtils, type AstNode, type CstNode, type LeafCstNode } from 'langium';
import type * as Ast from '../../language/generated/ast.js';

/** Nodes that hold an MSI address / data pair. */
export type MessageHolder = Ast.MessageEntry | Ast.Msi | Ast.KvmRoute | Ast.WriteEvent | Ast.KvmSignal;

export type HoverTarget =
    | { kind: 'address'; holder: MessageHolder; cst: CstNode }
    | { kind: 'data'; holder: MessageHolder; cst: CstNode }
    | { kind: 'irte'; irte: Ast.Irte; cst: CstNode }
    | { kind: 'bdf'; holder: Ast.Device | Ast.Bridge | Ast.SidBdf; cst: CstNode }
    | { kind: 'source'; node: Ast.MessageEntry | Ast.Msi; cst: CstNode }
    | { kind: 'vector-ref'; ref: Ast.VectorRef; cst: CstNode }
    | { kind: 'irte-ref'; event: Ast.UpdateEvent; cst: CstNode }
    | { kind: 'gsi'; holder: Ast.KvmRoute | Ast.KvmIrqfd; cst: CstNode }
    | { kind: 'irqfd'; irqfd: Ast.KvmIrqfd; cst: CstNode }
    | { kind: 'signal'; signal: Ast.KvmSignal; cst: CstNode }
    | { kind: 'allocation'; allocation: Ast.IrqAllocation; cst: CstNode }
    | { kind: 'vfio'; vfio: Ast.Vfio; cst: CstNode };

const MESSAGE_HOLDERS = new Set(['MessageEntry', 'Msi', 'KvmRoute', 'WriteEvent', 'KvmSignal']);

/** The visible token at `offset`, or the one that ends there (a cursor right after `0x41`). */
export function leafAt(root: CstNode | undefined, offset: number): LeafCstNode | undefined {
    if (!root) return undefined;
    const at = CstUtils.findLeafNodeAtOffset(root, offset);
    if (at && !at.hidden && offset >= at.offset && offset < at.end) return at;
    if (offset > 0) {
        const before = CstUtils.findLeafNodeAtOffset(root, offset - 1);
        if (before && !before.hidden && offset === before.end) return before;
    }
    return undefined;
}

/** The AST property the token is assigned to (`address`, `lo`, `entry` ...), if any. */
export function propertyOf(leaf: CstNode): string | undefined {
    return GrammarUtils.findAssignment(leaf)?.feature;
}

export function hoverTarget(leaf: LeafCstNode): HoverTarget | undefined {
    const node: AstNode = leaf.astNode;
    const property = propertyOf(leaf);
    switch (node.$type) {
        case 'VectorRef': {
            // `nic` alone is a device reference: the device's own hover (its summary) is more useful there.
            if (property === 'device') return undefined;
            return { kind: 'vector-ref', ref: node as Ast.VectorRef, cst: node.$cstNode ?? leaf };
        }
        case 'Irte':
            return { kind: 'irte', irte: node as Ast.Irte, cst: leaf };
        case 'SidRaw': case 'SidBusRange':
            // Part of an IRTE's source-id: the IRTE decode shows SID, SQ and SVT together.
            return node.$container?.$type === 'Irte' ? { kind: 'irte', irte: node.$container as Ast.Irte, cst: leaf } : undefined;
        case 'SidBdf':
            return { kind: 'bdf', holder: node as Ast.SidBdf, cst: leaf };
        case 'Device': case 'Bridge':
            return property === 'bdf' ? { kind: 'bdf', holder: node as Ast.Device | Ast.Bridge, cst: leaf } : undefined;
        case 'UpdateEvent':
            return property === 'irte' ? { kind: 'irte-ref', event: node as Ast.UpdateEvent, cst: leaf } : undefined;
        case 'KvmIrqfd':
            // `gsi 24` is the GSI; the rest of the line (`irqfd`, `resample`) is the binding: its trace.
            return property === 'gsi' ? { kind: 'gsi', holder: node as Ast.KvmIrqfd, cst: leaf } : { kind: 'irqfd', irqfd: node as Ast.KvmIrqfd, cst: leaf };
        case 'IrqAllocation':
            return { kind: 'allocation', allocation: node as Ast.IrqAllocation, cst: leaf };
        case 'Vfio':
            return { kind: 'vfio', vfio: node as Ast.Vfio, cst: leaf };
        default:
            break;
    }
    if (MESSAGE_HOLDERS.has(node.$type)) {
        const holder = node as MessageHolder;
        if (property === 'address') return { kind: 'address', holder, cst: leaf };
        if (property === 'data') return { kind: 'data', holder, cst: leaf };
        if (holder.$type === 'MessageEntry' || holder.$type === 'Msi') return { kind: 'source', node: holder, cst: leaf };
        // A route's other parts (`route gsi 24 msi`, `irqchip ioapic pin 5`): what the GSI is.
        if (holder.$type === 'KvmRoute') return { kind: 'gsi', holder, cst: leaf };
        if (holder.$type === 'KvmSignal') return { kind: 'signal', signal: holder, cst: leaf };
    }
    return undefined;
}
