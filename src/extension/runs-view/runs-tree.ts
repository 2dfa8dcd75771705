/**
 * The Orchestrate view's tree: past runs grouped by workflow, newest first, each
 * with its status icon, start time, duration, tokens and cost. It reads the trace
 * stores' indexes (one small file each) and refreshes when a run starts or ends
 * in this window, or when a trace changes on disk (a CLI run). A connected server's
 * runs follow under one "Server: host:port" row, grouped the same way; a server that
 * does not answer is that row's one child, saying why.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ListedRunStatus, RunSummary } from '../../engine/trace';
import { formatCost, formatDuration, formatTimestamp, formatTokens } from '../../shared/format';
import type { RunManager } from '../runs/session';
import type { ServerConnection } from '../server';
import { isServerRun, serverLabel } from '../server/server-runs';
import { listAllRuns } from './run-stores';

export interface WorkflowNode {
  kind: 'workflow';
  workflowFile: string;
  name: string;
  runs: RunSummary[];
  /** The server's address, for a group of a server's runs. */
  server?: string;
}

/** The connected server: its runs, or why there are none. */
export interface ServerNode {
  kind: 'server';
  address: string;
}

/** One line of text in place of runs (a server that cannot be reached, no runs yet). */
export interface MessageNode {
  kind: 'message';
  id: string;
  text: string;
  icon: string;
  color?: string;
  tooltip?: string;
  command?: vscode.Command;
}

export interface RunNode {
  kind: 'run';
  summary: RunSummary;
}

export type RunsNode = WorkflowNode | RunNode | ServerNode | MessageNode;

/** The runs view shows at most this many runs per workflow; `orchestrate runs` lists them all. */
const MAX_RUNS_PER_WORKFLOW = 200;

const STATUS_ICONS: Record<ListedRunStatus, [string, string | undefined]> = {
  succeeded: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  cancelled: ['circle-slash', 'disabledForeground'],
  interrupted: ['warning', 'editorWarning.foreground'],
  running: ['sync~spin', undefined],
};

/** Runs only a server reports. */
const SERVER_STATUS_ICONS: Record<string, [string, string | undefined]> = {
  queued: ['watch', undefined],
  paused: ['debug-pause', undefined],
};

/** Runs that `resume` can continue: not succeeded, not still going, and not seeded from earlier runs. */
export function isResumable(run: RunSummary): boolean {
  return run.status === 'failed' || run.status === 'cancelled' || run.status === 'interrupted';
}

