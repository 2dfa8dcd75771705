/**
 * The run state the HTTP API serves: a projection of the engine's one run state
 * (`reduceRun`, src/engine/state), which {@link RunRecord} folds. Nothing here folds
 * events; it only picks the fields the API promises.
 */
import type { ErrorInfo, Usage } from '../engine';
import { isRunEnded, stepResult, type RunState, type StepStatus } from '../engine/state';

/** `queued`: accepted, no worker has started it yet; then the engine's run statuses. */
export type ServedRunStatus = 'queued' | 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

export interface ServedStepState {
  status: StepStatus;
  output: unknown;
  attempts: number;
  visits: number;
  error?: ErrorInfo;
  durationMs?: number;
  usage?: Usage;
  costUsd?: number;
}

export interface ServedRunState {
  id: string;
  /** The workflow file, relative to the served folder. */
  workflow: string;
  status: ServedRunStatus;
  outputs?: Record<string, unknown>;
  error?: ErrorInfo;
  steps: Record<string, ServedStepState>;
  usage?: Usage;
  costUsd?: number;
  /** When the engine started the run (its latest delivery, in the queue mode); absent while queued. */
  startedAt?: number;
  durationMs?: number;
}

export function servedRunState(id: string, workflow: string, state: RunState): ServedRunState {
  const steps: Record<string, ServedStepState> = Object.create(null) as Record<string, ServedStepState>;
  for (const stepId of state.order) {
    const step = state.steps[stepId];
    const result = stepResult(step);
    const served: ServedStepState = { status: step.status, output: result.output, attempts: result.attempts, visits: result.visits };
    if (result.error !== undefined) served.error = result.error;
    if (result.durationMs !== undefined) served.durationMs = result.durationMs;
    if (result.usage !== undefined) served.usage = result.usage;
    if (result.costUsd !== undefined) served.costUsd = result.costUsd;
    Object.defineProperty(steps, stepId, { value: served, enumerable: true, writable: true, configurable: true });
  }
  const served: ServedRunState = { id, workflow, status: state.status === 'idle' ? 'queued' : state.status, steps };
  if (state.outputs !== undefined) served.outputs = state.outputs;
  if (state.error !== undefined) served.error = state.error;
  else if (state.status === 'cancelled' && state.cancelReason !== undefined) served.error = { code: 'cancelled', message: state.cancelReason };
  if (state.status !== 'idle') {
    served.usage = state.totals.usage;
    if (state.totals.costUsd !== undefined) served.costUsd = state.totals.costUsd;
  }
  if (state.startedAt !== undefined) served.startedAt = state.startedAt;
  if (state.durationMs !== undefined) served.durationMs = state.durationMs;
  return served;
}

export function isEnded(state: RunState): boolean {
  return isRunEnded(state);
}
