/**
 * Runs routing conformance cases (test/fixtures/conformance/README.md) through the engine's decoders and
 * normalises each answer to the `expect` shape of its arch: same keys, same value types, lists sorted
 * ascending, IRTE halves / pda as `0x%016x`.
 *
 * This module takes parsed JSON (no file access), so the engine core stays free of node: imports; the CLI
 * and the tests read the file and hand the object in.
 */
import { hex64, toBig } from '../bits.js';
import type { Profile } from '../model.js';
import { decodeCompatMsi, type CompatMsi, type CompatResult } from '../x86/msi-compat.js';
import { deliverToApics, defaultXapicLogicalId, type ApicTarget } from '../x86/apic-delivery.js';
import { prepareVtdUnit, vtdRemap, VTD_FAULTS, WARN_IOAPIC_TRIGGER, WARN_IOAPIC_VECTOR } from '../vtd/remap.js';
import { irtePda, irteWords, type IrteWords } from '../vtd/irte.js';
import { NO_SID } from '../vtd/source-id.js';
import { msiVectorRule } from '../pci/msi.js';
import { msixEntryLocation, msixFireRule, msixWriteRule } from '../pci/msix.js';
import { spaprCurrentDecode, spaprLegacyDecode, type SpaprResult } from '../spapr/phb-msi.js';
import { itsTranslate, type ItsDte, type ItsIte } from '../arm/its.js';
import { imsicDecode } from '../riscv/imsic.js';

export type Json = null | boolean | number | string | Json[] | { [k: string]: Json };
export type JsonObject = { [k: string]: Json };

export interface ConformanceCase {
    id: string;
    arch: string;
    input: JsonObject;
    expect: JsonObject;
    expect_qemu?: JsonObject;
    why?: string;
}

export interface CasesFile {
    schema: 1;
    cases: ConformanceCase[];
}

export const CONFORMANCE_ARCHES = ['x86-compat', 'x86-deliver', 'vtd', 'pci', 'spapr', 'its', 'imsic'] as const;

/** Thrown when a file is not a conformance cases file (the CLI exits 2 on it). */
export class ConformanceSchemaError extends Error {
    constructor(message: string) {
        super(message);
        this.name = 'ConformanceSchemaError';
    }
}

/** Checks that `json` is a schema-1 cases file and returns it typed. Throws ConformanceSchemaError. */
export function validateCasesFile(json: unknown): CasesFile {
    const isObj = (v: unknown): v is Record<string, unknown> => typeof v === 'object' && v !== null && !Array.isArray(v);
    if (!isObj(json)) throw new ConformanceSchemaError('not a conformance cases file: the top level must be a JSON object {"schema": 1, "cases": [...]}');
    if (json.schema !== 1) throw new ConformanceSchemaError(`not a conformance cases file: "schema" must be 1, got ${JSON.stringify(json.schema)}`);
    if (!Array.isArray(json.cases)) throw new ConformanceSchemaError('not a conformance cases file: "cases" must be an array');
    const seen = new Set<string>();
    json.cases.forEach((c, i) => {
        const where = `case #${i}${isObj(c) && typeof c.id === 'string' ? ` ('${c.id}')` : ''}`;
        if (!isObj(c)) throw new ConformanceSchemaError(`${where} is not an object`);
        if (typeof c.id !== 'string' || c.id === '') throw new ConformanceSchemaError(`${where} has no string "id"`);
        if (typeof c.arch !== 'string') throw new ConformanceSchemaError(`${where} has no string "arch"`);
        if (!isObj(c.input)) throw new ConformanceSchemaError(`${where} has no object "input"`);
        if (!isObj(c.expect)) throw new ConformanceSchemaError(`${where} has no object "expect"`);
        if (c.expect_qemu !== undefined && !isObj(c.expect_qemu)) throw new ConformanceSchemaError(`${where}: "expect_qemu" must be an object when present`);
        if (seen.has(c.id)) throw new ConformanceSchemaError(`${where}: duplicate id '${c.id}'`);
        seen.add(c.id);
    });
    return json as unknown as CasesFile;
}