export class RunsTreeProvider implements vscode.TreeDataProvider<RunsNode>, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<RunsNode | undefined>();
  readonly onDidChangeTreeData = this.changed.event;
  private groups: Promise<WorkflowNode[]> | undefined;
  private refreshTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly disposables: vscode.Disposable[] = [this.changed];

  constructor(
    manager: RunManager,
    private readonly server?: ServerConnection,
  ) {
    this.disposables.push(
      manager.onDidStartRun((session) => {
        this.refresh();
        void session.result.then(() => this.refresh());
      }),
    );
    // The connection lists in the background and says when something changed; the tree only reads what it holds.
    if (server) this.disposables.push(server.onDidChange(() => this.changed.fire(undefined)));
  }

  /** Reads the stores again, at most a few times a second however many changes come. */
  refresh(): void {
    if (this.refreshTimer !== undefined) return;
    this.refreshTimer = setTimeout(() => {
      this.refreshTimer = undefined;
      this.groups = undefined;
      this.changed.fire(undefined);
    }, 250);
  }

  /** The runs as the tree shows them (for the panel's pickers and tests). */
  async runs(): Promise<RunSummary[]> {
    return [...(await this.load()).flatMap((g) => g.runs), ...(this.server?.runs() ?? [])];
  }

  private load(): Promise<WorkflowNode[]> {
    this.groups ??= listAllRuns().then((runs) => groupByWorkflow(runs));
    return this.groups;
  }

  async getChildren(element?: RunsNode): Promise<RunsNode[]> {
    if (!element) {
      const local = await this.load();
      const status = this.server?.status;
      return status && status.kind !== 'none' ? [...local, { kind: 'server', address: status.address }] : local;
    }
    if (element.kind === 'workflow') return element.runs.map((summary): RunNode => ({ kind: 'run', summary }));
    if (element.kind === 'server') return this.serverChildren();
    return [];
  }

  private serverChildren(): RunsNode[] {
    const status = this.server?.status;
    const message = (text: string, icon: string, color?: string): MessageNode[] => [{ kind: 'message', id: `server-message:${text}`, text, icon, color }];
    switch (status?.kind) {
      case 'connecting':
        return message(`connecting to ${status.address}…`, 'loading~spin');
      case 'restricted':
        return message('not connected in Restricted Mode: trust this workspace to see the server’s runs', 'shield');
      case 'failed': {
        const [row] = message(status.message, 'error', 'errorForeground');
        // A missing or refused token is fixed by connecting again, which asks for it.
        if (status.code === 'unauthorized') row.command = { command: 'orchestrate.server.connect', title: 'Connect to Server…', arguments: [status.address] };
        return [row];
      }
      case 'connected':
        return status.runs.length === 0 ? message('no runs on this server yet', 'info') : groupByWorkflow(status.runs, status.address);
      default:
        return [];
    }
  }

  getTreeItem(element: RunsNode): vscode.TreeItem {
    if (element.kind === 'server') {
      const status = this.server?.status;
      const item = new vscode.TreeItem(`Server: ${serverLabel(element.address)}`, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `server:${element.address}`;
      item.iconPath = new vscode.ThemeIcon(status?.kind === 'failed' ? 'debug-disconnect' : 'server');
      item.description = status?.kind === 'connected' ? `${status.runs.length} run${status.runs.length === 1 ? '' : 's'}` : status?.kind === 'failed' ? 'not reachable' : undefined;
      item.tooltip = `${element.address}\nRuns of this server, shared by everyone who connects to it.`;
      item.contextValue = 'orchestrateServer';
      return item;
    }
    if (element.kind === 'message') {
      const item = new vscode.TreeItem(element.text, vscode.TreeItemCollapsibleState.None);
      item.id = element.id;
      item.iconPath = new vscode.ThemeIcon(element.icon, element.color ? new vscode.ThemeColor(element.color) : undefined);
      item.tooltip = element.tooltip ?? element.text;
      item.contextValue = 'orchestrateMessage';
      if (element.command) item.command = element.command;
      return item;
    }
    if (element.kind === 'workflow' && element.server) {
      const item = new vscode.TreeItem(element.name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `workflow:${element.workflowFile}`;
      item.description = element.workflowFile.slice(element.server.length + 1);
      item.iconPath = new vscode.ThemeIcon('symbol-event');
      item.tooltip = `${element.workflowFile.slice(element.server.length + 1)} on ${element.server}\n${element.runs.length} run${element.runs.length === 1 ? '' : 's'}`;
      item.contextValue = 'orchestrateServerWorkflow';
      return item;
    }
    if (element.kind === 'workflow') {
      const item = new vscode.TreeItem(element.name, vscode.TreeItemCollapsibleState.Expanded);
      item.id = `workflow:${element.workflowFile}`;
      item.description = vscode.workspace.asRelativePath(element.workflowFile);
      item.resourceUri = vscode.Uri.file(element.workflowFile);
      item.iconPath = new vscode.ThemeIcon('symbol-event');
      item.tooltip = `${element.workflowFile}\n${element.runs.length} run${element.runs.length === 1 ? '' : 's'}`;
      item.contextValue = 'orchestrateWorkflow';
      return item;
    }
    const run = element.summary;
    const remote = isServerRun(run) ? run.server : undefined;
    const item = new vscode.TreeItem(formatTimestamp(run.startedAt), vscode.TreeItemCollapsibleState.None);
    // A served folder may be this workspace: the same run then shows locally and on the server.
    item.id = remote ? `server-run:${run.file}` : `run:${run.id}`;
    const parts = [run.durationMs !== undefined ? formatDuration(run.durationMs) : run.status === 'running' ? 'running' : '—'];
    if (run.tokens !== undefined) parts.push(formatTokens(run.tokens));
    if (run.costUsd !== undefined) parts.push(formatCost(run.costUsd));
    item.description = parts.join(' · ');
    const [icon, color] = (remote && SERVER_STATUS_ICONS[remote.status]) || STATUS_ICONS[run.status];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const tooltip = new vscode.MarkdownString(undefined, false);
    tooltip.appendMarkdown(`**${remote?.status ?? run.status}** · run \`${run.id}\`\n\n`);
    if (run.error) tooltip.appendText(`${run.error}\n\n`);
    if (run.resumedFrom) tooltip.appendMarkdown(`resumes \`${run.resumedFrom}\`\n\n`);
    tooltip.appendText(run.file);
    item.tooltip = tooltip;
    item.accessibilityInformation = { label: `Run ${run.id} of ${run.workflow}, ${run.status}, started ${formatTimestamp(run.startedAt)}, ${item.description}` };
    // Menus key on these words: `viewItem =~ /resumable/`.
    item.contextValue = ['orchestrateRun', run.status, isResumable(run) ? 'resumable' : '', remote ? 'serverRun' : run.status === 'running' ? '' : 'deletable'].filter(Boolean).join(' ');
    item.command = { command: 'orchestrate.run.open', title: 'Open Run', arguments: [element] };
    return item;
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

/** Runs (newest first) in groups by workflow file, in the order of each group's latest run. */
function groupByWorkflow(runs: readonly RunSummary[], server?: string): WorkflowNode[] {
  const byFile = new Map<string, WorkflowNode>();
  for (const run of runs) {
    let group = byFile.get(run.workflowFile);
    if (!group) {
      group = { kind: 'workflow', workflowFile: run.workflowFile, name: run.workflow || path.basename(run.workflowFile), runs: [] };
      if (server !== undefined) group.server = server;
      byFile.set(run.workflowFile, group);
    }
    if (group.runs.length < MAX_RUNS_PER_WORKFLOW) group.runs.push(run);
  }
  return [...byFile.values()];
}
