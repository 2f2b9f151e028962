/**
 * Finding and reading repository files from a compiled test. Tests compile to out-<x>/test/client/*.js, so the
 * repository root is three levels above this file, whichever out folder tsc wrote to.
 */
import { readFileSync } from 'node:fs';
import { fileURLToPath } from 'node:url';

export const repoRoot = fileURLToPath(new URL('../../../', import.meta.url));

export function repoPath(relative: string): string {
    return fileURLToPath(new URL(relative.replace(/^\.\//, ''), new URL('../../../', import.meta.url)));
}

export function readText(relative: string): string {
    return readFileSync(repoPath(relative), 'utf8');
}

export function readJson<T = any>(relative: string): T {
    return JSON.parse(readText(relative)) as T;
}

/**
 * Parses JSON with comments, as VS Code reads language-configuration.json. Comments are blanked outside strings
 * (a regex in a string may well contain `//`); trailing commas are not accepted, so the file stays plain JSON
 * apart from its comments.
 */
export function parseJsonc<T = any>(text: string): T {
    let out = '';
    let i = 0;
    while (i < text.length) {
        const c = text[i];
        if (c === '"') {
            const start = i++;
            while (i < text.length && text[i] !== '"') i += text[i] === '\\' ? 2 : 1;
            out += text.slice(start, ++i);
        } else if (c === '/' && text[i + 1] === '/') {
            while (i < text.length && text[i] !== '\n') i++;
        } else if (c === '/' && text[i + 1] === '*') {
            const end = text.indexOf('*/', i + 2);
            if (end < 0) throw new SyntaxError('unterminated block comment');
            out += text.slice(i, end + 2).replace(/[^\n]/g, ' ');
            i = end + 2;
        } else {
            out += c;
            i++;
        }
    }
    return JSON.parse(out) as T;
}
