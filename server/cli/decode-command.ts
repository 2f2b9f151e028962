/**
 * `irq-topology decode ADDRESS DATA [--irte LO HI] [--eim] [--posted] [--sid BDF]`: a quick decode of one
 * MSI without a file. The address and data field tables come from the engine's decoders; with a
 * remappable-format address and `--irte`, the CLI builds the inputs of the engine's VT-d remapping (a unit
 * with remapping on whose table holds that one IRTE at the index the request selects) and prints what
 * vtdRemap returns.
 */
import { CliError, EXIT_OK, EXIT_PROBLEMS } from './errors.js';
import {
    decodeCompatMsi,
    decodeIrte,
    decodeMsiAddress,
    decodeMsiData,
    decodeRemappableRequest,
    deliveryModeLabel,
    formatBdf,
    hex,
    hexGrouped,
    irtePda,
    irteTableEntries,
    irteWords,
    irtaSForIndex,
    IRTA_S_MAX,
    NO_SID,
    parseBdf,
    prepareVtdUnit,
    ridOf,
    splitAddress,
    joinAddress,
    vtdRemap,
    VTD_FAULTS,
    type DecodeContext,
    type Machine,
    type Profile,
    type RemapOutput,
    type ValueDecode,
    type VtdIommu,
} from './engine.js';
import { alignTable, formatDecode, toJson } from './format.js';
import { parseUnsigned } from './numbers.js';
import type { Output } from './output.js';

export interface DecodeOptions {
    profile: Profile;
    /** `--irte LO HI`: the IRTE's bits 63:0 and 127:64. */
    irte?: string[];
    /** The IOMMU runs in extended interrupt mode (32-bit destinations). */
    eim?: boolean;
    /** The IOMMU supports posted interrupts (IM=1 entries are posted, not reserved). */
    posted?: boolean;
    /** Requester id of the write (`bb:dd.f` or a 16-bit number); default none (source-id check skipped). */
    sid?: string;
    json?: boolean;
}

/** The single IOMMU the decode pretends the device sits behind (only its interrupt-remapping settings matter). */
const IOMMU_NAME = 'iommu';

function parseSid(text: string): { rid: number; label: string } {
    if (text.includes(':')) {
        try {
            const bdf = parseBdf(text);
            return { rid: ridOf(bdf), label: formatBdf(bdf) };
        } catch {
            throw new CliError(`--sid '${text}' is not a BDF: write bb:dd.f or ssss:bb:dd.f in hex (device ≤ 1f, function ≤ 7), or a 16-bit requester id`);
        }
    }
    const rid = Number(parseUnsigned(text, '--sid', 16));
    return { rid, label: hex(rid) };
}

interface RemapSetup {
    machine: Machine;
    iommu: VtdIommu;
    index: number;
    lo: bigint;
    hi: bigint;
}

/**
 * A unit with remapping on whose table holds the one IRTE at `index`, sized (IRTA.S) as the smallest table
 * that holds it (larger indexes fault 0x21 as they should), or `irtaS` when given.
 */
function setup(index: number, lo: bigint, hi: bigint, opts: DecodeOptions, irtaS = irtaSForIndex(index)): RemapSetup {
    const iommu: VtdIommu = {
        kind: 'vtd',
        id: `iommu:decode:${IOMMU_NAME}`,
        name: IOMMU_NAME,
        remapping: true,
        eim: !!opts.eim,
        cfi: false,
        irtaS,
        postedSupported: !!opts.posted,
        irtes: new Map([[index, { id: `irte:decode:${IOMMU_NAME}:${index}`, index, lo, hi }]]),
    };
    const machine: Machine = {
        id: 'machine:decode',
        name: 'decode',
        arch: 'x86_64',
        apic: { mode: opts.eim ? 'x2apic' : 'xapic', logical: 'flat' },
        kvm: { x2apicApi: !!opts.eim, broadcastQuirkDisabled: !!opts.eim, extDestId: false },
        cpus: [],
        iommus: [iommu],
        buses: [],
        bridges: [],
        devices: [],
    };
    return { machine, iommu, index, lo, hi };
}

function remap(s: RemapSetup, address: bigint, data: number, sid: number, profile: Profile): RemapOutput {
    const unit = prepareVtdUnit({
        enabled: s.iommu.remapping,
        eime: s.iommu.eim,
        cfis: s.iommu.cfi,
        irtaS: s.iommu.irtaS,
        postedSupported: s.iommu.postedSupported,
    });
    const words = irteWords(s.lo, s.hi);
    // The table holds this one entry at the index the request selects (whatever index the engine computes).
    const { lo: addrLo, hi: addrHi } = splitAddress(address);
    return vtdRemap({ addrLo, addrHi, data, sid, ioapic: false }, unit, () => words, profile);
}

/** What the remapping returned, as `name  value` rows. */
function remapRows(r: RemapOutput): string[][] {
    const rows: string[][] = [['result', r.result]];
    if (r.index >= 0) rows.push(['index', r.shv ? `${r.index} (handle ${hex(r.handle)} + subhandle ${hex(r.subhandle)})` : String(r.index)]);
    switch (r.result) {
        case 'fault':
            rows.push(['fault reason', `${hex(r.faultReason)} ${VTD_FAULTS[r.faultReason].name}: ${VTD_FAULTS[r.faultReason].title}`]);
            rows.push(['FPD', r.fpd === -1 ? 'none (no IRTE was read)' : `${r.fpd}${r.fpd === 1 ? ' (fault not recorded)' : ''}`]);
            break;
        case 'posted':
            rows.push(['vector', hex(r.vector)], ['urgent', String(r.urgent)], ['descriptor', hexGrouped(irtePda(r.irte!), 16)]);
            break;
        case 'remapped':
            rows.push(
                ['vector', hex(r.vector)],
                ['destination', `${r.destMode ? 'logical' : 'physical'} ${hex(r.dest)}`],
                ['delivery mode', deliveryModeLabel(r.deliveryMode)],
                ['trigger', r.trigger ? 'level' : 'edge'],
                ['redirection hint', String(r.redirectionHint)],
                ['message to APIC', `address ${hexGrouped(joinAddress(r.outAddrLo, r.outAddrHi), 16)} data ${hexGrouped(r.outData, 8)}`],
            );
            break;
        case 'passthrough':
            break;
    }
    return rows;
}

