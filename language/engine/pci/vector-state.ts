/**
 * The state machine of one message-signalled vector, for all three storage kinds (MSI, MSI-X, IMS): what
 * firing, masking, unmasking, rewriting the message and the function mask do to it. Pure functions over
 * immutable states, shared by route() (the current state), the hovers and the debugger's simulator.
 *
 * ROUTING.md §7 and threads 002 / 003:
 * - MSI-X: a vector masked by its Vector Control bit or by the Function Mask sets its PBA bit instead of
 *   sending; unmasking (with neither mask set) sends the pending message and clears the bit. Changing the
 *   address / data of an entry that can fire (enabled, neither masked) is undefined (msixWriteRule).
 * - MSI: only a capability with per-vector masking has Mask and Pending bits; without it a vector cannot be
 *   masked. Whether a device latches address and data atomically is implementation-defined (thread 002):
 *   rewriting an enabled, unmasked MSI may tear unless the device is known to latch.
 * - IMS: device-defined storage with the same message semantics; the device declares whether it can mask
 *   (thread 003). Pending semantics are those of MSI-X.
 * A disabled capability sends nothing and records nothing.
 */
import type { Device } from '../model.js';
import { msiVectorData } from './msi.js';
import { msixWriteRule } from './msix.js';

export type StorageKind = 'msi' | 'msix' | 'ims';

export interface VectorState {
    kind: StorageKind;
    index: number;
    /** MSI Enable / MSI-X Enable. IMS: the device's own enable (true unless declared otherwise). */
    enabled: boolean;
    /** MSI-X Function Mask (always false for MSI and IMS). */
    functionMasked: boolean;
    /** The vector's own mask: Vector Control bit 0, the MSI Mask bit, the IMS entry mask. */
    masked: boolean;
    /** Whether the vector can be masked at all: MSI needs per-vector masking; IMS declares it; MSI-X always. */
    maskable: boolean;
    /** PBA bit / MSI Pending bit / IMS pending bit. */
    pending: boolean;
    address: bigint;
    data: number;
    /** MSI only: the device latches address and data atomically (undefined: unknown). */
    latches?: boolean;
}

/** Why a vector does not send now. */
export type HoldReason = 'disabled' | 'function-masked' | 'entry-masked' | 'vector-masked';

/** Whether the vector is held back by a mask (the effective mask: an unmaskable vector is never held). */
export function effectiveMask(s: VectorState): HoldReason | undefined {
    if (!s.enabled) return 'disabled';
    if (s.kind === 'msix' && s.functionMasked) return 'function-masked';
    if (s.masked && s.maskable) return s.kind === 'msi' ? 'vector-masked' : 'entry-masked';
    return undefined;
}

export type VectorEffect =
    /** The message is sent now. */
    | { kind: 'delivered'; address: bigint; data: number }
    /** The pending bit is set (or stays set). */
    | { kind: 'pending'; reason: Exclude<HoldReason, 'disabled'> }
    /** Nothing is sent and nothing is recorded (capability disabled). */
    | { kind: 'dropped'; reason: 'disabled' };

/** A rule the operation broke (a finding code of DIAGNOSTIC_CODES and a sentence). */
export interface VectorViolation {
    code: 'msix-write-unmasked' | 'ims-write-unmasked' | 'msi-may-tear' | 'msi-latch-unknown' | 'msi-mask-unsupported' | 'ims-mask-unsupported';
    message: string;
}

export interface VectorStep {
    state: VectorState;
    /** What the operation made the vector do (absent: nothing observable). */
    effect?: VectorEffect;
    violation?: VectorViolation;
}

function label(s: VectorState): string {
    return `${s.kind === 'msi' ? 'MSI vector' : s.kind === 'msix' ? 'MSI-X entry' : 'IMS entry'} ${s.index}`;
}

/** The device raises the vector. */
export function fire(s: VectorState): VectorStep {
    const hold = effectiveMask(s);
    if (hold === 'disabled') return { state: s, effect: { kind: 'dropped', reason: 'disabled' } };
    if (hold) return { state: { ...s, pending: true }, effect: { kind: 'pending', reason: hold } };
    return { state: s, effect: { kind: 'delivered', address: s.address, data: s.data } };
}

/** Sends the pending message if the vector is pending and nothing holds it any more. */
function release(s: VectorState): VectorStep {
    if (s.pending && effectiveMask(s) === undefined) {
        return { state: { ...s, pending: false }, effect: { kind: 'delivered', address: s.address, data: s.data } };
    }
    return { state: s };
}

/** Software sets the vector's mask. On an unmaskable vector nothing changes and the violation says so. */
export function mask(s: VectorState): VectorStep {
    if (!s.maskable) {
        const code = s.kind === 'ims' ? 'ims-mask-unsupported' : 'msi-mask-unsupported';
        const why = s.kind === 'ims' ? 'the device declares its IMS entries unmaskable' : 'the MSI capability has no per-vector masking (Mask Bits register)';
        return { state: s, violation: { code, message: `${label(s)} cannot be masked: ${why}; the vector keeps firing. Disable the capability, or mask at the interrupt controller instead.` } };
    }
    return { state: { ...s, masked: true } };
}

/** Software clears the vector's mask: a pending message is delivered now. */
export function unmask(s: VectorState): VectorStep {
    return release({ ...s, masked: false });
}

