/**
 * The validation registry of the language, with every check registered at construction: injecting the
 * module is enough (the server does not need to remember a `registerValidationChecks` call).
 *
 * Categories, decided on measurements (test/language/perf/measure-linking.ts, a generated 45k-line file
 * with 9200 interrupt sources, on a shared and noisy machine): parse 1.4–1.9 s, link 0.3 s, then
 * validation 1.4 s, of which the structural checks ≈ 0.4 s, lowering 0.1–0.2 s and the engine's
 * whole-machine routing 0.4–0.6 s (about 60 µs per source). Everything after parsing is linear, the
 * routing pass costs less than a third of the parse it follows, and a file of a few hundred lines takes
 * milliseconds. So all checks, the routing pass included, are `fast`: the diagnostics users came for
 * (faults, unreachable destinations) appear as they type. `ROUTING_CHECK_CATEGORY` moves the engine pass
 * to `slow` (on save) should the engine ever become expensive.
 */
import { ValidationRegistry, type ValidationCategory, type LangiumCoreServices } from 'langium';
import type { IrqTopologyAstType } from '../generated/ast.js';
import type { IrqDocumentAnalyzer } from '../analysis/document-analysis.js';
import { IrqValidator } from './irq-validator.js';
import { RoutingCheck } from './routing-check.js';
import { ScenarioCheck } from './scenario-check.js';

export const ROUTING_CHECK_CATEGORY: ValidationCategory = 'fast';

export class IrqValidationRegistry extends ValidationRegistry {
    constructor(services: LangiumCoreServices & { analysis: { DocumentAnalyzer: IrqDocumentAnalyzer } }) {
        super(services);
        const validator = new IrqValidator();
        this.register<IrqTopologyAstType>(validator.checks(), validator, 'fast');
        const routing = new RoutingCheck(services.analysis.DocumentAnalyzer);
        this.register<IrqTopologyAstType>({ Machine: (m, accept) => routing.checkLowering(m, accept) }, routing, 'fast');
        this.register<IrqTopologyAstType>({ Machine: (m, accept) => routing.checkRouting(m, accept) }, routing, ROUTING_CHECK_CATEGORY);
        ScenarioCheck.register(this, services);
    }
}
