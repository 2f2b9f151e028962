/**
 * Go to definition, as Langium does it, except for targets without a name: an IRTE (`update dmar0.irte 5`),
 * an MSI-X / IMS entry or an MSI capability (`nic.msix[0]`). Langium would select the whole statement (for a
 * field-form IRTE, the whole `{ … }`); here the selection is the header the user recognises, `irte 5` or
 * `entry 0`, and the full range stays the statement.
 */
import type { CstNode } from 'langium';
import { DefaultDefinitionProvider } from 'langium/lsp';
import { LocationLink, type DefinitionParams } from 'vscode-languageserver';
import { headerRange } from './cst-positions.js';

const HEADERS: Record<string, [string, string | undefined]> = {
    Irte: ['irte', 'index'],
    MessageEntry: ['entry', 'index'],
    Msi: ['msi', undefined],
};

export class IrqDefinitionProvider extends DefaultDefinitionProvider {
    protected override collectLocationLinks(sourceCstNode: CstNode, _params: DefinitionParams): LocationLink[] | undefined {
        const links = this.findLinks(sourceCstNode);
        if (links.length === 0) return undefined;
        return links.map(link => {
            const node = link.target.astNode;
            const full = (node.$cstNode ?? link.target).range;
            const header = HEADERS[node.$type];
            const selection = (header && headerRange(node, header[0], header[1])) ?? link.target.range;
            return LocationLink.create(link.targetDocument.textDocument.uri, full, selection, link.source.range);
        });
    }
}
