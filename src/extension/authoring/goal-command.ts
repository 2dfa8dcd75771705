/**
 * *Orchestrate: New Workflow from Goal…*: asks for a goal, runs the shipped generator
 * workflow with the editor's providers (the mock without a key), and opens the
 * checked result; the diagnostics show anything the repair loop could not fix.
 */
import * as vscode from 'vscode';
import { GenerateError, generateWorkflow } from '../../authoring/generate';
import { settings } from '../settings';
import { composeProviders, configuredProviders } from '../runs/providers';
import { LanguageModelProvider } from '../runs/vscode-lm';
import { createAndOpen, freeUri, workspaceDir } from './new-file';

export function registerGoalCommand(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): vscode.Disposable {
  return vscode.commands.registerCommand('orchestrate.workflow.newFromGoal', async (given?: string) => {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage('Drafting a workflow calls a model, which is turned off in Restricted Mode. Trust this workspace first.');
      return undefined;
    }
    const goal = given ?? (await vscode.window.showInputBox({ title: 'New Workflow from Goal', prompt: 'What should the workflow do?', placeHolder: 'Research a topic, write a blog post about it, then review it for accuracy' }));
    if (!goal?.trim()) return undefined;
    const dir = workspaceDir();
    const composed = await composeProviders({
      configs: configuredProviders(settings.providers(dir), (message) => log.warn(message)),
      editorProviders: { 'vscode-lm': new LanguageModelProvider() },
      secrets: context.secrets,
      env: process.env,
      mockDelayMs: 0,
      concurrency: 1,
      onFallback: (provider, why) => log.info(`${why}: the generator runs on the mock provider instead of \`${provider}\``),
      onWarning: (message) => log.warn(message),
    });
    const defaults: { provider?: string; name?: string } = {};
    const provider = settings.defaultProvider(dir);
    const model = settings.defaultModel(dir);
    if (provider) defaults.provider = provider;
    if (model) defaults.name = model;
    try {
      const generated = await vscode.window.withProgress({ location: vscode.ProgressLocation.Notification, title: 'Drafting a workflow', cancellable: true }, (progress, token) => {
        const abort = new AbortController();
        token.onCancellationRequested(() => abort.abort());
        return generateWorkflow({
          goal,
          providers: composed.resolver,
          defaults,
          signal: abort.signal,
          onRound: (round, problems) => {
            const errors = problems.filter((p) => p.severity === 'error').length;
            progress.report({ message: errors === 0 ? `draft ${round} is clean` : `draft ${round}: ${errors} problem${errors === 1 ? '' : 's'}, asking for a fix` });
          },
        });
      });
      const text = generated.text;
      if (!dir) {
        const document = await vscode.workspace.openTextDocument({ language: 'yaml', content: text });
        return vscode.window.showTextDocument(document);
      }
      const editor = await createAndOpen(await freeUri(dir, goal.split(/\s+/).slice(0, 5).join(' ')), text);
      return editor?.document.uri;
    } catch (error) {
      if (error instanceof GenerateError) {
        void vscode.window.showErrorMessage(`Could not draft a workflow: ${error.message}`);
        return undefined;
      }
      throw error;
    }
  });
}
