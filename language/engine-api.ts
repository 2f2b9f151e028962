/**
 * The part of the routing engine the language layer uses, in one place. Everything routing-related
 * (bit layouts, defaults the hardware derives, checks) comes from the engine; nothing here re-implements it.
 */
export { checkMachine, defaultXapicLogicalId, encodeIrte, type CheckOptions, type IrteSpec } from './engine/index.js';
