/**
 * "IRQ Topology: New topology from template": pick a starting machine, get it in a new untitled `irq`
 * editor (the language server checks untitled documents too, so diagnostics and hints appear at once).
 */
import * as vscode from 'vscode';
import { TOPOLOGY_TEMPLATES } from './templates.js';

export const NEW_TOPOLOGY_COMMAND = 'irq.newTopology';

export function registerNewTopology(context: vscode.ExtensionContext): void {
    // The unit tests run activate() against a stand-in vscode module without commands.
    if (typeof vscode.commands?.registerCommand !== 'function') return;
    context.subscriptions.push(vscode.commands.registerCommand(NEW_TOPOLOGY_COMMAND, newTopology));
}

async function newTopology(): Promise<void> {
    const picked = await vscode.window.showQuickPick(
        TOPOLOGY_TEMPLATES.map(t => ({ label: t.label, description: t.description, template: t })),
        { title: 'New topology from template', placeHolder: 'Choose a starting machine' },
    );
    if (!picked) return;
    const document = await vscode.workspace.openTextDocument({ language: 'irq', content: picked.template.text });
    await vscode.window.showTextDocument(document);
}
