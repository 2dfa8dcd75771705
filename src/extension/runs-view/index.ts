/**
 * The Orchestrate view container's runs view and its commands: export, delete,
 * resume (from the trace), refresh. Opening and comparing runs are the panel's commands
 * (`orchestrate.run.open`, `orchestrate.run.compare`, registered by registerRunPanel).
 * A connected server's runs (src/extension/server) are exported from their trace and
 * resumed on the server; they are never deleted from here.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { readTrace, runView, type RunSummary, type TraceContents } from '../../engine/trace';
import type { RunManager } from '../runs/session';
import type { ServerConnection } from '../server';
import { isServerRun } from '../server/server-runs';
import { exportRunJson, exportRunMarkdown } from './run-export';
import { pickRuns, summaryOf, traceFileOf, traceStores } from './run-stores';
import { isResumable, RunsTreeProvider, type RunsNode } from './runs-tree';

export const RUNS_VIEW_ID = 'orchestrate.runs';

/** A command's run arguments: the clicked node and, from a multi-selection, all selected nodes. */
function runsOf(arg: unknown, selected: unknown): RunSummary[] {
  const all = Array.isArray(selected) && selected.length > 0 ? selected : [arg];
  return all.map(summaryOf).filter((s): s is RunSummary => s !== undefined);
}

async function exportRun(arg: unknown, server: ServerConnection | undefined): Promise<void> {
  let file = traceFileOf(arg);
  if (!file) file = (await pickRuns('Export which run?', { many: false, serverRuns: () => server?.runs() ?? [] }))?.[0]?.file;
  if (!file) return;
  const format = await vscode.window.showQuickPick(
    [
      { label: 'Markdown', description: 'a report to read: each step with its prompt, output, tokens and cost', format: 'markdown' as const },
      { label: 'JSON', description: 'every step execution, machine-readable', format: 'json' as const },
    ],
    { title: 'Export the run as' },
  );
  if (!format) return;
  const location = file;
  let trace: TraceContents;
  try {
    trace = server?.owns(location) ? (await server.load(location)).run.trace : await readTrace(location);
  } catch (error) {
    void vscode.window.showErrorMessage(`Orchestrate: cannot export ${location}: ${(error as Error).message}`);
    return;
  }
  const view = runView(trace);
  const extension = format.format === 'json' ? 'json' : 'md';
  const folder = vscode.workspace.workspaceFolders?.[0]?.uri;
  const target = await vscode.window.showSaveDialog({
    defaultUri: folder ? vscode.Uri.joinPath(folder, `${view.runId}.${extension}`) : undefined,
    filters: format.format === 'json' ? { JSON: ['json'] } : { Markdown: ['md'] },
    title: 'Export run',
  });
  if (!target) return;
  const text = format.format === 'json' ? exportRunJson(view) : exportRunMarkdown(view);
  await vscode.workspace.fs.writeFile(target, new TextEncoder().encode(text));
  const open = await vscode.window.showInformationMessage(`Exported run ${view.runId} to ${vscode.workspace.asRelativePath(target)}.`, 'Open');
  if (open) await vscode.window.showTextDocument(target);
}

async function deleteRuns(runs: RunSummary[], tree: RunsTreeProvider): Promise<void> {
  if (runs.length === 0) runs = (await pickRuns('Delete which runs?', { many: true })) ?? [];
  // A server's runs are the team's: they are not deleted from an editor.
  const deletable = runs.filter((r) => r.status !== 'running' && !isServerRun(r));
  if (deletable.length === 0) {
    if (runs.some(isServerRun)) void vscode.window.showInformationMessage('Orchestrate: runs on a server are shared with your team and are not deleted from the editor.');
    else if (runs.length > 0) void vscode.window.showWarningMessage('Orchestrate: a run still going cannot be deleted; stop it first.');
    return;
  }
  const what = deletable.length === 1 ? `the run ${deletable[0].id} of ${deletable[0].workflow}` : `${deletable.length} runs`;
  const answer = await vscode.window.showWarningMessage(`Delete ${what}? Its trace is removed from disk.`, { modal: true }, 'Delete');
  if (answer !== 'Delete') return;
  // The runs index drops entries whose trace is gone the next time it is listed.
  const results = await Promise.allSettled(deletable.map((r) => fs.unlink(r.file)));
  const failed = results.filter((r): r is PromiseRejectedResult => r.status === 'rejected');
  if (failed.length > 0) void vscode.window.showErrorMessage(`Orchestrate: could not delete ${failed.length} trace(s): ${String(failed[0].reason)}`);
  tree.refresh();
}

