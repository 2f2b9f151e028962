/**
 * The scenario check: every scenario is lowered against its machine and run by the engine's simulator
 * (language/engine/sim); what the simulator reports (an MSI-X entry written while unmasked, an IRTE change
 * never invalidated, an interrupt lost, …) becomes a diagnostic on the event that caused it, with related
 * information on the other events and elements. Codes, severities and messages come from the simulator
 * unchanged; only the ranges come from here. Also reported here: what the scenario lowering could not
 * resolve (plain device / IOMMU names) and the widths of the scenario-only numbers.
 */
import type { AstNode, LangiumDocument, ValidationAcceptor, ValidationRegistry } from 'langium';
import type { DiagnosticRelatedInformation } from 'vscode-languageserver-types';
import { ENGINE_FAILURE, type IrqDocumentAnalyzer } from '../analysis/document-analysis.js';
import type { Profile } from '../engine/model.js';
import { checkScenario } from '../engine/sim/simulator.js';
import type { Finding } from '../engine/trace.js';
import type { IrqTopologyAstType, Scenario } from '../generated/ast.js';
import { lowerScenarioCached, SCENARIO_FIELD_WIDTHS, type LoweredScenario } from '../lowering/lower-scenario.js';
import { rangeForProperty } from '../lowering/source-map.js';
import type { IrqSettings } from '../settings.js';
import { propertyCstNode } from '../values/cst-properties.js';
import { bitLength } from '../values/number-literal.js';
import { IrqCodes } from './diagnostic-codes.js';

interface Services {
    analysis: { DocumentAnalyzer: IrqDocumentAnalyzer };
    /** The language's settings (the profile); read at check time, so it may be created after the registry. */
    settings?: IrqSettings;
}

export class ScenarioCheck {
    private readonly findings = new WeakMap<LoweredScenario, Map<Profile, Finding[]>>();

    constructor(private readonly services: Services) {}

    /** Registers the check on `registry` (category `fast`: a scenario runs in microseconds per event). */
    static register(registry: ValidationRegistry, services: Services): void {
        const check = new ScenarioCheck(services);
        registry.register<IrqTopologyAstType>({ Scenario: (s, accept) => check.check(s, accept) }, check, 'fast');
    }

    check(scenario: Scenario, accept: ValidationAcceptor): void {
        for (const event of scenario.events ?? []) checkWidths(event, accept);
        const document = documentOf(scenario);
        if (!document) return;
        const lowered = lowerScenarioCached(scenario, this.services.analysis.DocumentAnalyzer.lower(document));
        if (!lowered) return;
        for (const p of lowered.problems) {
            accept('error', p.message, { node: p.node, range: rangeForProperty(p.node, p.property), property: p.property, code: p.code });
        }
        const profile = this.services.settings?.profile ?? 'spec';
        let findings: Finding[];
        try {
            findings = this.findingsOf(lowered, profile);
        } catch (e) {
            accept('error', `The scenario simulator failed on scenario ${scenario.name}: ${e instanceof Error ? e.message : String(e)}. Please report this.`, {
                node: scenario,
                property: 'name',
                code: ENGINE_FAILURE,
            });
            return;
        }
        const uri = document.uri.toString();
        const suspect = lowered.machine.suspect;
        for (const f of findings) {
            // A finding about an element built from rejected input would only restate that error.
            if (suspect.has(f.element.id) || f.related.some((r) => suspect.has(r.element.id))) continue;
            const range = lowered.rangeOf(f.element);
            if (!range) continue;
            const related: DiagnosticRelatedInformation[] = [];
            for (const r of f.related) {
                const at = lowered.rangeOf(r.element);
                if (at) related.push({ location: { uri, range: at }, message: r.message });
            }
            accept(f.severity, f.message, { node: scenario, range, code: f.code, relatedInformation: related.length ? related : undefined, data: { code: f.code } });
        }
    }

    private findingsOf(lowered: LoweredScenario, profile: Profile): Finding[] {
        let byProfile = this.findings.get(lowered);
        if (!byProfile) this.findings.set(lowered, (byProfile = new Map()));
        let out = byProfile.get(profile);
        if (!out) {
            out = checkScenario(lowered.machine.model, lowered.model, { profile });
            byProfile.set(profile, out);
        }
        return out;
    }
}

function documentOf(node: AstNode): LangiumDocument | undefined {
    let root: AstNode = node;
    while (root.$container) root = root.$container;
    return root.$document;
}

/** Widths of the numbers only scenario events have (the others are in values/field-widths.ts). */
function checkWidths(event: AstNode, accept: ValidationAcceptor): void {
    const widths = SCENARIO_FIELD_WIDTHS[event.$type];
    if (!widths) return;
    const record = event as unknown as Record<string, unknown>;
    for (const [property, width] of Object.entries(widths)) {
        const value = record[property];
        if (typeof value !== 'bigint') continue;
        const bits = bitLength(value);
        if (bits <= width.bits) continue;
        const cst = propertyCstNode(event, property);
        accept('error', `${width.label} is ${width.bits} bits wide; ${cst?.text ?? value.toString()} needs ${bits} bits.`, {
            node: event,
            range: cst?.range,
            property,
            code: IrqCodes.LiteralTooWide,
        });
    }
}
