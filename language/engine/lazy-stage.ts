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
    element?: ElementRef;
    #decodes: ValueDecode[] | undefined;
    #make: ((arg: A) => ValueDecode[]) | undefined;
    #summary: string | ((arg: A) => string);
    #arg: A | undefined;

    constructor(
        public kind: StageKind,
        public title: string,
        summary: string | ((arg: A) => string),
        element: ElementRef | undefined,
        make?: (arg: A) => ValueDecode[],
        arg?: A,
    ) {
        if (element) this.element = element;
        this.#summary = summary;
        this.#make = make;
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
        if (this.#decodes === undefined) {
            this.#decodes = this.#make ? this.#make(this.#arg as A) : [];
            this.#make = undefined;
        }
        return this.#decodes;
    }

    set decodes(v: ValueDecode[]) {
        this.#decodes = v;
        this.#make = undefined;
    }

    toJSON(): Stage {
        const out: Stage = { kind: this.kind, title: this.title, decodes: this.decodes, summary: this.summary };
        if (this.element) out.element = this.element;
        return out;
    }
}
