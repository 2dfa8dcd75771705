/** Authoring beyond typing: step commands and refactorings, workflows from a goal, importers. */
import type * as vscode from 'vscode';
import type { WorkflowDocuments } from '../editor/documents';
import { registerStepCodeActions } from './step-code-actions';
import { registerStepCommands } from './step-commands';

export function registerAuthoring(documents: WorkflowDocuments): vscode.Disposable[] {
  return [...registerStepCommands(documents), registerStepCodeActions(documents)];
}
