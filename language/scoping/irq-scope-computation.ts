/**
 * Scope computation without per-container local symbols.
 *
 * The default computation describes every named node of the document (path, name segment) so that the
 * default scope provider can walk them; our scope provider looks names up in per-container maps instead
 * (symbol-tables.ts), so that work would be thrown away. Exported symbols (machines, for `scenario … on`
 * across files) keep the default: the document's top-level named nodes.
 */
import { DefaultScopeComputation, MultiMap, type AstNode, type AstNodeDescription, type LangiumDocument, type LocalSymbols } from 'langium';

export class IrqScopeComputation extends DefaultScopeComputation {
    override async collectLocalSymbols(_document: LangiumDocument): Promise<LocalSymbols> {
        return new MultiMap<AstNode, AstNodeDescription>();
    }
}
