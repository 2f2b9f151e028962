/**
 * Everything the command-line tool takes from the routing engine, in one place. The CLI adds no routing
 * knowledge (ARCHITECTURE.md): decodes, traces, outcome summaries, remapping results, fault names and
 * labels all come from the engine's public API (language/engine/index.ts).
 */
export {
    runCases,
    ConformanceSchemaError,
    type CaseResult,
    decodeIrte,
    decodeMsiAddress,
    decodeMsiData,
    type DecodeContext,
    route,
    listSources,
    sourceName,
    summarizeOutcome,
    vtdRemap,
    prepareVtdUnit,
    VTD_FAULTS,
    type RemapOutput,
    irteWords,
    irtePda,
    ridOf,
    NO_SID,
    parseBdf,
    formatBdf,
    decodeRemappableRequest,
    decodeCompatMsi,
    deliveryModeLabel,
    hex,
    hexGrouped,
} from '../../language/engine/index.js';
export type {
    Machine,
    Profile,
    SourceRef,
    SourceKind,
    VtdIommu,
    DecodedField,
    RouteTrace,
    Stage,
    ValueDecode,
    Finding,
    ElementRef,
} from '../../language/engine/index.js';

/** Bits 31:0 and 63:32 of a 64-bit value as unsigned numbers (exact: each half is below 2^32). */
export function splitAddress(address: bigint): { lo: number; hi: number } {
    return { lo: Number(address & 0xffff_ffffn), hi: Number((address >> 32n) & 0xffff_ffffn) };
}
