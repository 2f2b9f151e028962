/**
 * Entry point of the `irq-topology` command (bundled to out/cli.cjs by esbuild.mjs).
 *
 * The status is set with process.exitCode rather than process.exit(): exit() would cut off output still
 * queued for a pipe (a long `--json` trace piped into another program).
 */
import { runCli } from './program.js';

// A reader that stops early (`irq-topology route … | head`) closes the pipe: stop quietly, as Unix tools do.
for (const stream of [process.stdout, process.stderr]) {
    stream.on('error', (e: NodeJS.ErrnoException) => {
        if (e.code === 'EPIPE') process.exit(process.exitCode ?? 0);
        throw e;
    });
}

runCli(process.argv.slice(2)).then(
    (code) => {
        process.exitCode = code;
    },
    (e: unknown) => {
        process.stderr.write(`irq-topology: internal error: ${e instanceof Error ? (e.stack ?? e.message) : String(e)}\n`);
        process.exitCode = 3;
    },
);
