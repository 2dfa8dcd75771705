/**
 * The workspace's workflow files as the agent tools see them: every file the
 * `orchestrate.workflowGlobs` setting names (not under node_modules), by a path an
 * agent can send back, read as the editor reads them (unsaved edits included).
 */
import * as vscode from 'vscode';
import { formatProblem, type Problem, type Workflow } from '../../engine';
import { workflowToolDefinition } from '../../engine/tools';
import type { ParsedWorkflow } from '../language/parsed';
import { readWorkflow } from '../runs/workflow-source';
import { settings } from '../settings';
import { AgentToolError, matchWorkflow, type ListedWorkflow } from './tool-text';

export interface WorkspaceWorkflow extends ListedWorkflow {
  uri: vscode.Uri;
}

/** A runnable workflow: the file, its analysis and the workflow it holds. */
export interface ReadyWorkflow {
  file: WorkspaceWorkflow;
  parsed: ParsedWorkflow;
  workflow: Workflow;
}

export async function workspaceWorkflows(token?: vscode.CancellationToken): Promise<WorkspaceWorkflow[]> {
  const globs = settings.workflowGlobs();
  const found = await vscode.workspace.findFiles(globs.length === 1 ? globs[0]! : `{${globs.join(',')}}`, '**/node_modules/**', undefined, token);
  const multiRoot = (vscode.workspace.workspaceFolders?.length ?? 0) > 1;
  const files = found
    .filter((uri) => uri.scheme === 'file')
    .map((uri) => ({ uri, path: vscode.workspace.asRelativePath(uri, multiRoot), within: vscode.workspace.asRelativePath(uri, false), absolute: uri.fsPath }));
  return files.sort((a, b) => (a.path < b.path ? -1 : a.path > b.path ? 1 : 0));
}

/** The workflow a path names, read and checked; an error an agent can act on otherwise. */
export async function readyWorkflow(given: string, token?: vscode.CancellationToken): Promise<ReadyWorkflow> {
  const file = matchWorkflow(given, await workspaceWorkflows(token));
  let parsed: ParsedWorkflow;
  try {
    parsed = await readWorkflow(file.uri);
  } catch (error) {
    throw new AgentToolError(`cannot read \`${file.path}\`: ${error instanceof Error ? error.message : String(error)}`);
  }
  const errors = parsed.problems.filter((p) => p.severity === 'error');
  if (!parsed.workflow || errors.length > 0) {
    throw new AgentToolError(`\`${file.path}\` has ${errors.length === 1 ? 'a problem' : `${errors.length} problems`} to fix before it can run:\n${problemLines(file, errors)}`);
  }
  return { file, parsed, workflow: parsed.workflow };
}

/** One entry of the listing: what an agent needs to call the workflow, or why it cannot. */
export async function describeWorkflow(file: WorkspaceWorkflow): Promise<Record<string, unknown>> {
  let parsed: ParsedWorkflow;
  try {
    parsed = await readWorkflow(file.uri);
  } catch (error) {
    return { path: file.path, problems: [`cannot be read: ${error instanceof Error ? error.message : String(error)}`] };
  }
  const errors = parsed.problems.filter((p) => p.severity === 'error');
  if (!parsed.workflow || errors.length > 0) return { path: file.path, problems: problemLines(file, errors).split('\n') };
  const definition = workflowToolDefinition(parsed.workflow);
  return {
    path: file.path,
    name: parsed.workflow.name,
    ...(parsed.workflow.description ? { description: parsed.workflow.description.trim() } : {}),
    inputs: { properties: definition.inputSchema.properties, required: definition.inputSchema.required ?? [] },
    outputs: Object.keys(definition.outputSchema.properties),
  };
}

/** Problems as `path:line:col: code: message`, with the path as listed rather than the absolute one. */
function problemLines(file: WorkspaceWorkflow, problems: readonly Problem[]): string {
  if (problems.length === 0) return `${file.path}: not a workflow`;
  return problems
    .slice(0, 10)
    .map((p) => formatProblem(p).split(file.absolute).join(file.path))
    .join('\n');
}
