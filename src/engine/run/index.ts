/** Running a workflow: the one entry point every face uses. */
import type { RunResult, Workflow } from '../types';
import type { RunOptions } from './options';
import { Runner } from './runner';

export type { RunOptions, Restorer, RestoredStep } from './options';
export type { Inspector, InspectionPoint } from './inspector';
export { newRunId } from '../ids';
export { toErrorInfo } from './errors';
export { decideRetry, visitLimit, stopsAfter } from './decide';

/** Runs a loaded, analyzed workflow to its end. Never throws for workflow or provider errors. */
export function runWorkflow(workflow: Workflow, options: RunOptions): Promise<RunResult> {
  return new Runner(workflow, options).run();
}
