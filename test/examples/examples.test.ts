/**
 * Every file in examples/ is a topology a user would recognise; these tests pin each one's exact
 * diagnostics (1-based line:column of the range start, severity, code) and the outcome of its main
 * interrupt sources, in both routing profiles. A new example without expectations here fails the suite.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';
import { createIrqHeadless } from '../../language/index.js';
import { summarizeOutcome } from '../../language/engine/index.js';
import type { Profile } from '../../language/engine/model.js';

const REPO_ROOT = join(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const EXAMPLES = join(REPO_ROOT, 'examples');
const SEVERITY = ['', 'error', 'warning', 'info', 'hint'];

interface Expectation {
    /** `line:col severity code`, sorted by position, for the spec profile. */
    diagnostics: string[];
    /** Differences under the qemu profile (same shape); undefined: identical to spec. */
    qemuDiagnostics?: string[];
    /** source → summarizeOutcome, identical in both profiles unless listed in qemuRoutes. */
    routes: Record<string, string>;
    qemuRoutes?: Record<string, string>;
}

const EXPECTED: Record<string, Expectation> = {
    'q35-vtd-x2apic.irq': {
        diagnostics: [],
        // QEMU's VT-d does not implement the posted format: it reads IM=1's URG bit 14 as reserved (§2.6 step 8).
        qemuDiagnostics: ['64:25 error vtd-fault-0x24'],
        routes: {
            'nic.msix[0]': '→ IRTE 0 → CPU 3 · vec 0x41 · fixed · edge',
            'nic.msix[1]': '→ IRTE 1 → CPU 256 · vec 0x42 · fixed · edge',
            'nic.msix[3]': 'pending · PBA qword 0 bit 3 (entry masked)',
            'nic.msix[4]': '→ IRTE 11 → CPU 257 · vec 0x45 · fixed · edge',
            'nvme.msi[0]': '→ IRTE 4 → CPU 0 · vec 0x51 · fixed · edge',
            'nvme.msi[3]': '→ IRTE 7 → CPU 3 · vec 0x54 · fixed · edge',
            'gpu.msix[0]': '→ IRTE 8 posted · vec 0x60 · descriptor 0x7f3c0040 (urgent)',
            'gpu.msix[1]': '→ IRTE 9 → CPU 286 · vec 0x61 · fixed · level',
            // SVT=10 with start == end bus passes in both profiles (QEMU reads the range reversed).
            'serial.msi[0]': '→ IRTE 10 → CPU 16 · vec 0x70 · fixed · edge',
        },
        qemuRoutes: { 'gpu.msix[0]': '✗ VT-d fault 0x24 IR_IRTE_RSVD (IRTE 8 reserved bits 14)' },
    },
    'workstation-no-iommu.irq': {
        diagnostics: ['18:25 info x86-lowest-priority', '19:25 info x86-lowest-priority'],
        routes: {
            'eth0.msi[0]': '→ CPU 2 · vec 0x31 · fixed · edge',
            'xhci.msix[0]': '→ CPU 0,1 · vec 0x34 · fixed (2 candidates)',
            'xhci.msix[3]': 'pending · PBA qword 0 bit 3 (entry masked)',
            'hda.msi[0]': '→ CPU 5 · vec 0x38 · fixed · level',
            'disk.msi[3]': '→ CPU 6 · vec 0x43 · fixed · edge',
        },
    },
    'misconfigured.irq': {
        diagnostics: [
            '19:31 error vtd-irte-dest-needs-eim',
            '23:14 error vtd-posted-unsupported',
            '24:5 hint vtd-irte-unused',
            '25:10 error vtd-irte-out-of-table',
            '31:25 error vtd-fault-0x24',
            '32:25 error vtd-fault-0x26',
            '33:25 error vtd-fault-0x22',
            '34:25 error vtd-fault-0x24',
            '35:25 error vtd-fault-0x21',
            '36:25 error vtd-fault-0x25',
            '37:42 error vtd-fault-0x20',
            '38:25 warning msi-byte-swapped',
            '39:15 error msix-entry-out-of-range',
            '44:25 error vtd-fault-0x24',
            '51:29 error x86-remappable-without-ir',
            '62:14 warning x86-dest-needs-x2apic',
            '63:14 error apic-id-duplicate',
            '67:46 error x86-dest-unreachable',
            '68:63 error x86-illegal-vector',
            '69:63 error x86-reserved-delivery-mode',
            '70:73 warning msi-data-unaligned',
            '71:36 error msi-vector-count',
            '72:46 error x86-not-interrupt-address',
            '73:63 warning msi-byte-swapped',
            '74:46 error x86-dest-unreachable',
            '75:38 error ims-entry-out-of-range',
            '76:35 error msix-table-size',
            '77:52 error kvm-msi-route-invalid',
        ],
        // QEMU (ROUTING.md §10): no xAPIC-mode reserved destination bits (IRTE 0 delivers to APIC 0), compat
        // messages never blocked (no 0x25), IM=1 read as a remapped entry, and the SHV reserved-data check made
        // after the IRTE fetch, so IRTE 5 counts as used by nic.msix[6].
        qemuDiagnostics: [
            '19:31 error vtd-irte-dest-needs-eim',
            '23:14 error vtd-posted-unsupported',
            '25:10 error vtd-irte-out-of-table',
            '32:25 error vtd-fault-0x26',
            '33:25 error vtd-fault-0x22',
            '34:25 error vtd-fault-0x24',
            '35:25 error vtd-fault-0x21',
            '37:42 error vtd-fault-0x20',
            '38:25 warning msi-byte-swapped',
            '39:15 error msix-entry-out-of-range',
            '51:29 error x86-remappable-without-ir',
            '62:14 warning x86-dest-needs-x2apic',
            '63:14 error apic-id-duplicate',
            '67:46 error x86-dest-unreachable',
            '68:63 error x86-illegal-vector',
            '69:63 error x86-reserved-delivery-mode',
            '70:73 warning msi-data-unaligned',
            '71:36 error msi-vector-count',
            '72:46 error x86-not-interrupt-address',
            '73:63 warning msi-byte-swapped',
            '74:46 error x86-dest-unreachable',
            '75:38 error ims-entry-out-of-range',
            '76:35 error msix-table-size',
            '77:52 error kvm-msi-route-invalid',
        ],
        routes: {
            'nic.msix[1]': '✗ VT-d fault 0x26 IR_SID_ERR (requester 00:03.0 fails IRTE 1 sid 00:04.0)',
            'nic.msix[4]': '✗ VT-d fault 0x21 IR_INDEX_OVER (index 32 ≥ table size 16)',
            'nic.msix[5]': '✗ VT-d fault 0x25 IR_REQ_COMPAT (compatibility format blocked: cfi is off)',
        },
        qemuRoutes: { 'nic.msix[5]': '→ CPU 1 · vec 0x41 · fixed · edge' },
    },
    // Thread 001's pseries guest: two legacy-model PHBs sharing a window address, firmware-programmed
    // vectors, directly mapped irqfds; then the current model. Clean in both profiles.
    'pseries-thread-001.irq': {
        diagnostics: [],
        routes: {
            'disk.msix[1]': '→ PHB phb0 slot 0 vec 1 → XICS 0x1101 → server 0 (CPU 0) · prio 5',
            'net0.msix[0]': '→ PHB phb0 slot 1 vec 0 → XICS 0x1104 → server 8 (CPU 1) · prio 5',
            'net0.msix[2]': '→ GSI 4358 (direct) → PHB phb0 slot 1 vec 2 → XICS 0x1106 → server 8 (CPU 1) · prio 5',
            'sata.msi[1]': '→ PHB phb0 slot 2 vec 1 → XICS 0x1109 → server 0 (CPU 0) · prio 5',
            // Slot 0 again, of the other PHB: the same window address decodes to vf0's IRQs there.
            'vf0.msix[0]': '→ GSI 4364 (direct) → PHB phb1 slot 0 vec 0 → XICS 0x110c → server 16 (CPU 2) · prio 5',
            'vf0.msix[3]': '→ GSI 4367 (direct) → PHB phb1 slot 0 vec 3 → XICS 0x110f → server 16 (CPU 2) · prio 5',
            'blk.msix[0]': '→ PHB phb0 → XICS 0x1300 → server 0 (CPU 0) · prio 5',
            'ahci.msi[3]': '→ PHB phb0 → XICS 0x1307 → server 0 (CPU 0) · prio 5',
            'vf1.msix[7]': '→ GSI 4879 (direct) → PHB phb0 → XICS 0x130f → server 24 (CPU 3) · prio 5',
        },
    },
    // An x86 KVM guest: VFIO and vhost vectors through GSI routes and irqfds, a KVM_SIGNAL_MSI, 36 of 40 routes.
    'x86-kvm-vfio.irq': {
        diagnostics: [
            '31:38 info vfio-table-shares-page',
            '44:38 info vfio-table-shares-page',
            '62:3 warning kvm-route-limit-near',
        ],
        routes: {
            'vf.msix[0]': '→ GSI 24 → CPU 1 · vec 0x41 · fixed · edge',
            'vf.msix[3]': 'pending · PBA qword 0 bit 3 (entry masked)',
            'nvme.msix[4]': '→ GSI 32 → CPU 7 · vec 0x55 · fixed · edge',
            'net.msix[0]': '→ GSI 35 → CPU 0 · vec 0x61 · fixed · edge',
            'ahci.msi[0]': '→ CPU 4 · vec 0x71 · fixed · edge',
            'ahci-msi': '→ CPU 4 · vec 0x71 · fixed · edge',
        },
    },
    'misconfigured-pseries-kvm.irq': {
        diagnostics: [
            '12:16 error xics-server-duplicate',
            '19:25 error spapr-vector-out-of-range',
            '20:25 error spapr-slot-not-configured',
            '21:25 error spapr-ndev-overflow',
            '22:25 error spapr-irq-other-device',
            '23:25 error spapr-outside-msi-window',
            '29:16 error spapr-irq-claimed-twice',
            '33:16 error spapr-allocation-overlap',
            '33:16 error spapr-irq-claimed-twice',
            '37:29 warning spapr-allocation-exceeds-device',
            '41:16 error spapr-allocation-outside-ics',
            '41:16 error spapr-irq-out-of-ics',
            '45:38 error xics-server-unknown',
            '49:12 error spapr-no-phb',
            '63:47 error spapr-irq-unclaimed',
            '69:16 error spapr-msi-block-unaligned',
            '69:16 error spapr-irq-unclaimed',
            '73:5 hint kvm-route-ignored-direct',
            '74:25 error kvm-gsi-mismatch',
            '75:5 error kvm-signal-unsupported',
            '99:30 warning kvm-route-stale',
            '101:15 error kvm-gsi-duplicate',
            '102:15 error kvm-gsi-out-of-range',
            '106:27 error kvm-irqfd-missing-gsi',
            '107:27 warning kvm-irqfd-irqchip-route',
            '108:11 warning kvm-irqfd-duplicate-source',
            '114:3 error kvm-route-limit',
            '124:3 warning kvm-route-limit-near',
            '133:21 error kvm-direct-mapping-unsupported',
            '142:3 warning arch-mismatch',
            '144:77 warning msi-mask-unsupported',
            '145:77 warning msi-may-tear',
            '147:64 warning ims-mask-unsupported',
            '151:38 warning vfio-table-not-page-aligned',
            '155:53 warning vfio-pba-not-page-aligned',
            '159:53 error vfio-table-pba-overlap',
            '163:53 error vfio-msix-outside-bar',
            '167:76 warning vfio-mask-not-emulated',
            '171:23 error invalid-value',
        ],
        routes: {
            'a.msix[0]': '→ PHB phb0 slot 0 vec 0 → XICS 0x1100 → server 0 (CPU 0) · prio 5',
            'a.msix[3]': '✗ MSI slot not configured (slot 9 not configured)',
            'a.msix[4]': '✗ MSI slot past the PHB\'s msi_table (slot 40 ≥ 32)',
            'e.msix[1]': '✗ IRQ outside the XICS source range (IRQ 0x2000 outside 0x1000..0x1fff)',
            'f.msix[0]': '→ PHB phb0 slot 5 vec 0 → XICS 0x1300 → server 99 (no CPU) · prio 5',
            'g.msix[0]': '✗ device not under a PHB (g under no PHB)',
            'h.msix[0]': '→ GSI 4865 (direct) → XICS 0x1301 → server 0 (CPU 0) · prio 5',
            'probe': '✗ KVM_SIGNAL_MSI not available (no MSI routing on XICS)',
            'nic.msix[1]': '→ GSI 25 (stale route) → CPU 1 · vec 0x42 · fixed · edge',
            'nic.msix[3]': '✗ irqfd to a GSI without a route (GSI 27 has no route)',
            'nic.msix[4]': '✗ MSI vector bound to an irqchip pin route (GSI 5 → ioapic pin 5)',
            'v5.msix[0]': 'pending · PBA qword 0 bit 0 (entry masked)',
        },
    },
    // Scenarios (language/engine/sim): the machines are clean; the diagnostics are the scenario checks'.
    'scenario-pending-unmask.irq': {
        diagnostics: [],
        routes: {
            'nic.msix[0]': '→ IRTE 0 → CPU 1 · vec 0x41 · fixed · edge',
            'nic.msix[1]': '→ IRTE 1 → CPU 2 · vec 0x42 · fixed · edge',
            'nic.msix[2]': 'pending · PBA qword 0 bit 2 (entry masked)',
        },
    },
    'scenario-stale-iec.irq': {
        // `update dmar0.irte 0 dest 6` without invalidation: the next fire still went to CPU 3. IRTE 2 freed
        // (not-present) while the device can still send it: the last fire faults 0x22 (both profiles).
        diagnostics: ['34:3 warning scenario-irte-not-invalidated', '42:3 warning scenario-fault'],
        routes: {
            'nic.msix[0]': '→ IRTE 0 → CPU 3 · vec 0x41 · fixed · edge',
            'nic.msix[1]': '→ IRTE 1 → CPU 4 · vec 0x42 · fixed · edge',
            'nic.msix[2]': '→ IRTE 2 → CPU 5 · vec 0x43 · fixed · edge',
        },
    },
    'scenario-affinity.irq': {
        // The two `unsafe` affinity changes: a write while unmasked, and an IRTE change without invalidation.
        diagnostics: ['31:3 warning scenario-affinity-unsafe', '62:3 warning scenario-affinity-unsafe'],
        routes: {
            'eth.msix[0]': '→ CPU 2 · vec 0x31 · fixed · edge',
            'eth.msix[1]': '→ CPU 3 · vec 0x32 · fixed · edge',
            'nvme.msix[0]': '→ IRTE 0 → CPU 1 · vec 0x51 · fixed · edge',
            'nvme.msix[1]': '→ IRTE 1 → CPU 2 · vec 0x52 · fixed · edge',
        },
    },
    'scenario-lost-interrupts.irq': {
        // Two interrupts merged in one PBA bit; MSI-X disabled under a pending vector; a fire while disabled.
        diagnostics: ['35:3 warning scenario-pending-lost', '36:3 warning scenario-pending-lost', '37:3 warning scenario-pending-lost'],
        routes: {
            'hba.msix[0]': '→ IRTE 0 → CPU 1 · vec 0x61 · fixed · level',
            'hba.msix[1]': '→ IRTE 1 → CPU 2 · vec 0x62 · fixed · edge',
        },
    },
};

