import * as vscode from 'vscode';

/** The composition root: every registration is owned by `context.subscriptions`. */
export function activate(context: vscode.ExtensionContext): void {
  const log = vscode.window.createOutputChannel('Orchestrate', { log: true });
  context.subscriptions.push(log);
  log.info('Orchestrate activated');
}

export function deactivate(): void {}
