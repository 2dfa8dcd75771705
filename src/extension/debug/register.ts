/**
 * Debugging workflows with VS Code's own debugger: the `orchestrate` debug type runs
 * the adapter inline in the extension host, F5 on an open workflow debugs it with no
 * launch.json, and *Debug Workflow* starts a session from the editor. In Restricted
 * Mode nothing is debugged: a debug run is a run (keys, traces, the cache).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { LaunchArguments } from '../../debug/host';
import { WorkflowDebugSession } from '../../debug/session';
import type { WorkflowDocuments } from '../editor/documents';
import { RESTRICTED_MESSAGE, type WorkflowRunManager } from '../runs/manager';
import { editorDebugHost } from './editor-host';

export const DEBUG_TYPE = 'orchestrate';

export function registerDebugging(context: vscode.ExtensionContext, runs: WorkflowRunManager, documents: WorkflowDocuments, log: vscode.LogOutputChannel): vscode.Disposable[] {
  const host = editorDebugHost(context, runs, log);
  const factory: vscode.DebugAdapterDescriptorFactory = {
    createDebugAdapterDescriptor: () => {
      // Also here, not only in resolveDebugConfiguration: a launch can come from another extension's API call.
      if (!vscode.workspace.isTrusted) throw new Error(RESTRICTED_MESSAGE);
      return new vscode.DebugAdapterInlineImplementation(new WorkflowDebugSession(host) as unknown as vscode.DebugAdapter);
    },
  };
  return [
    vscode.debug.registerDebugAdapterDescriptorFactory(DEBUG_TYPE, factory),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new WorkflowConfigurations(documents, false)),
    vscode.debug.registerDebugConfigurationProvider(DEBUG_TYPE, new WorkflowConfigurations(documents, true), vscode.DebugConfigurationProviderTriggerKind.Dynamic),
    // Hovering `steps.draft.output` in a stopped session shows its value, not just the word's.
    vscode.languages.registerEvaluatableExpressionProvider(documents.selector, {
      provideEvaluatableExpression(document, position) {
        const range = document.getWordRangeAtPosition(position, /[A-Za-z_]\w*(?:\.[A-Za-z_]\w*)*/);
        return range ? new vscode.EvaluatableExpression(range) : undefined;
      },
    }),
    // A lens passes `{ stopOnEntry: true }` after the file (*Step through*).
    vscode.commands.registerCommand('orchestrate.workflow.debug', async (uri?: unknown, options?: unknown) => {
      const file = uri instanceof vscode.Uri ? uri : vscode.window.activeTextEditor?.document.uri;
      if (!file) return false;
      // Refused before VS Code is asked: in Restricted Mode it would hold the launch on its own trust dialog.
      if (!vscode.workspace.isTrusted) {
        void vscode.window.showWarningMessage(RESTRICTED_MESSAGE);
        return false;
      }
      const stopOnEntry = typeof options === 'object' && options !== null && (options as { stopOnEntry?: unknown }).stopOnEntry === true;
      return vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(file), launchFor(file, stopOnEntry ? { stopOnEntry } : {}));
    }),
  ];
}

/** The launch configuration that debugs one file. */
export function launchFor(file: vscode.Uri, extra: Partial<LaunchArguments> = {}): vscode.DebugConfiguration {
  return { type: DEBUG_TYPE, request: 'launch', name: `Debug ${path.basename(file.fsPath)}`, workflow: file.fsPath, ...extra };
}

class WorkflowConfigurations implements vscode.DebugConfigurationProvider {
  /** `dynamic`: F5's list, which offers only the workflows open now; otherwise a new launch.json's first entry. */
  constructor(
    private readonly documents: WorkflowDocuments,
    private readonly dynamic: boolean,
  ) {}

  /** F5's list (dynamic) and a new launch.json (initial): the open workflow files. */
  provideDebugConfigurations(): vscode.DebugConfiguration[] {
    const open = vscode.window.visibleTextEditors.map((editor) => editor.document).filter((document) => this.documents.isWorkflow(document) && document.uri.scheme === 'file');
    if (open.length === 0 && this.dynamic) return [];
    if (open.length === 0) return [{ type: DEBUG_TYPE, request: 'launch', name: 'Debug workflow', workflow: '${file}', stopOnEntry: false }];
    return open.map((document) => launchFor(document.uri));
  }

  /** F5 with no launch.json debugs the workflow in the editor; nothing runs in Restricted Mode. */
  resolveDebugConfiguration(_folder: vscode.WorkspaceFolder | undefined, config: vscode.DebugConfiguration): vscode.DebugConfiguration | undefined {
    if (!vscode.workspace.isTrusted) {
      void vscode.window.showWarningMessage(RESTRICTED_MESSAGE, 'Manage Workspace Trust').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
      });
      return undefined;
    }
    if (!config.type && !config.request && !config.name) {
      const document = vscode.window.activeTextEditor?.document;
      if (!document || !this.documents.isWorkflow(document)) return config;
      return launchFor(document.uri);
    }
    if (!config.workflow) {
      void vscode.window.showErrorMessage('This debug configuration names no `workflow` file to run.');
      return undefined;
    }
    return config;
  }
}
