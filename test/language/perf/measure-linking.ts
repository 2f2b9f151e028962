/**
 * Prints how long parsing, linking and validation take on a generated ~40k-line file, with the language's
 * map-based scope provider and, for comparison, with Langium's default scoping. Not a test: run it with
 *     node out-lang/test/language/perf/measure-linking.js [buses]
 */
import {
    createDefaultCoreModule, createDefaultSharedCoreModule, DefaultScopeComputation, DefaultScopeProvider,
    DocumentState, EmptyFileSystem, inject, URI, type LangiumCoreServices,
} from 'langium';
import { createIrqModule, createIrqServices, IrqGeneratedModule, IrqTopologyGeneratedSharedModule } from '../../../language/irq-module.js';
import { generateLargeIrq } from './generate-large.js';

async function measure(label: string, shared: LangiumCoreServices['shared'], text: string, validate: boolean): Promise<void> {
    const times: Record<string, number> = {};
    let last = performance.now();
    const mark = (phase: string) => { const now = performance.now(); times[phase] = now - last; last = now; };
    const subs = [
        shared.workspace.DocumentBuilder.onBuildPhase(DocumentState.IndexedContent, () => mark('index')),
        shared.workspace.DocumentBuilder.onBuildPhase(DocumentState.ComputedScopes, () => mark('scopes')),
        shared.workspace.DocumentBuilder.onBuildPhase(DocumentState.Linked, () => mark('link')),
        shared.workspace.DocumentBuilder.onBuildPhase(DocumentState.IndexedReferences, () => mark('index refs')),
        shared.workspace.DocumentBuilder.onBuildPhase(DocumentState.Validated, () => mark('validate')),
    ];
    const start = performance.now();
    const doc = shared.workspace.LangiumDocumentFactory.fromString(text, URI.parse(`memory:///${label}.irq`));
    mark('parse');
    shared.workspace.LangiumDocuments.addDocument(doc);
    await shared.workspace.DocumentBuilder.build([doc], { validation: validate ? { categories: ['built-in', 'fast', 'slow'] } : false });
    const total = performance.now() - start;
    subs.forEach(s => s.dispose());
    const errors = (doc.diagnostics ?? []).filter(d => d.severity === 1).length;
    const linkErrors = doc.references.filter(r => r.error).length;
    console.log(`${label}: total ${total.toFixed(0)} ms  ` +
        Object.entries(times).map(([k, v]) => `${k} ${v.toFixed(0)} ms`).join(', ') +
        `  (${doc.references.length} references, ${linkErrors} unresolved${validate ? `, ${errors} errors` : ''})`);
}

const buses = Number(process.argv[2] ?? 1500);
const text = generateLargeIrq(buses);
console.log(`generated ${text.split('\n').length - 1} lines, ${(text.length / 1024).toFixed(0)} KiB`);

{
    const { shared } = createIrqServices();
    await measure('irq scoping (no validation)', shared, text, false);
}
{
    const { shared } = createIrqServices();
    await measure('irq scoping + full validation', shared, text, true);
}
if (!process.argv.includes('--no-default')) {
    // The same language with Langium's default scope computation and provider.
    const shared = inject(createDefaultSharedCoreModule(EmptyFileSystem), IrqTopologyGeneratedSharedModule);
    const module = createIrqModule();
    const Irq = inject(createDefaultCoreModule({ shared }), IrqGeneratedModule, module, {
        references: {
            ScopeProvider: (s: LangiumCoreServices) => new DefaultScopeProvider(s),
            ScopeComputation: (s: LangiumCoreServices) => new DefaultScopeComputation(s),
        },
    });
    shared.ServiceRegistry.register(Irq);
    void shared.workspace.ConfigurationProvider.initialized({});
    await measure('default scoping (no validation)', shared, text, false);
}
