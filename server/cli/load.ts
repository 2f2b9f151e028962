/**
 * Loading `.irq` files for the commands: the language layer's headless loader (parse, link, validate with
 * every category, engine analysis) behind a CliError for files that cannot be read.
 *
 * One loader per profile: the profile decides which routing checks the validation reports, and the
 * language services read it from their settings when they validate.
 */
import { resolve } from 'node:path';
import { pathToFileURL } from 'node:url';
import { createIrqHeadless, type IrqHeadless, type LoadedIrq } from '../../language/index.js';
import type { Profile } from './engine.js';
import { readTextFile } from './files.js';

export interface LoadedFile extends LoadedIrq {
    /** The path as the user typed it: diagnostics are printed with it, as compilers do. */
    path: string;
    /** The document URI (file:///abs/path), to recognise related information in the same file. */
    uri: string;
}

export class FileLoader {
    private readonly headless: IrqHeadless;

    constructor(readonly profile: Profile) {
        this.headless = createIrqHeadless({ profile });
    }

    /** Reads every file first, so that a missing one stops the command before anything is printed. */
    async readAll(paths: readonly string[]): Promise<{ path: string; text: string }[]> {
        const out: { path: string; text: string }[] = [];
        for (const path of paths) out.push({ path, text: await readTextFile(path) });
        return out;
    }

    async load(path: string, text: string): Promise<LoadedFile> {
        // Langium picks the language by the URI's extension: a file named otherwise (`topology.txt`, `Q35.IRQ`,
        // `/dev/fd/63` from `check <(generate)`) is still read as .irq; it is printed with the path as typed.
        let uri = pathToFileURL(resolve(path)).href;
        if (!uri.endsWith('.irq')) uri += '.irq';
        const loaded = await this.headless.loadText(text, { uri, profile: this.profile });
        return { ...loaded, path, uri: loaded.document.uri.toString() };
    }
}
