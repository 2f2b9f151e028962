/**
 * Every example, opened in a real VS Code: the diagnostics VS Code holds for it (what the Problems panel and the
 * squiggles show), with their codes and exact ranges, in both routing profiles, and the switch between profiles
 * through the `irq.profile` setting without a reload.
 *
 * Two references:
 * - PINNED: the first three examples, written out here with their range ends. The starts mirror
 *   test/examples/examples.test.ts; an independent anchor that does not depend on anything the runner computes.
 * - the headless oracle for every example (runner → channel/headless-diagnostics.json, see
 *   ../headless-diagnostics.mjs): what the language computes without an editor, which test/examples pins line by
 *   line. VS Code must show exactly that, so a new example is covered the day it is added.
 */
import * as assert from 'assert';
import * as vscode from 'vscode';
import { channelFile } from './channel';
import { codeOf, describeDiagnostics, openExample, poll, sleep, waitForServer, workspaceUri } from './util';

/** `line:col-line:col severity code`, 1-based, sorted by position. */
type Expected = Record<string, { spec: string[]; qemu: string[] }>;

const PINNED: Expected = {
    'q35-vtd-x2apic.irq': {
        spec: [],
        // QEMU's VT-d has no posted format: IRTE 8's URG bit 14 reads as reserved.
        qemu: ['64:25-64:36 error vtd-fault-0x24'],
    },
    'workstation-no-iommu.irq': {
        spec: ['18:25-18:36 info x86-lowest-priority', '19:25-19:36 info x86-lowest-priority'],
        qemu: ['18:25-18:36 info x86-lowest-priority', '19:25-19:36 info x86-lowest-priority'],
    },
    'misconfigured.irq': {
        spec: [
            '19:31-19:36 error vtd-irte-dest-needs-eim',
            '23:14-23:20 error vtd-posted-unsupported',
            '24:5-24:11 hint vtd-irte-unused',
            '25:10-25:12 error vtd-irte-out-of-table',
            '31:25-31:36 error vtd-fault-0x24',
            '32:25-32:36 error vtd-fault-0x26',
            '33:25-33:36 error vtd-fault-0x22',
            '34:25-34:36 error vtd-fault-0x24',
            '35:25-35:36 error vtd-fault-0x21',
            '36:25-36:36 error vtd-fault-0x25',
            '37:42-37:53 error vtd-fault-0x20',
            '38:25-38:36 warning msi-byte-swapped',
            '39:15-39:16 error msix-entry-out-of-range',
            '44:25-44:36 error vtd-fault-0x24',
            '51:29-51:40 error x86-remappable-without-ir',
            '62:14-62:19 warning x86-dest-needs-x2apic',
            '63:14-63:15 error apic-id-duplicate',
            '67:46-67:57 error x86-dest-unreachable',
            '68:63-68:69 error x86-illegal-vector',
            '69:63-69:69 error x86-reserved-delivery-mode',
            '70:73-70:79 warning msi-data-unaligned',
            '71:36-71:37 error msi-vector-count',
            '72:46-72:57 error x86-not-interrupt-address',
            '73:63-73:74 warning msi-byte-swapped',
            '74:46-74:57 error x86-dest-unreachable',
            '75:38-75:39 error ims-entry-out-of-range',
            '76:35-76:39 error msix-table-size',
            '77:52-77:65 error kvm-msi-route-invalid',
        ],
        // QEMU: no xAPIC-mode reserved destination bits (IRTE 0 delivers), compatibility format never blocked
        // (no 0x25), IM=1 read as remapped, and the SHV data check after the IRTE fetch (IRTE 5 is used).
        qemu: [
            '19:31-19:36 error vtd-irte-dest-needs-eim',
            '23:14-23:20 error vtd-posted-unsupported',
            '25:10-25:12 error vtd-irte-out-of-table',
            '32:25-32:36 error vtd-fault-0x26',
            '33:25-33:36 error vtd-fault-0x22',
            '34:25-34:36 error vtd-fault-0x24',
            '35:25-35:36 error vtd-fault-0x21',
            '37:42-37:53 error vtd-fault-0x20',
            '38:25-38:36 warning msi-byte-swapped',
            '39:15-39:16 error msix-entry-out-of-range',
            '51:29-51:40 error x86-remappable-without-ir',
            '62:14-62:19 warning x86-dest-needs-x2apic',
            '63:14-63:15 error apic-id-duplicate',
            '67:46-67:57 error x86-dest-unreachable',
            '68:63-68:69 error x86-illegal-vector',
            '69:63-69:69 error x86-reserved-delivery-mode',
            '70:73-70:79 warning msi-data-unaligned',
            '71:36-71:37 error msi-vector-count',
            '72:46-72:57 error x86-not-interrupt-address',
            '73:63-73:74 warning msi-byte-swapped',
            '74:46-74:57 error x86-dest-unreachable',
            '75:38-75:39 error ims-entry-out-of-range',
            '76:35-76:39 error msix-table-size',
            '77:52-77:65 error kvm-msi-route-invalid',
        ],
    },
};

