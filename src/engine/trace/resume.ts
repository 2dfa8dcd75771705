import { createHash } from 'node:crypto';
import { existsSync, promises as fs } from 'node:fs';
import * as path from 'node:path';
import { checkWorkflow, formatProblem, hasErrors } from '../index';
import type { RunOptions } from '../run';
import { CachedWorkflowFiles, readTextSync } from '../workflow-files';
import type { RunResult, Workflow } from '../types';
import { readTrace, type TraceContents } from './read';
import { recordedRun } from './recorded-run';
import { restorerFromEvents, type TraceRestorer } from './restore';
import { TraceStore } from './store';
import type { TraceSync } from './writer';

export type ResumeErrorCode = 'already-succeeded' | 'workflow-missing' | 'workflow-invalid' | 'seeded-run';

/** A trace that cannot be resumed, with what to do instead. */
export class ResumeError extends Error {
  constructor(
    readonly code: ResumeErrorCode,
    message: string,
  ) {
    super(message);
  }
}

export interface PlanOptions {
  /** The workflow to run; by default the file the trace names, loaded and checked. */
  workflow?: Workflow;
  /** The workflow file's current text, to warn when it changed since the run (read from disk when `workflow` is not given). */
  workflowText?: string;
  /** Inputs laid over the run's recorded ones. */
  inputs?: Record<string, unknown>;
}

/** Everything a resume needs, worked out before anything runs. */
export interface ResumePlan {
  trace: TraceContents;
  workflow: Workflow;
  /** The run's recorded inputs with any given ones laid over them. */
  inputs: Record<string, unknown>;
  restorer: TraceRestorer;
  /** The workflow file's text, when known (recorded as a hash in the continuation's trace). */
  workflowText?: string;
  /** For `runWorkflow`: inputs, the restorer, `resumedFrom` and the run's `stopAfter`. */
  runOptions: Pick<RunOptions, 'inputs' | 'restore' | 'resumedFrom' | 'stopAfter'>;
  /** Worth telling the person: a cut-short last line, a workflow edited since the run. */
  warnings: string[];
}

/**
 * Reads a trace and prepares its continuation: the same inputs (from `run.started`),
 * a restorer over its finished step executions, and `resumedFrom` set to its run id.
 * Throws {@link TraceFormatError} for a trace it cannot read and {@link ResumeError}
 * for one it cannot continue.
 */
export async function planResume(tracePath: string, options: PlanOptions = {}): Promise<ResumePlan> {
  const trace = await readTrace(tracePath);
  const { started, end } = trace;
  if (end?.type === 'run.completed') {
    throw new ResumeError('already-succeeded', `run ${started.runId} succeeded; there is nothing to resume (use \`orchestrate run\` to run it again — unchanged model calls come from the cache)`);
  }
  if (started.startAt !== undefined) {
    throw new ResumeError(
      'seeded-run',
      `run ${started.runId} started at step \`${started.startAt}\` from the results of earlier runs, which its trace does not hold; run from that step again instead`,
    );
  }
  const warnings = [...trace.warnings];
  let { workflow, workflowText } = options;
  if (!workflow) {
    const file = started.workflowPath ?? path.resolve(started.workflow.file);
    if (!existsSync(file)) throw new ResumeError('workflow-missing', `run ${started.runId} ran ${file}, which no longer exists; name the workflow file to resume it with`);
    workflowText = await fs.readFile(file, 'utf8');
    const checked = checkWorkflow(workflowText, file, { files: new CachedWorkflowFiles(readTextSync) });
    if (!checked.workflow || hasErrors(checked.problems)) {
      throw new ResumeError('workflow-invalid', `${file} has errors; fix them to resume run ${started.runId}:\n${checked.problems.filter((p) => p.severity === 'error').map(formatProblem).join('\n')}`);
    }
    workflow = checked.workflow;
  }
  if (workflowText !== undefined && started.workflowSha256 !== undefined && sha256(workflowText) !== started.workflowSha256) {
    warnings.push(
      `${workflow.file} changed since run ${started.runId}: its finished steps are restored as recorded, even where you edited them; to rerun edited steps, use \`orchestrate run\` instead (unchanged calls come from the cache)`,
    );
  }
  const inputs = { ...started.inputs, ...options.inputs };
  const restorer = restorerFromEvents(trace.events, workflow);
  return {
    trace,
    workflow,
    inputs,
    restorer,
    workflowText,
    runOptions: { inputs, restore: restorer, resumedFrom: started.runId, stopAfter: started.stopAfter },
    warnings,
  };
}

export interface ResumeOptions extends Omit<RunOptions, 'inputs' | 'restore' | 'resumedFrom' | 'runId' | 'startAt' | 'stopAfter' | 'seed'>, PlanOptions {
  /**
   * Where to record the continuation. By default the store that holds `tracePath`
   * (when it sits in `<root>/runs/<slug>/`); `false` records nothing.
   */
  traces?: TraceStore | false;
  /** Strings redacted from error messages in the new trace. */
  secrets?: readonly string[];
  sync?: TraceSync;
}

export interface ResumeOutcome {
  result: RunResult;
  /** The continuation's trace file, when recorded. Its `run.started.resumedFrom` names the run it continues. */
  trace?: string;
  /** Step executions taken from the trace instead of run again. */
  restored: number;
  warnings: string[];
}

/**
 * Continues a failed, cancelled or crashed run from its trace (docs/architecture.md,
 * rule 5): finished step executions are restored with no model call, the rest run.
 * The continuation is a new run with a new trace file; the old trace is never touched.
 */
export async function resumeRun(tracePath: string, options: ResumeOptions): Promise<ResumeOutcome> {
  const plan = await planResume(tracePath, options);
  const { traces, secrets, sync, onEvent, workflow: _workflow, workflowText: _text, inputs: _inputs, ...rest } = options;
  const store = traces === false ? undefined : (traces ?? storeHolding(tracePath));
  const recording = recordedRun(plan.workflow, { store, workflowText: plan.workflowText, secrets, sync });
  const result = await recording.run({ ...rest, ...plan.runOptions, onEvent });
  return { result, trace: recording.trace, restored: plan.restorer.taken, warnings: plan.warnings };
}

/** The store a trace file sits in, when it has the `<root>/runs/<slug>/<id>.jsonl` layout. */
export function storeHolding(tracePath: string): TraceStore | undefined {
  const runsDir = path.dirname(path.dirname(path.resolve(tracePath)));
  return path.basename(runsDir) === 'runs' ? new TraceStore(path.dirname(runsDir)) : undefined;
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
