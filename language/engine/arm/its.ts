/**
 * GICv3 ITS translation of a GITS_TRANSLATER write. Pure function.
 *
 * ROUTING.md §8; qemu hw/intc/arm_gicv3_its.c: gicv3_its_translation_write (only GITS_TRANSLATER, offset
 * 0x40 of the translation frame, and only while GITS_CTLR.Enabled), lookup_ite / process_its_cmd_phys
 * (DeviceID range, DTE valid, EventID < 2^(DTE.size+1), ITE valid), process_mapti (INTID must be an LPI:
 * 8192 ≤ INTID < 2^(IDbits+1)), lookup_cte (ICID range, CTE valid, RDbase < number of CPUs).
 */

export const GITS_TRANSLATER = 0x40;
export const LPI_MIN_INTID = 8192;

export type ItsError =
    | 'NOT_TRANSLATER'
    | 'ITS_DISABLED'
    | 'DEVID_OUT_OF_RANGE'
    | 'DTE_INVALID'
    | 'EVENTID_OUT_OF_RANGE'
    | 'ITE_INVALID'
    | 'INTID_NOT_LPI'
    | 'ICID_OUT_OF_RANGE'
    | 'CTE_INVALID'
    | 'RDBASE_OUT_OF_RANGE';

export interface ItsIte {
    valid: boolean;
    intid: number;
    icid: number;
}

export interface ItsDte {
    valid: boolean;
    /** Number of EventID bits minus 1. */
    size: number;
    itt: ReadonlyMap<number, ItsIte>;
}

export interface ItsState {
    enabled: boolean;
    dtEntries: number;
    ctEntries: number;
    numCpus: number;
    /** GICD_TYPER.IDbits: INTIDs below 2^(idbits+1). */
    idbits: number;
    dt: ReadonlyMap<number, ItsDte>;
    ct: ReadonlyMap<number, { valid: boolean; rdbase: number }>;
}

export type ItsResult = { ok: true; intid: number; redistributor: number; icid: number } | { ok: false; error: ItsError };

export function itsTranslate(its: ItsState, deviceId: number, eventId: number, offset: number = GITS_TRANSLATER): ItsResult {
    if (offset !== GITS_TRANSLATER) return { ok: false, error: 'NOT_TRANSLATER' };
    if (!its.enabled) return { ok: false, error: 'ITS_DISABLED' };
    if (deviceId < 0 || deviceId >= its.dtEntries) return { ok: false, error: 'DEVID_OUT_OF_RANGE' };
    const dte = its.dt.get(deviceId);
    if (!dte?.valid) return { ok: false, error: 'DTE_INVALID' };
    if (eventId < 0 || eventId >= 2 ** (dte.size + 1)) return { ok: false, error: 'EVENTID_OUT_OF_RANGE' };
    const ite = dte.itt.get(eventId);
    if (!ite?.valid) return { ok: false, error: 'ITE_INVALID' };
    if (ite.intid < LPI_MIN_INTID || ite.intid >= 2 ** (its.idbits + 1)) return { ok: false, error: 'INTID_NOT_LPI' };
    if (ite.icid < 0 || ite.icid >= its.ctEntries) return { ok: false, error: 'ICID_OUT_OF_RANGE' };
    const cte = its.ct.get(ite.icid);
    if (!cte?.valid) return { ok: false, error: 'CTE_INVALID' };
    if (cte.rdbase < 0 || cte.rdbase >= its.numCpus) return { ok: false, error: 'RDBASE_OUT_OF_RANGE' };
    return { ok: true, intid: ite.intid, redistributor: cte.rdbase, icid: ite.icid };
}
