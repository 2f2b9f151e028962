/**
 * The tool's version: the `version` of the package.json that ships with it. Read at run time, walking up
 * from this file, because the same code runs as the bundle (out/cli.cjs) and as tsc output
 * (out/server/cli/*.js) at different depths below the package root.
 */
import { readFileSync } from 'node:fs';
import { dirname, join } from 'node:path';
import { fileURLToPath } from 'node:url';

export function toolVersion(): string {
    let dir = dirname(fileURLToPath(import.meta.url));
    for (let i = 0; i < 6; i++) {
        try {
            const pkg = JSON.parse(readFileSync(join(dir, 'package.json'), 'utf8')) as { name?: string; version?: string };
            if (pkg.name === 'irq-topology' && typeof pkg.version === 'string') return pkg.version;
        } catch {
            // No package.json here (or not ours): keep walking up.
        }
        const up = dirname(dir);
        if (up === dir) break;
        dir = up;
    }
    return 'unknown';
}
