/**
 * `irq-topology check`: compiler-style lines, the summary line, --json, --profile and exit statuses,
 * on fixtures whose diagnostics are known (test/fixtures/cli/).
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { copyFileSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import { join } from 'node:path';
import { lines, REPO_ROOT, runCli } from './run-cli.js';

const ERRORS = 'test/fixtures/cli/errors.irq';
const SYNTAX = 'test/fixtures/cli/syntax.irq';
const CLEAN = 'test/fixtures/cli/clean.irq';

const ERRORS_SPEC = [
    `${ERRORS}:10:10: error duplicate-irte: IRTE 0 of dmar0 is already defined on line 9.`,
    `  related: ${ERRORS}:9:5: first IRTE 0`,
    `${ERRORS}:11:21: error literal-too-wide: The IRTE vector is 8 bits wide; 0x1ff needs 9 bits.`,
    `${ERRORS}:18:25: error vtd-fault-0x22: VT-d fault 0x22 (IR_ENTRY_P) at dmar0: IRTE 3 is not present (P=0): the table has no entry at this index; program IRTE 3, or point the handle at a present entry.`,
    `  related: ${ERRORS}:9:5: dmar0 has no IRTE 3`,
    `${ERRORS}:19:25: error vtd-fault-0x25: VT-d fault 0x25 (IR_REQ_COMPAT) at dmar0: compatibility-format interrupts are blocked because eim is on and cfi is off; program the device with a remappable-format message (address bit 4 = 1, handle → IRTE); with EIM on, \`cfi on\` does not help.`,
    `  related: ${ERRORS}:7:9: dmar0: eim is on and cfi is off`,
    `${ERRORS}:20:25: warning msi-byte-swapped: nic.msix[3]: address 0x1000_e0fe is not an interrupt address, but with its bytes reversed it is 0xfee0_0010; the value was probably stored in the wrong byte order — write 0xfee0_0010.`,
    `${ERRORS}:26:11: error linking: There is no device 'disk' in machine broken.`,
];

describe('irq-topology check', () => {
    it('prints every diagnostic as file:line:col: severity code: message, related lines, and a summary; exit 1', () => {
        const r = runCli('check', ERRORS);
        assert.equal(r.stderr, '');
        assert.deepEqual(lines(r.stdout), [...ERRORS_SPEC, '1 file: 5 errors, 1 warning']);
        assert.equal(r.status, 1);
    });

    it('reports parse errors as code syntax, next to the validation of what did parse', () => {
        const r = runCli('check', SYNTAX);
        assert.deepEqual(lines(r.stdout), [
            `${SYNTAX}:4:21: error syntax: Expecting token of type 'NUMBER' but found \`}\`.`,
            `${SYNTAX}:7:26: error msix-table-size: nic: an MSI-X table holds 1 to 2048 entries, not 0.`,
            `${SYNTAX}:7:37: error syntax: Expecting token of type 'NUMBER' but found \`}\`.`,
            '1 file: 3 errors, 0 warnings',
        ]);
        assert.equal(r.status, 1);
    });

    it('exits 0 with only the summary line for a clean file', () => {
        const r = runCli('check', CLEAN);
        assert.deepEqual(lines(r.stdout), ['1 file: 0 errors, 0 warnings']);
        assert.equal(r.stderr, '');
        assert.equal(r.status, 0);
    });

    it('info and hint diagnostics are printed and counted, but only errors make the exit status 1', () => {
        const file = 'test/fixtures/cli/hints.irq';
        const r = runCli('check', file);
        assert.deepEqual(lines(r.stdout), [
            `${file}:6:5: hint vtd-irte-unused: IRTE 1 of dmar0 is present but no interrupt source in w selects it.`,
            `${file}:18:25: info x86-lowest-priority: xhci.msix[0]: lowest-priority delivery (RH=1: KVM arbitrates every RH=1 message) to one of CPU 0, CPU 1 (2 candidates); with KVM's vector hashing CPU 0 receives vector 0x34.`,
            `  related: ${file}:3:3: candidate CPU 0 (APIC ID 0x0)`,
            `  related: ${file}:3:3: candidate CPU 1 (APIC ID 0x1)`,
            '1 file: 0 errors, 0 warnings, 1 info, 1 hint',
        ]);
        assert.equal(r.status, 0);
    });

    it('checks several files in the order given and sums them up', () => {
        const r = runCli('check', CLEAN, ERRORS);
        assert.deepEqual(lines(r.stdout), [...ERRORS_SPEC, '2 files: 5 errors, 1 warning']);
        assert.equal(r.status, 1);
    });

    it('--profile qemu follows QEMU: compatibility-format interrupts are not blocked', () => {
        const r = runCli('check', '--profile', 'qemu', ERRORS);
        const expected = ERRORS_SPEC.filter((l) => !l.includes('vtd-fault-0x25') && !l.includes('eim is on and cfi is off'));
        assert.deepEqual(lines(r.stdout), [...expected, '1 file: 4 errors, 1 warning']);
        assert.equal(r.status, 1);
    });

    it('--json prints [{file, diagnostics:[{line, column, endLine, endColumn, severity, code, message, related}]}]', () => {
        const r = runCli('check', '--json', CLEAN, ERRORS);
        assert.equal(r.status, 1);
        const json = JSON.parse(r.stdout) as { file: string; diagnostics: Record<string, unknown>[] }[];
        assert.deepEqual(json.map((f) => f.file), [CLEAN, ERRORS]);
        assert.deepEqual(json[0].diagnostics, []);
        const diags = json[1].diagnostics;
        assert.equal(diags.length, 6);
        for (const d of diags) {
            assert.deepEqual(Object.keys(d), ['line', 'column', 'endLine', 'endColumn', 'severity', 'code', 'message', 'related']);
        }
        assert.deepEqual(diags[0], {
            line: 10,
            column: 10,
            endLine: 10,
            endColumn: 11,
            severity: 'error',
            code: 'duplicate-irte',
            message: 'IRTE 0 of dmar0 is already defined on line 9.',
            related: [{ file: ERRORS, line: 9, column: 5, endLine: 9, endColumn: 46, message: 'first IRTE 0' }],
        });
        assert.deepEqual(
            diags.map((d) => `${d.line}:${d.column} ${d.severity} ${d.code}`),
            ['10:10 error duplicate-irte', '11:21 error literal-too-wide', '18:25 error vtd-fault-0x22', '19:25 error vtd-fault-0x25', '20:25 warning msi-byte-swapped', '26:11 error linking'],
        );
    });

    it('--json of a clean file exits 0', () => {
        const r = runCli('check', '--json', CLEAN);
        assert.deepEqual(JSON.parse(r.stdout), [{ file: CLEAN, diagnostics: [] }]);
        assert.equal(r.status, 0);
    });

    it('a missing file: a message naming it on stderr, nothing on stdout, exit 2', () => {
        const r = runCli('check', CLEAN, 'test/fixtures/cli/no-such-file.irq');
        assert.equal(r.stdout, '');
        assert.equal(r.stderr, "irq-topology: cannot read 'test/fixtures/cli/no-such-file.irq': no such file\n");
        assert.equal(r.status, 2);
    });

    it('a directory is not a file: exit 2', () => {
        const r = runCli('check', 'test/fixtures/cli');
        assert.equal(r.stderr, "irq-topology: cannot read 'test/fixtures/cli': it is a directory\n");
        assert.equal(r.status, 2);
    });

    it('a file not named *.irq (any case, /dev/fd/N of `<(generate)`) is read as .irq: same output as the .irq file', () => {
        const dir = mkdtempSync(join(tmpdir(), 'irq-cli-'));
        try {
            for (const name of ['topology.txt', 'Q35.IRQ', 'no-extension']) {
                const copy = join(dir, name);
                copyFileSync(join(REPO_ROOT, ERRORS), copy);
                const r = runCli('check', copy);
                assert.equal(r.stderr, '', name);
                assert.equal(r.stdout, runCli('check', ERRORS).stdout.split(ERRORS).join(copy), name);
                assert.equal(r.status, 1, name);
            }
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it('a binary file: one line saying it is not a text file, exit 2', () => {
        const dir = mkdtempSync(join(tmpdir(), 'irq-cli-'));
        try {
            const bin = join(dir, 'blob.irq');
            writeFileSync(bin, Buffer.from([0x7f, 0x45, 0x4c, 0x46, 0x02, 0x01, 0x01, 0x00, 0x00]));
            const r = runCli('check', bin);
            assert.equal(r.stdout, '');
            assert.equal(r.stderr, `irq-topology: cannot read '${bin}': not a text file (NUL byte at offset 7)\n`);
            assert.equal(r.status, 2);
        } finally {
            rmSync(dir, { recursive: true, force: true });
        }
    });

    it('no file: usage error, exit 2', () => {
        const r = runCli('check');
        assert.match(r.stderr, /^error: missing required argument 'files'/);
        assert.match(r.stderr, /Usage: irq-topology check \[options\] <files\.\.\.>/);
        assert.equal(r.status, 2);
    });
});
