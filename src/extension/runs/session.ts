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

/** Starts and tracks runs; the one place runs begin. */
export interface RunManager {
  readonly onDidStartRun: vscode.Event<RunSession>;
  /** The run shown by default: the newest one still going, or else the last one. */
  readonly current: RunSession | undefined;
  sessionFor(runId: string): RunSession | undefined;
  /** Runs (or re-runs) a workflow; `stepId` is where `run-step`/`run-to-here`/`run-from-here` aim. */
  start(file: vscode.Uri, mode: RunMode, stepId?: string): Promise<RunSession | undefined>;
}
