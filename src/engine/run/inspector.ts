/**
 * The inspection port: a debugger's hold on a run. The runner awaits these hooks at
 * the points a person may want to stop — before a step, before a model call, after a
 * failure, a retry or a failed check — and waits while a hook's promise is pending
 * (a cancelled run stops waiting at once). Without an inspector the runner does not
 * build any of this (no allocation per step).
 */
import type { Scope } from '../expressions';
import type { ErrorInfo, ModelRequestRecord, Step, StepRef, Workflow } from '../types';

/** Where the run stands when a hook is called. */
export interface InspectionPoint {
  /** The execution: a step, a visit, a `for_each` item (`index`), inside `parent`. */
  ref: StepRef;
  /** The step as its workflow defines it (a sub-workflow's own step, unprefixed id). */
  step: Step;
  /** The workflow the step belongs to (a sub-workflow's, inside one). */
  workflow: Workflow;
  /** What expressions see here, as CEL values: `inputs`, `steps`, `item`, `index`, `workflow`, `run`. */
  scope: Scope;
  /**
   * Sets what `steps.<id>.output` gives from now on in this workflow (a what-if before
   * the run goes on). False when the workflow has no such step.
   */
  setStepOutput(stepId: string, output: unknown): boolean;
}

export interface Inspector {
  /** Before an execution starts: a step's visit (before its `if`), or one `for_each` item (`ref.index` set). */
  beforeStep?(point: InspectionPoint): Promise<void> | void;
  /** Before a model call is sent, with the request as rendered. */
  beforeModelCall?(point: InspectionPoint & { attempt: number; request: ModelRequestRecord }): Promise<void> | void;
  /** After an execution failed (the event is out), before the run acts on it. */
  onStepFailed?(point: InspectionPoint & { error: ErrorInfo }): Promise<void> | void;
  /** After a failed attempt, before the wait and the next attempt. */
  onRetry?(point: InspectionPoint & { attempt: number; error: ErrorInfo; delayMs: number }): Promise<void> | void;
  /** After an attempt's `check:` came out false (before it is retried or fails). */
  onCheckFailed?(point: InspectionPoint & { attempt: number; output: unknown; error: ErrorInfo }): Promise<void> | void;
}
