/**
 * The codes of what the scenario checker reports, with severity, title and description, in the shape of
 * DIAGNOSTIC_CODES (diagnostics.ts), which can spread this table in. Engine codes that already say the
 * right thing (msi-mask-unsupported, msi-latch-unknown, msi-may-tear, …) are reused as they are.
 */
import { DIAGNOSTIC_CODES, makeFinding, type DiagnosticCode } from '../diagnostics.js';
import type { Finding } from '../trace.js';

import { SIM_DIAGNOSTIC_CODES } from './codes.js';
export { SIM_DIAGNOSTIC_CODES };

export type SimDiagnosticCode = keyof typeof SIM_DIAGNOSTIC_CODES;

/** A finding with the severity of its code (a scenario code, or an engine code reused by the simulator). */
export function makeSimFinding(
    code: SimDiagnosticCode | DiagnosticCode,
    message: string,
    element: Finding['element'],
    related: Finding['related'] = [],
): Finding {
    if (code in SIM_DIAGNOSTIC_CODES) {
        return { code, severity: SIM_DIAGNOSTIC_CODES[code as SimDiagnosticCode].severity, message, element, related };
    }
    if (code in DIAGNOSTIC_CODES) return makeFinding(code as DiagnosticCode, message, element, related);
    throw new Error(`unknown finding code '${code}'`);
}
