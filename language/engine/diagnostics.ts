/**
 * Every finding code the engine reports, with its severity, a title and a description. This table is the
 * single source for the README's diagnostic list, the language server and the CLI: no view invents a code.
 */
import type { Finding, Severity } from './trace.js';
import { SIM_DIAGNOSTIC_CODES } from './sim/codes.js';

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
    'msix-address-unaligned': {
        severity: 'warning',
        title: 'MSI-X Message Address not DWORD-aligned',
        description: 'Bits 1:0 of an MSI-X table entry\'s Message Address must be 0 (PCI Local Bus 3.0 §6.8.2.4); with them set the result is undefined.',
    },
    'msi-multi-without-shv': {
        severity: 'warning',
        title: 'multi-message MSI in remappable format without SHV',
        description: 'An MSI capability with several vectors sends a remappable-format address with SHV=0: VT-d ignores the data, so the vector number the device puts in its low bits selects nothing and every vector arrives through the same IRTE. Linux sets SHV=1 and allocates one IRTE per vector at handle + k (ROUTING.md §2.1).',
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
        description: 'The route tracer follows x86 machines (host bridge, VT-d, local APICs) and pseries machines with a PHB model (PHB MSI window, XICS); ITS and IMSIC have decoders but no machine model yet.',
    },

    // sPAPR (pseries): PHB MSI window decode and XICS (ROUTING.md §5)
    'spapr-no-phb': {
        severity: 'error',
        title: 'device not under a PHB',
        description: 'On a pseries machine MSIs are decoded by the PCI host bridge (PHB) the device sits under; this device\'s bus (and every bus above it) names no PHB, so its MSI writes decode nowhere (§5).',
    },
    'spapr-outside-msi-window': {
        severity: 'error',
        title: 'MSI address outside the PHB window',
        description: 'The message address is not inside the MSI window of the device\'s PHB (legacy: 32 slots of 64 KiB; current: one page); the write is an ordinary DMA write and raises no interrupt (§5.1, §5.2).',
    },
    'spapr-ndev-overflow': {
        severity: 'error',
        title: 'MSI slot past the PHB\'s msi_table',
        description: 'Legacy model: ndev = offset >> 16 is not below SPAPR_MSIX_MAX_DEVS (32); the 2012 code read past msi_table (§5.1, §10.9). Also reported on an allocation whose slot is past the table.',
    },
    'spapr-slot-not-configured': {
        severity: 'error',
        title: 'MSI slot not configured',
        description: 'Legacy model: the window slot the address selects has no ibm,change-msi allocation (msi_table[ndev].nvec = 0); the 2012 code delivered irq 0 + vec (§5.1).',
    },
    'spapr-vector-out-of-range': {
        severity: 'error',
        title: 'vector past the device\'s allocation',
        description: 'The vector number (legacy: ((offset & 0xFFFF) >> 2) ORed with the data; current: the source index) is not below the count ibm,change-msi allocated to the device (§5.1, §5.2).',
    },
    'spapr-irq-out-of-ics': {
        severity: 'error',
        title: 'IRQ outside the XICS source range',
        description: 'The decoded global IRQ number is not one of the ICS\'s sources (ICS offset .. offset + nr_irqs − 1, §5.3); spapr_qirq has no source for it.',
    },
    'spapr-irq-unclaimed': {
        severity: 'error',
        title: 'IRQ allocated to no device',
        description: 'Current model: the data (the global IRQ number) is not inside any device\'s ibm,change-msi allocation; the source was never configured (its XIVE priority is still 0xFF), so the interrupt is lost (§5.2).',
    },
    'spapr-irq-claimed-twice': {
        severity: 'error',
        title: 'XICS source claimed by two devices',
        description: 'The IRQ the vector reaches lies in the allocations of two devices: both drivers handle it, and each sees the other\'s interrupts. MSI decode is per PHB (the same address on two PHBs is legal), but the XICS source space is global (§5.2, §5.3).',
    },
    'spapr-irq-other-device': {
        severity: 'error',
        title: 'vector reaches another device\'s IRQ',
        description: 'The vector decodes to an XICS IRQ allocated to a different device (legacy: the address selects another device\'s window slot); that device\'s handler runs instead (§5.1, §5.2).',
    },
    'spapr-allocation-overlap': {
        severity: 'error',
        title: 'overlapping IRQ allocations',
        description: 'Two devices\' ibm,change-msi allocations share XICS IRQs, or (legacy model) the same msi_table slot; firmware never hands out the same source or slot twice (§5.1, §5.2).',
    },
    'spapr-allocation-outside-ics': {
        severity: 'error',
        title: 'IRQ allocation outside the XICS source range',
        description: 'An allocation (base .. base + count − 1) runs outside the ICS\'s sources (§5.3).',
    },
    'spapr-allocation-exceeds-device': {
        severity: 'warning',
        title: 'allocation larger than the device\'s vectors',
        description: 'ibm,change-msi clamps the request to the device\'s maximum (the MSI-X table size, or the MSI vectors it is capable of); the extra IRQs are never used (§5.2).',
    },
    'spapr-msi-block-unaligned': {
        severity: 'error',
        title: 'MSI IRQ block not aligned',
        description: 'Current model, MSI: the device replaces the low MME bits of the data (the IRQ number) with the vector number, so the block must be a power of two and aligned to its size, as ibm,change-msi allocates it (§5.2, §7).',
    },
    'xics-server-unknown': {
        severity: 'error',
        title: 'XICS server matches no CPU',
        description: 'The source\'s XIVE server number is not the interrupt server of any CPU; the interrupt is presented nowhere (§5.4).',
    },
    'xics-server-duplicate': {
        severity: 'error',
        title: 'duplicate interrupt server number',
        description: 'Two CPUs have the same XICS interrupt server number.',
    },

    // KVM GSI routing, irqfd, KVM_SIGNAL_MSI (ROUTING.md §6, thread 001)
    'kvm-route-stale': {
        severity: 'warning',
        title: 'GSI route differs from the vector\'s message',
        description: 'An irqfd delivers the GSI\'s route, not the device\'s current entry; the route still holds an older address / data. The VMM must update it (QEMU kvm_irqchip_update_msi_route, the "FIXME: MSI(-X) vector has changed" case of thread 001).',
    },
    'kvm-gsi-mismatch': {
        severity: 'error',
        title: 'irqfd GSI is not the vector\'s XICS IRQ',
        description: 'With direct GSI mapping (pseries, kvm_gsi_direct_mapping) the GSI is the XICS IRQ number; the irqfd\'s GSI differs from the IRQ the PHB decodes from the vector\'s message, so KVM raises another source (§5.2, §6).',
    },
    'kvm-route-limit': {
        severity: 'error',
        title: 'GSI routing table over its limit',
        description: 'The routing table holds more entries than the route limit (KVM_MAX_IRQ_ROUTES, 4096, or the VMM\'s lower cap): KVM_SET_GSI_ROUTING fails (§6).',
    },
    'kvm-route-limit-near': {
        severity: 'warning',
        title: 'GSI routing table near its limit',
        description: 'The routing table holds 90 % or more of the route limit (KVM_MAX_IRQ_ROUTES or the VMM\'s cap): a few more vectors (hotplug, MSI-X enable of another device) and KVM_SET_GSI_ROUTING fails (§6).',
    },
    'kvm-gsi-duplicate': {
        severity: 'error',
        title: 'GSI routed twice',
        description: 'KVM allows one non-irqchip route per GSI, and one route per irqchip per GSI; KVM_SET_GSI_ROUTING rejects the table (virt/kvm/irqchip.c setup_routing_entry).',
    },
    'kvm-irqfd-missing-gsi': {
        severity: 'error',
        title: 'irqfd to a GSI without a route',
        description: 'The irqfd\'s GSI has no routing entry: signalling the eventfd injects nothing (§6).',
    },
    'kvm-gsi-out-of-range': {
        severity: 'error',
        title: 'GSI out of range',
        description: 'A routed GSI must be below the route limit (KVM_MAX_IRQ_ROUTES or the VMM\'s cap); with direct mapping the GSI must be an XICS source number (§5.3, §6).',
    },
    'kvm-irqfd-irqchip-route': {
        severity: 'warning',
        title: 'MSI vector bound to an irqchip pin route',
        description: 'The irqfd of a message-signalled vector fires an irqchip (pin) route: the guest sees a pin interrupt, not the vector\'s message. I/O APIC redirection is not modelled, so the trace ends at the pin.',
    },
    'kvm-irqfd-duplicate-source': {
        severity: 'warning',
        title: 'vector bound to two irqfds',
        description: 'One vector is carried by two irqfds; the VMM keeps one irqfd per vector, so one of them is stale.',
    },
    'kvm-irqfd-unknown-source': {
        severity: 'error',
        title: 'irqfd names no interrupt source',
        description: 'The irqfd\'s device or vector does not exist in the machine.',
    },
    'kvm-route-ignored-direct': {
        severity: 'hint',
        title: 'MSI route unused with direct GSI mapping',
        description: 'With direct GSI mapping (pseries) no MSI route is allocated: the irqfd\'s GSI is the XICS IRQ. The declared MSI route is never consulted.',
    },
    'kvm-direct-mapping-unsupported': {
        severity: 'error',
        title: 'direct GSI mapping on a non-pseries machine',
        description: 'Direct GSI mapping (kvm_gsi_direct_mapping) exists for pseries, where the GSI is the XICS IRQ; on x86 every MSI vector needs a route.',
    },
    'kvm-signal-unsupported': {
        severity: 'error',
        title: 'KVM_SIGNAL_MSI not available',
        description: 'KVM_SIGNAL_MSI needs MSI routing in the in-kernel irqchip; the pseries XICS has none (QEMU pulses the XICS IRQ instead).',
    },

    // MSI / MSI-X / IMS masking and latching (ROUTING.md §7, threads 002, 003)
    'msi-mask-unsupported': {
        severity: 'warning',
        title: 'MSI vector masked without per-vector masking',
        description: 'An MSI capability without the per-vector masking capability has no Mask Bits register: a vector cannot be masked, and it keeps firing (§7).',
    },
    'ims-mask-unsupported': {
        severity: 'warning',
        title: 'IMS entry masked on an unmaskable store',
        description: 'The device declares its interrupt message store without a per-entry mask: the entry keeps firing (thread 003).',
    },
    'msi-latch-unknown': {
        severity: 'hint',
        title: 'MSI latching unknown: a rewrite may tear',
        description: 'Whether an MSI device latches address and data atomically is implementation-defined (thread 002). Without per-vector masking the kernel cannot mask the vector while it rewrites the message (x86 msi_set_affinity without interrupt remapping), so a non-latching device may send a torn message.',
    },
    'msi-may-tear': {
        severity: 'warning',
        title: 'MSI rewrite may tear',
        description: 'The device does not latch its MSI message and the capability has no per-vector masking: a rewrite of the message while enabled (x86 msi_set_affinity without interrupt remapping) may send old address with new data (thread 002).',
    },
    'msix-write-unmasked': {
        severity: 'warning',
        title: 'MSI-X entry written while unmasked',
        description: 'Software must not change the address or data of an MSI-X entry while it is unmasked (and MSI-X enabled, the function not masked): the result is undefined (§7, thread 002). Mask, write, unmask.',
    },
    'ims-write-unmasked': {
        severity: 'warning',
        title: 'IMS entry written while unmasked',
        description: 'An IMS entry carries the same caveat as MSI-X: changing its message while it can fire is undefined (thread 003).',
    },

    // VFIO assignment (thread 004)
    'vfio-table-not-page-aligned': {
        severity: 'warning',
        title: 'MSI-X table not page aligned',
        description: 'The MSI-X table does not start on a host page boundary, so the page that holds it also holds other registers: VFIO must trap them with it (or map the table straight through with MSIX_MAPPABLE).',
    },
    'vfio-pba-not-page-aligned': {
        severity: 'warning',
        title: 'MSI-X PBA not page aligned',
        description: 'The Pending Bit Array does not start on a host page boundary, so the page that holds it also holds other registers.',
    },
    'vfio-table-pba-overlap': {
        severity: 'error',
        title: 'MSI-X table and PBA overlap',
        description: 'The MSI-X table (16 bytes per entry) and the PBA (ceil(n/64) × 8 bytes) share bytes in the same BAR; the PCI specification forbids it.',
    },
    'vfio-msix-outside-bar': {
        severity: 'error',
        title: 'MSI-X structure outside its BAR',
        description: 'The MSI-X table or PBA (offset + size) runs past the end of the BAR that holds it, or its offset is not QWORD aligned (the low 3 bits of the offset register are the BIR).',
    },
    'vfio-mask-not-emulated': {
        severity: 'warning',
        title: 'MSI-X masking not emulated',
        description: 'The MSI-X table is mapped straight through to the guest (VFIO_REGION_INFO_CAP_MSIX_MAPPABLE), so the VMM never sees the guest\'s Vector Control writes and cannot emulate masking and the PBA, which QEMU relies on (thread 004).',
    },
    'vfio-table-shares-page': {
        severity: 'info',
        title: 'MSI-X table shares a page with other registers',
        description: 'The trapped MSI-X table shares a host page with other registers of its BAR: accesses to those registers trap too, a performance cost (thread 004).',
    },
    // What the scenario simulator reports (sim/codes.ts).
    ...SIM_DIAGNOSTIC_CODES,
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
