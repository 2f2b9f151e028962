/**
 * The language server's services: the language module (core: parsing, scoping, lowering, analysis,
 * validation) on top of Langium's default LSP module, with our providers. Everything a provider shows
 * comes from the document analysis and the engine; nothing here decides a routing question.
 *
 *     const { shared, Irq } = createIrqLspServices({ connection, ...NodeFileSystem });
 *     startLanguageServer(shared);
 */
import { inject, type Module } from 'langium';
import {
    createDefaultModule, createDefaultSharedModule,
    type DefaultSharedModuleContext, type LangiumServices, type LangiumSharedServices, type PartialLangiumServices,
    type PartialLangiumSharedServices,
} from 'langium/lsp';
import {
    createIrqModule, IrqGeneratedModule, IrqTopologyGeneratedSharedModule, type IrqAddedServices, type IrqModuleContext,
} from '../language/index.js';
import { IrqCodeActionProvider } from './lsp/code-action-provider.js';
import { IrqCompletionProvider } from './lsp/completion-provider.js';
import { IrqCodeLensProvider } from './lsp/code-lens-provider.js';
import { IrqConfigurationProvider } from './lsp/configuration-provider.js';
import { IrqDefinitionProvider } from './lsp/definition-provider.js';
import { IrqFormatter } from './lsp/formatter.js';
import { IrqDocumentSymbolProvider } from './lsp/document-symbol-provider.js';
import { IrqHoverProvider } from './lsp/hover-provider.js';
import { IrqInlayHintProvider } from './lsp/inlay-hint-provider.js';
import { IrqSemanticTokenProvider } from './lsp/semantic-token-provider.js';
import { IrqServerSettings, SettingsSync } from './lsp/settings-sync.js';
import { IrqWorkspaceSymbolProvider } from './lsp/workspace-symbol-provider.js';

/** Services the server adds to the language's. */
export interface IrqLspAddedServices {
    server: {
        /** Settings only the server reads (`irq.inlayHints.enabled`); the profile lives in `settings`. */
        Settings: IrqServerSettings;
    };
}

export type IrqLspServices = LangiumServices & IrqAddedServices & IrqLspAddedServices;

export const IrqLspModule: Module<IrqLspServices, PartialLangiumServices & IrqLspAddedServices> = {
    lsp: {
        HoverProvider: (services) => new IrqHoverProvider(services),
        InlayHintProvider: (services) => new IrqInlayHintProvider(services),
        CodeLensProvider: (services) => new IrqCodeLensProvider(services),
        DocumentSymbolProvider: () => new IrqDocumentSymbolProvider(),
        DefinitionProvider: (services) => new IrqDefinitionProvider(services),
        SemanticTokenProvider: (services) => new IrqSemanticTokenProvider(services),
        CompletionProvider: (services) => new IrqCompletionProvider(services),
        CodeActionProvider: (services) => new IrqCodeActionProvider(services),
        Formatter: () => new IrqFormatter(),
    },
    server: {
        Settings: () => new IrqServerSettings(),
    },
};

export const IrqSharedLspModule: Module<LangiumSharedServices, PartialLangiumSharedServices> = {
    workspace: {
        ConfigurationProvider: (shared) => new IrqConfigurationProvider(shared),
    },
    lsp: {
        // Every named element of every document, not only what the index exports (the machines).
        WorkspaceSymbolProvider: (shared) => new IrqWorkspaceSymbolProvider(shared),
    },
};

export interface IrqLspContext extends DefaultSharedModuleContext {
    /** Initial settings of the language (the client's `irq.profile` overrides them once it is known). */
    language?: IrqModuleContext;
}

/** Creates and registers the services; `startLanguageServer(shared)` then serves them on `connection`. */
export function createIrqLspServices(context: IrqLspContext): { shared: LangiumSharedServices; Irq: IrqLspServices } {
    const shared = inject(createDefaultSharedModule(context), IrqTopologyGeneratedSharedModule, IrqSharedLspModule);
    const Irq = inject(createDefaultModule({ shared }), IrqGeneratedModule, createIrqModule(context.language), IrqLspModule);
    shared.ServiceRegistry.register(Irq);
    // Created now, not lazily: it must see the client's `initialize` to know which refreshes it may request.
    new SettingsSync(Irq, shared);
    return { shared, Irq };
}
