/**
 * Langium's ConfigurationProvider, made to work with clients that use the pull model.
 *
 * VS Code (with `synchronize.configurationSection`) pushes the changed section in
 * `workspace/didChangeConfiguration` (`{ settings: { irq: { ... } } }`). Other clients (Neovim, Emacs, the
 * LSP specification's recommended flow) send `{ settings: null }` and expect the server to ask again with
 * `workspace/configuration`. Langium's default ignores such a notification, so a changed `irq.profile`
 * would never reach the server; here it is fetched and applied like a pushed one.
 */
import { DefaultConfigurationProvider } from 'langium';
import type { LangiumSharedServices } from 'langium/lsp';
import type { DidChangeConfigurationParams } from 'vscode-languageserver';

export class IrqConfigurationProvider extends DefaultConfigurationProvider {
    constructor(private readonly sharedServices: LangiumSharedServices) {
        super(sharedServices);
    }

    override updateConfiguration(change: DidChangeConfigurationParams): void {
        const settings = change.settings as Record<string, unknown> | null | undefined;
        const sections = this.serviceRegistry.all.map(l => this.toSectionName(l.LanguageMetaData.languageId));
        const pushed = typeof settings === 'object' && settings !== null;
        if (pushed) super.updateConfiguration(change);
        const missing = sections.filter(s => !pushed || !(s in settings));
        if (missing.length === 0 || !this.workspaceConfig) return;
        void this.fetch(missing);
    }

    private async fetch(sections: string[]): Promise<void> {
        const connection = this.sharedServices.lsp.Connection;
        if (!connection) return;
        try {
            const values: unknown[] = await connection.workspace.getConfiguration(sections.map(section => ({ section })));
            sections.forEach((section, i) => {
                const configuration = values[i] ?? {};
                this.updateSectionConfiguration(section, configuration);
                this.onConfigurationSectionUpdateEmitter.fire({ section, configuration });
            });
        } catch (err) {
            console.error('irq: could not fetch the configuration after a change notification:', err);
        }
    }
}
