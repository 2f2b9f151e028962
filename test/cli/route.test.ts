/**
 * `irq-topology route`: the trace of a remapped vector and of a faulting one (stage titles, elements with
 * their source lines, summaries, field rows, outcome, findings), --machine, --json and the errors for
 * sources that do not exist.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lines, runCli } from './run-cli.js';

const ROUTES = 'test/fixtures/cli/routes.irq';

/** The lines of the output that are not decode details (stage headers, element, summary, outcome). */
function outline(stdout: string): string[] {
    return lines(stdout).filter((l) => !l.startsWith('    '));
}

describe('irq-topology route', () => {
    it('a remapped vector: device write → host bridge → VT-d (IRTE 0) → local APIC → CPU 2; exit 0', () => {
        const r = runCli('route', ROUTES, 'nic.msix[0]');
        assert.equal(r.stderr, '');
        assert.equal(r.status, 0);
        assert.deepEqual(outline(r.stdout), [
            'Route of nic.msix[0] in machine a (profile spec)',
            '',
            'Stage 1: nic.msix[0] write',
            `  element: msix:a:nic:0 at ${ROUTES}:15:9`,
            '  summary: nic.msix[0] writes 0xfee0_0010 ← 0x0',
            '  MSI address: remappable format, handle 0 → IRTE 0',
            '  MSI data: not used for remapping (SHV=0)',
            '',
            'Stage 2: Host bridge',
            `  element: msix:a:nic:0 (address) at ${ROUTES}:15:25`,
            '  summary: interrupt window 0xFEE → dmar0 (interrupt remapping)',
            '  MSI address: remappable format, handle 0 → IRTE 0',
            '',
            'Stage 3: VT-d interrupt remapping (dmar0)',
            `  element: irte:a:dmar0:0 at ${ROUTES}:9:5`,
            '  summary: IRTE 0: present, remapped, vector 0x41 → physical dest 0x2 (requester 00:03.0)',
            '  VT-d IRTE (remapped format): IRTE 0: present, remapped, vector 0x41 → physical dest 0x2 (CPU 2) · fixed · edge · SID 00:03.0 (requester)',
            "  BDF 00:03.0: requester id 00:03.0 (the device's own BDF, as dmar0 sees it)",
            '',
            'Stage 4: Local APIC delivery',
            `  element: cpu:a:2 (apicId) at ${ROUTES}:5:3`,
            '  summary: physical dest 0x2 → CPU 2 · fixed',
            '  MSI to the APIC (composed by the IOMMU): physical dest 0x2 · vector 0x41 · fixed · edge',
            '',
            'Stage 5: CPU 2',
            `  element: cpu:a:2 at ${ROUTES}:5:3`,
            '  summary: CPU 2 accepts vector 0x41 (edge)',
            '',
            'Outcome: → IRTE 0 → CPU 2 · vec 0x41 · fixed · edge',
        ]);
    });

    it('prints every decode as a bits / name / value / meaning table', () => {
        const out = lines(runCli('route', ROUTES, 'nic.msix[0]').stdout);
        const irte = out.indexOf('  VT-d IRTE (remapped format): IRTE 0: present, remapped, vector 0x41 → physical dest 0x2 (CPU 2) · fixed · edge · SID 00:03.0 (requester)');
        assert.deepEqual(out.slice(irte + 1, irte + 4), [
            '    context: behind dmar0 (VT-d, IR on, EIM on, CFI off, 16 entries); profile spec',
            '    bits    name            value      meaning',
            '    0       P               1          present',
        ]);
        assert.ok(out.includes('    23:16   Vector          0x41       vector delivered to the destination'));
        assert.ok(out.includes('    63:32   Destination ID  0x2        x2APIC ID (EIM on: 32 bits)'));
        assert.ok(out.includes('    79:64   SID             0x0018     requester id 00:03.0'));
        assert.ok(out.includes('    bus bytes: 01 00 41 00 02 00 00 00 18 00 04 00 00 00 00 00'));
    });

    it('a faulting vector: VT-d fault 0x22 at dmar0, the finding at its line; exit 1', () => {
        const r = runCli('route', ROUTES, 'nic.msix[1]');
        assert.equal(r.stderr, '');
        assert.equal(r.status, 1);
        assert.deepEqual(outline(r.stdout), [
            'Route of nic.msix[1] in machine a (profile spec)',
            '',
            'Stage 1: nic.msix[1] write',
            `  element: msix:a:nic:1 at ${ROUTES}:16:9`,
            '  summary: nic.msix[1] writes 0xfee0_00b0 ← 0x0',
            '  MSI address: remappable format, handle 5 → IRTE 5',
            '  MSI data: not used for remapping (SHV=0)',
            '',
            'Stage 2: Host bridge',
            `  element: msix:a:nic:1 (address) at ${ROUTES}:16:25`,
            '  summary: interrupt window 0xFEE → dmar0 (interrupt remapping)',
            '  MSI address: remappable format, handle 5 → IRTE 5',
            '',
            'Stage 3: VT-d interrupt remapping (dmar0)',
            `  element: iommu:a:dmar0 at ${ROUTES}:7:9`,
            '  summary: dmar0: fault 0x22 IR_ENTRY_P (index 5)',
            "  BDF 00:03.0: requester id 00:03.0 (the device's own BDF, as dmar0 sees it)",
            '',
            'Outcome: ✗ VT-d fault 0x22 IR_ENTRY_P (IRTE 5 not present)',
            'Findings:',
            `  ${ROUTES}:16:25: error vtd-fault-0x22: VT-d fault 0x22 (IR_ENTRY_P) at dmar0: IRTE 5 is not present (P=0): the table has no entry at this index; program IRTE 5, or point the handle at a present entry.`,
        ]);
        assert.ok(lines(r.stdout).includes('    note: IRTE 5: not programmed (fault 0x22)'));
    });

    it('the note on a remappable address says what the remapping does: the fault the route ends in', () => {
        const note = (source: string) => lines(runCli('route', 'examples/misconfigured.irq', source).stdout).filter((l) => l.startsWith('    note: IRTE'));
        // Each note appears twice: in the device-write stage and the host-bridge stage.
        assert.deepEqual(note('nic.msix[0]'), Array(2).fill('    note: IRTE 0: present, but reserved bits set: 48 (fault 0x24)'));
        assert.deepEqual(note('nic.msix[1]'), Array(2).fill('    note: IRTE 1: present, but it verifies sid 00:04.0 (requester) and the requester is 00:03.0 (fault 0x26)'));
        assert.deepEqual(
            note('disk.msix[0]'),
            Array(2).fill('    note: IRTE 4: present, but reserved bits set: 38, 53:50, 62:56, IM=1 (posted format not supported) (fault 0x24)'),
        );
    });

    it('a route that ends "delivered" with an error on the way (no CPU has the destination, an illegal vector): exit 1', () => {
        const unreachable = runCli('route', 'examples/misconfigured.irq', 'a.msi[0]');
        assert.match(unreachable.stdout, /x86-dest-unreachable/);
        assert.equal(unreachable.status, 1);
        const illegal = runCli('route', 'examples/misconfigured.irq', 'b.msi[0]');
        assert.match(illegal.stdout, /x86-illegal-vector/);
        assert.equal(illegal.status, 1);
    });

    it('picks the machine that has the device; --machine selects one explicitly', () => {
        const auto = runCli('route', ROUTES, 'nvme.msi[1]');
        assert.equal(auto.status, 0);
        assert.equal(lines(auto.stdout)[0], 'Route of nvme.msi[1] in machine b (profile spec)');
        assert.equal(lines(auto.stdout).at(-1), 'Outcome: → CPU 1 · vec 0x41 · fixed · edge');
        const explicit = runCli('route', ROUTES, 'nvme.msi[1]', '--machine', 'b');
        assert.equal(explicit.stdout, auto.stdout);
    });

    it('--profile qemu is named in the header', () => {
        const r = runCli('route', ROUTES, 'nic.msix[0]', '--profile', 'qemu');
        assert.equal(lines(r.stdout)[0], 'Route of nic.msix[0] in machine a (profile qemu)');
    });

    it('--json: stages with element locations and decodes, the outcome, its summary and the findings', () => {
        const r = runCli('route', ROUTES, 'nic.msix[1]', '--json');
        assert.equal(r.status, 1);
        const json = JSON.parse(r.stdout) as Record<string, any>;
        assert.deepEqual(Object.keys(json), ['file', 'machine', 'profile', 'source', 'stages', 'outcome', 'summary', 'findings']);
        assert.equal(json.source, 'nic.msix[1]');
        assert.deepEqual(json.stages.map((s: { kind: string }) => s.kind), ['device-write', 'host-bridge', 'interrupt-remapping']);
        assert.deepEqual(json.stages[2].element, { id: 'iommu:a:dmar0', location: { file: ROUTES, line: 7, column: 9 } });
        assert.deepEqual(json.stages[0].decodes[0].fields[1], { name: 'Handle[14:0]', bits: '19:5', value: '0x5', text: '0x5', meaning: 'interrupt handle low bits (handle = 0x5)' });
        assert.equal(json.outcome.kind, 'fault');
        assert.equal(json.outcome.code, 'vtd-fault-0x22');
        assert.equal(json.outcome.faultReason, 0x22);
        assert.equal(json.summary, '✗ VT-d fault 0x22 IR_ENTRY_P (IRTE 5 not present)');
        assert.deepEqual(json.findings.map((f: { code: string; location: unknown }) => [f.code, f.location]), [['vtd-fault-0x22', { file: ROUTES, line: 16, column: 25 }]]);
    });

    it('a source that does not exist: exit 2, listing the sources of the machine', () => {
        const r = runCli('route', ROUTES, 'nic.msix[7]');
        assert.equal(r.stdout, '');
        assert.equal(r.stderr, "irq-topology: machine a has no source nic.msix[7] (from 'nic.msix[7]'); available sources: nic.msix[0], nic.msix[1]\n");
        assert.equal(r.status, 2);
    });

    it('a device no machine has: exit 2, listing every machine\'s sources', () => {
        const r = runCli('route', ROUTES, 'disk.msix[0]');
        assert.equal(r.stderr, `irq-topology: no machine in '${ROUTES}' has a device 'disk'; available sources: machine a: nic.msix[0], nic.msix[1]; machine b: nvme.msi[0], nvme.msi[1]\n`);
        assert.equal(r.status, 2);
    });

    it('a device of another machine than --machine: exit 2', () => {
        const r = runCli('route', ROUTES, 'nic.msix[0]', '--machine', 'b');
        assert.equal(r.stderr, "irq-topology: machine b has no device 'nic' (from 'nic.msix[0]'); available sources: nvme.msi[0], nvme.msi[1]\n");
        assert.equal(r.status, 2);
    });

    it('an unknown --machine: exit 2, listing the machines', () => {
        const r = runCli('route', ROUTES, 'nic.msix[0]', '--machine', 'c');
        assert.equal(r.stderr, `irq-topology: '${ROUTES}' has no machine 'c'; machines: a, b\n`);
        assert.equal(r.status, 2);
    });

    it('not a DEVICE.KIND[N]: exit 2 with the expected form', () => {
        const r = runCli('route', ROUTES, 'nic.msi-x[0]');
        assert.equal(r.stderr, "irq-topology: 'nic.msi-x[0]' is not an interrupt source: write DEVICE.msi[N], DEVICE.msix[N], DEVICE.ims[N] or signal NAME (e.g. nic.msix[0], nvme.msi[1], gpu.ims[0], signal ipi0)\n");
        assert.equal(r.status, 2);
    });

    it('a missing file: exit 2 with a message naming the file', () => {
        const r = runCli('route', 'test/fixtures/cli/nothing.irq', 'nic.msix[0]');
        assert.equal(r.stderr, "irq-topology: cannot read 'test/fixtures/cli/nothing.irq': no such file\n");
        assert.equal(r.status, 2);
    });

    it('a file with syntax or linking errors: a warning on stderr, the trace still printed', () => {
        const r = runCli('route', 'test/fixtures/cli/errors.irq', 'nic.msix[0]');
        assert.equal(
            r.stderr,
            "irq-topology: warning: 'test/fixtures/cli/errors.irq' has 1 syntax or linking error; the trace follows what could be read (see `irq-topology check test/fixtures/cli/errors.irq`)\n",
        );
        assert.equal(lines(r.stdout).at(-1), 'Outcome: → IRTE 0 → CPU 1 · vec 0x41 · fixed · edge');
        assert.equal(r.status, 0);
    });
    describe('pseries and KVM', () => {
        const FILE = 'test/fixtures/cli/pseries-kvm.irq';

        it('a vector firmware programmed: device write → PHB (slot, vector) → the irqfd\'s GSI → XICS → CPU; exit 0', () => {
            const r = runCli('route', FILE, 'vf.msix[0]');
            assert.equal(r.stderr, '');
            assert.equal(r.status, 0);
            assert.deepEqual(outline(r.stdout), [
                'Route of vf.msix[0] in machine p (profile spec)',
                '',
                'Stage 1: vf.msix[0] write',
                `  element: msix:p:vf at ${FILE}:9:7`,
                '  summary: vf.msix[0] writes 0x0000_1000_0000_0000 ← 0x0 (programmed by firmware)',
                '  vf.msix[0] state: enabled, unmasked: fires now',
                '  PHB phb0 MSI window write (legacy model): slot 0 (vf), vector 0 → XICS irq 0x1100 (source 0x100) → server 8 · priority 5',
                '',
                'Stage 2: PHB phb0 (legacy MSI model)',
                `  element: phb:p:phb0 at ${FILE}:6:7`,
                '  summary: window 0x0000_1000_0000_0000+0x200000: slot 0 vec 0 → XICS irq 0x1100 (source 0x100)',
                '  PHB phb0 MSI window write (legacy model): slot 0 (vf), vector 0 → XICS irq 0x1100 (source 0x100) → server 8 · priority 5',
                '',
                'Stage 3: KVM GSI 4352',
                `  element: kvm-irqfd:p:vf.msix[0] at ${FILE}:14:5`,
                '  summary: irqfd → GSI 4352 (0x1100): direct mapping, GSI = XICS irq, no route',
                '',
                'Stage 4: XICS',
                `  element: irq:p:vf at ${FILE}:10:7`,
                '  summary: irq 0x1100 = ICS source 0x100 → server 8 · priority 5',
                '',
                'Stage 5: CPU 1',
                `  element: cpu:p:1 at ${FILE}:5:3`,
                '  summary: CPU 1 (server 8) accepts irq 0x1100 at priority 5 (XIRR 0x05001100)',
                '',
                'Outcome: → GSI 4352 (direct) → PHB phb0 slot 0 vec 0 → XICS 0x1100 → server 8 (CPU 1) · prio 5',
            ]);
        });

        it('an irqfd on the wrong GSI: the IRQ KVM really raises, and the finding on the GSI', () => {
            const out = lines(runCli('route', FILE, 'vf.msix[1]').stdout);
            assert.deepEqual(out.slice(-3), [
                'Outcome: → GSI 4354 (direct) → XICS 0x1102 → server 0 (CPU 0) · prio 5',
                'Findings:',
                `  ${FILE}:15:26: error kvm-gsi-mismatch: The irqfd of vf.msix[1] fires GSI 4354 (0x1102), but with direct GSI mapping the GSI is the XICS IRQ, and the vector's message decodes (PHB phb0) to IRQ 0x1101: KVM raises the wrong source. Bind the irqfd to GSI 4353 (0x1101).`,
            ]);
        });

        it('a KVM_SIGNAL_MSI by name (two words or one) and an unnamed one by position', () => {
            const r = runCli('route', FILE, 'signal', 'ping');
            assert.equal(r.status, 0);
            assert.deepEqual(outline(r.stdout).filter((l) => !l.startsWith('  ') || l.startsWith('  element')), [
                'Route of ping in machine x (profile spec)',
                '',
                'Stage 1: KVM_SIGNAL_MSI ping',
                `  element: kvm-signal:x:ping at ${FILE}:27:5`,
                '',
                'Stage 2: Host bridge',
                `  element: kvm-signal:x:ping (address) at ${FILE}:27:29`,
                '',
                'Stage 3: Local APIC delivery',
                `  element: cpu:x:3 (apicId) at ${FILE}:20:3`,
                '',
                'Stage 4: CPU 3',
                `  element: cpu:x:3 at ${FILE}:20:3`,
                '',
                'Outcome: → CPU 3 · vec 0x30 · fixed · edge',
            ]);
            assert.equal(runCli('route', FILE, 'signal ping').stdout, r.stdout);
            const unnamed = runCli('route', FILE, 'kvm.signal[1]');
            assert.deepEqual([lines(unnamed.stdout)[0], lines(unnamed.stdout).at(-1)], ['Route of kvm.signal[1] in machine x (profile spec)', 'Outcome: → CPU 1 · vec 0x31 · fixed · edge']);
        });

        it('a routed irqfd: the trace goes through the GSI\'s route; --json names the kvm-route stage', () => {
            const json = JSON.parse(runCli('route', FILE, 'nic.msix[0]', '--json').stdout) as Record<string, any>;
            assert.deepEqual(json.stages.map((s: { kind: string; title: string }) => [s.kind, s.title]), [
                ['device-write', 'nic.msix[0] write'], ['kvm-route', 'KVM GSI 24'], ['host-bridge', 'Host bridge'], ['apic-delivery', 'Local APIC delivery'], ['cpu', 'CPU 2'],
            ]);
            assert.deepEqual(json.stages[1].element, { id: 'kvm-route:x:24', location: { file: FILE, line: 25, column: 5 } });
            assert.equal(json.summary, '→ GSI 24 → CPU 2 · vec 0x41 · fixed · edge');
            assert.deepEqual(json.outcome.kvm, { gsi: 24, irqfd: 'kvm-irqfd:x:nic.msix[0]', mapping: 'routed', route: 'kvm-route:x:24' });
        });

        it('an unknown signal: exit 2, listing every machine\'s sources, signals included', () => {
            const r = runCli('route', FILE, 'signal', 'pong');
            assert.equal(r.stderr, `irq-topology: no machine in '${FILE}' has a KVM_SIGNAL_MSI 'pong'; available sources: machine p: vf.msix[0], vf.msix[1]; machine x: nic.msix[0], signal ping, signal kvm.signal[1]\n`);
            assert.equal(r.status, 2);
        });

        it('check: the finding with its related locations; exit 1', () => {
            const r = runCli('check', FILE);
            assert.deepEqual(lines(r.stdout), [
                `${FILE}:15:26: error kvm-gsi-mismatch: The irqfd of vf.msix[1] fires GSI 4354 (0x1102), but with direct GSI mapping the GSI is the XICS IRQ, and the vector's message decodes (PHB phb0) to IRQ 0x1101: KVM raises the wrong source. Bind the irqfd to GSI 4353 (0x1101).`,
                `  related: ${FILE}:9:7: vf.msix[1] decodes to XICS IRQ 0x1101`,
                `  related: ${FILE}:6:7: PHB phb0 (legacy model)`,
                '1 file: 1 error, 0 warnings',
            ]);
            assert.equal(r.status, 1);
        });
    });
});
