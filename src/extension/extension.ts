import * as vscode from 'vscode';
import { registerAgentTools } from './agent';
import { registerAuthoring } from './authoring';
import { registerRunCommands } from './commands/run-commands';
import { registerSetupCommands } from './commands/setup-commands';
import { registerValidateCommand } from './commands/validate-command';
import { registerContextKeys } from './context-keys';
import { registerDebugging } from './debug/register';
import { WorkflowCodeLens } from './editor/code-lens';
import { WorkflowDiagnostics } from './editor/diagnostics';
import { WorkflowDocuments } from './editor/documents';
import { registerLanguageFeatures } from './editor/language-features';
import { RedHatYaml } from './editor/red-hat-yaml';
import { EditorToolCatalog } from './editor/tool-catalog';
import { toolDiagnostics } from './editor/tool-diagnostics';
import { WorkflowRunManager } from './runs/manager';
import { configuredProviders } from './runs/providers';
import type { RunManager } from './runs/session';
import { RunStatusBar } from './runs/status-bar';
import { settings } from './settings';
import { registerRunPanel } from './panel';
import { registerRunsView } from './runs-view';
import { registerServer, type ServerConnection } from './server';
import type { RunPanel } from './panel/run-panel';
import type { RunsTreeProvider } from './runs-view/runs-tree';
import { registerTesting, type WorkflowTesting } from './testing';

/** What `activate` returns: the run manager for other parts of the extension and for tests. */
export interface OrchestrateApi {
  readonly runs: RunManager & WorkflowRunManager;
  readonly documents: WorkflowDocuments;
  readonly diagnostics: WorkflowDiagnostics;
  /** Its `onDidChangeCodeLenses` tells tests when the lenses changed. */
  readonly codeLenses: WorkflowCodeLens;
  /** The tools of the workflows' MCP servers, for completion, hover and checks. */
  readonly tools: EditorToolCatalog;
  /** The Test Explorer's workflows and cases. */
  readonly testing: WorkflowTesting;
  /** The connection to an `orchestrate serve` server (the shared history). */
  readonly server: ServerConnection;
  /** The run panel (tests read what it shows). */
  readonly panel: RunPanel;
  /** The runs view's tree (tests read what it lists). */
  readonly runsView: RunsTreeProvider;
  /** How long `activate` took, in milliseconds. */
  readonly activationMs: number;
}

/** The composition root: every registration is owned by `context.subscriptions`. */
export function activate(context: vscode.ExtensionContext): OrchestrateApi {
  const started = performance.now();
  const log = vscode.window.createOutputChannel('Orchestrate', { log: true });
  const documents = new WorkflowDocuments();
  const redHat = new RedHatYaml();
  const diagnostics = new WorkflowDiagnostics(documents);
  const runs = new WorkflowRunManager(context, log);
  const codeLenses = new WorkflowCodeLens(documents, runs);
  const tools = new EditorToolCatalog(log);
  context.subscriptions.push(
    log,
    documents,
    redHat,
    diagnostics,
    tools,
    toolDiagnostics(documents, tools),
    runs,
    registerLanguageFeatures({
      documents,
      redHat,
      lastResult: (file, stepId) => runs.lastResult(file, stepId),
      providerNames: () => configuredProviders(settings.providers(), () => undefined).map((p) => p.name),
      tools: (document, workflow) => tools.viewFor(document, workflow),
    }),
    codeLenses,
    new RunStatusBar(runs),
    registerContextKeys(documents, runs),
    registerValidateCommand(documents, diagnostics),
    ...registerRunCommands({ runs, documents, log }),
    ...registerSetupCommands(context, log),
    ...registerAuthoring(context, documents, log),
    ...registerDebugging(context, runs, documents, log),
    ...registerAgentTools(context, runs, log),
  );
  // The panel and the runs view own their registrations (they add them to
  // context.subscriptions); they show sessions and start runs only through `runs`.
  const server = registerServer(context, log);
  const { panel } = registerRunPanel(context, runs, log, server);
  const { tree: runsView } = registerRunsView(context, runs, server);
  const testing = registerTesting(context, log);

  const activationMs = performance.now() - started;
  log.info(`Orchestrate activated in ${activationMs.toFixed(1)} ms${vscode.workspace.isTrusted ? '' : ' (Restricted Mode: runs are disabled)'}`);
  return { runs, documents, diagnostics, codeLenses, tools, testing, server, panel, runsView, activationMs };
}

export function deactivate(): void {}
