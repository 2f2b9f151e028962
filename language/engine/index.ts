/**
 * The routing engine's public API. Pure TypeScript: no parser, editor or Node types, so a script of one's
 * own can `import { route } from '.../language/engine/index.js'`.
 */
export type * from './model.js';
export type * from './trace.js';

// Whole machines
export { route, listSources, listSignals, sourceName, irteUsedBy, type RouteOptions } from './route.js';
export { KVM_MAX_IRQ_ROUTES } from './model.js';
export { checkMachine, type CheckOptions } from './check.js';
export { summarizeOutcome, summarizeDevice, compressIndices } from './summary.js';
export { DIAGNOSTIC_CODES, type DiagnosticCode, type DiagnosticCodeInfo } from './diagnostics.js';

// Hover decodes
export {
    decodeMsiAddress,
    decodeMsiData,
    decodeIrte,
    decodeBdf,
    describeIommu,
    decodePhbWindowAddress,
    describePhb,
    describeGsi,
    describeVectorState,
    unwrittenIrteText,
    type DecodeContext,
} from './decode.js';

// Bits
export { hex, hexPad, hex64, hexGrouped, parseHexBig, toBig, leBytes, byteSwap32, byteSwap64, bigintReplacer, splitAddress, joinAddress, irteValue128 } from './bits.js';
export { indexMachine, invalidateMachineIndex, type MachineIndex } from './machine-index.js';

// x86
export {
    decodeCompatMsi,
    swizzleExtDestId,
    isInterruptAddress,
    compatAddressFields,
    compatDataFields,
    type CompatMsi,
    type CompatOptions,
    type CompatResult,
    type CompatErrorCode,
} from './x86/msi-compat.js';
export {
    DELIVERY_MODE_NAMES,
    deliveryModeName,
    deliveryModeLabel,
    deliveryModeMeaning,
    parseDeliveryMode,
    isReservedDeliveryMode,
    isIllegalVector,
} from './x86/delivery-mode.js';
export {
    deliverToApics,
    indexApicTargets,
    matchDestination,
    x2apicLdr,
    defaultXapicLogicalId,
    vectorHashingPick,
    type ApicTarget,
    type ApicMessage,
    type DeliveryResult,
    type ApicDestinationIndex,
} from './x86/apic-delivery.js';
export { swappedAddressCandidate, swappedDataCandidate } from './x86/byte-swap.js';
export {
    freeVectors,
    usedVectors,
    deliveredVector,
    isDeviceVector,
    FIRST_EXTERNAL_VECTOR,
    FIRST_SYSTEM_VECTOR,
    IA32_SYSCALL_VECTOR,
    type FreeVectorQuery,
} from './x86/free-vectors.js';

// VT-d
export {
    encodeIrte,
    irteFieldsOf,
    irteDecodedFields,
    irteWords,
    irteHalves,
    irtePda,
    irteReservedMask,
    irteReservedViolations,
    parseSq,
    parseSvt,
    ridOf,
    busRangeSid,
    formatRid,
    irteTableEntries,
    irtaSForIndex,
    IRTA_S_MAX,
    IRTE_MAX_ENTRIES,
    PCI_DEVICES_PER_BUS,
    SVT_NAMES,
    SQ_MASKS,
    SQ_MEANINGS,
    type IrteFields,
    type IrteSpec,
    type IrteWords,
    type SvtName,
} from './vtd/irte.js';
export {
    vtdRemap,
    prepareVtdUnit,
    irtaSizeRule,
    remappableHandle,
    remappableAddress,
    VTD_FAULTS,
    WARN_IOAPIC_TRIGGER,
    WARN_IOAPIC_VECTOR,
    type VtdUnitConfig,
    type PreparedVtdUnit,
    type RemapRequest,
    type RemapOutput,
    type RemapCause,
    type IrteReader,
} from './vtd/remap.js';
export { decodeRemappableRequest, remappableAddressFields, remappableDataFields } from './vtd/remappable-msi.js';
export {
    checkSourceId,
    requesterIdOf,
    expectedIrteSource,
    formatBdf,
    parseBdf,
    NO_SID,
    type RequesterIdInfo,
    type ExpectedSource,
    type SidCheck,
} from './vtd/source-id.js';
export { vtdRuntime, slotWords } from './vtd/unit.js';

// PCI
export {
    msiVectorRule,
    msiVectorCount,
    msiVectorData,
    msiBaseDataUnaligned,
    msiLog2OfCount,
    msiPendingWhere,
    msiMessageControlFields,
    type MsiVectorError,
    type MsiVectorResult,
} from './pci/msi.js';
export {
    msixEntryLocation,
    msixWriteRule,
    msixFireRule,
    pbaWhere,
    msixMessageControlFields,
    msixEntryFields,
    isMessageField,
    MSIX_MAX_ENTRIES,
    type MsixEntryError,
    type MsixFireReason,
} from './pci/msix.js';

// Vector state (MSI / MSI-X / IMS masking and pending), VFIO layout
export {
    fire,
    mask,
    unmask,
    setFunctionMask,
    setEnabled,
    writeMessage,
    effectiveMask,
    vectorStateOf,
    pendingBitOf,
    type StorageKind,
    type VectorState,
    type VectorStep,
    type VectorEffect,
    type VectorViolation,
    type HoldReason,
} from './pci/vector-state.js';
export { msixLayout, msixTableBytes, msixPbaBytes, vfioFindings, vfioPageSize, VFIO_DEFAULT_PAGE_SIZE, VFIO_PPC64_PAGE_SIZE, type MsixLayout } from './pci/vfio.js';

// KVM GSI routing, irqfd
export { gsiMappingOf, maxRoutesOf, irqfdsOf, irqfdsOfGsi, routesOfGsi, kvmMachineFindings, shareableMsiRoutes, type SharedRouteGroup } from './kvm/routing.js';

// sPAPR (pseries): PHB MSI decode, XICS
export {
    spaprLegacyDecode,
    spaprLegacyParts,
    spaprCurrentDecode,
    SPAPR_LEGACY_MAX_DEVS,
    SPAPR_LEGACY_SLOT_SIZE,
    type SpaprResult,
    type SpaprError,
    type SpaprLegacyParts,
} from './spapr/phb-msi.js';
export {
    isSpaprRouted,
    phbOfDevice,
    phbModel,
    phbWindowSize,
    phbMaxDevs,
    legacySlotOf,
    firmwareMessage,
    xicsOf,
    xiveOf,
    cpuServer,
    cpusOfServer,
    spaprIndex,
    SPAPR_DEFAULT_XICS,
    XICS_DEFAULT_PRIORITY,
    XICS_MASKED_PRIORITY,
    type SpaprIndex,
    type LegacyTable,
    type Xive,
} from './spapr/machine.js';

// Other architectures (decoders; no machine model yet)
export { itsTranslate, type ItsState, type ItsResult, type ItsError } from './arm/its.js';
export { imsicDecode, type ImsicFile, type ImsicResult } from './riscv/imsic.js';

// Conformance
export {
    runCase,
    runCases,
    validateCasesFile,
    expectedFor,
    jsonEqual,
    ConformanceSchemaError,
    CONFORMANCE_ARCHES,
    type ConformanceCase,
    type CasesFile,
    type CaseResult,
} from './conformance/run-case.js';

// The scenario simulator (what the debugger steps through).
export * from './sim/index.js';
