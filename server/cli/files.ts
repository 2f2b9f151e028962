/**
 * Reading the files named on the command line. Every failure becomes a CliError (exit 2) whose message
 * names the file as the user typed it and says what is wrong in words, not an errno dump.
 */
import { readFile } from 'node:fs/promises';
import { CliError } from './errors.js';

const REASONS: Record<string, string> = {
    ENOENT: 'no such file',
    EISDIR: 'it is a directory',
    EACCES: 'permission denied',
    EPERM: 'permission denied',
    ENOTDIR: 'a component of the path is not a directory',
    ELOOP: 'too many symbolic links',
    ENAMETOOLONG: 'the name is too long',
};

export async function readTextFile(path: string): Promise<string> {
    let text: string;
    try {
        text = await readFile(path, 'utf8');
    } catch (e) {
        const code = (e as NodeJS.ErrnoException).code ?? '';
        const reason = REASONS[code] ?? (e as Error).message;
        throw new CliError(`cannot read '${path}': ${reason}`);
    }
    // A NUL byte never occurs in a text file: say so once instead of a hundred syntax errors.
    const nul = text.indexOf('\0');
    if (nul >= 0) throw new CliError(`cannot read '${path}': not a text file (NUL byte at offset ${nul})`);
    return text;
}