/** MSI-X Function Mask set / cleared; clearing delivers a pending vector whose own mask is clear. */
export function setFunctionMask(s: VectorState, on: boolean): VectorStep {
    if (s.kind !== 'msix') return { state: s };
    return on ? { state: { ...s, functionMasked: true } } : release({ ...s, functionMasked: false });
}

/** MSI / MSI-X Enable set or cleared. Enabling does not send pending messages by itself (masks still apply). */
export function setEnabled(s: VectorState, on: boolean): VectorStep {
    return on ? release({ ...s, enabled: true }) : { state: { ...s, enabled: false } };
}

/**
 * Software writes the message (address and / or data). MSI-X and IMS: undefined while the vector can fire
 * (msixWriteRule). MSI: a device that does not latch (or is not known to) may send half of the old and
 * half of the new message while enabled and unmasked.
 */
export function writeMessage(s: VectorState, msg: { address?: bigint; data?: number }): VectorStep {
    const next: VectorState = { ...s, address: msg.address ?? s.address, data: msg.data === undefined ? s.data : msg.data >>> 0 };
    const fields = [msg.address !== undefined ? 'address' : '', msg.data !== undefined ? 'data' : ''].filter(Boolean);
    if (fields.length === 0) return { state: s };
    const what = fields.join(' and ');
    if (s.kind === 'msix' || s.kind === 'ims') {
        const r = msixWriteRule({ enabled: s.enabled, entryMasked: s.masked && s.maskable, functionMasked: s.kind === 'msix' && s.functionMasked }, fields[0]);
        if (!r.ok) {
            const fix = s.maskable ? `mask the ${s.kind === 'msix' ? 'entry (or the function)' : 'entry'} first, write, then unmask (as Linux does)` : 'disable the store while rewriting it';
            return {
                state: next,
                violation: {
                    code: s.kind === 'msix' ? 'msix-write-unmasked' : 'ims-write-unmasked',
                    message: `${label(s)}: writing the ${what} while the ${s.kind === 'msix' ? 'entry' : 'entry'} is unmasked is undefined — the device may send a mix of the old and new fields; ${fix}.`,
                },
            };
        }
        return { state: next };
    }
    // MSI
    if (!s.enabled || (s.masked && s.maskable) || s.latches === true) return { state: next };
    return {
        state: next,
        violation:
            s.latches === false
                ? { code: 'msi-may-tear', message: `${label(s)}: the device does not latch its message, and rewriting the ${what} of an enabled, unmasked MSI may send a torn message (old address with new data or the reverse); mask the vector first (needs per-vector masking) or disable MSI while rewriting.` }
                : { code: 'msi-latch-unknown', message: `${label(s)}: rewriting the ${what} of an enabled, unmasked MSI is safe only if the device latches the message, which is not declared; declare \`latch on|off\`, or mask the vector while rewriting.` },
    };
}

/** The state machine's view of a pending bit's location ('PBA qword 0 bit 1', 'MSI Pending bit 3'). */
export function pendingBitOf(s: Pick<VectorState, 'kind' | 'index'>): { register: string; bit: number; qword?: number } {
    if (s.kind === 'msix') return { register: 'PBA', qword: s.index >>> 6, bit: s.index & 63 };
    if (s.kind === 'msi') return { register: 'MSI Pending Bits', bit: s.index };
    return { register: 'IMS pending (device-defined)', bit: s.index };
}

/**
 * The current state of vector k of a device, from the model. An MSI-X / IMS entry the model does not list
 * holds its reset value (address 0, data 0, masked). `firmware` supplies the message of an unlisted entry
 * that platform firmware programmed (pseries ibm,change-msi); such an entry is unmasked.
 * Undefined: the device has no such capability.
 */
export function vectorStateOf(
    device: Device,
    kind: StorageKind,
    k: number,
    firmware?: { address: bigint; data: number },
): VectorState | undefined {
    if (kind === 'msi') {
        const cap = device.msi;
        if (!cap) return undefined;
        const mme = Math.min(Math.max(cap.mme, 0), 5);
        const unprogrammed = cap.address === 0n && cap.data === 0;
        const s: VectorState = {
            kind,
            index: k,
            enabled: cap.enabled,
            functionMasked: false,
            masked: ((cap.maskBits >>> k) & 1) === 1,
            maskable: cap.perVectorMask,
            pending: ((cap.pendingBits >>> k) & 1) === 1,
            address: unprogrammed && firmware ? firmware.address : cap.address,
            data: unprogrammed && firmware ? firmware.data : msiVectorData(cap.data, mme, k),
        };
        if (cap.latches !== undefined) s.latches = cap.latches;
        return s;
    }
    const store = kind === 'msix' ? device.msix : device.ims;
    if (!store) return undefined;
    const entry = store.entries.find((e) => e.index === k);
    const fw = !entry && firmware;
    return {
        kind,
        index: k,
        enabled: kind === 'msix' ? device.msix!.enabled : true,
        functionMasked: kind === 'msix' ? device.msix!.functionMask : false,
        masked: fw ? false : (entry?.masked ?? true),
        maskable: kind === 'msix' ? true : device.ims!.maskable !== false,
        pending: entry?.pending ?? false,
        address: fw ? firmware.address : (entry?.address ?? 0n),
        data: fw ? firmware.data : (entry?.data ?? 0),
    };
}
