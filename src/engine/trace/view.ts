import { executionRows, initialRunState, markInterrupted, reduceEvents } from '../state';
import type { ErrorInfo, ModelCallRecord, StepKind, StepRef, Usage } from '../types';
import type { ListedRunStatus } from './run-index';
import type { TraceContents } from './read';

/** One execution of a step (a visit, or one item of a `for_each`), as the CLI and the run panel show it. */
export interface StepView extends StepRef {
  kind?: StepKind;
  name?: string;
  status: 'running' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';
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

/** A trace as the CLI and the runs view show it: a selector over the run state its events fold into. */
export function runView(trace: TraceContents): RunView {
  const { started, end } = trace;
  let state = reduceEvents(initialRunState(started.workflow), trace.events);
  if (!end) state = markInterrupted(state);
  const steps: StepView[] = executionRows(state).map((row) => {
    const view: StepView = { stepId: row.stepId, visit: row.visit, status: row.status === 'retrying' ? 'running' : row.status, attempts: Math.max(1, row.attempt), startedAt: row.startedAt ?? started.time, retries: row.retries.map((r) => r.error) };
    if (row.index !== undefined) view.index = row.index;
    if (row.parent !== undefined) view.parent = row.parent;
    if (row.kind !== undefined) view.kind = row.kind;
    if (row.name !== undefined) view.name = row.name;
    if (row.durationMs !== undefined) view.durationMs = row.durationMs;
    if (row.call && 'latencyMs' in row.call) view.call = row.call;
    if (row.hasOutput) view.output = row.output;
    if (row.error !== undefined) view.error = row.error;
    if (row.skipReason !== undefined) view.reason = row.skipReason;
    if (row.restored) view.restored = true;
    if (row.partialOutput !== undefined) view.partialOutput = row.partialOutput;
    return view;
  });
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
    outputs: state.outputs,
    error: state.error,
    resumedFrom: started.resumedFrom,
    steps,
    warnings: trace.warnings,
  };
}
