/**
 * Where this window's runs are kept: one trace store per workspace folder, in the
 * folder the `orchestrate.traceFolder` setting names (`.orchestrate` by default;
 * empty turns recording off), as the RunManager records them and the CLI's
 * `--traces` default reads them.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { TraceStore, type RunSummary } from '../../engine/trace';
import { settings } from '../settings';
import { isServerRun, serverLabel } from '../server/server-runs';

export function traceStores(): TraceStore[] {
  const stores: TraceStore[] = [];
  for (const folder of vscode.workspace.workspaceFolders ?? []) {
    if (folder.uri.scheme !== 'file') continue;
    const relative = settings.traceFolder(folder.uri);
    if (relative === '') continue;
    stores.push(new TraceStore(path.resolve(folder.uri.fsPath, relative)));
  }
  return stores;
}

/** Every run of every store, newest first. A store that cannot be read is skipped. */
export async function listAllRuns(): Promise<RunSummary[]> {
  const lists = await Promise.all(traceStores().map((store) => store.listRuns().catch(() => [] as RunSummary[])));
  return lists.flat().sort((a, b) => b.startedAt - a.startedAt);
}

/**
 * A run named by a command's argument: a runs-view node, a `RunSummary`, a trace
 * file's path or URI. Commands get these from menus, the panel and tests alike.
 */
export function traceFileOf(arg: unknown): string | undefined {
  if (typeof arg === 'string') return arg;
  if (arg instanceof vscode.Uri) return arg.fsPath;
  if (typeof arg === 'object' && arg !== null) {
    const record = arg as { summary?: unknown; file?: unknown };
    if (typeof record.file === 'string') return record.file;
    if (typeof record.summary === 'object' && record.summary !== null) return traceFileOf(record.summary);
  }
  return undefined;
}

/** The summary a command's argument names, when it carries one. */
export function summaryOf(arg: unknown): RunSummary | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  const record = arg as { summary?: RunSummary };
  if (record.summary && typeof record.summary.file === 'string') return record.summary;
  const direct = arg as Partial<RunSummary>;
  return typeof direct.file === 'string' && typeof direct.id === 'string' && typeof direct.workflowFile === 'string' ? (direct as RunSummary) : undefined;
}

export interface RunPickItem extends vscode.QuickPickItem {
  summary: RunSummary;
}

export function runPickItem(run: RunSummary): RunPickItem {
  const when = new Date(run.startedAt).toLocaleString();
  const where = isServerRun(run) ? ` · on ${serverLabel(run.server.address)}` : '';
  return { label: `${run.workflow}`, description: `${when} · ${isServerRun(run) ? run.server.status : run.status}${where}`, detail: run.id, summary: run };
}

/** Asks for a run (or several) from every store; `undefined` when dismissed or there are none. */
export async function pickRuns(
  title: string,
  options: { many: boolean; exclude?: string; workflowFile?: string; filter?: (run: RunSummary) => boolean; serverRuns?: () => readonly RunSummary[] },
): Promise<RunSummary[] | undefined> {
  // A connected server's runs as last listed: picking never waits on the network.
  let runs = [...(await listAllRuns()), ...(options.serverRuns?.() ?? [])].sort((a, b) => b.startedAt - a.startedAt);
  if (options.filter) runs = runs.filter(options.filter);
  if (options.exclude) runs = runs.filter((r) => r.file !== options.exclude);
  if (options.workflowFile) {
    const same = runs.filter((r) => r.workflowFile === options.workflowFile);
    // Runs of the same workflow first: comparing those is the common case.
    runs = [...same, ...runs.filter((r) => r.workflowFile !== options.workflowFile)];
  }
  if (runs.length === 0) {
    void vscode.window.showInformationMessage(`Orchestrate: there are no ${options.filter ? 'such ' : ''}recorded runs in this workspace.`);
    return undefined;
  }
  const items = runs.map(runPickItem);
  if (options.many) {
    const picked = await vscode.window.showQuickPick(items, { title, canPickMany: true, matchOnDetail: true });
    return picked?.map((p) => p.summary);
  }
  const picked = await vscode.window.showQuickPick(items, { title, matchOnDetail: true, matchOnDescription: true });
  return picked ? [picked.summary] : undefined;
}
