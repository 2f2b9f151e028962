/**
 * The server's side of the user settings:
 * - `irq.profile` is held by the language layer (IrqSettings follows the ConfigurationProvider); when it
 *   changes, every document is rebuilt so diagnostics follow the new profile, and the client is asked to
 *   refresh inlay hints and code lenses (they are pulled, so the client would otherwise keep stale ones).
 * - `irq.inlayHints.enabled` is the server's own: the inlay-hint provider returns nothing while it is off;
 *   a change asks the client to refresh.
 */
import { Emitter, isOperationCancelled, type Event, type LangiumDocument } from 'langium';
import type { LangiumSharedServices } from 'langium/lsp';
import { CodeLensRefreshRequest, InlayHintRefreshRequest, type Connection } from 'vscode-languageserver';
import type { IrqServices } from '../../language/index.js';

/** The `irq` section as VS Code sends it: nested objects per dotted segment. */
export interface IrqSettingsSection {
    profile?: unknown;
    inlayHints?: { enabled?: unknown };
}

export class IrqServerSettings {
    private enabled = true;
    private readonly changed = new Emitter<void>();

    get inlayHintsEnabled(): boolean {
        return this.enabled;
    }

    set inlayHintsEnabled(value: boolean) {
        if (value === this.enabled) return;
        this.enabled = value;
        this.changed.fire();
    }

    get onDidChangeInlayHints(): Event<void> {
        return this.changed.event;
    }

    /** Applies a whole `irq` section; a missing or malformed value means the default (enabled). */
    applySection(section: IrqSettingsSection | undefined): void {
        const value = section?.inlayHints?.enabled;
        this.inlayHintsEnabled = typeof value === 'boolean' ? value : true;
    }
}

/** Client capabilities that decide whether refresh requests may be sent at all. */
interface RefreshSupport {
    inlayHints: boolean;
    codeLens: boolean;
}

/**
 * Wires the settings to the shared services. Called once, after the language is registered; the
 * ConfigurationProvider only knows the client's settings after `initialized`.
 */
export class SettingsSync {
    private readonly refresh: RefreshSupport = { inlayHints: false, codeLens: false };

    constructor(irq: IrqServices & { server: { Settings: IrqServerSettings } }, private readonly shared: LangiumSharedServices) {
        const config = shared.workspace.ConfigurationProvider;
        const section = irq.LanguageMetaData.languageId;
        const settings = irq.server.Settings;

        shared.lsp.LanguageServer.onInitialize(params => {
            const ws = params.capabilities.workspace;
            this.refresh.inlayHints = ws?.inlayHint?.refreshSupport === true;
            this.refresh.codeLens = ws?.codeLens?.refreshSupport === true;
        });
        void config.ready.then(async () => {
            settings.applySection({ inlayHints: await config.getConfiguration(section, 'inlayHints') as IrqSettingsSection['inlayHints'] });
        }).catch(() => undefined);
        config.onConfigurationSectionUpdate(update => {
            if (update.section === section) settings.applySection(update.configuration as IrqSettingsSection | undefined);
        });

        irq.settings.onDidChangeProfile(() => {
            this.revalidate().then(() => this.refreshViews(true), err => {
                // An edit that arrives meanwhile cancels this build and rebuilds with the new profile itself.
                if (!isOperationCancelled(err)) console.error('irq: re-validation after a profile change failed:', err);
            });
        });
        settings.onDidChangeInlayHints(() => this.refreshViews(false));
    }

    /** Rebuilds every document (under the workspace lock, like an edit would), so validation re-runs. */
    async revalidate(): Promise<void> {
        const documents = this.shared.workspace.LangiumDocuments.all.toArray() as LangiumDocument[];
        if (documents.length === 0) return;
        const uris = documents.map(d => d.uri);
        const builder = this.shared.workspace.DocumentBuilder;
        await this.shared.workspace.WorkspaceLock.write(token => builder.update(uris, [], token));
    }

    private refreshViews(codeLenses: boolean): void {
        const connection: Connection | undefined = this.shared.lsp.Connection;
        if (!connection) return;
        if (this.refresh.inlayHints) void connection.sendRequest(InlayHintRefreshRequest.type).then(undefined, () => undefined);
        if (codeLenses && this.refresh.codeLens) void connection.sendRequest(CodeLensRefreshRequest.type).then(undefined, () => undefined);
    }
}
