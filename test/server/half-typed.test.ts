/**
 * Every LSP provider on half-typed documents: prefixes of every example (what a user has on screen while typing
 * one of them out), cut at every 41st character. No provider may throw, and what they answer must hold up:
 * formatting changes only whitespace, every quick fix's edit leaves a document that still loads, completion
 * labels are not empty, semantic tokens stay inside the text.
 *
 * providers.test.ts does the same for hover, hints, lenses, symbols and definition on the LSP fixtures at a
 * finer step; this covers the providers added since and the examples a user actually opens.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import { EmptyFileSystem, type LangiumDocument } from 'langium';
import { parseHelper } from 'langium/test';
import type { CodeAction, TextEdit } from 'vscode-languageserver';
import { createIrqLspServices } from '../../server/irq-lsp-module.js';
import { applyEdits, REPO_ROOT } from './helpers.js';

const { shared, Irq } = createIrqLspServices({ ...EmptyFileSystem });
void shared.workspace.ConfigurationProvider.initialized({});
const parse = parseHelper(Irq);
const load = (text: string): Promise<LangiumDocument> => parse(text, { validation: true });

const EXAMPLES = readdirSync(join(REPO_ROOT, 'examples')).filter(f => f.endsWith('.irq')).sort();
const STEP = 41;

const apply = (doc: LangiumDocument, edits: TextEdit[]) => applyEdits(doc.textDocument.getText(), edits);

const squeeze = (s: string) => s.replace(/\s+/g, '');

describe('every provider on half-typed examples', () => {
    for (const file of EXAMPLES) {
        test(`${file}: every ${STEP}st prefix`, async () => {
            const whole = readFileSync(join(REPO_ROOT, 'examples', file), 'utf8');
            let fixes = 0;
            for (let cut = 0; cut <= whole.length; cut += STEP) {
                const text = whole.slice(0, cut);
                const doc = await load(text);
                const textDocument = { uri: doc.uri.toString() };
                const where = `${file} cut at ${cut}`;
                const end = doc.textDocument.positionAt(text.length);

                // Completion where the user is typing: the end of the prefix.
                const completion = await Irq.lsp.CompletionProvider!.getCompletion(doc, { textDocument, position: end });
                for (const item of completion?.items ?? []) assert.ok(item.label.length > 0, `${where}: an empty completion label`);

                // Semantic tokens: inside the text, never past its end.
                const tokens = await Irq.lsp.SemanticTokenProvider!.semanticHighlight(doc, { textDocument });
                let line = 0;
                for (let i = 0; i < tokens.data.length; i += 5) line += tokens.data[i];
                assert.ok(line <= end.line, `${where}: a token on line ${line} past the end (${end.line})`);

                // Formatting: whitespace only.
                const formatted = await Irq.lsp.Formatter!.formatDocument(doc, { textDocument, options: { tabSize: 2, insertSpaces: true } });
                assert.equal(squeeze(apply(doc, formatted)), squeeze(text), `${where}: formatting changed more than whitespace`);

                // Quick fixes for every diagnostic: the edited text still loads.
                for (const d of doc.diagnostics ?? []) {
                    const actions = (await Irq.lsp.CodeActionProvider!.getCodeActions(doc, { textDocument, range: d.range, context: { diagnostics: [d] } })) ?? [];
                    for (const a of actions as CodeAction[]) {
                        const edits = a.edit?.changes?.[textDocument.uri];
                        assert.ok(edits?.length, `${where}: "${a.title}" has no edit`);
                        await load(apply(doc, edits));
                        fixes++;
                    }
                }

                await Irq.lsp.FoldingRangeProvider!.getFoldingRanges(doc, { textDocument });
                await Irq.lsp.ReferencesProvider!.findReferences(doc, { textDocument, position: end, context: { includeDeclaration: true } });
            }
            // Not a count to pin (it moves with every example edit); a guard that the loop did reach the fixes.
            if (/misconfigured/.test(file)) assert.ok(fixes > 0, `${file}: quick fixes were offered on some prefix`);
        });
    }
});
