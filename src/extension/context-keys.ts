/**
 * Context keys for `when` clauses in package.json: whether the active editor is a
 * workflow (editor title buttons) and the current run's state (stop, pause, next step).
 */
import * as vscode from 'vscode';
import type { WorkflowDocuments } from './editor/documents';
import { runState } from './runs/session-registry';
import type { RunSessions } from './runs/session';

export function registerContextKeys(documents: WorkflowDocuments, runs: RunSessions): vscode.Disposable {
  let lastState: string | undefined;
  const updateEditor = () => {
    const document = vscode.window.activeTextEditor?.document;
    void vscode.commands.executeCommand('setContext', 'orchestrate.isWorkflowFile', Boolean(document && documents.isWorkflow(document)));
  };
  const updateRun = () => {
    const state = runState(runs.current);
    if (state === lastState) return;
    lastState = state;
    void vscode.commands.executeCommand('setContext', 'orchestrate.runState', state);
  };
  updateEditor();
  updateRun();
  return vscode.Disposable.from(
    vscode.window.onDidChangeActiveTextEditor(updateEditor),
    documents.onDidChangeSelector(updateEditor),
    runs.onDidChange(updateRun),
  );
}
