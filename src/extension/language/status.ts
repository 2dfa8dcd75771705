/**
 * The status lens of each step, as a projection of run events (architecture.md, rule 3):
 * `running…`, `✓ done 1.2s · 340 tok · $0.0012`, `✗ failed: reason`, `skipped`.
 */
import type { RunEvent, StepResult } from '../../engine';
import { formatCost } from '../../shared/format';
import { formatSeconds } from './hover';

export type StepState = 'running' | 'retrying' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

export interface StepStatus {
  state: StepState;
  runId: string;
  attempt?: number;
  durationMs?: number;
  tokens?: number;
  costUsd?: number;
  /** Why it failed, was skipped or cancelled. */
  reason?: string;
  /** `for_each` items finished so far. */
  itemsDone?: number;
  output?: unknown;
  /** Taken from an earlier run (resume) rather than executed. */
  restored?: boolean;
}

export interface RunStatus {
  steps: Map<string, StepStatus>;
  /** Step-through: the step the run is paused before. */
  pausedBefore?: string;
  ended: boolean;
}

export function emptyStatus(): RunStatus {
  return { steps: new Map(), ended: false };
}

/** Folds events into `status` (newer events win), so several runs can be layered in order. */
export function foldEvents(events: readonly RunEvent[], status: RunStatus = emptyStatus()): RunStatus {
  for (const event of events) foldEvent(status, event);
  return status;
}

export function foldEvent(status: RunStatus, event: RunEvent): void {
  const { steps } = status;
  switch (event.type) {
    case 'run.started':
      status.ended = false;
      status.pausedBefore = undefined;
      return;
    case 'step.started': {
      if (event.index !== undefined) return;
      steps.set(event.stepId, { state: 'running', runId: event.runId, attempt: event.attempt, itemsDone: 0, tokens: 0 });
      return;
    }
    case 'step.retrying':
      if (event.index === undefined) {
        const current = steps.get(event.stepId);
        steps.set(event.stepId, { ...current, state: 'retrying', runId: event.runId, attempt: event.attempt + 1, reason: event.error.message });
      }
      return;
    case 'step.completed': {
      const tokens = event.call?.usage?.totalTokens;
      const current = steps.get(event.stepId);
      if (event.index !== undefined) {
        if (current) {
          current.itemsDone = (current.itemsDone ?? 0) + 1;
          current.tokens = (current.tokens ?? 0) + (tokens ?? 0);
          if (event.call?.costUsd !== undefined) current.costUsd = (current.costUsd ?? 0) + event.call.costUsd;
        }
        return;
      }
      steps.set(event.stepId, {
        state: 'succeeded',
        runId: event.runId,
        attempt: event.attempt,
        durationMs: event.durationMs,
        tokens: (current?.runId === event.runId ? (current.tokens ?? 0) : 0) + (tokens ?? 0),
        costUsd: event.call?.costUsd ?? (current?.runId === event.runId ? current.costUsd : undefined),
        output: event.output,
        restored: event.restored,
      });
      return;
    }
    case 'step.failed':
      if (event.index !== undefined) return;
      steps.set(event.stepId, { state: event.error.code === 'cancelled' ? 'cancelled' : 'failed', runId: event.runId, attempt: event.attempt, durationMs: event.durationMs, reason: event.error.message });
      return;
    case 'step.skipped':
      if (event.index !== undefined) return;
      steps.set(event.stepId, { state: 'skipped', runId: event.runId, reason: event.reason });
      return;
    case 'run.paused':
      status.pausedBefore = event.nextStepId;
      return;
    case 'run.resumed':
      status.pausedBefore = undefined;
      return;
    case 'run.completed':
    case 'run.failed':
    case 'run.cancelled':
      status.ended = true;
      status.pausedBefore = undefined;
      // Whatever was still going when the run ended did not finish.
      for (const [id, step] of steps) {
        if (step.runId === event.runId && (step.state === 'running' || step.state === 'retrying')) {
          steps.set(id, { ...step, state: 'cancelled', reason: event.type === 'run.cancelled' ? event.reason : 'the run ended' });
        }
      }
      return;
    case 'step.delta':
      return;
  }
}

/** The lens title for a step's status. */
export function statusTitle(status: StepStatus): string {
  switch (status.state) {
    case 'running':
      return `$(sync~spin) running…${status.itemsDone ? ` ${status.itemsDone} items done` : ''}${status.attempt && status.attempt > 1 ? ` (attempt ${status.attempt})` : ''}`;
    case 'retrying':
      return `$(sync~spin) retrying (attempt ${status.attempt ?? 2})…`;
    case 'succeeded': {
      const parts = [`✓ done ${status.restored ? '(restored)' : formatSeconds(status.durationMs ?? 0)}`];
      if (status.tokens) parts.push(`${status.tokens} tok`);
      if (status.costUsd) parts.push(formatCost(status.costUsd));
      return parts.join(' · ');
    }
    case 'failed':
      return `✗ failed: ${oneLine(status.reason ?? 'unknown error', 80)}`;
    case 'skipped':
      return `skipped${status.reason ? `: ${oneLine(status.reason, 60)}` : ''}`;
    case 'cancelled':
      return `stopped${status.reason ? `: ${oneLine(status.reason, 60)}` : ''}`;
  }
}

export function oneLine(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}

/** A succeeded step's status as `steps.<id>` for seeding a run. */
export function asStepResult(status: StepStatus): StepResult | undefined {
  if (status.state !== 'succeeded') return undefined;
  return { status: 'succeeded', output: status.output, attempts: status.attempt ?? 1, visits: 1, durationMs: status.durationMs };
}
