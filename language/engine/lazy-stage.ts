/**
 * The one Stage implementation the engine builds: route() uses it for delivery stages and the simulator for
 * what software does (a mask write, an IRTE update, an EOI), so the debugger shows both the same way.
 */
import type { ElementRef, Stage, StageKind, ValueDecode } from './trace.js';

/**
 * A stage whose `decodes` (and, where it is not a constant, `summary`) are built on first read: route()
 * stays cheap, hover and the debugger pay on demand. Both are accessors on the prototype (an own accessor
 * per object costs more than the rest of the route); toJSON() includes them, so JSON.stringify(trace,
 * bigintReplacer) shows every decode. A lazy summary is made only from values fixed when the stage is
 * (never from model objects that may change afterwards), so reading it later gives the same text.
 *
 * `arg` is handed to both makers: route() passes module-level functions and the one record they read
 * instead of two fresh closures per stage (a closure, and the context it captures, per stage per route
 * cost more than the stage itself).
 */
export class LazyStage<A = undefined> implements Stage {
    // Own data properties, always all three and in this order (one shape for every stage; `element` is
    // undefined when the stage names no element). `declare`: assigned once in the constructor rather than
    // defined as undefined first and then assigned.
    declare kind: StageKind;
    declare title: string;
    declare element: ElementRef | undefined;
    /** The decodes once made; before that the maker (or undefined: none). One slot for both. */
    #decodes: ValueDecode[] | ((arg: A) => ValueDecode[]) | undefined;
    #summary: string | ((arg: A) => string);
    #arg: A | undefined;

    constructor(kind: StageKind, title: string, summary: string | ((arg: A) => string), element: ElementRef | undefined, make?: (arg: A) => ValueDecode[], arg?: A) {
        this.kind = kind;
        this.title = title;
        this.element = element;
        this.#decodes = make;
        this.#summary = summary;
        this.#arg = arg;
    }

    get summary(): string {
        const s = this.#summary;
        if (typeof s === 'string') return s;
        const text = s(this.#arg as A);
        this.#summary = text;
        return text;
    }

    set summary(v: string) {
        this.#summary = v;
    }

    get decodes(): ValueDecode[] {
        const d = this.#decodes;
        if (typeof d === 'function') {
            const made = d(this.#arg as A);
            this.#decodes = made;
            return made;
        }
        if (d === undefined) {
            const none: ValueDecode[] = [];
            this.#decodes = none;
            return none;
        }
        return d;
    }

    set decodes(v: ValueDecode[]) {
        this.#decodes = v;
    }

    toJSON(): Stage {
        const out: Stage = { kind: this.kind, title: this.title, decodes: this.decodes, summary: this.summary };
        if (this.element) out.element = this.element;
        return out;
    }
}
