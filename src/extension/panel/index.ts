/**
 * Registers the run panel: the panel itself (opened by every run), its serializer
 * (so it comes back after a reload), and the commands that show things in it.
 */
import * as vscode from 'vscode';
import { PANEL_VIEW_TYPE } from '../../shared/protocol';
import { pickRuns, summaryOf, traceFileOf } from '../runs-view/run-stores';
import type { RunManager } from '../runs/session';
import type { ServerConnection } from '../server';
import { EVAL_RESULTS_COMMAND, isEvalFeedEvent } from './eval-results';
import { RunPanel } from './run-panel';

export { RunPanel };

/** The runs a compare command names (trace files or server runs' URLs): two selected nodes, two arguments, or one to pair with a picked run. */
async function compareTargets(first: unknown, second: unknown, server: ServerConnection | undefined): Promise<[string, string] | undefined> {
  const serverRuns = () => server?.runs() ?? [];
  const selected = Array.isArray(second) ? second.map(traceFileOf).filter((f): f is string => f !== undefined) : [];
  if (selected.length >= 2) return [selected[0], selected[1]];
  const a = traceFileOf(first);
  const b = Array.isArray(second) ? undefined : traceFileOf(second);
  if (a && b) return [a, b];
  if (a) {
    const other = await pickRuns('Compare with which run?', { many: false, exclude: a, workflowFile: summaryOf(first)?.workflowFile, serverRuns });
    return other?.[0] ? [other[0].file, a] : undefined;
  }
  const picked = await pickRuns('Pick two runs to compare', { many: true, serverRuns });
  if (!picked) return undefined;
  if (picked.length !== 2) {
    void vscode.window.showInformationMessage('Orchestrate: pick exactly two runs to compare.');
    return undefined;
  }
  // Older run on the left, so the diff reads as "what changed since".
  const [x, y] = picked[0].startedAt <= picked[1].startedAt ? picked : [picked[1], picked[0]];
  return [x.file, y.file];
}

export function registerRunPanel(context: vscode.ExtensionContext, manager: RunManager, log?: vscode.LogOutputChannel, server?: ServerConnection): vscode.Disposable & { panel: RunPanel } {
  const panel = new RunPanel(context.extensionUri, manager, log, server);
  const registration = vscode.Disposable.from(
    panel,
    vscode.window.registerWebviewPanelSerializer(PANEL_VIEW_TYPE, {
      deserializeWebviewPanel: (webviewPanel, state: unknown) => panel.restore(webviewPanel, state),
    }),
    // `orchestrate.run.show` (status bar, lenses) calls this with a run id; a step id selects that step.
    vscode.commands.registerCommand('orchestrate.panel.show', (runId?: unknown, stepId?: unknown) => {
      panel.show(typeof runId === 'string' ? runId : undefined);
      if (typeof stepId === 'string') panel.selectStep(stepId);
    }),
    vscode.commands.registerCommand('orchestrate.run.open', async (arg?: unknown) => {
      const file = traceFileOf(arg) ?? (await pickRuns('Open which run?', { many: false, serverRuns: () => server?.runs() ?? [] }))?.[0]?.file;
      if (file) await panel.showTrace(file);
    }),
    // Internal: the Test Explorer's runs, for the results grid.
    vscode.commands.registerCommand(EVAL_RESULTS_COMMAND, (event?: unknown) => {
      if (isEvalFeedEvent(event)) panel.onEvalFeed(event);
    }),
    vscode.commands.registerCommand('orchestrate.run.compare', async (first?: unknown, second?: unknown) => {
      const targets = await compareTargets(first, second, server);
      if (targets) await panel.showCompare(targets[0], targets[1]);
    }),
  );
  context.subscriptions.push(registration);
  return Object.assign(registration, { panel });
}
