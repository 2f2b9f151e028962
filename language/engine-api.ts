/**
 * The part of the routing engine the language layer uses, in one place. Everything routing-related
 * (bit layouts, defaults the hardware derives, checks) comes from the engine; nothing here re-implements it.
 */
export {
    checkMachine, cpuServer, defaultXapicLogicalId, encodeIrte, XICS_DEFAULT_PRIORITY, type CheckOptions, type IrteSpec,
} from './engine/index.js';
export { busRangeSid, irtaSizeRule, msiLog2OfCount, ridOf } from './engine/index.js';