/** The answer a case expects under a profile: `expect_qemu ?? expect` for qemu, `expect` for spec. */
export function expectedFor(c: ConformanceCase, profile: Profile): JsonObject {
    return profile === 'qemu' ? c.expect_qemu ?? c.expect : c.expect;
}

/** Deep equality of JSON values; object key order is irrelevant, array order is not. */
export function jsonEqual(a: unknown, b: unknown): boolean {
    if (a === b) return true;
    if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
    if (Array.isArray(a) !== Array.isArray(b)) return false;
    if (Array.isArray(a)) {
        const bb = b as unknown[];
        return a.length === bb.length && a.every((x, i) => jsonEqual(x, bb[i]));
    }
    const ao = a as Record<string, unknown>;
    const bo = b as Record<string, unknown>;
    const ak = Object.keys(ao).filter((k) => ao[k] !== undefined);
    const bk = Object.keys(bo).filter((k) => bo[k] !== undefined);
    return ak.length === bk.length && ak.every((k) => Object.prototype.hasOwnProperty.call(bo, k) && jsonEqual(ao[k], bo[k]));
}

// ---------------------------------------------------------------------------------------------------------
// Input accessors: a malformed input throws a CaseInputError naming the field.

class CaseInputError extends Error {}

function int(o: JsonObject, key: string, dflt?: number): number {
    const v = o[key];
    if (v === undefined || v === null) {
        if (dflt !== undefined) return dflt;
        throw new CaseInputError(`input field '${key}' is missing`);
    }
    if (typeof v === 'string') return Number(toBig(v));
    if (typeof v !== 'number' || !Number.isInteger(v)) throw new CaseInputError(`input field '${key}' must be an integer`);
    return v;
}

function big(o: JsonObject, key: string, dflt?: bigint): bigint {
    const v = o[key];
    if (v === undefined || v === null) {
        if (dflt !== undefined) return dflt;
        throw new CaseInputError(`input field '${key}' is missing`);
    }
    if (typeof v !== 'number' && typeof v !== 'string') throw new CaseInputError(`input field '${key}' must be an integer or a hex string`);
    return toBig(v);
}

function bool(o: JsonObject, key: string, dflt = false): boolean {
    const v = o[key];
    if (v === undefined || v === null) return dflt;
    if (typeof v !== 'boolean') throw new CaseInputError(`input field '${key}' must be a boolean`);
    return v;
}

function obj(o: JsonObject, key: string): JsonObject {
    const v = o[key];
    if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CaseInputError(`input field '${key}' must be an object`);
    return v;
}

function arr(o: JsonObject, key: string): JsonObject[] {
    const v = o[key];
    if (!Array.isArray(v)) throw new CaseInputError(`input field '${key}' must be an array`);
    return v as JsonObject[];
}

// ---------------------------------------------------------------------------------------------------------
// Per-arch runners

/** x86-compat expect shape of a decoded message. */
export function compatExpect(m: CompatMsi): JsonObject {
    return {
        format: 'compat',
        dest_mode: m.destMode,
        dest_id: m.destId,
        redirection_hint: m.redirectionHint,
        vector: m.vector,
        delivery_mode: m.deliveryMode,
        delivery_mode_name: m.deliveryModeName,
        level: m.level,
        trigger: m.trigger,
        broadcast: m.broadcast,
        lowest_priority: m.lowestPriority,
    };
}

function compatResultJson(r: CompatResult): JsonObject {
    return r.ok ? compatExpect(r.msi) : { error: r.error };
}

function decodeCompatInput(i: JsonObject): CompatResult {
    return decodeCompatMsi(int(i, 'addr_lo'), int(i, 'addr_hi', 0), int(i, 'data'), {
        x2apicFormat: bool(i, 'x2apic_format'),
        extDestId: bool(i, 'ext_dest_id'),
    });
}

