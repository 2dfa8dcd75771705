/**
 * The Orchestrate view's tree: past runs grouped by workflow, newest first, each
 * with its status icon, start time, duration, tokens and cost. It reads the trace
 * stores' indexes (one small file each) and refreshes when a run starts or ends
 * in this window, or when a trace changes on disk (a CLI run).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { ListedRunStatus, RunSummary } from '../../engine/trace';
import { formatCost, formatDuration, formatTimestamp, formatTokens } from '../../shared/format';
import type { RunManager } from '../runs/session';
import { listAllRuns } from './run-stores';

export interface WorkflowNode {
  kind: 'workflow';
  workflowFile: string;
  name: string;
  runs: RunSummary[];
}

export interface RunNode {
  kind: 'run';
  summary: RunSummary;
}

export type RunsNode = WorkflowNode | RunNode;

/** The runs view shows at most this many runs per workflow; `orchestrate runs` lists them all. */
const MAX_RUNS_PER_WORKFLOW = 200;

const STATUS_ICONS: Record<ListedRunStatus, [string, string | undefined]> = {
  succeeded: ['pass', 'testing.iconPassed'],
  failed: ['error', 'testing.iconFailed'],
  cancelled: ['circle-slash', 'disabledForeground'],
  interrupted: ['warning', 'editorWarning.foreground'],
  running: ['sync~spin', undefined],
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

  constructor(manager: RunManager) {
    this.disposables.push(
      manager.onDidStartRun((session) => {
        this.refresh();
        void session.result.then(() => this.refresh());
      }),
    );
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
    return (await this.load()).flatMap((g) => g.runs);
  }

  private load(): Promise<WorkflowNode[]> {
    this.groups ??= listAllRuns().then((runs) => {
      const byFile = new Map<string, WorkflowNode>();
      for (const run of runs) {
        let group = byFile.get(run.workflowFile);
        if (!group) {
          group = { kind: 'workflow', workflowFile: run.workflowFile, name: run.workflow || path.basename(run.workflowFile), runs: [] };
          byFile.set(run.workflowFile, group);
        }
        if (group.runs.length < MAX_RUNS_PER_WORKFLOW) group.runs.push(run);
      }
      // Runs are newest first, so groups come in the order of their latest run.
      return [...byFile.values()];
    });
    return this.groups;
  }

  async getChildren(element?: RunsNode): Promise<RunsNode[]> {
    if (!element) return this.load();
    if (element.kind === 'workflow') return element.runs.map((summary): RunNode => ({ kind: 'run', summary }));
    return [];
  }

  getTreeItem(element: RunsNode): vscode.TreeItem {
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
    const item = new vscode.TreeItem(formatTimestamp(run.startedAt), vscode.TreeItemCollapsibleState.None);
    item.id = `run:${run.id}`;
    const parts = [run.durationMs !== undefined ? formatDuration(run.durationMs) : run.status === 'running' ? 'running' : '—'];
    if (run.tokens !== undefined) parts.push(formatTokens(run.tokens));
    if (run.costUsd !== undefined) parts.push(formatCost(run.costUsd));
    item.description = parts.join(' · ');
    const [icon, color] = STATUS_ICONS[run.status];
    item.iconPath = new vscode.ThemeIcon(icon, color ? new vscode.ThemeColor(color) : undefined);
    const tooltip = new vscode.MarkdownString(undefined, false);
    tooltip.appendMarkdown(`**${run.status}** · run \`${run.id}\`\n\n`);
    if (run.error) tooltip.appendText(`${run.error}\n\n`);
    if (run.resumedFrom) tooltip.appendMarkdown(`resumes \`${run.resumedFrom}\`\n\n`);
    tooltip.appendText(run.file);
    item.tooltip = tooltip;
    item.accessibilityInformation = { label: `Run ${run.id} of ${run.workflow}, ${run.status}, started ${formatTimestamp(run.startedAt)}, ${item.description}` };
    // Menus key on these words: `viewItem =~ /resumable/`.
    item.contextValue = ['orchestrateRun', run.status, isResumable(run) ? 'resumable' : '', run.status === 'running' ? '' : 'deletable'].filter(Boolean).join(' ');
    item.command = { command: 'orchestrate.run.open', title: 'Open Run', arguments: [element] };
    return item;
  }

  dispose(): void {
    clearTimeout(this.refreshTimer);
    vscode.Disposable.from(...this.disposables).dispose();
  }
}
