/**
 * Field widths of every NUMBER the language accepts, per AST node type and property. Validation reports a
 * literal wider than its field; the lowering masks it (and keeps the element out of routing diagnostics).
 */
import type { AstNode } from 'langium';
import { bitLength } from './number-literal.js';

export interface FieldWidth {
    bits: number;
    /** How the message names the field: 'The MSI address'. */
    label: string;
}

export const fieldWidth = (bits: number, label: string): FieldWidth => ({ bits, label });
const f = fieldWidth;

const IRTE_FIELDS: Record<string, FieldWidth> = {
    vector: f(8, 'The IRTE vector'),
    dest: f(32, 'The IRTE destination ID'),
    descriptor: f(64, 'The posted-descriptor address'),
    avail: f(4, 'The IRTE AVAIL field'),
};

export const FIELD_WIDTHS: Record<string, Record<string, FieldWidth>> = {
    CpuRange: { first: f(32, 'A CPU index'), last: f(32, 'A CPU index'), server: f(32, 'An interrupt server number'), step: f(32, 'The server step') },
    CpuDecl: { index: f(32, 'A CPU index'), apicId: f(32, 'An APIC ID'), logicalId: f(8, 'An xAPIC logical ID'), server: f(32, 'An interrupt server number') },
    Iommu: { tableSize: f(32, 'The IRTE table size') },
    Irte: { index: f(16, 'An IRTE index'), lo: f(64, 'The IRTE low half (bits 63:0)'), hi: f(64, 'The IRTE high half (bits 127:64)'), ...IRTE_FIELDS },
    UpdateEvent: IRTE_FIELDS,
    SidRaw: { value: f(16, 'A source-id') },
    SidBusRange: { start: f(8, 'A bus number'), end: f(8, 'A bus number') },
    Bus: { number: f(8, 'A bus number'), segment: f(16, 'A PCI segment') },
    Msi: {
        vectors: f(32, 'The MSI vector count'), capable: f(32, 'The MSI vector count'), address: f(64, 'The MSI address'),
        data: f(32, 'The MSI data'), masked: f(32, 'The MSI mask bits'), pending: f(32, 'The MSI pending bits'),
    },
    Msix: { tableSize: f(32, 'The MSI-X table size') },
    Ims: { size: f(32, 'The IMS size') },
    MessageEntry: { index: f(32, 'An entry index'), address: f(64, 'A message address'), data: f(32, 'A message data word') },
    IrqAllocation: {
        base: f(32, 'An IRQ number'), count: f(32, 'An IRQ count'), slot: f(32, 'An msi_table slot'),
        server: f(32, 'An interrupt server number'), priority: f(8, 'An XICS priority'),
    },
    // The Table / PBA Offset registers are 32 bits (bits 2:0 are the BIR, which has 3 bits).
    Vfio: {
        msixBar: f(3, 'A BAR indicator (BIR)'), pbaBar: f(3, 'A BAR indicator (BIR)'),
        tableOffset: f(32, 'The MSI-X Table Offset'), pbaOffset: f(32, 'The MSI-X PBA Offset'),
        barSize: f(64, 'A BAR size'), pageSize: f(32, 'The host page size'),
    },
    Phb: { msiWindow: f(64, 'The MSI window address'), msiWindowSize: f(64, 'The MSI window size'), maxDevs: f(32, 'The msi_table size') },
    Xics: { first: f(32, 'An IRQ number'), last: f(32, 'An IRQ number'), server: f(32, 'An interrupt server number'), priority: f(8, 'An XICS priority') },
    XicsSource: { irq: f(32, 'An IRQ number'), server: f(32, 'An interrupt server number'), priority: f(8, 'An XICS priority') },
    Kvm: { maxRoutes: f(32, 'The route limit') },
    KvmRoute: {
        gsi: f(32, 'A GSI'), address: f(64, 'A message address'), data: f(32, 'A message data word'), devid: f(32, 'A device id'),
        pin: f(32, 'An irqchip pin'),
    },
    KvmIrqfd: { gsi: f(32, 'A GSI') },
    KvmSignal: { address: f(64, 'A message address'), data: f(32, 'A message data word'), devid: f(32, 'A device id') },
    WriteEvent: { address: f(64, 'A message address'), data: f(32, 'A message data word') },
};

/** True when some NUMBER property of the node is wider than its field. */
export function hasTooWideLiteral(node: AstNode): boolean {
    const fields = FIELD_WIDTHS[node.$type];
    if (!fields) return false;
    const record = node as unknown as Record<string, unknown>;
    for (const [property, width] of Object.entries(fields)) {
        const value = record[property];
        if (typeof value === 'bigint' && bitLength(value) > width.bits) return true;
    }
    return false;
}