function runX86Compat(i: JsonObject): JsonObject {
    return compatResultJson(decodeCompatInput(i));
}

function runX86Deliver(i: JsonObject): JsonObject {
    const r = decodeCompatInput(obj(i, 'msi'));
    if (!r.ok) return { error: r.error };
    const cpus = arr(i, 'cpus');
    const targets: ApicTarget[] = cpus.map((c, n) => {
        const dfr = c.dfr === 'cluster' ? 'cluster' : 'flat';
        return {
            apicId: int(c, 'apic_id'),
            mode: c.mode === 'x2apic' ? 'x2apic' : 'xapic',
            logicalId: c.logical_id === undefined ? defaultXapicLogicalId(n, dfr) : int(c, 'logical_id'),
            dfr,
            enabled: bool(c, 'enabled', true),
        };
    });
    const d = deliverToApics(r.msi, targets, bool(i, 'broadcast_quirk_disabled'));
    const out: JsonObject = {
        vector: r.msi.vector,
        delivery_mode: d.deliveryMode,
        trigger: r.msi.trigger,
        targets: d.accepted.map((n) => targets[n].apicId).sort((a, b) => a - b),
        lowest_priority: d.lowestPriority,
    };
    if (d.note) out.note = d.note;
    return out;
}

function runVtd(i: JsonObject, profile: Profile): JsonObject {
    const ir = obj(i, 'ir');
    const irtaS = int(ir, 'irta_s', 0);
    // Optional extension for fault 0x23: the table base ("irta", hex or integer) and the host address width.
    let readableEntries: number | undefined;
    if (ir.irta !== undefined && ir.haw !== undefined) {
        const limit = 1n << BigInt(int(ir, 'haw'));
        const base = big(ir, 'irta');
        readableEntries = base >= limit ? 0 : Number((limit - base) / 16n);
    }
    const unit = prepareVtdUnit({
        enabled: bool(ir, 'enabled'),
        eime: bool(ir, 'eime'),
        cfis: bool(ir, 'cfis'),
        irtaS,
        postedSupported: bool(ir, 'posted_supported'),
        readableEntries,
    });
    const table = new Map<number, IrteWords>();
    const irte = i.irte;
    if (irte !== undefined && irte !== null) {
        if (typeof irte !== 'object' || Array.isArray(irte)) throw new CaseInputError("input field 'irte' must be an object");
        for (const [k, v] of Object.entries(irte)) {
            if (typeof v !== 'object' || v === null || Array.isArray(v)) throw new CaseInputError(`irte '${k}' must be {lo, hi}`);
            table.set(Number(k), irteWords(big(v, 'lo'), big(v, 'hi')));
        }
    }
    const addrLo = int(i, 'addr_lo');
    const addrHi = int(i, 'addr_hi', 0);
    const data = int(i, 'data');
    const sid = i.sid === undefined || i.sid === null ? NO_SID : int(i, 'sid');
    const r = vtdRemap({ addrLo, addrHi, data, sid, ioapic: i.source === 'ioapic' }, unit, (n) => table.get(n), profile);
    switch (r.result) {
        case 'passthrough':
            return { result: 'passthrough', msi: compatResultJson(decodeCompatMsi(addrLo, addrHi, data, { x2apicFormat: false, extDestId: false })) };
        case 'fault':
            return { result: 'fault', fault_reason: r.faultReason, fault_name: VTD_FAULTS[r.faultReason].name, fpd: r.fpd === -1 ? null : r.fpd };
        case 'posted':
            return { result: 'posted', index: r.index, vector: r.vector, urgent: r.urgent, pda: hex64(irtePda(r.irte!)) };
        case 'remapped': {
            const warnings: string[] = [];
            if (r.warnings & WARN_IOAPIC_TRIGGER) warnings.push('ioapic_trigger_mismatch');
            if (r.warnings & WARN_IOAPIC_VECTOR) warnings.push('ioapic_vector_mismatch');
            warnings.sort();
            return {
                result: 'remapped',
                index: r.index,
                dest_id: r.dest,
                dest_mode: r.destMode ? 'logical' : 'physical',
                redirection_hint: r.redirectionHint,
                trigger: r.trigger ? 'level' : 'edge',
                delivery_mode: r.deliveryMode,
                vector: r.vector,
                warnings,
                msi_out: { addr_lo: r.outAddrLo, addr_hi: r.outAddrHi, data: r.outData },
            };
        }
    }
}

