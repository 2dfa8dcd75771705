/**
 * `orchestrate worker` as a library: takes queued runs from Redis and executes them.
 * A run re-delivered because its worker died (BullMQ re-delivers a job whose lock
 * expires) continues from the checkpoints its events left in Redis: finished steps
 * are restored, not called again. On SIGTERM a worker stops taking runs and
 * finishes the ones it holds.
 */
import * as path from 'node:path';
import { Worker, type Job } from 'bullmq';
import { Redis } from 'ioredis';
import { newRunId, toErrorInfo, type ErrorInfo, type ProviderResolver, type RunEvent } from '../engine';
import type { CachePolicy } from '../engine/cache';
import { loadConfigFile } from '../engine/providers/config';
import { restorerFromEvents, TraceStore } from '../engine/trace';
import { ApiError } from './errors';
import { Executor } from './execute';
import { appendDelta, appendEvent, CANCEL_CHANNEL, cancelKey, isRunEnd, QUEUE_NAME, readRunEvents, type RunJob } from './redis-events';
import { SharedRateLimiter, type SharedLimit } from './shared-rate-limit';
import { loadServedWorkflow, type ServedWorkflow } from './workflows';
import { parseTests, withMocks } from '../engine/eval';

export interface WorkerOptions {
  root: string;
  redisUrl: string;
  /** Runs executed at once by this worker. */
  concurrency?: number;
  traces?: string;
  env: Record<string, string | undefined>;
  mock?: boolean;
  mockDelayMs?: number;
  cache?: CachePolicy;
  /** `--allow-tools`: tools this worker's runs may call without consent. */
  allowTools?: readonly string[];
  /** How long a job's lock lasts without renewal: how soon a dead worker's runs go to another. */
  lockMs?: number;
  log: (message: string) => void;
}

/** The workflow a job names; for a test case, with the case's `mocks:` in place of its steps' replies. */
function servedFor(root: string, job: RunJob): ServedWorkflow {
  const served = loadServedWorkflow(root, job.workflow);
  if (!job.test) return served;
  const suite = parseTests(served.text, served.name, served.workflow);
  const entry = suite.entries.find((candidate) => candidate.name === job.test!.case);
  return entry ? { ...served, workflow: withMocks(served.workflow, entry.mocks) } : served;
}

/** A run in this worker's hands. */
interface Execution {
  controller: AbortController;
  /** Its lock expired: the queue hands it out again, so this execution must write nothing more. */
  lost: boolean;
}

export interface RunningWorker {
  /** Stops taking runs and waits for the ones in hand to finish. */
  drain(): Promise<void>;
  /** Runs executed to their end by this worker. */
  readonly finished: number;
}

const DEFAULT_LOCK_MS = 30_000;
/** How long streamed text gathers before it is sent: what a `?deltas=1` client waits at most for the next piece. */
const DELTA_BATCH_MS = 100;

/** Whether two deltas are of the same attempt of the same step execution (so their texts may be joined). */
function sameExecution(a: RunEvent & { type: 'step.delta' }, b: RunEvent & { type: 'step.delta' }): boolean {
  return a.stepId === b.stepId && a.visit === b.visit && a.index === b.index && a.parent === b.parent && a.attempt === b.attempt;
}

