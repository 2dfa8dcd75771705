/**
 * The status bar item of the current run: the step running and the time so far, then
 * how the run ended. A click shows the run (the panel when it is there, else the log).
 */
import * as vscode from 'vscode';
import { formatSeconds } from '../language/hover';
import type { RunSession, RunSessions } from './session';

export class RunStatusBar implements vscode.Disposable {
  private readonly item = vscode.window.createStatusBarItem('orchestrate.run', vscode.StatusBarAlignment.Left, 50);
  private ticker: NodeJS.Timeout | undefined;
  private readonly subscription: vscode.Disposable;

  constructor(private readonly runs: RunSessions) {
    this.item.name = 'Orchestrate run';
    this.item.command = 'orchestrate.run.show';
    this.subscription = runs.onDidChange(() => this.update());
  }

  private update(): void {
    const session = this.runs.current;
    if (!session) {
      this.item.hide();
      return;
    }
    this.render(session);
    this.item.show();
    if (!session.ended && !this.ticker) this.ticker = setInterval(() => this.tick(), 1000);
    if (session.ended) this.stopTicking();
  }

  private tick(): void {
    const session = this.runs.current;
    if (!session || session.ended) {
      this.stopTicking();
      return;
    }
    this.render(session);
  }

  private render(session: RunSession): void {
    const elapsed = formatSeconds(Date.now() - session.startedAt);
    const name = session.workflow.name;
    const end = session.events.at(-1);
    if (!session.ended) {
      const step = session.runningStep;
      const held = session.state.held?.at(-1);
      const pausedAt = held ? `paused in debugger at ${held.stepId}` : `paused before ${session.state.pausedBefore}`;
      this.item.text = session.paused ? `$(debug-pause) ${name}: ${pausedAt}` : `$(sync~spin) ${name}${step ? `: ${step}` : ''} · ${elapsed}`;
      this.item.backgroundColor = undefined;
    } else if (end?.type === 'run.completed') {
      this.item.text = `$(check) ${name} · ${formatSeconds(end.durationMs)}`;
      this.item.backgroundColor = undefined;
    } else {
      this.item.text = `$(error) ${name} ${end?.type === 'run.cancelled' ? 'cancelled' : 'failed'}`;
      this.item.backgroundColor = end?.type === 'run.failed' ? new vscode.ThemeColor('statusBarItem.errorBackground') : undefined;
    }
    this.item.tooltip = `Orchestrate run ${session.runId} (${session.mode}) — click to show it`;
  }

  private stopTicking(): void {
    clearInterval(this.ticker);
    this.ticker = undefined;
  }

  dispose(): void {
    this.stopTicking();
    this.subscription.dispose();
    this.item.dispose();
  }
}
