/**
 * What the kernel writes when it moves a vector to another CPU (irq_set_affinity):
 * - without interrupt remapping, a new compatibility-format message (Linux __irq_msi_compose_msg): the APIC
 *   ID in address[19:12], its bits 14:8 in address[11:5] when the hypervisor advertises the extended
 *   destination ID, or its bits 31:8 in address_hi[31:8] under KVM's x2APIC API (ROUTING.md §1.1, §1.3,
 *   §1.4); physical destination mode, RH = 0; the data word (vector, delivery mode, trigger) is kept;
 * - with remapping, the same handle and a new IRTE destination (intel_ir_set_affinity → modify_irte), which
 *   the engine's IRTE encoder lays out (vtd/irte.ts).
 *
 * The composed address is checked by decoding it again with the engine's KVM decoder: a CPU that the
 * message format cannot name (an APIC ID above 0xFF without x2APIC API or extended destination ID) is
 * reported instead of silently aliasing.
 */
import { hex, join64, lo32 } from '../bits.js';
import type { KvmMsiOptions } from '../model.js';
import { encodeIrte, irteFieldsOf, type IrteSpec } from '../vtd/irte.js';
import { decodeCompatMsi, isInterruptAddress } from '../x86/msi-compat.js';
import type { IrtePatch } from './scenario.js';

export type RetargetResult = { ok: true; address: bigint } | { ok: false; reason: string };

/** The compatibility-format address that sends `address`'s message to APIC ID `apicId` (physical mode). */
export function retargetCompatAddress(address: bigint, apicId: number, kvm: KvmMsiOptions): RetargetResult {
    const lo = lo32(address);
    if (!isInterruptAddress(lo)) return { ok: false, reason: `${hex(address)} is not an interrupt address` };
    if (lo & 0x10) return { ok: false, reason: 'the message is in the remappable format' };
    // Keep the window and bits 1:0; clear Destination ID (19:12), ext dest ID (11:5), RH (3) and DM (2).
    let newLo = (lo & 0xfff0_0003) >>> 0;
    newLo = (newLo | ((apicId & 0xff) << 12)) >>> 0;
    let newHi = 0;
    if (apicId > 0xff) {
        if (kvm.x2apicApi) newHi = (apicId & 0xffff_ff00) >>> 0;
        else if (kvm.extDestId && apicId < 0x8000) newLo = (newLo | (((apicId >>> 8) & 0x7f) << 5)) >>> 0;
        else {
            return {
                ok: false,
                reason: `APIC ID ${hex(apicId)} needs more than the 8 destination bits of a compatibility-format message; it needs KVM's x2APIC API, the extended destination ID (IDs below 0x8000), or interrupt remapping`,
            };
        }
    }
    const check = decodeCompatMsi(newLo, newHi, 0x30, { x2apicFormat: kvm.x2apicApi, extDestId: kvm.extDestId });
    if (!check.ok || check.msi.destId !== apicId || check.msi.destMode !== 'physical') {
        return { ok: false, reason: `no compatibility-format address names APIC ID ${hex(apicId)} on this machine` };
    }
    return { ok: true, address: join64(newLo, newHi) };
}

/**
 * An IRTE with `patch` applied: the entry is decoded into fields (as the hardware reads it with this EIM),
 * the patch overrides the fields it names, and the engine encodes the result. Throws RangeError for a value
 * the format cannot hold (e.g. a destination above 0xFF_FFFF without EIM).
 */
export function patchIrte(lo: bigint, hi: bigint, patch: IrtePatch, eim: boolean): { lo: bigint; hi: bigint } {
    const f = irteFieldsOf(lo, hi, { eim });
    const spec: IrteSpec = {
        present: f.present && !patch.notPresent,
        fpd: f.fpd || patch.fpd === true,
        posted: f.posted || patch.posted === true,
        vector: patch.vector ?? f.vector,
        avail: patch.avail ?? f.avail,
        dest: patch.dest ?? f.dest,
        deliveryMode: patch.deliveryMode ?? f.deliveryMode,
        trigger: patch.trigger ?? f.trigger,
        destMode: patch.destMode ?? f.destMode,
        redirectionHint: f.redirectionHint || patch.redirectionHint === true,
        urgent: f.urgent || patch.urgent === true,
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
