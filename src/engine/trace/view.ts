import { refKey } from '../state/run-state';
import type { ErrorInfo, ModelCallRecord, RunEvent, StepKind, StepRef, Usage } from '../types';
import type { ListedRunStatus } from './run-index';
import type { TraceContents } from './read';

/** One execution of a step (a visit, or one item of a `for_each`), as the CLI and the run panel show it. */
export interface StepView extends StepRef {
  kind?: StepKind;
  name?: string;
  status: 'running' | 'succeeded' | 'failed' | 'skipped';
  /** Attempts made (1 unless it was retried). */
  attempts: number;
  /** When it started, ms since the epoch. */
  startedAt: number;
  durationMs?: number;
  /** The model call of the last attempt: messages as sent, provider, model, usage, latency, cache. */
  call?: ModelCallRecord;
  output?: unknown;
  error?: ErrorInfo;
  /** Why it was skipped. */
  reason?: string;
  /** Taken from the run it resumes, not executed. */
  restored?: boolean;
  /** The errors of attempts that were retried, in order. */
  retries: ErrorInfo[];
  /** Text received before a failure (a broken stream). */
  partialOutput?: string;
}

/** A whole run, read from its trace. */
export interface RunView {
  runId: string;
  workflow: { name: string; file: string };
  file: string;
  /** `interrupted`: the trace has no end (the process was killed, or it is still running). */
  status: ListedRunStatus;
  startedAt: number;
  durationMs?: number;
  usage?: Usage;
  costUsd?: number;
  inputs: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  error?: ErrorInfo;
  resumedFrom?: string;
  /** Executions in the order they started. */
  steps: StepView[];
  warnings: string[];
}

/** Folds a trace's events into one row per step execution. */
export function runView(trace: TraceContents): RunView {
  const { started, end } = trace;
  const rows = new Map<string, StepView>();
  const row = (event: RunEvent & StepRef): StepView => {
    const key = refKey(event);
    let view = rows.get(key);
    if (!view) {
      view = { stepId: event.stepId, visit: event.visit, index: event.index, status: 'running', attempts: 1, startedAt: event.time, retries: [] };
      rows.set(key, view);
    }
    return view;
  };
  for (const event of trace.events) {
    switch (event.type) {
      case 'step.started': {
        const view = row(event);
        Object.assign(view, { kind: event.kind, name: event.name, attempts: event.attempt, status: 'running' });
        break;
      }
      case 'step.completed': {
        const view = row(event);
        Object.assign(view, { status: 'succeeded', attempts: event.attempt, output: event.output, durationMs: event.durationMs, call: event.call ?? view.call, restored: event.restored });
        break;
      }
      case 'step.failed': {
        const view = row(event);
        Object.assign(view, { status: 'failed', attempts: event.attempt, error: event.error, durationMs: event.durationMs, call: event.call ?? view.call, partialOutput: event.partialOutput });
        break;
      }
      case 'step.retrying': {
        const view = row(event);
        view.retries.push(event.error);
        if (event.call) view.call = event.call;
        break;
      }
      case 'step.skipped': {
        const view = row(event);
        Object.assign(view, { status: 'skipped', reason: event.reason, durationMs: 0 });
        break;
      }
    }
  }
  return {
    runId: started.runId,
    workflow: started.workflow,
    file: trace.file,
    status: end ? ({ 'run.completed': 'succeeded', 'run.failed': 'failed', 'run.cancelled': 'cancelled' } as const)[end.type] : 'interrupted',
    startedAt: started.time,
    durationMs: end?.durationMs,
    usage: end?.usage,
    costUsd: end?.costUsd,
    inputs: started.inputs,
    outputs: end?.type === 'run.completed' ? end.outputs : undefined,
    error: end?.type === 'run.failed' ? end.error : end?.type === 'run.cancelled' ? { code: 'cancelled', message: end.reason } : undefined,
    resumedFrom: started.resumedFrom,
    steps: [...rows.values()],
    warnings: trace.warnings,
  };
}

export { refKey } from '../state/run-state';
