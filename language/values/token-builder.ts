/**
 * Soft keywords: the words that are keywords only inside the pseries / KVM / VFIO statements also match the
 * ID terminal (a chevrotain token category), so they stay usable as names: `device legacy 01:02.3`,
 * `device vfio 00:01.0`, `bus source`. Where the grammar expects the keyword it matches the keyword; where it
 * expects an ID it matches as an ID, and the parser's messages keep saying "Expecting token of type 'ID'".
 *
 * Only words added with those statements are soft: making an older keyword (`data`, `table`) soft would
 * change how existing files parse, and each soft word must never be both a name and a statement start at
 * one place of the grammar (none is: they start statements only inside blocks that hold no names).
 */
import { DefaultTokenBuilder, GrammarAST } from 'langium';

/** Chevrotain's token type, as Langium's token builder hands it out (Langium does not re-export it). */
type TokenType = Extract<ReturnType<DefaultTokenBuilder['buildTokens']>, readonly unknown[]>[number];

export const SOFT_KEYWORDS: ReadonlySet<string> = new Set([
    'legacy', 'current', 'model', 'source', 'slot', 'count', 'priority', 'pin', 'vfio', 'mmap', 'pic', 'ioapic',
    'routed', 'direct', 'unmaskable', 'resample',
]);

export class IrqTokenBuilder extends DefaultTokenBuilder {
    protected override buildKeywordToken(keyword: GrammarAST.Keyword, terminalTokens: TokenType[], caseInsensitive: boolean): TokenType {
        const token = super.buildKeywordToken(keyword, terminalTokens, caseInsensitive);
        if (SOFT_KEYWORDS.has(keyword.value)) {
            const id = terminalTokens.find(t => t.name === 'ID');
            if (id) token.CATEGORIES = [id];
        }
        return token;
    }
}
