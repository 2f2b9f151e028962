/**
 * One-line texts for inlay hints, code lenses, the CLI and debugger frames. They belong to the engine so
 * that no view invents its own wording.
 */
import { hex } from './bits.js';
import { DIAGNOSTIC_CODES, type DiagnosticCode } from './diagnostics.js';
import type { DeliveredOutcome, KvmVia, Outcome, RouteTrace } from './trace.js';
import { deliveryModeLabel } from './x86/delivery-mode.js';

/** '0,1' / '0-7' / '0-3,8': CPU indices with runs of three or more compressed. */
export function compressIndices(indices: readonly number[]): string {
    const s = [...new Set(indices)].sort((a, b) => a - b);
    const parts: string[] = [];
    for (let i = 0; i < s.length; ) {
        let j = i;
        while (j + 1 < s.length && s[j + 1] === s[j] + 1) j++;
        if (j - i >= 2) parts.push(`${s[i]}-${s[j]}`);
        else for (let k = i; k <= j; k++) parts.push(String(s[k]));
        i = j + 1;
    }
    return parts.join(',');
}

/** `GSI 24 → ` / `GSI 4355 (direct) → ` / `GSI 24 (stale route) → `. */
function kvmPrefix(k: KvmVia | undefined): string {
    if (!k) return '';
    return `GSI ${k.gsi}${k.mapping === 'direct' ? ' (direct)' : k.stale ? ' (stale route)' : ''} → `;
}

/** `PHB phb0 slot 0 vec 3 → XICS 0x1103 → server 8 (CPU 1) · prio 5`. */
function xicsText(o: DeliveredOutcome): string {
    const x = o.xics!;
    const phb = o.phb ? `PHB ${o.phb.name}${o.phb.slot !== undefined ? ` slot ${o.phb.slot}` : ''}${o.phb.vector !== undefined ? ` vec ${o.phb.vector}` : ''} → ` : '';
    const cpus = o.targets.length ? `CPU ${compressIndices(o.targets.map((t) => t.index))}` : 'no CPU';
    return `→ ${kvmPrefix(o.kvm)}${phb}XICS ${hex(x.irq)} → server ${x.server} (${cpus}) · prio ${x.priority}`;
}

function outcomeText(o: Outcome, sourceKind: RouteTrace['source']['kind']): string {
    switch (o.kind) {
        case 'delivered': {
            if (o.xics) return xicsText(o);
            const irte = o.irte ? `IRTE ${o.irte.index} → ` : '';
            const cpus = o.targets.length ? `CPU ${compressIndices(o.targets.map((t) => t.index))}` : `no CPU (dest ${hex(o.destId)})`;
            const mode = deliveryModeLabel(o.deliveryMode);
            const tail = o.lowestPriority ? `${mode} (${o.targets.length} candidate${o.targets.length === 1 ? '' : 's'})` : `${mode} · ${o.trigger}`;
            return `→ ${kvmPrefix(o.kvm)}${irte}${cpus} · vec ${hex(o.vector)} · ${tail}`;
        }
        case 'posted':
            return `→ IRTE ${o.irte.index} posted · vec ${hex(o.vector)} · descriptor ${hex(o.pda)}${o.urgent ? ' (urgent)' : ''}`;
        case 'pending':
            if (o.reason === 'disabled') return `not sent · ${sourceKind === 'msi' ? 'MSI' : sourceKind === 'msix' ? 'MSI-X' : 'IMS'} disabled`;
            if (o.reason === 'xics-masked' && o.xics) return `pending · ${kvmPrefix(o.kvm)}XICS ${hex(o.xics.irq)} masked (priority 0xFF, server ${o.xics.server})`;
            return `pending · ${o.where} (${o.reason.replace('-', ' ')})`;
        case 'fault': {
            if (o.faultReason !== undefined) return `✗ VT-d fault ${hex(o.faultReason)} ${o.name}${o.detail ? ` (${o.detail})` : ''}`;
            const title = o.code in DIAGNOSTIC_CODES ? DIAGNOSTIC_CODES[o.code as DiagnosticCode].title : o.code;
            return `✗ ${title}${o.detail ? ` (${o.detail})` : ''}`;
        }
    }
}

/**
 * `→ IRTE 5 → CPU 3 · vec 0x41 · fixed · edge`, `→ CPU 0,1 · vec 0x30 · lowest-priority (2 candidates)`,
 * `pending · PBA qword 0 bit 1 (entry masked)`, `✗ VT-d fault 0x22 IR_ENTRY_P (IRTE 7 not present)`;
 * pseries `→ PHB phb0 slot 0 vec 3 → XICS 0x1103 → server 8 (CPU 1) · prio 5`; through an irqfd
 * `→ GSI 24 → IRTE 0 → CPU 3 · …`, `→ GSI 4355 (direct) → XICS 0x1103 → …`.
 */
export function summarizeOutcome(trace: RouteTrace): string {
    return outcomeText(trace.outcome, trace.source.kind);
}

/** `4 vectors: 3 delivered, 1 fault`. */
export function summarizeDevice(traces: readonly RouteTrace[]): string {
    const n = traces.length;
    if (n === 0) return 'no interrupt sources';
    let delivered = 0;
    let unreachable = 0;
    let posted = 0;
    let pending = 0;
    let notSent = 0;
    let faults = 0;
    for (const t of traces) {
        const o = t.outcome;
        if (o.kind === 'delivered') {
            if (o.targets.length) delivered++;
            else unreachable++;
        } else if (o.kind === 'posted') posted++;
        else if (o.kind === 'pending') {
            if (o.reason === 'disabled') notSent++;
            else pending++;
        } else faults++;
    }
    const parts: string[] = [];
    if (delivered) parts.push(`${delivered} delivered`);
    if (posted) parts.push(`${posted} posted`);
    if (pending) parts.push(`${pending} pending`);
    if (notSent) parts.push(`${notSent} not sent`);
    if (unreachable) parts.push(`${unreachable} unreachable`);
    if (faults) parts.push(`${faults} fault${faults === 1 ? '' : 's'}`);
    return `${n} vector${n === 1 ? '' : 's'}: ${parts.join(', ')}`;
}
