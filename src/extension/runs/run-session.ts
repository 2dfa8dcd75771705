/** One run in this window: its events as they come, its control, its result. */
import * as vscode from 'vscode';
import type { RunControl, RunEvent, RunResult, Workflow } from '../../engine';
import { activeStepIds, initialRunState, RunStateBuilder, stepInfosOf, type RunState } from '../../engine/state';
import type { RunMode, RunSession } from './session';

export class WorkflowRunSession implements RunSession, vscode.Disposable {
  readonly events: RunEvent[] = [];
  private readonly emitter = new vscode.EventEmitter<RunEvent>();
  readonly onEvent = this.emitter.event;
  readonly result: Promise<RunResult>;
  /** The run state, folded by the engine's reducer as events arrive (lenses, hovers and seeds read it). */
  private readonly builder: RunStateBuilder;
  readonly startedAt = Date.now();
  /** Where the run started, for layering the statuses of partial runs over earlier ones. */
  readonly startAt: string | undefined;

  constructor(
    readonly runId: string,
    readonly workflowFile: vscode.Uri,
    readonly workflow: Workflow,
    readonly mode: RunMode,
    readonly control: RunControl,
    readonly traceFile: vscode.Uri | undefined,
    startAt: string | undefined,
    execute: (onEvent: (event: RunEvent) => void) => Promise<RunResult>,
  ) {
    this.startAt = startAt;
    this.builder = new RunStateBuilder(initialRunState(workflow, stepInfosOf(workflow)));
    this.result = execute((event) => this.push(event)).catch((error: unknown) => this.crashed(error));
  }

  get state(): RunState {
    return this.builder.state;
  }

  get ended(): boolean {
    const { status } = this.builder.state;
    return status !== 'idle' && status !== 'running' && status !== 'paused';
  }

  get paused(): boolean {
    return this.builder.state.status === 'paused';
  }

  /** The step running now (the first one, when branches run at once), for the status bar. */
  get runningStep(): string | undefined {
    return activeStepIds(this.builder.state)[0];
  }

  private push(event: RunEvent): void {
    this.events.push(event);
    this.builder.apply(event);
    this.emitter.fire(event);
  }

  /** `runWorkflow` never throws for workflow errors; this covers a bug in it, so `result` still never rejects. */
  private crashed(error: unknown): RunResult {
    const message = error instanceof Error ? error.message : String(error);
    const durationMs = Date.now() - this.startedAt;
    const usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
    if (!this.ended) {
      this.push({ type: 'run.failed', runId: this.runId, seq: this.events.length + 1, time: Date.now(), error: { code: 'internal', message }, durationMs, usage });
    }
    return { runId: this.runId, status: 'failed', outputs: {}, steps: {}, error: { code: 'internal', message }, durationMs, usage };
  }

  dispose(): void {
    this.emitter.dispose();
  }
}
