/**
 * Reports one linking error per broken chain: when `nix` in `nix.msix[0]` does not resolve, the entry `0`
 * cannot resolve either, and saying so twice only hides the real mistake. Likewise for the references
 * inside a scenario whose `on MACHINE` does not resolve.
 */
import { AstUtils, DefaultDocumentValidator, type LangiumDocument, type ValidationOptions } from 'langium';
import type { Diagnostic } from 'vscode-languageserver-types';
import { isScenario, type UpdateEvent, type VectorRef } from '../generated/ast.js';

export class IrqDocumentValidator extends DefaultDocumentValidator {
    protected override processLinkingErrors(document: LangiumDocument, diagnostics: Diagnostic[], options: ValidationOptions): void {
        const all = document.references;
        try {
            document.references = all.filter(ref => {
                const error = ref.error;
                return !error || !dependsOnBrokenReference(error.info.container, error.info.property);
            });
            super.processLinkingErrors(document, diagnostics, options);
        } finally {
            document.references = all;
        }
    }
}

function dependsOnBrokenReference(container: import('langium').AstNode, property: string): boolean {
    if (container.$type === 'VectorRef' && property === 'entry') {
        return (container as VectorRef).device?.ref === undefined || scenarioMachineBroken(container);
    }
    if (container.$type === 'UpdateEvent' && property === 'irte') {
        return (container as UpdateEvent).iommu?.ref === undefined || scenarioMachineBroken(container);
    }
    if ((container.$type === 'VectorRef' && property === 'device') || (container.$type === 'UpdateEvent' && property === 'iommu')) {
        return scenarioMachineBroken(container);
    }
    return false;
}

function scenarioMachineBroken(node: import('langium').AstNode): boolean {
    const scenario = AstUtils.getContainerOfType(node, isScenario);
    return scenario !== undefined && scenario.machine?.ref === undefined;
}
