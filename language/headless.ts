/**
 * Loading a `.irq` document without a language server: for the CLI, the debug adapter, scripts and tests.
 *
 *     const irq = createIrqHeadless();                 // or createIrqHeadless({ fileSystem: NodeFileSystem })
 *     const { document, diagnostics, analysis } = await irq.loadText(text);
 *     const fromFile = await irq.loadFile('examples/q35-vtd-x2apic.irq', { profile: 'qemu' });
 *
 * Each load builds the document fully (parse, link, validate with every category) and returns its
 * diagnostics and the engine analysis for the requested profile.
 */
import { readFile } from 'node:fs/promises';
import { resolve } from 'node:path';
import { URI, type FileSystemProvider, type LangiumDocument, type LangiumSharedCoreServices, type ValidationCategory } from 'langium';
import type { Diagnostic } from 'vscode-languageserver-types';
import type { DocumentAnalysis } from './analysis/document-analysis.js';
import type { Profile } from './engine/model.js';
import type { IrqFile } from './generated/ast.js';
import { createIrqServices, type IrqServices } from './irq-module.js';

export interface LoadOptions {
    /** Default: the services' current profile (settings). */
    profile?: Profile;
    /** Default: a fresh `memory:///irq-N.irq` for text, the file's URI for files. */
    uri?: string;
    /** Validation categories to run; default all ('built-in', 'fast', 'slow'). */
    categories?: ValidationCategory[];
}

export interface LoadedIrq {
    document: LangiumDocument<IrqFile>;
    diagnostics: Diagnostic[];
    analysis: DocumentAnalysis;
    /** Lexer / parser errors only (the document may still have been analysed as far as it goes). */
    hasSyntaxErrors: boolean;
}

export interface IrqHeadless {
    services: IrqServices;
    shared: LangiumSharedCoreServices;
    loadText(text: string, options?: LoadOptions): Promise<LoadedIrq>;
    loadFile(path: string, options?: LoadOptions): Promise<LoadedIrq>;
    /** Forget a loaded document (documents otherwise stay in the workspace, e.g. for cross-file scenarios). */
    unload(document: LangiumDocument): Promise<void>;
}

export interface HeadlessOptions {
    /** A Langium file system (e.g. NodeFileSystem from 'langium/node'); only needed for workspace features. */
    fileSystem?: { fileSystemProvider: (services: LangiumSharedCoreServices) => FileSystemProvider };
    profile?: Profile;
}

let counter = 0;

export function createIrqHeadless(options: HeadlessOptions = {}): IrqHeadless {
    const { shared, Irq } = createIrqServices({ fileSystemProvider: options.fileSystem?.fileSystemProvider }, { profile: options.profile });
    const documents = shared.workspace.LangiumDocuments;

    async function load(text: string, uri: URI, opts: LoadOptions): Promise<LoadedIrq> {
        if (documents.hasDocument(uri)) {
            documents.deleteDocument(uri);
        }
        const document = shared.workspace.LangiumDocumentFactory.fromString<IrqFile>(text, uri);
        documents.addDocument(document);
        await shared.workspace.DocumentBuilder.build([document], {
            validation: { categories: opts.categories ?? ['built-in', 'fast', 'slow'] },
        });
        const diagnostics = document.diagnostics ?? [];
        const analysis = Irq.analysis.DocumentAnalyzer.analyze(document, opts.profile ?? Irq.settings.profile);
        const hasSyntaxErrors = document.parseResult.lexerErrors.length > 0 || document.parseResult.parserErrors.length > 0;
        return { document, diagnostics, analysis, hasSyntaxErrors };
    }

    return {
        services: Irq,
        shared,
        loadText(text, opts = {}) {
            const uri = URI.parse(opts.uri ?? `memory:///irq-${++counter}.irq`);
            return load(text, uri, opts);
        },
        async loadFile(path, opts = {}) {
            const absolute = resolve(path);
            const text = await readFile(absolute, 'utf8');
            return load(text, opts.uri ? URI.parse(opts.uri) : URI.file(absolute), opts);
        },
        async unload(document) {
            documents.deleteDocument(document.uri);
        },
    };
}
