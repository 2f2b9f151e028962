/**
 * The routing conformance file, every case of every arch, in both profiles.
 * The fixture is a verbatim copy of the shared cases file; it is located relative to the compiled test
 * (out/test/engine/*.js → repo root is three levels up).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';
import path from 'node:path';
import {
    CONFORMANCE_ARCHES,
    ConformanceSchemaError,
    expectedFor,
    jsonEqual,
    runCase,
    runCases,
    validateCasesFile,
} from '../../language/engine/index.js';

const root = path.resolve(path.dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
const fixture = path.join(root, 'test', 'fixtures', 'conformance', 'routing-cases.json');
const file = validateCasesFile(JSON.parse(readFileSync(fixture, 'utf8')));

describe('conformance fixture', () => {
    test('holds cases of every arch', () => {
        const arches = new Set(file.cases.map((c) => c.arch));
        assert.deepEqual([...arches].sort(), [...CONFORMANCE_ARCHES].sort());
    });
});

for (const profile of ['spec', 'qemu'] as const) {
    describe(`conformance, profile ${profile}`, () => {
        for (const arch of CONFORMANCE_ARCHES) {
            test(`every ${arch} case passes`, () => {
                const cases = file.cases.filter((c) => c.arch === arch);
                assert.ok(cases.length > 0);
                const failures: string[] = [];
                for (const c of cases) {
                    const { actual } = runCase(c, profile);
                    const expected = expectedFor(c, profile);
                    if (!jsonEqual(actual, expected)) {
                        failures.push(`${c.id}: expected ${JSON.stringify(expected)}, got ${JSON.stringify(actual)}`);
                    }
                }
                assert.deepEqual(failures, []);
            });
        }

        test('runCases reports every case as passing', () => {
            const results = runCases(file, profile);
            assert.equal(results.length, file.cases.length);
            assert.deepEqual(
                results.filter((r) => !r.pass).map((r) => r.id),
                [],
            );
        });
    });
}

describe('conformance harness', () => {
    test('profiles differ exactly where expect_qemu is given and differs', () => {
        const withQemu = file.cases.filter((c) => c.expect_qemu && !jsonEqual(c.expect_qemu, c.expect));
        assert.ok(withQemu.length >= 8);
        for (const c of withQemu) {
            assert.ok(!jsonEqual(runCase(c, 'spec').actual, runCase(c, 'qemu').actual), c.id);
        }
    });

    test('jsonEqual ignores key order but not list order', () => {
        assert.equal(jsonEqual({ a: 1, b: [1, 2] }, { b: [1, 2], a: 1 }), true);
        assert.equal(jsonEqual({ a: [1, 2] }, { a: [2, 1] }), false);
        assert.equal(jsonEqual({ a: 1 }, { a: 1, b: null }), false);
        assert.equal(jsonEqual({ a: 1 }, { a: '1' }), false);
    });

    test('a failing case is reported with its id, expected and actual', () => {
        const bad = {
            schema: 1,
            cases: [{ id: 'wrong-expect', arch: 'x86-compat', input: { addr_lo: 0xfee01000, data: 0x41 }, expect: { error: 'NOT_INTERRUPT_ADDRESS' } }],
        };
        const [r] = runCases(bad, 'spec');
        assert.equal(r.id, 'wrong-expect');
        assert.equal(r.pass, false);
        assert.deepEqual(r.expected, { error: 'NOT_INTERRUPT_ADDRESS' });
        assert.equal(r.actual.dest_id, 1);
    });

    test('the schema validator rejects files that are not this schema', () => {
        const cases = [
            [[], /top level must be a JSON object/],
            [{ schema: 2, cases: [] }, /"schema" must be 1, got 2/],
            [{ schema: 1, cases: {} }, /"cases" must be an array/],
            [{ schema: 1, cases: [{ arch: 'pci', input: {}, expect: {} }] }, /case #0 has no string "id"/],
            [{ schema: 1, cases: [{ id: 'a', input: {}, expect: {} }] }, /case #0 \('a'\) has no string "arch"/],
            [{ schema: 1, cases: [{ id: 'a', arch: 'pci', expect: {} }] }, /has no object "input"/],
            [{ schema: 1, cases: [{ id: 'a', arch: 'pci', input: {} }] }, /has no object "expect"/],
            [
                {
                    schema: 1,
                    cases: [
                        { id: 'a', arch: 'pci', input: {}, expect: {} },
                        { id: 'a', arch: 'pci', input: {}, expect: {} },
                    ],
                },
                /duplicate id 'a'/,
            ],
        ] as const;
        for (const [json, re] of cases) {
            assert.throws(() => validateCasesFile(json), (e: unknown) => e instanceof ConformanceSchemaError && re.test((e as Error).message));
        }
    });

    test('an unknown arch or a malformed input gives an error answer, not an exception', () => {
        assert.deepEqual(runCase({ id: 'x', arch: 'mips', input: {}, expect: {} }, 'spec').actual.error, 'UNSUPPORTED_ARCH');
        const r = runCase({ id: 'y', arch: 'vtd', input: { addr_lo: 0xfee00010 }, expect: {} }, 'spec').actual;
        assert.equal(r.error, 'INVALID_INPUT');
        assert.match(String(r.message), /'ir'/);
    });
});
