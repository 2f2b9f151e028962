/**
 * `irq-topology conformance`: the contract of /work/shared/conformance/README.md ("The contract"), run on
 * the project's golden cases in both profiles and on small files that fail, are corrupt or are missing.
 */
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { lines, readRepoFile, runCli } from './run-cli.js';

const CASES = 'test/fixtures/conformance/routing-cases.json';
const ONE_FAILING = 'test/fixtures/cli/cases-one-failing.json';
const caseIds = (path: string) => (JSON.parse(readRepoFile(path)) as { cases: { id: string }[] }).cases.map((c) => c.id);

describe('irq-topology conformance', () => {
    const ids = caseIds(CASES);

    for (const profile of ['spec', 'qemu'] as const) {
        it(`passes every golden case with --profile ${profile}: "${ids.length} passed, 0 failed", exit 0`, () => {
            const r = runCli('conformance', CASES, '--profile', profile);
            assert.equal(r.stderr, '');
            assert.deepEqual(lines(r.stdout), [`${ids.length} passed, 0 failed`]);
            assert.equal(r.status, 0);
        });

        it(`--json --profile ${profile}: exactly one object {profile, results:[{id, actual}]} in file order, exit 0`, () => {
            const r = runCli('conformance', CASES, '--json', '--profile', profile);
            assert.equal(r.status, 0);
            assert.equal(r.stderr, '');
            const json = JSON.parse(r.stdout) as { profile: string; results: { id: string; actual: unknown }[] };
            assert.deepEqual(Object.keys(json), ['profile', 'results']);
            assert.equal(json.profile, profile);
            assert.deepEqual(json.results.map((x) => x.id), ids);
            for (const x of json.results) {
                assert.deepEqual(Object.keys(x), ['id', 'actual']);
                assert.equal(typeof x.actual, 'object');
            }
        });
    }

    it('the default profile is spec', () => {
        const r = runCli('conformance', CASES, '--json');
        assert.equal((JSON.parse(r.stdout) as { profile: string }).profile, 'spec');
    });

    it('a failing case: one FAIL line with id, expected and actual, then the counts; exit 1', () => {
        const r = runCli('conformance', ONE_FAILING);
        const common = '"format":"compat","dest_mode":"logical","dest_id":5,"redirection_hint":0';
        const tail = '"delivery_mode":0,"delivery_mode_name":"fixed","level":0,"trigger":"edge","broadcast":false,"lowest_priority":false';
        assert.deepEqual(lines(r.stdout), [
            `FAIL cli-wrong-vector: expected {${common},"vector":65,${tail}}, actual {${common},"vector":64,${tail}}`,
            '2 passed, 1 failed',
        ]);
        assert.equal(r.status, 1);
    });

    it('--json with a failing case still exits 0 and reports the actual answer', () => {
        const r = runCli('conformance', ONE_FAILING, '--json', '--profile', 'qemu');
        assert.equal(r.status, 0);
        const json = JSON.parse(r.stdout) as { profile: string; results: { id: string; actual: Record<string, unknown> }[] };
        assert.equal(json.profile, 'qemu');
        assert.deepEqual(json.results.map((x) => x.id), ['x86c-dm0-t0-l0-log', 'cli-wrong-vector', 'vtd-compat-eime0-cfis0']);
        assert.equal(json.results[1].actual.vector, 64);
        // QEMU never blocks compatibility-format interrupts: this vtd case passes through in the qemu profile.
        assert.equal(json.results[2].actual.result, 'passthrough');
    });

    it('a file that is not JSON: exit 2 with a message naming it', () => {
        const r = runCli('conformance', 'test/fixtures/cli/cases-corrupt.json', '--json');
        assert.equal(r.stdout, '');
        assert.match(r.stderr, /^irq-topology: 'test\/fixtures\/cli\/cases-corrupt\.json' is not JSON: /);
        assert.equal(r.status, 2);
    });

    it('JSON that is not the cases schema: exit 2', () => {
        const r = runCli('conformance', 'test/fixtures/cli/cases-not-schema.json');
        assert.equal(r.stdout, '');
        assert.equal(r.stderr, `irq-topology: 'test/fixtures/cli/cases-not-schema.json': not a conformance cases file: "cases" must be an array\n`);
        assert.equal(r.status, 2);
    });

    it('an .irq file is not a cases file: exit 2', () => {
        const r = runCli('conformance', 'test/fixtures/cli/clean.irq');
        assert.match(r.stderr, /^irq-topology: 'test\/fixtures\/cli\/clean\.irq' is not JSON/);
        assert.equal(r.status, 2);
    });

    it('a missing file: exit 2 with a message naming the file', () => {
        const r = runCli('conformance', 'test/fixtures/cli/missing-cases.json', '--json');
        assert.equal(r.stdout, '');
        assert.equal(r.stderr, "irq-topology: cannot read 'test/fixtures/cli/missing-cases.json': no such file\n");
        assert.equal(r.status, 2);
    });

    it('an unknown profile: usage error, exit 2', () => {
        const r = runCli('conformance', CASES, '--profile', 'bochs');
        assert.match(r.stderr, /^error: option '--profile <profile>' argument 'bochs' is invalid\. Allowed choices are spec, qemu\./);
        assert.equal(r.status, 2);
    });
});
