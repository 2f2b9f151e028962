/**
 * Every finding code the engine reports, with its severity, a title and a description. This table is the
 * single source for the README's diagnostic list, the language server and the CLI: no view invents a code.
 */
import type { Finding, Severity } from './trace.js';

export interface DiagnosticCodeInfo {
    severity: Severity;
    title: string;
    description: string;
}

const vtd = (reason: number, name: string, title: string, description: string): DiagnosticCodeInfo => ({
    severity: 'error',
    title: `VT-d fault 0x${reason.toString(16)} ${name}: ${title}`,
    description,
});

export const DIAGNOSTIC_CODES = {
    'vtd-fault-0x20': vtd(0x20, 'IR_REQ_RSVD', 'reserved field in the request', 'A remappable interrupt request sets a reserved field: address bits 63:32, or data[31:16] with SHV=1 (ROUTING.md §2.6 steps 1, 4).'),
    'vtd-fault-0x21': vtd(0x21, 'IR_INDEX_OVER', 'index beyond the table', 'handle (+ subhandle) is not below the 2^(S+1) entries of the interrupt remapping table (§2.6 step 5). QEMU wraps the index at 16 bits instead.'),
    'vtd-fault-0x22': vtd(0x22, 'IR_ENTRY_P', 'IRTE not present', 'The IRTE the request selects has P=0 (never programmed, or cleared) (§2.6 step 7).'),
    'vtd-fault-0x23': vtd(0x23, 'IR_ROOT_INVAL', 'IRTE read failed', 'The IRTE could not be read: the table address runs past the host address width (§2.6 step 6).'),
    'vtd-fault-0x24': vtd(0x24, 'IR_IRTE_RSVD', 'reserved field in the IRTE', 'A present IRTE sets reserved bits: 14:12, 31:24, 127:84; 39:32 and 63:48 with EIM off; SVT=11; IM=1 without posted-interrupt support (§2.6 step 8). QEMU checks only the first three ranges.'),
    'vtd-fault-0x25': vtd(0x25, 'IR_REQ_COMPAT', 'compatibility-format interrupt blocked', 'A compatibility-format message arrives while EIM is on or CFI is off (§2.6 step 3). QEMU never blocks it.'),
    'vtd-fault-0x26': vtd(0x26, 'IR_SID_ERR', 'source-id check failed', "The request's requester id does not pass the IRTE's SVT/SQ/SID check (§2.5, §2.6 step 9). QEMU reads an SVT=10 bus range reversed."),
    'x86-not-interrupt-address': {
        severity: 'error',
        title: 'not an interrupt address',
        description: 'The message address is outside the 0xFEE0_0000..0xFEEF_FFFF interrupt window: the write is an ordinary memory write and raises no interrupt (ROUTING.md §1.1).',
    },
    'x86-remappable-without-ir': {
        severity: 'error',
        title: 'remappable format without interrupt remapping',
        description: 'The message uses the VT-d remappable format (address bit 4) but no IOMMU with remapping enabled translates the device, so no interrupt is delivered (§1.1, §2.1).',
    },
    'kvm-msi-route-invalid': {
        severity: 'error',
        title: 'KVM refuses the MSI route',
        description: 'With the KVM x2APIC API, address_hi[7:0] must be 0; KVM rejects the route (kvm_msi_route_invalid, §1.3).',
    },
    'x86-dest-unreachable': {
        severity: 'error',
        title: 'destination matches no CPU',
        description: 'No local APIC matches the destination (physical APIC ID, logical ID, or broadcast), or every matching APIC is software-disabled (§1.5).',
    },
    'x86-dest-needs-x2apic': {
        severity: 'warning',
        title: 'APIC ID above 0xFF needs x2APIC',
        description: 'An APIC ID above 255 cannot be expressed in xAPIC mode; KVM reaches such a CPU only through its hotplug hack (§1.5). Put the CPU (or the machine) in x2APIC mode.',
    },
    'x86-dest-apic-disabled': {
        severity: 'warning',
        title: 'destination APIC software-disabled',
        description: 'A matching local APIC is software-disabled and drops fixed / lowest-priority interrupts (KVM __apic_accept_irq).',
    },
    'x86-illegal-vector': {
        severity: 'error',
        title: 'illegal vector',
        description: 'Vectors 0x00-0x0F are illegal for fixed and lowest-priority delivery (§1.2).',
    },
    'x86-reserved-delivery-mode': {
        severity: 'error',
        title: 'reserved delivery mode',
        description: 'Delivery modes 3 (011b) and 6 (110b) are reserved; KVM drops 3 and passes 6 through as STARTUP (§1.2, §10.8).',
    },
    'x86-lowest-priority': {
        severity: 'info',
        title: 'lowest-priority delivery',
        description: 'The message is delivered to one CPU of a candidate set (delivery mode 1, or RH=1 under KVM); which one is implementation-defined (§1.5).',
    },
    'vtd-irte-dest-needs-eim': {
        severity: 'error',
        title: 'IRTE destination needs EIM',
        description: 'With EIM off an IRTE holds an 8-bit destination in bits 47:40; this entry has destination bits outside it (an APIC ID above 0xFF, or x2APIC layout). The spec faults 0x24; QEMU silently truncates.',
    },
    'vtd-posted-unsupported': {
        severity: 'error',
        title: 'posted IRTE without posted-interrupt support',
        description: 'The IRTE has IM=1 (posted format) but the IOMMU does not support posted interrupts: the spec faults 0x24; QEMU reads the entry as remapped.',
    },
    'vtd-irte-out-of-table': {
        severity: 'error',
        title: 'IRTE beyond the table size',
        description: 'The IRTE index is not below the 2^(S+1) entries of the table, so no request can use it.',
    },
    'vtd-irte-unused': {
        severity: 'hint',
        title: 'IRTE not used',
        description: 'A present IRTE that no interrupt source in this machine selects (IOAPIC entries are not modelled).',
    },
    'msi-data-unaligned': {
        severity: 'warning',
        title: 'MSI base data not aligned to the vector count',
        description: 'With 2^MME vectors the device replaces the low MME bits of the data; the base data must have them clear (§7).',
    },
    'msi-byte-swapped': {
        severity: 'warning',
        title: 'value looks byte-swapped',
        description: 'The value is not a plausible interrupt message, but it is one with its bytes reversed: the register was probably written in the wrong byte order.',
    },
    'msi-vector-count': {
        severity: 'error',
        title: 'invalid MSI vector count',
        description: 'MMC and MME encode log2 of the vector count: at most 5 (32 vectors), and MME may not exceed MMC (§7).',
    },
    'msi-vector-out-of-range': {
        severity: 'error',
        title: 'MSI vector not enabled',
        description: 'The MSI vector index is not below the 2^MME enabled vectors.',
    },
    'msix-entry-out-of-range': {
        severity: 'error',
        title: 'MSI-X entry beyond the table size',
        description: 'The MSI-X entry index is not below the table size (Message Control bits 10:0 + 1) (§7).',
    },
    'msix-table-size': {
        severity: 'error',
        title: 'invalid MSI-X table size',
        description: 'An MSI-X table holds 1 to 2048 entries (§7).',
    },
    'ims-entry-out-of-range': {
        severity: 'error',
        title: 'IMS entry beyond the store size',
        description: 'The IMS entry index is not below the size of the interrupt message store.',
    },
    'apic-id-duplicate': {
        severity: 'error',
        title: 'duplicate APIC ID',
        description: 'Two CPUs have the same local APIC ID; interrupts for that ID reach both.',
    },
    'route-unsupported-arch': {
        severity: 'info',
        title: 'routing not modelled for this architecture',
        description: 'The route tracer follows x86 machines (host bridge, VT-d, local APICs); sPAPR, ITS and IMSIC have decoders but no machine model yet.',
    },
} satisfies Record<string, DiagnosticCodeInfo>;

export type DiagnosticCode = keyof typeof DIAGNOSTIC_CODES;

/** Builds a finding with the severity the table gives its code. */
export function makeFinding(
    code: DiagnosticCode,
    message: string,
    element: Finding['element'],
    related: Finding['related'] = [],
    data?: Record<string, unknown>,
): Finding {
    const f: Finding = { code, severity: DIAGNOSTIC_CODES[code].severity, message, element, related };
    if (data) f.data = data;
    return f;
}

export function vtdFaultCode(reason: number): DiagnosticCode {
    return `vtd-fault-0x${reason.toString(16)}` as DiagnosticCode;
}
