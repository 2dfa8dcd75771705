import { dataRecord, setEntry } from '../expressions/values';
import { initialRunState, reduceEvents, succeededResults } from '../state';
import type { StepResult } from '../types';
import { readTrace } from './read';
import { TraceStore } from './store';

export interface LastResultsOptions {
  /** How many of the workflow's most recent runs to look through, newest first. Default 20. */
  maxRuns?: number;
}

/**
 * The latest successful result of each step of a workflow, from its recent runs, to
 * pass as `seed` for *Run step* and *Run from here*. Runs are read newest first and a
 * step takes its result from the newest run where it succeeded: a *Run step* run holds
 * one step, so the others come from the runs before it. Unreadable traces are skipped.
 *
 * @param root the store's root (`.orchestrate`), as given to {@link TraceStore}
 * @param workflowFile the workflow file; runs are matched on its absolute path
 */
export async function lastResults(root: string, workflowFile: string, options: LastResultsOptions = {}): Promise<Record<string, StepResult>> {
  const runs = await new TraceStore(root).listRuns({ workflowFile, limit: options.maxRuns ?? 20 });
  const results = dataRecord() as Record<string, StepResult>;
  for (const run of runs) {
    let events;
    try {
      ({ events } = await readTrace(run.file));
    } catch {
      continue;
    }
    const fromThisRun = succeededResults(reduceEvents(initialRunState({ name: run.workflow, file: run.workflowFile }), events));
    for (const [stepId, result] of Object.entries(fromThisRun)) if (!Object.hasOwn(results, stepId)) setEntry(results, stepId, result);
  }
  // A plain object again (with its ids as own keys): callers compare and serialise it.
  return { ...results };
}
