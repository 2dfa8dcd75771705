/** `orchestrate.workflow.validate`: the active workflow, or every workflow in the workspace. */
import * as vscode from 'vscode';
import type { Problem } from '../../engine';
import type { WorkflowDiagnostics } from '../editor/diagnostics';
import type { WorkflowDocuments } from '../editor/documents';
import { settings } from '../settings';

export interface ValidationSummary {
  files: number;
  errors: number;
  warnings: number;
}

export function registerValidateCommand(documents: WorkflowDocuments, diagnostics: WorkflowDiagnostics): vscode.Disposable {
  return vscode.commands.registerCommand('orchestrate.workflow.validate', async (arg?: unknown): Promise<ValidationSummary> => {
    const active = vscode.window.activeTextEditor?.document;
    let problems: Problem[] = [];
    let files = 0;
    if (arg instanceof vscode.Uri) {
      problems = await diagnostics.updateFile(arg);
      files = 1;
    } else if (active && documents.isWorkflow(active)) {
      problems = diagnostics.update(active);
      files = 1;
    } else {
      const globs = settings.workflowGlobs();
      const found = await vscode.workspace.findFiles(globs.length === 1 ? globs[0] : `{${globs.join(',')}}`, '**/node_modules/**');
      for (const uri of found) problems.push(...(await diagnostics.updateFile(uri)));
      files = found.length;
    }
    const summary = {
      files,
      errors: problems.filter((p) => p.severity === 'error').length,
      warnings: problems.filter((p) => p.severity === 'warning').length,
    };
    const where = files === 1 ? 'the workflow' : `${files} workflow files`;
    const message =
      summary.errors + summary.warnings === 0
        ? `No problems in ${where}.`
        : `${summary.errors} error${summary.errors === 1 ? '' : 's'} and ${summary.warnings} warning${summary.warnings === 1 ? '' : 's'} in ${where}.`;
    if (summary.errors > 0) {
      void vscode.window.showWarningMessage(message, 'Show Problems').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.actions.view.problems');
      });
    } else void vscode.window.showInformationMessage(message);
    return summary;
  });
}
