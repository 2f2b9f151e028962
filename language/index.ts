/**
 * The language layer's public API: the Langium module, the headless loader, the analysis, the lowering.
 * Nothing here imports 'langium/lsp'.
 */
export * from './irq-module.js';
export * from './headless.js';
export * from './settings.js';
export * from './analysis/document-analysis.js';
export * from './lowering/lower-machine.js';
export * from './lowering/lower-scenario.js';
export * from './lowering/element-ids.js';
export * from './lowering/source-map.js';
export * from './validation/diagnostic-codes.js';
export { IrqValueConverter } from './values/value-converter.js';
export * from './values/bdf.js';
export * from './values/number-literal.js';
export * as IrqAst from './generated/ast.js';
