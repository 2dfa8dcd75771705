/**
 * The seam between what starts runs (commands, CodeLens) and what shows them (the
 * run panel, the status lenses, the status bar, the runs view). A `RunSession` is one
 * run in this window; everything shown is a projection of its events.
 */
import type * as vscode from 'vscode';
import type { RunControl, RunEvent, RunResult, Workflow } from '../../engine';
import type { RunState } from '../../engine/state';
import type { LastResult } from '../language/hover';
import type { RunStatus } from '../language/status';

export type RunMode = 'run' | 'step-through' | 'run-step' | 'run-to-here' | 'run-from-here' | 'resume';

export interface RunSession {
  readonly runId: string;
  readonly workflowFile: vscode.Uri;
  readonly workflow: Workflow;
  readonly mode: RunMode;
  /** Every event so far, in order: a late subscriber replays these, then listens. */
  readonly events: readonly RunEvent[];
  readonly onEvent: vscode.Event<RunEvent>;
  readonly control: RunControl;
  /** Settles when the run ends; never rejects. */
  readonly result: Promise<RunResult>;
  /** The trace file, when the run is recorded. */
  readonly traceFile?: vscode.Uri;
  /** The run state, folded by the engine's reducer as events arrive. */
  readonly state: RunState;
  readonly ended: boolean;
  readonly paused: boolean;
  /** Wall-clock start, for the status bar's elapsed time. */
  readonly startedAt: number;
  /** The step running now (the first one, when branches run at once). */
  readonly runningStep: string | undefined;
}

/** What a caller may add to a start (a command's arguments, a test, the panel). */
export interface StartOptions {
  /** Input values; the person is asked only for required ones still missing. */
  inputs?: Record<string, unknown>;
  /** For `resume`: the trace of the run to continue (default: this file's last run that did not succeed). */
  traceFile?: vscode.Uri;
}

/** The runs of this window. */
export interface RunSessions {
  readonly onDidStartRun: vscode.Event<RunSession>;
  /** A run started, ended, or a step changed state. */
  readonly onDidChange: vscode.Event<RunSession>;
  /** The run shown by default: the newest one still going, or else the last one. */
  readonly current: RunSession | undefined;
  sessionFor(runId: string): RunSession | undefined;
  /** The run of this file going on now. */
  activeFor(file: vscode.Uri): { runId: string; paused: boolean } | undefined;
}

/** Each step's last status and result in this window, for lenses and hovers. */
export interface RunStatusIndex {
  statusFor(file: vscode.Uri): RunStatus | undefined;
  lastResult(file: vscode.Uri, stepId: string): LastResult | undefined;
}

/** Starts and tracks runs; the one place runs begin. */
export interface RunManager extends RunSessions {
  /**
   * Runs (or re-runs) a workflow; `stepId` is where `run-step`/`run-to-here`/`run-from-here` aim.
   * Resolves to undefined when no run started (restricted mode, errors in the file, a dismissed input).
   */
  start(file: vscode.Uri, mode: RunMode, stepId?: string, options?: StartOptions): Promise<RunSession | undefined>;
}
