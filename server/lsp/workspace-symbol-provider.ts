/**
 * Workspace symbols (Ctrl+T / "Go to Symbol in Workspace"): every named element of every `.irq` document
 * the workspace holds — machines, IOMMUs, buses, bridges, devices, PHBs, named KVM_SIGNAL_MSI injections
 * and scenarios — with the machine as container name.
 *
 * Why not Langium's DefaultWorkspaceSymbolProvider: it lists `IndexManager.allElements()`, i.e. only what the
 * ScopeComputation exports to the global scope (the machines, which scenarios reference across files).
 * IOMMUs, buses and devices are local to their machine, so Ctrl+T would never find `nic` or `dmar0`.
 *
 * - Filter: case-insensitive subsequence match of the query against the name (`dm0` finds `dmar0`, `35`
 *   finds `q35`); an empty query lists everything. A query of several words (separated by blanks) matches
 *   when each word is a subsequence of the name or of the container name and at least one is of the name
 *   (`q35 nic` finds q35's `nic`; `q35` alone finds the machines, not all their members), in the spirit
 *   of VS Code's symbol picker, which also lets extra words match the container. This is deliberately looser than Langium's
 *   DefaultFuzzyMatcher (which wants the first query character at a word start, so `35` misses `q35`):
 *   the client re-filters and ranks what we send with its own fuzzy scorer, so the server's job is not to
 *   hide anything the user could plausibly mean.
 * - Kinds are the outline's (document-symbol-provider.ts), so an element has one icon everywhere.
 * - Location: the document and the range of the element's name, where VS Code puts the cursor.
 * - Linear: the walk follows the grammar's containment of named elements (irq.langium: machine members,
 *   bus members, `kvm` signals, scenarios) and never enters IRTEs, entries or events, so each AST node is
 *   visited at most once and the bulk of a large topology (tables) is not visited at all.
 * - Half-typed files: a node without a name (or without CST) is skipped, never reported with an empty name
 *   (VS Code rejects those); errors are caught per document so one broken file does not hide the others.
 */
import { GrammarUtils, interruptAndCheck, type AstNode, type LangiumDocument, type LangiumDocuments } from 'langium';
import type { LangiumSharedServices, WorkspaceSymbolProvider } from 'langium/lsp';
import { CancellationToken, SymbolKind, type WorkspaceSymbol, type WorkspaceSymbolParams } from 'vscode-languageserver';
import type * as Ast from '../../language/generated/ast.js';

/** The SymbolKind of each named element type: the same as the outline's. */
export const WORKSPACE_SYMBOL_KINDS: Readonly<Record<string, SymbolKind>> = {
    Machine: SymbolKind.Namespace,
    Iommu: SymbolKind.Module,
    Phb: SymbolKind.Module,
    Bus: SymbolKind.Package,
    Bridge: SymbolKind.Interface,
    Device: SymbolKind.Class,
    KvmSignal: SymbolKind.Event,
    Scenario: SymbolKind.Function,
};

/**
 * Whether every character of `query` (already lower-case) occurs in `name`, in order, ignoring case.
 * One pass over `name`: O(|name|).
 */
export function subsequenceMatch(query: string, name: string): boolean {
    if (query.length === 0) return true;
    const text = name.toLowerCase();
    let q = 0;
    for (let i = 0; i < text.length && q < query.length; i++) {
        if (text.charCodeAt(i) === query.charCodeAt(q)) q++;
    }
    return q === query.length;
}

/** The query as lower-case words (none for an empty or blank query: everything matches). */
export function queryWords(query: string | undefined): string[] {
    return (query ?? '').toLowerCase().split(/\s+/).filter((w) => w.length > 0);
}

/**
 * Whether each word is a subsequence of the name or of the container name, and at least one of the name:
 * the container narrows a search (`q35 nic`), it never makes every member of a machine match (`q35`).
 */
export function symbolMatches(words: readonly string[], name: string, containerName: string | undefined): boolean {
    if (words.length === 0) return true;
    let inName = false;
    for (const w of words) {
        if (subsequenceMatch(w, name)) inName = true;
        else if (containerName === undefined || !subsequenceMatch(w, containerName)) return false;
    }
    return inName;
}

export class IrqWorkspaceSymbolProvider implements WorkspaceSymbolProvider {
    protected readonly documents: LangiumDocuments;

    constructor(shared: LangiumSharedServices) {
        this.documents = shared.workspace.LangiumDocuments;
    }

    async getSymbols(params: WorkspaceSymbolParams, cancelToken: CancellationToken = CancellationToken.None): Promise<WorkspaceSymbol[]> {
        const query = queryWords(params.query);
        const out: WorkspaceSymbol[] = [];
        for (const document of this.documents.all) {
            // Between documents only: a document's walk is short, and interruptAndCheck yields to the event
            // loop (so edits and a cancellation get through) at most once per interruption period.
            await interruptAndCheck(cancelToken);
            try {
                this.collect(document, query, out);
            } catch (err) {
                console.error(`irq workspace symbols failed on ${document.uri.toString()}:`, err);
            }
        }
        return out;
    }

    protected collect(document: LangiumDocument, query: readonly string[], out: WorkspaceSymbol[]): void {
        const root = document.parseResult?.value as Ast.IrqFile | undefined;
        if (root?.$type !== 'IrqFile') return;
        const uri = document.uri.toString();
        const add = (node: AstNode | undefined, containerName: string | undefined) => {
            const symbol = node && this.symbolOf(node, uri, containerName, query);
            if (symbol) out.push(symbol);
        };
        // Machines and scenarios in the order they appear in the file (as in the outline).
        const top: (Ast.Machine | Ast.Scenario)[] = [...(root.machines ?? []), ...(root.scenarios ?? [])]
            .sort((a, b) => (a?.$cstNode?.offset ?? 0) - (b?.$cstNode?.offset ?? 0));
        for (const node of top) {
            add(node, undefined);
            if (node?.$type !== 'Machine') continue;
            // A machine whose name is still missing: its members are listed without a container.
            const container = node.name || undefined;
            for (const member of node.members ?? []) {
                switch (member?.$type) {
                    case 'Iommu': case 'Phb':
                        add(member, container);
                        break;
                    case 'Bus':
                        add(member, container);
                        for (const child of member.members ?? []) add(child, container);
                        break;
                    case 'Kvm':
                        for (const signal of member.signals ?? []) add(signal, container);
                        break;
                }
            }
        }
    }

    /** The symbol of one named element, or undefined when it has no name yet or does not match. */
    protected symbolOf(node: AstNode, uri: string, containerName: string | undefined, query: readonly string[]): WorkspaceSymbol | undefined {
        const kind = WORKSPACE_SYMBOL_KINDS[node.$type];
        const name = (node as AstNode & { name?: unknown }).name;
        if (kind === undefined || typeof name !== 'string' || name.length === 0 || !node.$cstNode) return undefined;
        if (!symbolMatches(query, name, containerName)) return undefined;
        const range = (GrammarUtils.findNodeForProperty(node.$cstNode, 'name') ?? node.$cstNode).range;
        const symbol: WorkspaceSymbol = { name, kind, location: { uri, range } };
        if (containerName) symbol.containerName = containerName;
        return symbol;
    }
}
