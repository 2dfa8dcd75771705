import type { Restorer, RestoredStep } from '../run';
import type { RunEvent, StepKind, Workflow } from '../types';
import { executionRows, initialRunState, reduceEvents, refKey, stepInfosOf } from '../state';

/**
 * Kinds never restored, but executed again:
 * - `parallel`: restoring the parent would not restore its branches' own results;
 *   executing it restores each branch instead.
 * - `switch`: its outcome is where it jumps, which a recorded output does not carry;
 *   it makes no model call, so evaluating it again costs nothing and gives the same jump.
 */
const NOT_RESTORED = new Set<StepKind>(['parallel', 'switch']);

/** A {@link Restorer} over a trace, counting what it handed out. */
export interface TraceRestorer extends Restorer {
  /** Executions the trace can restore. */
  readonly available: number;
  /** Executions restored so far. */
  readonly taken: number;
}

/**
 * Builds a restorer from a trace's `step.completed` events, keyed by step, visit and
 * `for_each` index (so a map restores its finished items one by one and runs the
 * rest). Restored completions of a trace that was itself a resume count too, so a run
 * can be resumed again from its latest continuation alone.
 */
export function restorerFromEvents(events: readonly RunEvent[], workflow: Workflow): TraceRestorer {
  const finished = new Map<string, RestoredStep>();
  const state = reduceEvents(initialRunState(workflow, stepInfosOf(workflow)), events);
  for (const row of executionRows(state)) {
    const step = workflow.stepsById.get(row.stepId);
    if (!step || NOT_RESTORED.has(step.kind) || row.status !== 'succeeded') continue;
    // The whole-map completion is never asked for: the runner restores a map per item.
    if (step.forEach && row.index === undefined) continue;
    finished.set(row.key, { output: row.output, attempts: row.attempt, ...(row.call && 'latencyMs' in row.call ? { call: row.call } : {}) });
  }
  const available = finished.size;
  let taken = 0;
  return {
    available,
    get taken() {
      return taken;
    },
    take(ref) {
      const key = refKey(ref);
      const restored = finished.get(key);
      if (restored) {
        finished.delete(key);
        taken++;
      }
      return restored;
    },
  };
}
