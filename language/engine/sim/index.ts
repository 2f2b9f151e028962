/**
 * The scenario simulator's public API: the scenario model, simulate() / Simulator, the state snapshots
 * and the scenario finding codes. Pure TypeScript over the engine, like the rest of language/engine/.
 */
export type * from './scenario.js';
export { simulate, checkScenario, describeEvent, irteDiff, Simulator, type SimulateOptions, type SimStep, type SimDelivery, type StepNote, type StepNoteKind, type EventRun } from './simulator.js';
export { initialState, faultRecords, type SimState, type SimVector, type DeviceFlags, type CachedIrte, type IrteWrite, type UninvalidatedUpdate, type FaultRecord, type FaultList, type SimStats } from './state.js';
export { IDLE_CPU, highestVector, vectorsOf, hasVector, registerValue, requestVector, endOfInterrupt, dispatch, type CpuState, type VectorSet } from './apic-state.js';
export { SIM_DIAGNOSTIC_CODES, makeSimFinding, type SimDiagnosticCode } from './findings.js';
export { PArray } from './persistent-array.js';
export { SimIndex } from './sim-index.js';
export { patchIrte } from './retarget.js';