export async function startWorker(options: WorkerOptions): Promise<RunningWorker> {
  const root = path.resolve(options.root);
  const connect = () => new Redis(options.redisUrl, { maxRetriesPerRequest: null });
  const commands = connect();
  // Subscribe only once connected: ioredis's ready check would otherwise run on a subscribed connection.
  const subscriber = new Redis(options.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
  await subscriber.connect();
  const warn = (message: string) => options.log(`warning: ${message}`);
  const { providers: configs } = await loadConfigFile(root);
  const limits: Record<string, SharedLimit> = {};
  // The budget is a real provider's; mock replies spend none of it.
  if (!options.mock) for (const config of configs) if (config.rpm || config.tpm) limits[config.name] = { rpm: config.rpm, tpm: config.tpm };
  const limiter = new SharedRateLimiter(commands, limits);
  const store = new TraceStore(options.traces ? path.resolve(options.traces) : path.join(root, '.orchestrate'));
  const executorOptions = {
    root,
    store,
    env: options.env,
    mock: options.mock ?? false,
    mockDelayMs: options.mockDelayMs,
    cache: options.cache ?? 'reuse',
    wrapProviders: (providers: ProviderResolver) => limiter.wrap(providers),
    allowTools: options.allowTools,
    warn,
  } as const;
  const executor = new Executor(executorOptions);
  // `orchestrate test --mock --redis` must not reach a real model whatever this worker was started with.
  let mockExecutor: Executor | undefined;
  const executorFor = (job: RunJob) => (job.test?.mock && !options.mock ? (mockExecutor ??= new Executor({ ...executorOptions, mock: true })) : executor);

  const inHand = new Map<string, Execution>();
  /** Each run's execution here, to its last write: a delivery of a run waits for an earlier one on this worker to finish writing. */
  const executions = new Map<string, Promise<void>>();
  await subscriber.subscribe(CANCEL_CHANNEL);
  subscriber.on('message', (_channel: string, id: string) => inHand.get(id)?.controller.abort('cancelled through the API'));
  let finished = 0;

  const runJob = async (job: Job<RunJob>): Promise<void> => {
    const { id, inputs } = job.data;
    await executions.get(id);
    let written = () => undefined as void;
    executions.set(id, new Promise<void>((resolve) => (written = resolve)));
    try {
      await execute(job, id, inputs);
    } finally {
      executions.delete(id);
      written();
    }
  };

  const execute = async (job: Job<RunJob>, id: string, inputs: Record<string, unknown>): Promise<void> => {
    const { resumeOf } = job.data;
    const prior = await readRunEvents(commands, id);
    if (prior.some(({ event }) => isRunEnd(event))) return;
    // A resumed run's first delivery restores from the run it continues, as `orchestrate resume` does from a trace.
    const continued = resumeOf && prior.length === 0 ? (await readRunEvents(commands, resumeOf)).map(({ event }) => event) : [];
    let number = prior.length;
    let deltasAfter = 0;
    let writes = Promise.resolve();
    // Streamed text goes out in batches (one write per step per DELTA_BATCH_MS, not one per token): each write costs Redis and every server a parse.
    let pending: (RunEvent & { type: 'step.delta' }) | undefined;
    let timer: NodeJS.Timeout | undefined;
    const flushDelta = () => {
      clearTimeout(timer);
      if (!pending) return;
      const [event, after, index] = [pending, number, ++deltasAfter];
      pending = undefined;
      writes = writes.then(() => appendDelta(commands, id, after, index, event));
    };
    const publish = (event: RunEvent) => {
      // A run whose lock this worker lost is another delivery's now: nothing more of this one goes out.
      if (execution.lost) return;
      if (event.type === 'step.delta') {
        if (pending && sameExecution(pending, event)) pending = { ...pending, text: pending.text + event.text };
        else {
          flushDelta();
          pending = event;
          timer = setTimeout(flushDelta, DELTA_BATCH_MS);
        }
        return;
      }
      flushDelta();
      const n = ++number;
      deltasAfter = 0;
      writes = writes.then(() => appendEvent(commands, id, n, event));
    };
    const events = prior.map(({ event }) => event);
    const lastStart = [...events].reverse().find((event) => event.type === 'run.started');
    const controller = new AbortController();
    const execution: Execution = { controller, lost: false };
    inHand.set(id, execution);
    try {
      if (await commands.exists(cancelKey(id))) controller.abort('cancelled through the API');
      const served = servedFor(root, job.data);
      await executorFor(job.data).execute({
        served,
        inputs,
        // The first delivery takes the id the API gave; a re-delivery is a continuation with its own trace, as `orchestrate resume` makes.
        runId: lastStart ? newRunId(Date.now()) : id,
        restore: lastStart ? restorerFromEvents(events, served.workflow) : continued.length > 0 ? restorerFromEvents(continued, served.workflow) : undefined,
        resumedFrom: lastStart?.runId ?? (continued.length > 0 ? resumeOf : undefined),
        recordedTools: lastStart ? events : continued.length > 0 ? continued : undefined,
        signal: controller.signal,
        onEvent: publish,
      });
    } catch (error) {
      const info: ErrorInfo = error instanceof ApiError ? { code: 'workflow', message: `${error.code}: ${error.message}` } : toErrorInfo(error);
      publish({ type: 'run.failed', runId: lastStart?.runId ?? id, seq: 0, time: Date.now(), error: { ...info, message: `worker: ${info.message}` }, durationMs: 0, usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } });
    } finally {
      inHand.delete(id);
      flushDelta();
      await writes;
      if (!execution.lost) finished++;
    }
  };

  const lockMs = options.lockMs ?? DEFAULT_LOCK_MS;
  const workerConnection = connect();
  const worker = new Worker<RunJob>(QUEUE_NAME, runJob, {
    connection: workerConnection,
    concurrency: options.concurrency ?? 8,
    lockDuration: lockMs,
    stalledInterval: lockMs,
    maxStalledCount: 3,
  });
  // Losing Redis is said once per outage; the connections reconnect by themselves, and events wait in the client until then.
  let lost = false;
  let draining = false;
  const onLost = (error?: Error) => {
    if (lost || draining) return;
    lost = true;
    warn(`lost Redis (${error?.message ?? 'the connection closed'}); the runs in hand go on, their events are sent when it is back`);
  };
  for (const connection of [commands, subscriber, workerConnection]) connection.on('error', onLost);
  // A Redis that goes away may close the connection without an error.
  commands.on('close', () => onLost());
  commands.on('ready', () => {
    if (lost) warn('Redis is back');
    lost = false;
  });
  worker.on('error', (error) => (lost ? undefined : warn(`queue: ${error.message}`)));
  // Redis said a run's lock is no longer this worker's (Redis was away longer than the lock): BullMQ gives the run to a worker again, which continues it from its checkpoints, so this one stops it.
  worker.on('lockRenewalFailed', (ids: string[]) => {
    for (const id of ids) {
      const execution = inHand.get(id);
      if (!execution) continue;
      execution.lost = true;
      execution.controller.abort('this worker lost the run (its lock expired); it continues from its finished steps where it is delivered again');
      warn(`lost the lock of run ${id}; stopped it here, it continues where the queue delivers it again`);
    }
  });
  await worker.waitUntilReady();

  return {
    get finished() {
      return finished;
    },
    async drain() {
      draining = true;
      await worker.close();
      // BullMQ leaves a connection it was given open.
      workerConnection.disconnect();
      await subscriber.quit();
      await commands.quit();
    },
  };
}
