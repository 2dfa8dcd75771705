/**
 * `orchestrate_listWorkflows`: the workspace's workflows, each with the path to run it
 * by, its name, description, inputs (as a JSON schema's properties) and output names —
 * or the problems that keep it from running. Reading only, so it needs no confirmation
 * and works in Restricted Mode too.
 */
import * as vscode from 'vscode';
import { describeWorkflow, workspaceWorkflows } from './workspace-workflows';

export class ListWorkflowsTool implements vscode.LanguageModelTool<Record<string, never>> {
  prepareInvocation(): vscode.PreparedToolInvocation {
    return { invocationMessage: 'Listing the workspace’s Orchestrate workflows' };
  }

  async invoke(_options: vscode.LanguageModelToolInvocationOptions<Record<string, never>>, token: vscode.CancellationToken): Promise<vscode.LanguageModelToolResult> {
    const files = await workspaceWorkflows(token);
    const workflows = await Promise.all(files.map((file) => describeWorkflow(file)));
    const text = workflows.length === 0 ? 'This workspace has no workflow files (*.workflow.yaml).' : JSON.stringify({ workflows }, null, 2);
    return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(text)]);
  }
}
