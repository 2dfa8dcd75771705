/**
 * Reading workflows to run: the editor's text when the file is open (unsaved edits
 * included, as the person sees it), else the file through `workspace.fs`; sub-workflows
 * of `uses:` the same way, relative to the file that uses them.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { formatProblem, hasErrors, type Workflow, type WorkflowLoader } from '../../engine';
import { analyze, workflowFileName } from '../editor/documents';
import type { ParsedWorkflow } from '../language/parsed';

export async function readText(uri: vscode.Uri): Promise<string> {
  const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
  if (open) return open.getText();
  return new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
}

export async function readWorkflow(uri: vscode.Uri): Promise<ParsedWorkflow> {
  return analyze(await readText(uri), workflowFileName(uri));
}

/** Loads `uses:` workflows; one with errors fails the step with its problems listed. */
export const workspaceLoader: WorkflowLoader = async (uses: string, fromFile: string): Promise<Workflow> => {
  const target = path.resolve(path.dirname(fromFile), uses);
  const uri = vscode.Uri.file(target);
  let parsed: ParsedWorkflow;
  try {
    parsed = await readWorkflow(uri);
  } catch {
    throw new Error(`no such file: ${target}`);
  }
  if (!parsed.workflow || hasErrors(parsed.problems)) {
    throw new Error(parsed.problems.filter((p) => p.severity === 'error').map(formatProblem).join('\n'));
  }
  return parsed.workflow;
};