function describeDiagnostics(diags: { range: { start: { line: number; character: number } }; severity?: number; code?: string | number }[]): string[] {
    return diags
        .slice()
        .sort((a, b) => a.range.start.line - b.range.start.line || a.range.start.character - b.range.start.character)
        .map(d => `${d.range.start.line + 1}:${d.range.start.character + 1} ${SEVERITY[d.severity ?? 1]} ${d.code}`);
}

test('every example has expectations', () => {
    const files = readdirSync(EXAMPLES).filter(f => f.endsWith('.irq')).sort();
    assert.deepEqual(files, Object.keys(EXPECTED).sort());
});

for (const profile of ['spec', 'qemu'] as Profile[]) {
    describe(`examples (profile ${profile})`, () => {
        const headless = createIrqHeadless({ profile });
        for (const [file, expected] of Object.entries(EXPECTED)) {
            test(`${file}: exact diagnostics`, async () => {
                const { diagnostics } = await headless.loadFile(join(EXAMPLES, file), { profile });
                const want = profile === 'qemu' && expected.qemuDiagnostics ? expected.qemuDiagnostics : expected.diagnostics;
                assert.deepEqual(describeDiagnostics(diagnostics), want);
            });
            test(`${file}: route outcomes`, async () => {
                const { analysis } = await headless.loadFile(join(EXAMPLES, file), { profile });
                const routes = { ...expected.routes, ...(profile === 'qemu' ? expected.qemuRoutes : {}) };
                const actual: Record<string, string> = {};
                for (const m of analysis.machines) {
                    for (const t of m.report.traces) {
                        if (t.sourceName in routes) actual[t.sourceName] = summarizeOutcome(t);
                    }
                }
                assert.deepEqual(actual, routes);
            });
        }
    });
}
