/**
 * Runs the bundled command-line tool (out/cli.cjs, built by `node esbuild.mjs`) the way a user does: a
 * separate `node` process in the repository root, so printed paths are the relative ones typed here.
 */
import { spawnSync } from 'node:child_process';
import { existsSync, readFileSync } from 'node:fs';
import { dirname, join, resolve } from 'node:path';
import { fileURLToPath } from 'node:url';

/** Three levels up from out/test/cli/<file>.js (or out-cli/test/cli/<file>.js). */
export const REPO_ROOT = resolve(dirname(fileURLToPath(import.meta.url)), '..', '..', '..');
export const CLI = join(REPO_ROOT, 'out', 'cli.cjs');

export interface CliRun {
    status: number | null;
    stdout: string;
    stderr: string;
}

export function runCli(...args: string[]): CliRun {
    if (!existsSync(CLI)) throw new Error(`${CLI} is missing: build it with \`node esbuild.mjs\` first`);
    const r = spawnSync(process.execPath, [CLI, ...args], { cwd: REPO_ROOT, encoding: 'utf8', timeout: 60_000 });
    if (r.error) throw r.error;
    return { status: r.status, stdout: r.stdout, stderr: r.stderr };
}

export function lines(text: string): string[] {
    const l = text.split('\n');
    if (l[l.length - 1] === '') l.pop();
    return l;
}

export function readRepoFile(path: string): string {
    return readFileSync(join(REPO_ROOT, path), 'utf8');
}