async function resumeRun(arg: unknown, manager: RunManager, server: ServerConnection | undefined): Promise<void> {
  const run = summaryOf(arg) ?? (await pickRuns('Resume which run?', { many: false, filter: isResumable, serverRuns: () => server?.runs() ?? [] }))?.[0];
  if (!run) return;
  if (!isResumable(run)) {
    void vscode.window.showInformationMessage(`Orchestrate: run ${run.id} ${run.status === 'running' ? 'is still going' : 'succeeded'}; there is nothing to resume.`);
    return;
  }
  if (isServerRun(run)) {
    // The server continues it, where its workflow and its other runs are; the panel follows the new run.
    try {
      if (!server) throw new Error('not connected to its server');
      const location = await server.resume(run.file);
      await vscode.commands.executeCommand('orchestrate.run.open', location);
    } catch (error) {
      void vscode.window.showErrorMessage(`Orchestrate: cannot resume run ${run.id}: ${(error as Error).message}`);
    }
    return;
  }
  await manager.start(vscode.Uri.file(run.workflowFile), 'resume', undefined, { traceFile: vscode.Uri.file(run.file) });
}

export function registerRunsView(context: vscode.ExtensionContext, manager: RunManager, server?: ServerConnection): vscode.Disposable & { tree: RunsTreeProvider } {
  const tree = new RunsTreeProvider(manager, server);
  const view = vscode.window.createTreeView<RunsNode>(RUNS_VIEW_ID, { treeDataProvider: tree, canSelectMany: true, showCollapseAll: true });
  const disposables: vscode.Disposable[] = [tree, view];

  // Runs written by another process (the CLI, another window) show up too.
  const watchFolders = () => {
    const watchers: vscode.Disposable[] = [];
    for (const store of traceStores()) {
      const folder = vscode.workspace.getWorkspaceFolder(vscode.Uri.file(store.runsDir));
      if (!folder) continue;
      const relative = path.relative(folder.uri.fsPath, store.runsDir).split(path.sep).join('/');
      const watcher = vscode.workspace.createFileSystemWatcher(new vscode.RelativePattern(folder, `${relative}/**/*.jsonl`));
      watchers.push(watcher, watcher.onDidCreate(() => tree.refresh()), watcher.onDidChange(() => tree.refresh()), watcher.onDidDelete(() => tree.refresh()));
    }
    return vscode.Disposable.from(...watchers);
  };
  let watchers = watchFolders();
  disposables.push(
    { dispose: () => watchers.dispose() },
    vscode.workspace.onDidChangeWorkspaceFolders(() => {
      watchers.dispose();
      watchers = watchFolders();
      tree.refresh();
    }),
    vscode.workspace.onDidChangeConfiguration((e) => {
      if (!e.affectsConfiguration('orchestrate.traceFolder')) return;
      watchers.dispose();
      watchers = watchFolders();
      tree.refresh();
    }),
    vscode.commands.registerCommand('orchestrate.runs.refresh', () => {
      tree.refresh();
      void server?.refresh();
    }),
    vscode.commands.registerCommand('orchestrate.run.export', (arg: unknown) => exportRun(arg, server)),
    vscode.commands.registerCommand('orchestrate.run.delete', (arg: unknown, selected: unknown) => deleteRuns(runsOf(arg, selected), tree)),
    // Not `orchestrate.run.resume`: that id continues a paused run (src/extension/commands/run-commands.ts).
    vscode.commands.registerCommand('orchestrate.run.resumeFromTrace', (arg: unknown) => resumeRun(arg, manager, server)),
  );
  const registration = vscode.Disposable.from(...disposables);
  context.subscriptions.push(registration);
  return Object.assign(registration, { tree });
}
