/**
 * `orchestrate test --redis URL`: each case run (a test case or a dataset row) is a
 * run queued on Redis for `orchestrate worker` processes, as `serve --redis` queues
 * them. The worker runs the workflow with the case's `mocks:`; its events come back
 * through Redis and are folded into the same run state, and the expectations are
 * checked here, so results read exactly as in a local eval. A row whose worker dies
 * is re-delivered and resumes from its finished steps, like any queued run.
 */
import * as path from 'node:path';
import type { Workflow } from '../engine';
import { caseOutcome, type CaseOutcome, type CaseRun, type CaseRunOptions, type EvalSuite } from '../engine/eval';
import { ApiError } from '../serve/errors';
import { QueueBackend } from '../serve/queue-backend';
import { checkServedFile, type ServedWorkflow } from '../serve/workflows';
import { CliError } from './errors';

export interface QueuedCases {
  runCase: (run: CaseRun, options: CaseRunOptions) => Promise<CaseOutcome>;
  close(): Promise<void>;
}

export async function queuedCases(options: { redisUrl: string; root: string; mock: boolean; suites: readonly EvalSuite[]; warn: (message: string) => void }): Promise<QueuedCases> {
  const root = path.resolve(options.root);
  // Workers find a workflow by its path under the folder they serve: check every file is under this one before queueing anything.
  const served = new Map<Workflow, ServedWorkflow>();
  for (const { absolute: file, workflow } of options.suites) {
    const relative = path.relative(root, file);
    if (relative.startsWith('..') || path.isAbsolute(relative)) {
      throw new CliError('usage', `${file} is not under ${root}: with --redis, the workers find each workflow by its path under the folder they serve; run from that folder or name it with --root`);
    }
    served.set(workflow, checkServedFile(root, file));
  }
  let backend: QueueBackend;
  try {
    backend = await QueueBackend.connect({ redisUrl: options.redisUrl, warn: options.warn });
  } catch (error) {
    throw new CliError('usage', (error as Error).message);
  }

  return {
    async runCase(run, caseOptions) {
      const signal = caseOptions.signal ?? new AbortController().signal;
      const workflow = served.get(run.workflow);
      if (!workflow) throw new Error(`internal: no served file for workflow \`${run.workflow.name}\``);
      const record = await startWithRetry(() => backend.start({ served: workflow, inputs: run.inputs, test: { case: run.caseName, mock: options.mock } }), signal);
      const stop = () => void backend.cancel(record.id).catch(() => undefined);
      signal.addEventListener('abort', stop, { once: true });
      try {
        await record.whenEnded();
      } finally {
        signal.removeEventListener('abort', stop);
      }
      return caseOutcome(run, record.runState, { runId: record.id }, { providers: caseOptions.providers, signal });
    },
    close: () => backend.close(),
  };
}

/** Queues a run; while Redis is away, tries again once a second rather than failing the row. */
async function startWithRetry<T>(start: () => Promise<T>, signal: AbortSignal): Promise<T> {
  for (;;) {
    try {
      return await start();
    } catch (error) {
      if (!(error instanceof ApiError && error.code === 'redis-unavailable') || signal.aborted) throw error;
      await new Promise((resolve) => setTimeout(resolve, 1000));
    }
  }
}