/**
 * The diagnostics VS Code holds for `uri` once they equal `want` (or after the timeout, whatever is there).
 * An empty expectation cannot be told apart from "not published yet" by polling, so it is checked after the
 * server has answered for this document (waitForServer) and then stayed empty for two seconds.
 */
async function settledDiagnostics(uri: vscode.Uri, want: string[]): Promise<string[]> {
    await waitForServer(uri);
    const got = await poll(() => describeDiagnostics(vscode.languages.getDiagnostics(uri)), d => JSON.stringify(d) === JSON.stringify(want), 30_000);
    if (want.length === 0) {
        await sleep(2_000);
        return describeDiagnostics(vscode.languages.getDiagnostics(uri));
    }
    return got;
}

async function setProfile(profile: 'spec' | 'qemu' | undefined): Promise<void> {
    // Global (user settings of the throw-away profile): a workspace setting would write .vscode/ into the folder.
    await vscode.workspace.getConfiguration('irq').update('profile', profile, vscode.ConfigurationTarget.Global);
}

/** The headless oracle; without a runner (no channel) only the pinned examples are checked. */
const HEADLESS = channelFile<Expected>('headless-diagnostics.json');
const EXPECTED: Expected = HEADLESS ?? PINNED;

describe('examples: diagnostics in VS Code', () => {
    after(() => setProfile(undefined));

    it('the workspace holds every example, and the headless oracle agrees with the pinned expectations', async function () {
        const files = (await vscode.workspace.findFiles('*.irq')).map(u => u.path.split('/').pop()!).sort();
        assert.deepEqual(files, Object.keys(EXPECTED).sort());
        for (const file of Object.keys(PINNED)) assert.ok(files.includes(file), `pinned example ${file} is in the workspace`);
        if (!HEADLESS) return;
        // If these differ, the language changed: update PINNED together with test/examples/examples.test.ts.
        for (const [file, pinned] of Object.entries(PINNED)) assert.deepEqual(HEADLESS[file], pinned, `headless diagnostics of ${file}`);
    });

    for (const file of Object.keys(EXPECTED).sort()) {
        it(`${file}: codes and ranges (profile spec)`, async () => {
            const { doc } = await openExample(file);
            const want = EXPECTED[file].spec;
            assert.deepEqual(await settledDiagnostics(doc.uri, want), want);
            if (PINNED[file]) assert.deepEqual(describeDiagnostics(vscode.languages.getDiagnostics(doc.uri)), PINNED[file].spec, 'pinned');
            // Every diagnostic names its origin and carries a message (the Problems panel shows both).
            for (const d of vscode.languages.getDiagnostics(doc.uri)) {
                assert.equal(d.source, 'irq', `source of ${codeOf(d)}`);
                assert.ok(d.message.length > 10, `message of ${codeOf(d)}: ${JSON.stringify(d.message)}`);
            }
        });
    }

    it('misconfigured.irq: a diagnostic carries the message and related locations the engine gives it', async () => {
        const uri = workspaceUri('misconfigured.irq');
        await settledDiagnostics(uri, PINNED['misconfigured.irq'].spec);
        const compat = vscode.languages.getDiagnostics(uri).find(d => codeOf(d) === 'vtd-fault-0x25');
        assert.ok(compat, 'the 0x25 diagnostic');
        assert.equal(compat.severity, vscode.DiagnosticSeverity.Error);
        assert.match(compat.message, /0x25/);
        const eim = vscode.languages.getDiagnostics(uri).find(d => codeOf(d) === 'vtd-irte-dest-needs-eim');
        assert.equal(eim?.relatedInformation?.length, 2, 'vtd-irte-dest-needs-eim points at two related places');
        for (const r of eim!.relatedInformation!) assert.equal(r.location.uri.toString(), uri.toString());
    });

    it('switching irq.profile to qemu re-checks every open example without a reload, and back', async () => {
        for (const file of Object.keys(EXPECTED)) await openExample(file);
        for (const profile of ['qemu', 'spec'] as const) {
            await setProfile(profile);
            for (const [file, expected] of Object.entries(EXPECTED)) {
                const uri = workspaceUri(file);
                const got = await poll(() => describeDiagnostics(vscode.languages.getDiagnostics(uri)), d => JSON.stringify(d) === JSON.stringify(expected[profile]));
                assert.deepEqual(got, expected[profile], `${file} under ${profile}`);
                if (PINNED[file]) assert.deepEqual(got, PINNED[file][profile], `${file} under ${profile} (pinned)`);
            }
        }
    });
});
