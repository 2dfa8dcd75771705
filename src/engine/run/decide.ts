/**
 * The runner's decisions, apart from its effects (docs/architecture.md, "The runner
 * decides in pure functions"): whether a step may run again, whether a failed attempt
 * is retried and after how long, and whether the run stops after a step. Where the
 * run goes next is `decideNext` (next.ts). Each is a pure function of the workflow,
 * the step and what happened, tested directly.
 */
import type { StepOutcome } from '../next';
import type { ErrorInfo, Step } from '../types';

/** The `max_visits` guard: the error that stops the run, when entering `step` once more is one visit too many. */
export function visitLimit(step: Step, visitsSoFar: number): ErrorInfo | undefined {
  if (visitsSoFar < step.maxVisits) return undefined;
  return {
    code: 'max-visits',
    stepId: step.id,
    message: `step \`${step.id}\` would run a ${ordinal(visitsSoFar + 1)} time, past its \`max_visits: ${step.maxVisits}\`: the loop through \`${step.id}\` did not settle — check the condition that sends the run back, or raise \`max_visits\``,
    range: step.idRange,
  };
}

/** What a failed attempt says about itself. */
export interface AttemptFailure {
  retryable: boolean;
  /** How long the server asked to wait before trying again. */
  retryAfterMs: number;
}

export type RetryDecision = { type: 'retry'; delayMs: number } | { type: 'give-up' };

/** Retry while attempts remain and the failure is worth retrying. A server's Retry-After outranks `retry_delay`: retrying sooner only earns another 429. */
export function decideRetry(step: Pick<Step, 'retries' | 'retryDelayMs'>, attempt: number, failure: AttemptFailure): RetryDecision {
  if (attempt > step.retries || !failure.retryable) return { type: 'give-up' };
  return { type: 'retry', delayMs: Math.max(step.retryDelayMs, failure.retryAfterMs) };
}

/** *Run to here* and *Run step*: the run ends successfully once the named step has run without failing. */
export function stopsAfter(stopAfter: string | undefined, step: Step, outcome: StepOutcome): boolean {
  return stopAfter === step.id && outcome.status !== 'failed';
}

export function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}
