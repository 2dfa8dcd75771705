/**
 * The seam between what starts runs (commands, CodeLens) and what shows them (the
 * run panel, the status lenses, the status bar, the runs view). A `RunSession` is one
 * run in this window; everything shown is a projection of its events.
 */
import type * as vscode from 'vscode';
import type { RunControl, RunEvent, RunResult, Workflow } from '../../engine';

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
}

/** What a caller may add to a start (a command's arguments, a test, the panel). */
export interface StartOptions {
  /** Input values; the person is asked only for required ones still missing. */
  inputs?: Record<string, unknown>;
  /** For `resume`: the trace of the run to continue (default: this file's last run that did not succeed). */
  traceFile?: vscode.Uri;
}

/** Starts and tracks runs; the one place runs begin. */
export interface RunManager {
  readonly onDidStartRun: vscode.Event<RunSession>;
  /** The run shown by default: the newest one still going, or else the last one. */
  readonly current: RunSession | undefined;
  sessionFor(runId: string): RunSession | undefined;
  /**
   * Runs (or re-runs) a workflow; `stepId` is where `run-step`/`run-to-here`/`run-from-here` aim.
   * Resolves to undefined when no run started (restricted mode, errors in the file, a dismissed input).
   */
  start(file: vscode.Uri, mode: RunMode, stepId?: string, options?: StartOptions): Promise<RunSession | undefined>;
}