function runPci(i: JsonObject): JsonObject {
    switch (i.op) {
        case 'msi_vector': {
            const r = msiVectorRule({
                mmc: int(i, 'mmc'),
                mme: int(i, 'mme'),
                k: int(i, 'k'),
                data: int(i, 'data'),
                is64bit: i.is_64bit === undefined ? undefined : bool(i, 'is_64bit'),
                addrHi: int(i, 'addr_hi', 0),
            });
            if (!r.ok) return { error: r.error };
            const out: JsonObject = { nvec: r.nvec, data: r.data };
            if (r.warning) out.warning = r.warning;
            return out;
        }
        case 'msix_entry': {
            const r = msixEntryLocation(int(i, 'qsize'), int(i, 'k'));
            if (!r.ok) return { error: r.error };
            return { table_size: r.tableSize, entry_offset: r.entryOffset, pba_qword: r.pbaQword, pba_bit: r.pbaBit };
        }
        case 'msix_write': {
            if (typeof i.field !== 'string') throw new CaseInputError("input field 'field' must be a string");
            const r = msixWriteRule({ entryMasked: bool(i, 'entry_masked'), functionMasked: bool(i, 'function_masked'), enabled: bool(i, 'msix_enabled') }, i.field);
            return r.ok ? { ok: true } : { error: r.error };
        }
        case 'msix_fire': {
            const r = msixFireRule({ entryMasked: bool(i, 'entry_masked'), functionMasked: bool(i, 'function_masked'), enabled: bool(i, 'msix_enabled') });
            const out: JsonObject = { delivered: r.delivered, pending: r.pending };
            if (r.reason) out.reason = r.reason;
            return out;
        }
        default:
            throw new CaseInputError(`unknown pci op ${JSON.stringify(i.op)}`);
    }
}

function spaprJson(r: SpaprResult): JsonObject {
    const out: JsonObject = r.ok ? { irq: r.irq, ics_source: r.icsSource } : { error: r.error };
    if (r.ndev !== undefined) out.ndev = r.ndev;
    if (r.vec !== undefined) out.vec = r.vec;
    if (!r.ok && r.irq !== undefined) out.irq = r.irq;
    return out;
}

function runSpapr(i: JsonObject): JsonObject {
    const ics = { icsOffset: int(i, 'ics_offset'), nrIrqs: int(i, 'nr_irqs') };
    const addr = big(i, 'addr');
    const data = int(i, 'data');
    const windowSize = i.window_size === undefined || i.window_size === null ? undefined : big(i, 'window_size');
    if (i.model === 'legacy') {
        const table = arr(i, 'msi_table').map((e) => ({ irq: int(e, 'irq'), nvec: int(e, 'nvec') }));
        return spaprJson(spaprLegacyDecode({ ...ics, msiWinAddr: big(i, 'msi_win_addr'), windowSize, msiTable: table, maxDevs: i.max_devs === undefined ? undefined : int(i, 'max_devs') }, addr, data));
    }
    if (i.model === 'current') {
        const claimed = i.claimed === undefined || i.claimed === null ? undefined : (i.claimed as Json[]).map((v) => (typeof v === 'number' ? v : NaN));
        return spaprJson(spaprCurrentDecode({ ...ics, msiWinAddr: big(i, 'msi_win_addr'), windowSize, claimed }, addr, data));
    }
    throw new CaseInputError(`unknown spapr model ${JSON.stringify(i.model)}`);
}

