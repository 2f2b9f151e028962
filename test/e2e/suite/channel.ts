/**
 * The file channel between the suite (inside the extension host) and the runner (test/e2e/run.mjs, which holds
 * the browser showing the workbench). Both sides are on one machine: code-server's extension host is a local
 * Node process, so a folder is the simplest channel that needs no port and survives any VS Code build.
 *
 * - events.jsonl: one JSON object per line, appended by the suite (test results, snapshot requests).
 * - ack-<id>.json: written by the runner when it has handled snapshot request <id>: what the workbench's DOM
 *   showed at that moment (Problems rows, hover text, inlay hints, code lenses) and the screenshot's path.
 *
 * Without a browser on the other side (IRQ_E2E_BROWSER=0: @vscode/test-electron; or no IRQ_E2E_CHANNEL at all)
 * there is no one to take screenshots: `snapshot` returns undefined and the rendered-workbench tests skip.
 */
import * as fs from 'fs';
import * as path from 'path';

const CHANNEL = process.env.IRQ_E2E_CHANNEL;

export function emit(event: Record<string, unknown>): void {
    if (!CHANNEL) return;
    fs.appendFileSync(path.join(CHANNEL, 'events.jsonl'), JSON.stringify({ ...event, at: Date.now() }) + '\n');
}

/** What the runner read from the workbench's DOM (see domState in run.mjs). */
export interface DomState {
    screenshot: string;
    /** Visible rows of the Problems panel, whitespace collapsed: file rows and marker rows. */
    problems: string[];
    /** The Problems badge on the panel tab ("28"), or null. */
    problemsBadge: string | null;
    /** Squiggles rendered in the visible part of the active editor, by severity. */
    squiggles: { error: number; warning: number; info: number; hint: number };
    /** The same squiggles as `line: severity` (1-based line), in DOM order. */
    squiggleLines: string[];
    /** Text of the visible hover widget, or null. */
    hover: string | null;
    /** Inlay hints rendered in the active editor, `line: text` (1-based line), in DOM order. */
    inlayHints: string[];
    /** Code lenses rendered in the active editor, `line: title` for the line they sit above, in DOM order. */
    codeLenses: string[];
    /** Lines (1-based) the debugger marks as the current one (top stack frame). */
    stackFrameLines: number[];
    /** Rows of the Run and Debug view's call stack, whitespace collapsed. */
    callStack: string[];
    /** Text drawn struck through in the active editor (semantic `deprecated`), `line: text`, in DOM order. */
    struck: string[];
    /** Rows of the open code action menu (light bulb, Ctrl+.), whitespace collapsed. */
    actionWidget: string[];
    /** Images inside webviews (the extension details page's README): src as written, loaded width (0: broken). */
    webviewImages: { src: string; width: number; alt: string }[];
    /** Text of the Welcome / walkthrough editor, whitespace collapsed, or null when none is open. */
    gettingStarted: string | null;
}

let next = 0;

/**
 * Asks the runner to screenshot the workbench as it is now (saved as `<name>.png`) and to read its DOM.
 * `clip` names the part of the page to keep, so that each PNG stays small and shows one thing.
 */
export async function snapshot(name: string, clip: 'workbench' | 'editor' | 'panel' | 'debug' = 'workbench'): Promise<DomState | undefined> {
    if (!CHANNEL || !hasRunner()) return undefined;
    const id = ++next;
    const ack = path.join(CHANNEL, `ack-${id}.json`);
    emit({ event: 'snapshot', id, name, clip });
    const deadline = Date.now() + 30_000;
    while (Date.now() < deadline) {
        if (fs.existsSync(ack)) {
            // The runner writes the file under a temporary name and renames it: it is complete once it exists.
            return JSON.parse(fs.readFileSync(ack, 'utf8')) as DomState;
        }
        await new Promise(r => setTimeout(r, 100));
    }
    throw new Error(`the runner did not answer snapshot request ${id} (${name}) within 30 s`);
}

export function hasRunner(): boolean {
    return !!CHANNEL && process.env.IRQ_E2E_BROWSER !== '0';
}

/** A JSON file the runner put in the channel before starting VS Code, or undefined without a channel. */
export function channelFile<T>(name: string): T | undefined {
    if (!CHANNEL || !fs.existsSync(path.join(CHANNEL, name))) return undefined;
    return JSON.parse(fs.readFileSync(path.join(CHANNEL, name), 'utf8')) as T;
}
