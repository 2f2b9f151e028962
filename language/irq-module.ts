/**
 * The Langium module of the `.irq` language: core services only (no `langium/lsp`), so the CLI and the
 * debug adapter bundles stay small. The language server adds Langium's LSP module on top:
 *
 *     const shared = inject(createDefaultSharedModule(context), IrqTopologyGeneratedSharedModule);
 *     const Irq = inject(createDefaultModule({ shared }), IrqGeneratedModule, createIrqModule(), IrqLspModule);
 *     shared.ServiceRegistry.register(Irq);
 *
 * (Validation checks are registered by the module's ValidationRegistry itself.)
 */
import {
    createDefaultCoreModule, createDefaultSharedCoreModule, EmptyFileSystem, inject,
    type DefaultSharedCoreModuleContext, type LangiumCoreServices, type LangiumSharedCoreServices, type Module,
    type PartialLangiumCoreServices,
} from 'langium';
import { DefaultIrqDocumentAnalyzer, type IrqDocumentAnalyzer } from './analysis/document-analysis.js';
import type { Profile } from './engine/model.js';
import { IrqGeneratedModule, IrqTopologyGeneratedSharedModule } from './generated/module.js';
import { IrqScopeComputation } from './scoping/irq-scope-computation.js';
import { IrqScopeProvider } from './scoping/irq-scope-provider.js';
import { IrqLinker } from './scoping/irq-linker.js';
import { IrqDocumentValidator } from './validation/irq-document-validator.js';
import { IrqSettings } from './settings.js';
import { IrqValidationRegistry } from './validation/irq-validation-registry.js';
import { IrqValueConverter } from './values/value-converter.js';
import { IrqTokenBuilder } from './values/token-builder.js';

/** Services the language adds to Langium's. */
export interface IrqAddedServices {
    settings: IrqSettings;
    analysis: {
        DocumentAnalyzer: IrqDocumentAnalyzer;
    };
}

export type IrqServices = LangiumCoreServices & IrqAddedServices;

export interface IrqModuleContext {
    /** Initial profile (the `irq.profile` setting overrides it when a client sends configuration). */
    profile?: Profile;
}

export function createIrqModule(context: IrqModuleContext = {}): Module<IrqServices, PartialLangiumCoreServices & IrqAddedServices> {
    return {
        parser: {
            ValueConverter: () => new IrqValueConverter(),
            TokenBuilder: () => new IrqTokenBuilder(),
        },
        references: {
            Linker: (services) => new IrqLinker(services),
            ScopeProvider: (services) => new IrqScopeProvider(services),
            ScopeComputation: (services) => new IrqScopeComputation(services),
        },
        validation: {
            DocumentValidator: (services) => new IrqDocumentValidator(services),
            ValidationRegistry: (services) => new IrqValidationRegistry(services),
        },
        settings: (services) => {
            const settings = new IrqSettings(services);
            if (context.profile) settings.profile = context.profile;
            return settings;
        },
        analysis: {
            DocumentAnalyzer: (services) => new DefaultIrqDocumentAnalyzer(services),
        },
    };
}

/** The module with default settings. */
export const IrqModule = createIrqModule();

export { IrqGeneratedModule, IrqTopologyGeneratedSharedModule };

/**
 * Core services (no LSP) for the CLI, the debug adapter and tests. Pass `NodeFileSystem` from
 * 'langium/node' to read files; the default is an empty file system (documents from strings).
 */
export function createIrqServices(
    context: Partial<DefaultSharedCoreModuleContext> = {},
    moduleContext: IrqModuleContext = {},
): { shared: LangiumSharedCoreServices; Irq: IrqServices } {
    const shared = inject(
        createDefaultSharedCoreModule({ fileSystemProvider: context.fileSystemProvider ?? EmptyFileSystem.fileSystemProvider }),
        IrqTopologyGeneratedSharedModule,
    );
    const Irq = inject(createDefaultCoreModule({ shared }), IrqGeneratedModule, createIrqModule(moduleContext));
    shared.ServiceRegistry.register(Irq);
    // Headless: no client will send configuration; without this the first build waits forever.
    void shared.workspace.ConfigurationProvider.initialized({});
    return { shared, Irq };
}
