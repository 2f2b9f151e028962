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

/**
 * With no argument (the palette, the walkthrough's link) the user picks a template; a keybinding or another
 * extension may name one by its label (`irq.newTopology`, args `"q35 + VT-d + x2APIC"`) and skip the pick.
 */
async function newTopology(label?: unknown): Promise<vscode.TextDocument | undefined> {
    let template = typeof label === 'string' ? TOPOLOGY_TEMPLATES.find(t => t.label === label) : undefined;
    if (typeof label === 'string' && !template) {
        void vscode.window.showErrorMessage(`IRQ Topology: no template named "${label}" (templates: ${TOPOLOGY_TEMPLATES.map(t => t.label).join(', ')}).`);
        return undefined;
    }
    if (!template) {
        const picked = await vscode.window.showQuickPick(
            TOPOLOGY_TEMPLATES.map(t => ({ label: t.label, description: t.description, template: t })),
            { title: 'New topology from template', placeHolder: 'Choose a starting machine' },
        );
        if (!picked) return undefined;
        template = picked.template;
    }
    const document = await vscode.workspace.openTextDocument({ language: 'irq', content: template.text });
    await vscode.window.showTextDocument(document);
    return document;
}