function remapJson(r: RemapOutput): Record<string, unknown> {
    const { irte: _irte, ...rest } = r;
    const out: Record<string, unknown> = { ...rest };
    if (r.result === 'fault') out.faultName = VTD_FAULTS[r.faultReason].name;
    if (r.result === 'posted') out.pda = irtePda(r.irte!);
    if (r.result === 'remapped') out.msiOut = { address: joinAddress(r.outAddrLo, r.outAddrHi), data: r.outData };
    return out;
}

export function decodeCommand(addressText: string, dataText: string, options: DecodeOptions, out: Output): number {
    const address = parseUnsigned(addressText, 'ADDRESS', 64);
    const data = Number(parseUnsigned(dataText, 'DATA', 32));
    let irte: { lo: bigint; hi: bigint } | undefined;
    if (options.irte !== undefined) {
        if (options.irte.length !== 2) throw new CliError(`--irte takes two numbers, LO (bits 63:0) and HI (bits 127:64); got ${options.irte.length}`);
        irte = { lo: parseUnsigned(options.irte[0], '--irte LO', 64), hi: parseUnsigned(options.irte[1], '--irte HI', 64) };
    }
    const sid = options.sid === undefined ? undefined : parseSid(options.sid);
    const profile = options.profile;

    const { lo: addrLo, hi: addrHi } = splitAddress(address);
    // The engine decides what a remappable-format request is: its compatibility decoder refuses one.
    const check = decodeCompatMsi(addrLo, addrHi, data, { x2apicFormat: false, extDestId: false });
    const remappable = !check.ok && check.error === 'REMAPPABLE_FORMAT';
    const addressText16 = hexGrouped(address, addrHi ? 16 : 8);

    let s: RemapSetup | undefined;
    let irteDecode: ValueDecode | undefined;
    let result: RemapOutput | undefined;
    if (irte && remappable) {
        const rid = sid?.rid ?? NO_SID;
        // The index the engine reads (QEMU wraps handle + subhandle at 16 bits): probe the largest table; a
        // request that faults before the index is computed keeps handle + subhandle.
        const probe = remap(setup(0, irte.lo, irte.hi, options, IRTA_S_MAX), address, data, rid, profile);
        const index = probe.index >= 0 ? probe.index : decodeRemappableRequest(addrLo, data).index;
        s = setup(index, irte.lo, irte.hi, options);
        irteDecode = decodeIrte(irte.lo, irte.hi, { profile, machine: s.machine, iommuId: s.iommu.id, index, requesterId: sid?.rid });
        result = remap(s, address, data, rid, profile);
    } else if (irte) {
        out.stderr(`irq-topology: note: --irte is ignored: ${addressText16} is not a remappable-format interrupt address, so no IRTE is read`);
    }

    // With an IRTE, the address decode sees the one-entry table (its notes then say what the entry holds);
    // it is sent with this data word (the subhandle) by this requester, like the remapping below.
    const ctx: DecodeContext = s ? { profile, machine: s.machine, iommuId: s.iommu.id, requesterId: sid?.rid } : { profile, requesterId: sid?.rid };
    const addressDecode = decodeMsiAddress(address, { ...ctx, data });
    const dataDecode = decodeMsiData(data, { ...ctx, address });

    if (options.json) {
        const json: Record<string, unknown> = {
            profile,
            address: { value: address, decode: addressDecode },
            data: { value: data, decode: dataDecode },
        };
        if (s && irteDecode && result) {
            json.irte = { lo: irte!.lo, hi: irte!.hi, index: s.index, decode: irteDecode };
            json.remap = { unit: { eim: s.iommu.eim, postedSupported: s.iommu.postedSupported, entries: irteTableEntries(s.iommu), sid: sid?.label ?? null }, ...remapJson(result) };
        }
        out.stdout(toJson(json));
        return result?.result === 'fault' ? EXIT_PROBLEMS : EXIT_OK;
    }

    const lines = [...formatDecode(addressDecode, '', addressText16), '', ...formatDecode(dataDecode, '', hexGrouped(data, 8))];
    if (s && irteDecode && result) {
        lines.push('', ...formatDecode(irteDecode, '', `${hexGrouped(irte!.lo, 16)} ${hexGrouped(irte!.hi, 16)}`));
        const entries = irteTableEntries(s.iommu);
        lines.push(
            '',
            `VT-d remapping (IRTE ${s.index} in a table of ${entries} entries, EIM ${s.iommu.eim ? 'on' : 'off'}, posted interrupts ${s.iommu.postedSupported ? 'supported' : 'unsupported'}, requester ${sid ? sid.label : 'none: source-id check skipped'}, profile ${profile}): ${result.result}`,
            ...alignTable(remapRows(result), '  '),
        );
    }
    for (const line of lines) out.stdout(line);
    // Like `route`: a message that faults in remapping is a problem found.
    return result?.result === 'fault' ? EXIT_PROBLEMS : EXIT_OK;
}
