/**
 * The workspace's workflows for agents: two language-model tools (agent mode lists and
 * runs them, the person confirming each run) and, where the editor has the API, an MCP
 * server definition that offers them to every agent. package.json declares the tools
 * (`languageModelTools`) and the provider (`mcpServerDefinitionProviders`).
 */
import * as vscode from 'vscode';
import type { RunManager } from '../runs/session';
import { ListWorkflowsTool } from './list-workflows-tool';
import { registerMcpServerProvider } from './mcp-provider';
import { RunWorkflowTool } from './run-workflow-tool';
import { LIST_TOOL, RUN_TOOL } from './tool-text';

export function registerAgentTools(context: vscode.ExtensionContext, runs: RunManager, log: vscode.LogOutputChannel): vscode.Disposable[] {
  return [
    vscode.lm.registerTool(LIST_TOOL, new ListWorkflowsTool()),
    // Registered in Restricted Mode too, so a call gets a message saying why it cannot run.
    vscode.lm.registerTool(RUN_TOOL, new RunWorkflowTool(runs, log)),
    ...registerMcpServerProvider({ script: context.asAbsolutePath('bin/orchestrate.js'), version: String((context.extension.packageJSON as { version?: unknown }).version ?? '0') }, log),
  ];
}
