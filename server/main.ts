/**
 * The IRQ Topology language server. esbuild bundles this file to out/server.cjs.
 *
 * The transport is chosen from the command line by vscode-languageserver: VS Code forks the bundle with
 * `--node-ipc` (TransportKind.ipc); other editors and the protocol tests start it with `--stdio`;
 * `--socket=N` and `--pipe=NAME` work too.
 */
import { startLanguageServer } from 'langium/lsp';
import { NodeFileSystem } from 'langium/node';
import { createConnection, ProposedFeatures } from 'vscode-languageserver/node.js';
import { createIrqLspServices } from './irq-lsp-module.js';

const connection = createConnection(ProposedFeatures.all);
const { shared } = createIrqLspServices({ connection, ...NodeFileSystem });
startLanguageServer(shared);
