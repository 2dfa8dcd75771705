/**
 * A run's events as the progress messages an agent sees: one per step started, finished,
 * failed or skipped. Streamed model text (`step.delta`) is left out: it would flood the
 * client, and the result carries the outputs anyway.
 */
import type { RunEvent } from '../engine';

export function progressMessage(event: RunEvent): string | undefined {
  const step = (e: { stepId: string; visit: number; index?: number }) =>
    `\`${e.stepId}\`${e.index !== undefined ? ` [${e.index}]` : ''}${e.visit > 1 ? ` (visit ${e.visit})` : ''}`;
  switch (event.type) {
    case 'step.started':
      return `${step(event)} started${event.attempt > 1 ? ` (attempt ${event.attempt})` : ''}`;
    case 'step.completed':
      return `${step(event)} ${event.restored ? 'restored' : 'succeeded'}`;
    case 'step.retrying':
      return `${step(event)} failed, retrying: ${event.error.message}`;
    case 'step.failed':
      return `${step(event)} failed: ${event.error.message}`;
    case 'step.skipped':
      return `${step(event)} skipped`;
    case 'run.paused':
      return 'paused';
    default:
      return undefined;
  }
}
