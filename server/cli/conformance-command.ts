/**
 * `irq-topology conformance FILE [--profile spec|qemu] [--json]`: runs a routing cases file through the
 * engine, exactly as /work/shared/conformance/README.md ("The contract") specifies:
 *
 * - text: one line per failing case, `FAIL <id>: expected <json>, actual <json>`, then `N passed, M failed`;
 *   exit 1 if any case fails, else 0;
 * - `--json`: exactly one JSON object `{"profile": …, "results": [{"id": …, "actual": {…}}]}`, exit 0
 *   whether or not cases fail;
 * - exit 2 when the file cannot be read, is not JSON, or is not a schema-1 cases file.
 *
 * The engine runs and normalises each case (runCases); the comparison with `expect` / `expect_qemu` is
 * the engine's too. This command reads the file and prints.
 */
import { CliError, EXIT_OK, EXIT_PROBLEMS } from './errors.js';
import { ConformanceSchemaError, runCases, type CaseResult, type Profile } from './engine.js';
import { readTextFile } from './files.js';
import type { Output } from './output.js';

export interface ConformanceOptions {
    profile: Profile;
    json?: boolean;
}

export async function conformanceCommand(file: string, options: ConformanceOptions, out: Output): Promise<number> {
    const text = await readTextFile(file);
    let json: unknown;
    try {
        json = JSON.parse(text);
    } catch (e) {
        throw new CliError(`'${file}' is not JSON: ${(e as Error).message}`);
    }
    let results: CaseResult[];
    try {
        results = runCases(json, options.profile);
    } catch (e) {
        if (e instanceof ConformanceSchemaError) throw new CliError(`'${file}': ${e.message}`);
        throw e;
    }
    if (options.json) {
        // Compact: one object, one line, exactly as the contract shows it.
        out.stdout(JSON.stringify({ profile: options.profile, results: results.map((r) => ({ id: r.id, actual: r.actual })) }));
        return EXIT_OK;
    }
    const failed = results.filter((r) => !r.pass);
    for (const r of failed) out.stdout(`FAIL ${r.id}: expected ${JSON.stringify(r.expected)}, actual ${JSON.stringify(r.actual)}`);
    out.stdout(`${results.length - failed.length} passed, ${failed.length} failed`);
    return failed.length > 0 ? EXIT_PROBLEMS : EXIT_OK;
}