function runIts(i: JsonObject): JsonObject {
    const its = obj(i, 'its');
    const dt = new Map<number, ItsDte>();
    for (const [k, v] of Object.entries(obj(its, 'dt'))) {
        const d = v as JsonObject;
        const itt = new Map<number, ItsIte>();
        for (const [ek, ev] of Object.entries((d.itt ?? {}) as JsonObject)) {
            const e = ev as JsonObject;
            itt.set(Number(ek), { valid: bool(e, 'valid'), intid: int(e, 'intid'), icid: int(e, 'icid') });
        }
        dt.set(Number(k), { valid: bool(d, 'valid'), size: int(d, 'size'), itt });
    }
    const ct = new Map<number, { valid: boolean; rdbase: number }>();
    for (const [k, v] of Object.entries(obj(its, 'ct'))) ct.set(Number(k), { valid: bool(v as JsonObject, 'valid'), rdbase: int(v as JsonObject, 'rdbase') });
    const r = itsTranslate(
        { enabled: bool(its, 'enabled'), dtEntries: int(its, 'dt_entries'), ctEntries: int(its, 'ct_entries'), numCpus: int(its, 'num_cpus'), idbits: int(its, 'idbits'), dt, ct },
        int(i, 'requester_id'),
        int(i, 'data'),
        int(i, 'offset', 0x40),
    );
    return r.ok ? { intid: r.intid, redistributor: r.redistributor, icid: r.icid } : { error: r.error };
}

function runImsic(i: JsonObject): JsonObject {
    const files = arr(i, 'files').map((f) => ({ hart: int(f, 'hart'), file: String(f.file), base: big(f, 'base'), numIds: int(f, 'num_ids') }));
    const r = imsicDecode(files, big(i, 'addr'), int(i, 'data'));
    if (r.ok) return { hart: r.hart, file: r.file, identity: r.identity };
    if (r.error === 'NO_INTERRUPT_FILE') return { error: r.error };
    return { error: r.error, hart: r.hart };
}

/** The engine's answer for one case, normalised to the `expect` shape of its arch. */
export function runCase(c: ConformanceCase, profile: Profile): { actual: JsonObject } {
    try {
        switch (c.arch) {
            case 'x86-compat':
                return { actual: runX86Compat(c.input) };
            case 'x86-deliver':
                return { actual: runX86Deliver(c.input) };
            case 'vtd':
                return { actual: runVtd(c.input, profile) };
            case 'pci':
                return { actual: runPci(c.input) };
            case 'spapr':
                return { actual: runSpapr(c.input) };
            case 'its':
                return { actual: runIts(c.input) };
            case 'imsic':
                return { actual: runImsic(c.input) };
            default:
                return { actual: { error: 'UNSUPPORTED_ARCH', message: `arch '${c.arch}' is not one of ${CONFORMANCE_ARCHES.join(', ')}` } };
        }
    } catch (e) {
        if (e instanceof CaseInputError || e instanceof RangeError || e instanceof SyntaxError) {
            return { actual: { error: 'INVALID_INPUT', message: e.message } };
        }
        throw e;
    }
}

export interface CaseResult {
    id: string;
    arch: string;
    actual: JsonObject;
    expected: JsonObject;
    pass: boolean;
}

/** Runs every case of a file (validated first; throws ConformanceSchemaError if it is not this schema). */
export function runCases(file: unknown, profile: Profile): CaseResult[] {
    const f = validateCasesFile(file);
    return f.cases.map((c) => {
        const { actual } = runCase(c, profile);
        const expected = expectedFor(c, profile);
        return { id: c.id, arch: c.arch, actual, expected, pass: jsonEqual(actual, expected) };
    });
}
