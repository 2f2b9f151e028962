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
    listSignals,
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
    splitAddress,
    joinAddress,
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
