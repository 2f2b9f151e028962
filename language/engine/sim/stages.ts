/**
 * Stages of what software does in a scenario (a mask write, an IRTE update, an EOI), in the trace's Stage
 * shape so the debugger shows them like the stages of a delivery. Their decodes are built on first read
 * from values captured when the stage was made (never from a machine that changes afterwards).
 */
import type { ElementRef, Stage, StageKind, ValueDecode } from '../trace.js';

export class ActionStage implements Stage {
    element?: ElementRef;
    #decodes: ValueDecode[] | undefined;
    #make: (() => ValueDecode[]) | undefined;
    #summary: string | (() => string);

    /** `summary` may be a function: it is then computed on first read (a million-event run never reads most). */
    constructor(
        public kind: StageKind,
        public title: string,
        summary: string | (() => string),
        element: ElementRef | undefined,
        make?: () => ValueDecode[],
    ) {
        if (element) this.element = element;
        this.#summary = summary;
        this.#make = make;
    }

    get summary(): string {
        if (typeof this.#summary === 'function') this.#summary = this.#summary();
        return this.#summary;
    }

    set summary(v: string) {
        this.#summary = v;
    }

    get decodes(): ValueDecode[] {
        if (this.#decodes === undefined) {
            this.#decodes = this.#make ? this.#make() : [];
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
