/**
 * What the kernel writes when it moves a vector to another CPU (irq_set_affinity):
 * - without interrupt remapping, a new compatibility-format message address. That layout has one owner,
 *   the x86 compat-format module (x86/msi-compat.ts composeCompatAddress, after Linux
 *   __irq_msi_compose_msg); the simulator calls it directly.
 * - with remapping, the same handle and a new IRTE destination (intel_ir_set_affinity → modify_irte), which
 *   the engine's IRTE encoder lays out (vtd/irte.ts): this file applies the patch.
 */
import { encodeIrte, irteFieldsOf, type IrteSpec } from '../vtd/irte.js';
import type { IrtePatch } from './scenario.js';

/**
 * An IRTE with `patch` applied: the entry is decoded into fields (as the hardware reads it with this EIM),
 * the patch overrides the fields it names (a flag `false` clears it), and the engine encodes the result. Throws RangeError for a value
 * the format cannot hold (e.g. a destination above 0xFF_FFFF without EIM).
 */
export function patchIrte(lo: bigint, hi: bigint, patch: IrtePatch, eim: boolean): { lo: bigint; hi: bigint } {
    const f = irteFieldsOf(lo, hi, { eim });
    const spec: IrteSpec = {
        present: patch.present ?? (patch.notPresent ? false : f.present),
        fpd: patch.fpd ?? f.fpd,
        posted: patch.posted ?? f.posted,
        vector: patch.vector ?? f.vector,
        avail: patch.avail ?? f.avail,
        dest: patch.dest ?? f.dest,
        deliveryMode: patch.deliveryMode ?? f.deliveryMode,
        trigger: patch.trigger ?? f.trigger,
        destMode: patch.destMode ?? f.destMode,
        redirectionHint: patch.redirectionHint ?? f.redirectionHint,
        urgent: patch.urgent ?? f.urgent,
        pda: patch.pda ?? f.pda,
        sid: patch.sid ?? f.sid,
        sq: patch.sq ?? f.sq,
        svt: patch.svt ?? (patch.sid !== undefined ? 'requester' : f.svt),
    };
    return encodeIrte(spec, { eim });
}

/** Whether an IRTE is present (P; ROUTING.md §2.3), as the engine decodes it. */
export function irtePresent(lo: bigint, hi: bigint): boolean {
    return irteFieldsOf(lo, hi, { eim: true }).present;
}
