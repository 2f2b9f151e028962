/**
 * `irq-topology check FILE…`: every diagnostic of every file, as a compiler prints them.
 *
 *     errors.irq:10:5: error duplicate-irte: IRTE 0 of dmar0 is already defined on line 9.
 *       related: errors.irq:9:5: first IRTE 0
 *     2 files: 3 errors, 1 warning
 *
 * The diagnostics are exactly the ones the language server publishes (the same headless build: parse,
 * link, validation with every category, the engine's routing findings); this command only prints them.
 */
import { toCliDiagnostics, type CheckedFile } from './diagnostics.js';
import { EXIT_OK, EXIT_PROBLEMS } from './errors.js';
import type { Profile } from './engine.js';
import { formatDiagnostic, summaryLine, toJson } from './format.js';
import { FileLoader } from './load.js';
import type { Output } from './output.js';

export interface CheckOptions {
    profile: Profile;
    json?: boolean;
}

export async function checkCommand(paths: readonly string[], options: CheckOptions, out: Output): Promise<number> {
    const loader = new FileLoader(options.profile);
    const texts = await loader.readAll(paths);
    const checked: CheckedFile[] = [];
    for (const { path, text } of texts) {
        const loaded = await loader.load(path, text);
        checked.push({ file: path, diagnostics: toCliDiagnostics(loaded) });
    }
    if (options.json) {
        out.stdout(toJson(checked));
    } else {
        for (const f of checked) for (const d of f.diagnostics) for (const line of formatDiagnostic(f.file, d)) out.stdout(line);
        out.stdout(summaryLine(checked));
    }
    return checked.some((f) => f.diagnostics.some((d) => d.severity === 'error')) ? EXIT_PROBLEMS : EXIT_OK;
}
