/**
 * The status lens of each step: a selector over the engine's run state
 * (docs/architecture.md, "One run state"): `running…`, `✓ succeeded 1.2s · 340 tok ·
 * $0.0012`, `✗ failed: reason`, `skipped`, `cancelled`.
 */
import { initialRunState, isActive, latestExecution, reduceEvents, stepOf, type ExecutionStatus, type HeldExecution, type RunState } from '../../engine/state';
import type { RunEvent } from '../../engine/types';
import { formatCost } from '../../shared/format';
import { formatSeconds } from './hover';

export interface StepStatus {
  state: ExecutionStatus;
  runId: string;
  attempt?: number;
  durationMs?: number;
  tokens?: number;
  costUsd?: number;
  /** Why it failed, was skipped or cancelled. */
  reason?: string;
  /** `for_each` items finished so far. */
  itemsDone?: number;
  /** Taken from an earlier run (resume) rather than executed. */
  restored?: boolean;
  /** Tool calls the latest execution made (all attempts). */
  toolCalls?: number;
}

export interface RunStatus {
  steps: Map<string, StepStatus>;
  /** Step-through: the step the run is paused before. */
  pausedBefore?: string;
  /** Where the debugger holds the newest run, while it does. */
  held?: readonly HeldExecution[];
  ended: boolean;
}

/** One step's lens status in one run, or undefined when the step has not run in it. */
export function stepStatusIn(state: RunState, stepId: string): StepStatus | undefined {
  const step = stepOf(state, stepId);
  const execution = step && latestExecution(step);
  if (!step || !execution || state.runId === undefined) return undefined;
  const status: StepStatus = { state: execution.status, runId: state.runId, attempt: execution.attempt };
  if (execution.durationMs !== undefined && !isActive(execution.status)) status.durationMs = execution.durationMs;
  if (step.usage.totalTokens > 0) status.tokens = step.usage.totalTokens;
  if (step.costUsd !== undefined) status.costUsd = step.costUsd;
  const reason = execution.status === 'skipped' ? execution.skipReason : execution.status === 'retrying' ? execution.retries[execution.retries.length - 1]?.error.message : execution.error?.message;
  if (reason !== undefined) status.reason = reason;
  else if (execution.status === 'cancelled') status.reason = state.cancelReason ?? 'the run ended';
  if (execution.items.length > 0) status.itemsDone = execution.items.filter((i) => i.status === 'succeeded').length;
  if (execution.restored) status.restored = true;
  if (execution.tools && execution.tools.length > 0) status.toolCalls = execution.tools.length;
  return status;
}

/** The lens statuses of runs laid over each other in order: a later run's step replaces an earlier one's. */
export function layeredStatus(states: readonly RunState[]): RunStatus {
  const status: RunStatus = { steps: new Map(), ended: true };
  for (const state of states) {
    for (const id of state.order) {
      const step = stepStatusIn(state, id);
      if (step) status.steps.set(id, step);
    }
  }
  const newest = states[states.length - 1];
  if (newest) {
    if (newest.pausedBefore !== undefined && newest.status === 'paused') status.pausedBefore = newest.pausedBefore;
    if (newest.held) status.held = newest.held;
    status.ended = newest.status !== 'running' && newest.status !== 'paused' && newest.status !== 'idle';
  }
  return status;
}

/** The lens statuses of one run's events (a trace read back). */
export function statusOfEvents(events: readonly RunEvent[]): RunStatus {
  return layeredStatus([reduceEvents(initialRunState({ name: '', file: '' }), events)]);
}

/** The lens title for a step's status. */
export function statusTitle(status: StepStatus): string {
  switch (status.state) {
    case 'running':
      return `$(sync~spin) running…${status.itemsDone ? ` ${status.itemsDone} items done` : ''}${status.toolCalls ? ` ${toolCount(status.toolCalls)}` : ''}${status.attempt && status.attempt > 1 ? ` (attempt ${status.attempt})` : ''}`;
    case 'retrying':
      return `$(sync~spin) retrying (attempt ${(status.attempt ?? 1) + 1})…`;
    case 'succeeded': {
      const parts = [`✓ succeeded ${status.restored ? '(restored)' : formatSeconds(status.durationMs ?? 0)}`];
      if (status.toolCalls) parts.push(toolCount(status.toolCalls));
      if (status.tokens) parts.push(`${status.tokens} tok`);
      if (status.costUsd) parts.push(formatCost(status.costUsd));
      return parts.join(' · ');
    }
    case 'failed':
      return `✗ failed: ${oneLine(status.reason ?? 'unknown error', 80)}`;
    case 'skipped':
      return `skipped${status.reason ? `: ${oneLine(status.reason, 60)}` : ''}`;
    case 'cancelled':
      return `cancelled${status.reason ? `: ${oneLine(status.reason, 60)}` : ''}`;
  }
}

function toolCount(calls: number): string {
  return `${calls} tool call${calls === 1 ? '' : 's'}`;
}

export function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
