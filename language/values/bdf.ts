/**
 * BDF literals: `bb:dd.f` or `ssss:bb:dd.f`, all hex (the form `lspci` prints).
 */
import { ridOf } from '../engine-api.js';

export interface ParsedBdf {
    /** Undefined when the literal has no segment: it inherits the bus's segment. */
    segment?: number;
    bus: number;
    device: number;
    fn: number;
}

const BDF_RE = /^(?:([0-9a-fA-F]{4}):)?([0-9a-fA-F]{2}):([0-9a-fA-F]{2})\.([0-9a-fA-F])$/;

/** Parses the literal's text; undefined when it does not have the BDF shape (never for a lexed BDF token). */
export function parseBdf(text: string): ParsedBdf | undefined {
    const m = BDF_RE.exec(text);
    if (!m) return undefined;
    return {
        segment: m[1] === undefined ? undefined : parseInt(m[1], 16),
        bus: parseInt(m[2], 16),
        device: parseInt(m[3], 16),
        fn: parseInt(m[4], 16),
    };
}

/** The 16-bit requester id of a BDF, as the engine defines it (ROUTING.md §2.5). */
export function requesterId(b: { bus: number; device: number; fn: number }): number {
    return ridOf(b);
}

/** `0000:00:03.0` */
export function formatBdf(b: { segment?: number; bus: number; device: number; fn: number }): string {
    const h = (v: number, n: number) => v.toString(16).padStart(n, '0');
    return `${h(b.segment ?? 0, 4)}:${h(b.bus, 2)}:${h(b.device, 2)}.${b.fn.toString(16)}`;
}
