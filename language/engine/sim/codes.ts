/**
 * The codes of what the scenario checker reports, with severity, title and description. Pure data with no
 * imports but types, so that diagnostics.ts can spread it into DIAGNOSTIC_CODES without an import cycle.
 */
import type { DiagnosticCodeInfo } from '../diagnostics.js';

export const SIM_DIAGNOSTIC_CODES = {
    'scenario-write-unmasked': {
        severity: 'warning',
        title: 'message written while the vector can fire',
        description:
            'The scenario rewrites the address or data of an MSI-X or IMS entry that is unmasked (MSI-X enabled, function not masked), or of an enabled MSI vector whose device may tear the message: the result is undefined, the device may send a mix of old and new fields (ROUTING.md §7, thread 002). Mask, write, unmask.',
    },
    'scenario-affinity-unsafe': {
        severity: 'warning',
        title: 'affinity changed without the safe sequence',
        description:
            'An `affinity … unsafe` event moved a vector without the step that makes it safe: the message was rewritten while the vector could fire (the kernel masks, writes, unmasks), or, with interrupt remapping, the IRTE was rewritten without invalidating the interrupt entry cache, so deliveries may still use the old destination (ROUTING.md §2, §7).',
    },
    'scenario-irte-not-invalidated': {
        severity: 'warning',
        title: 'IRTE changed without invalidating the interrupt entry cache',
        description:
            'The scenario rewrites an IRTE and does not invalidate the interrupt entry cache for it, so the IOMMU may keep using the copy it cached: a later delivery used the stale entry, or the scenario ends with the update never invalidated. Software must invalidate after changing an IRTE (Linux modify_irte → qi_flush_iec): write `update … and invalidate` or `invalidate IOMMU.iec`.',
    },
    'scenario-pending-lost': {
        severity: 'warning',
        title: 'interrupt lost',
        description:
            'An interrupt the device raised is never delivered: the capability was disabled (nothing is sent, nothing is recorded), the vector was already pending (the PBA holds one bit, so the two interrupts merge), the vector was already requested in the CPU\'s IRR (the requests merge), the message reached no CPU (its destination matches no enabled local APIC), or the capability was disabled while the vector was pending and never enabled again (ROUTING.md §7).',
    },
    'scenario-fault': {
        severity: 'warning',
        title: 'interrupt faulted during the scenario',
        description:
            'A message the scenario sends (a `fire`, or the `unmask`, `function-mask … off`, `enable`, `eoi` or `affinity` that releases a held interrupt) is blocked on its way: a VT-d fault (an IRTE not present, reserved bits set, a source-id mismatch, …; recorded in the IOMMU\'s fault log unless the IRTE has FPD=1), a write outside the interrupt window, a remappable message without remapping. Reported on the event that sent the message, with the element that caused the fault and the event that last wrote the IRTE.',
    },
    'scenario-unknown-cpu': {
        severity: 'error',
        title: 'no such CPU',
        description: 'An `eoi cpu N` or `affinity … cpu N` event names a CPU index the scenario\'s machine does not declare: the event does nothing.',
    },
    'scenario-update-unencodable': {
        severity: 'error',
        title: 'new value does not fit the IRTE or the message',
        description:
            'An `update IOMMU.irte N` sets a value the IRTE format cannot hold (a destination above 0xFF_FFFF without EIM, a posted descriptor address not 64-byte aligned, …), or an `affinity` change names a CPU whose APIC ID the new IRTE or compatibility-format message cannot express: the IRTE (or message) is not changed, and the rest of the scenario runs with the old one.',
    },
    'scenario-left-pending': {
        severity: 'info',
        title: 'interrupt still pending at the end of the scenario',
        description: 'A vector raised while masked still has its pending bit set when the scenario ends: it is delivered only when software unmasks it (ROUTING.md §7).',
    },
} satisfies Record<string, DiagnosticCodeInfo>;

