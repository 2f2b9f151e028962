/**
 * Converts NUMBER tokens to bigint (never through `number`) and keeps reference texts as strings.
 */
import { DefaultValueConverter, type CstNode, type GrammarAST, type ValueType } from 'langium';
import { parseNumberLiteral } from './number-literal.js';

export class IrqValueConverter extends DefaultValueConverter {
    protected override runConverter(rule: GrammarAST.AbstractRule, input: string, cstNode: CstNode): ValueType {
        switch (rule.name) {
            // A malformed literal (`0x_`) converts to 0n; validation reports it on the literal's range.
            // Throwing here would abort the whole parse.
            case 'NUMBER':
                return parseNumberLiteral(input) ?? 0n;
            // A datatype rule over NUMBER used as a cross-reference text (`nic.msix[0x1]`): the parser has
            // already concatenated the converted NUMBER (decimal text); it must stay a string or the
            // parser would not build a reference from it.
            case 'IndexText':
                return input;
            case 'STRING':
                return input.length >= 2 ? input.slice(1, -1) : input;
            default:
                return super.runConverter(rule, input, cstNode);
        }
    }
}
