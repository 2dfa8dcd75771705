/**
 * An eval: every test case and dataset row of some workflows, each `repeat` times,
 * run concurrently up to a limit (the providers' own rate limits still apply), with
 * results reported as they finish. Rows are pulled from their file as workers free
 * up, so memory stays flat however long the dataset.
 */
import * as path from 'node:path';
import type { Workflow } from '../types';
import { readRows, rowInputs, type DatasetRow } from './dataset';
import { caseKey, type CaseResult } from './results';
import { runCase, type CaseOutcome, type CaseRun, type CaseRunOptions } from './run-case';
import type { TestEntry } from './types';

export interface EvalSuite {
  /** The workflow file as results name it (relative to where the eval was started). */
  file: string;
  /** Its absolute path, for resolving `rows:`. */
  absolute: string;
  workflow: Workflow;
  text: string;
  entries: TestEntry[];
}

export interface EvalPlan {
  suites: EvalSuite[];
  /** `--data`: rows for every suite's dataset case (or a case of their own when a suite has none). */
  data?: { file: string; columns: Record<string, string> };
  repeat: number;
  /** Case-insensitive text a case's `workflow › case` name must contain. */
  filter?: string;
}

/** One case run to make. */
export interface EvalJob {
  key: string;
  suite: EvalSuite;
  caseName: string;
  line: number;
  entry: TestEntry;
  inputs: Record<string, unknown>;
  row?: DatasetRow;
  repeat: number;
}

/** Told when a suite's dataset case has no rows to run (no `rows:` and no `--data`). */
export type PlanNote = (message: string) => void;

/** The jobs of a plan, lazily: rows are read only as jobs are taken. `skip` holds keys already done (resume). */
export async function* evalJobs(plan: EvalPlan, skip: ReadonlySet<string> = new Set(), note: PlanNote = () => undefined): AsyncGenerator<EvalJob> {
  const filter = plan.filter?.toLowerCase();
  for (const suite of plan.suites) {
    const entries = [...suite.entries];
    if (plan.data && !entries.some((entry) => entry.kind === 'dataset')) {
      entries.push({ kind: 'dataset', name: path.basename(plan.data.file), columns: {}, mocks: {}, expect: [], range: suite.workflow.range });
    }
    for (const entry of entries) {
      if (filter && !`${suite.workflow.name} › ${entry.name}`.toLowerCase().includes(filter)) continue;
      const line = suite.entries.includes(entry) ? entry.range.start.line : 0;
      if (entry.kind === 'case') {
        for (let repeat = 1; repeat <= plan.repeat; repeat++) {
          const key = caseKey(suite.file, entry.name, undefined, repeat);
          if (!skip.has(key)) yield { key, suite, caseName: entry.name, line, entry, inputs: entry.inputs, repeat };
        }
        continue;
      }
      const rowsFile = plan.data?.file ?? (entry.rows ? path.resolve(path.dirname(suite.absolute), entry.rows) : undefined);
      if (!rowsFile) {
        note(`${suite.file}: test \`${entry.name}\` has no \`rows:\`; pass --data FILE to run it`);
        continue;
      }
      const columns = { ...entry.columns, ...plan.data?.columns };
      for await (const row of readRows(rowsFile)) {
        const inputs = rowInputs(suite.workflow, row.values, columns);
        for (let repeat = 1; repeat <= plan.repeat; repeat++) {
          const key = caseKey(suite.file, entry.name, row.index, repeat);
          if (!skip.has(key)) yield { key, suite, caseName: entry.name, line, entry, inputs, row, repeat };
        }
      }
    }
  }
}

export interface RunEvalOptions extends CaseRunOptions {
  concurrency: number;
  /** Runs one case somewhere else than here (`orchestrate test --redis`: on the workers); `runCase` by default. */
  runCase?: (run: CaseRun, options: CaseRunOptions) => Promise<CaseOutcome>;
  /** Stop taking new case runs after the first failure. */
  bail?: boolean;
  onStart?: (job: EvalJob) => void;
  onResult: (result: CaseResult) => void;
}

/** Runs jobs until they are done, bailed or cancelled. Rejects on a dataset row that cannot be read. */
export async function runEval(jobs: AsyncIterable<EvalJob>, options: RunEvalOptions): Promise<{ bailed: boolean }> {
  const iterator = jobs[Symbol.asyncIterator]();
  let stop = false;
  let bailed = false;
  let failure: unknown;
  const worker = async (): Promise<void> => {
    while (!stop && !options.signal?.aborted) {
      let next: IteratorResult<EvalJob>;
      try {
        next = await iterator.next();
      } catch (error) {
        failure ??= error;
        stop = true;
        return;
      }
      if (next.done || stop) return;
      const job = next.value;
      options.onStart?.(job);
      const result = await runJob(job, options);
      if (options.signal?.aborted && result.status === 'cancelled') return;
      options.onResult(result);
      if (!result.passed && options.bail) {
        bailed = true;
        stop = true;
      }
    }
  };
  await Promise.all(Array.from({ length: Math.max(1, options.concurrency) }, worker));
  if (failure) throw failure;
  return { bailed };
}

async function runJob(job: EvalJob, options: RunEvalOptions): Promise<CaseResult> {
  const outcome = await (options.runCase ?? runCase)(
    { workflow: job.suite.workflow, workflowText: job.suite.text, caseName: job.caseName, inputs: job.inputs, mocks: job.entry.mocks, expect: job.entry.expect, ...(job.row ? { row: job.row.values } : {}) },
    options,
  );
  return {
    type: 'case',
    key: job.key,
    file: job.suite.file,
    workflow: job.suite.workflow.name,
    case: job.caseName,
    line: job.line,
    ...(job.row ? { row: job.row.index } : {}),
    repeat: job.repeat,
    inputs: job.inputs,
    ...outcome,
  };
}
