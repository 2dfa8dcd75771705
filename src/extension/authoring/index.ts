/** Authoring beyond typing: step commands and refactorings, workflows from a goal, importers. */
import type * as vscode from 'vscode';
import type { WorkflowDocuments } from '../editor/documents';
import { registerGoalCommand } from './goal-command';
import { registerImportCommand } from './import-command';
import { registerStepCodeActions } from './step-code-actions';
import { registerStepCommands } from './step-commands';

export function registerAuthoring(context: vscode.ExtensionContext, documents: WorkflowDocuments, log: vscode.LogOutputChannel): vscode.Disposable[] {
  return [...registerStepCommands(documents), registerStepCodeActions(documents), registerGoalCommand(context, log), registerImportCommand(log)];
}
