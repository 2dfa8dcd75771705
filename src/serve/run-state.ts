/**
 * The run state the HTTP API serves, folded from a run's events. This is the one
 * place that folds: when the engine's shared run-state reducer lands, it replaces
 * `foldRunEvent` here and nothing else changes.
 */
import type { ErrorInfo, RunEvent, StepStatus, Usage } from '../engine';

/** `queued`: accepted, waiting for a worker; the engine's own statuses after that. */
export type ServedRunStatus = 'queued' | 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled';

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
  /** When the engine started the run (ms since the epoch); absent while queued. */
  startedAt?: number;
  durationMs?: number;
}

export function queuedRunState(id: string, workflow: string): ServedRunState {
  return { id, workflow, status: 'queued', steps: {} };
}

const ENDED = new Set<ServedRunStatus>(['succeeded', 'failed', 'cancelled']);

export function isEnded(state: ServedRunState): boolean {
  return ENDED.has(state.status);
}

/** The next state after one event. Pure: the state passed in is not changed. */
export function foldRunEvent(state: ServedRunState, event: RunEvent): ServedRunState {
  switch (event.type) {
    case 'run.started':
      // A continuation (a run re-delivered to another worker) starts again over the steps it restores.
      return { ...state, status: 'running', startedAt: state.startedAt ?? event.time, outputs: undefined, error: undefined };
    case 'run.paused':
      return { ...state, status: 'paused' };
    case 'run.resumed':
      return { ...state, status: 'running' };
    case 'run.completed':
      return { ...state, status: 'succeeded', outputs: event.outputs, usage: event.usage, costUsd: event.costUsd, durationMs: elapsed(state, event) };
    case 'run.failed':
      return { ...state, status: 'failed', error: event.error, usage: event.usage, costUsd: event.costUsd, durationMs: elapsed(state, event) };
    case 'run.cancelled':
      return { ...state, status: 'cancelled', error: { code: 'cancelled', message: event.reason }, usage: event.usage, costUsd: event.costUsd, durationMs: elapsed(state, event) };
    case 'step.started': {
      const step = stepOf(state, event.stepId);
      const visits = event.attempt === 1 && event.index === undefined ? step.visits + 1 : Math.max(step.visits, event.visit);
      return withStep(state, event.stepId, { ...step, status: 'running', attempts: event.attempt, visits, error: undefined });
    }
    case 'step.completed': {
      const step = stepOf(state, event.stepId);
      // A `for_each` item completing is progress; the step's own completion (no index) carries the list.
      if (event.index !== undefined) return state;
      return withStep(state, event.stepId, {
        ...step,
        status: 'succeeded',
        output: event.output,
        attempts: event.attempt,
        visits: Math.max(step.visits, event.visit),
        durationMs: event.durationMs,
        usage: event.call?.usage,
        costUsd: event.call?.costUsd,
        error: undefined,
      });
    }
    case 'step.failed': {
      if (event.index !== undefined) return state;
      const step = stepOf(state, event.stepId);
      return withStep(state, event.stepId, { ...step, status: 'failed', attempts: event.attempt, error: event.error, durationMs: event.durationMs, usage: event.call?.usage, costUsd: event.call?.costUsd });
    }
    case 'step.skipped': {
      if (event.index !== undefined) return state;
      const step = stepOf(state, event.stepId);
      return withStep(state, event.stepId, { ...step, status: 'skipped' });
    }
    case 'step.retrying':
    case 'step.delta':
      return state;
  }
}

function elapsed(state: ServedRunState, event: RunEvent & { durationMs: number }): number {
  // Across a re-delivery the engine's duration covers the last attempt only; the served run spans them all.
  return state.startedAt === undefined ? event.durationMs : Math.max(event.durationMs, event.time - state.startedAt);
}

function stepOf(state: ServedRunState, id: string): ServedStepState {
  return Object.hasOwn(state.steps, id) ? state.steps[id] : { status: 'pending', output: null, attempts: 0, visits: 0 };
}

function withStep(state: ServedRunState, id: string, step: ServedStepState): ServedRunState {
  // A step id may be `__proto__` or `constructor`: define the property, never assign through the prototype chain.
  const steps: Record<string, ServedStepState> = Object.create(null) as Record<string, ServedStepState>;
  for (const [key, value] of Object.entries(state.steps)) steps[key] = value;
  Object.defineProperty(steps, id, { value: step, enumerable: true, writable: true, configurable: true });
  return { ...state, steps };
}
