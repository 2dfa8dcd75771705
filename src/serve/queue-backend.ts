/**
 * The queue mode's server side: runs are BullMQ jobs on Redis, executed by
 * `orchestrate worker` processes; their events come back through Redis streams,
 * so every server sees every run, including runs started before it was.
 */
import { Queue, QueueEvents } from 'bullmq';
import { Redis } from 'ioredis';
import { newRunId, type RunEvent } from '../engine';
import { stepInfosOf } from '../engine/state';
import type { RunBackend, StartRequest } from './backend';
import { appendEvent, CANCEL_CHANNEL, cancelKey, EVENTS_STREAM, parseFields, readRunStream, QUEUE_NAME, RUNS_INDEX, runMeta, type RunJob } from './redis-events';
import { ApiError } from './errors';
import { RunLog, type RunRecord } from './run-log';
import type { ListPosition, ListQuery, RunPage } from './run-list';

/** Runs a listing with a status filter looks at before it returns a short page. */
const MAX_SCANNED = 2000;
const LIST_BATCH = 100;
/** How long a request waits on a Redis that is connected but does not answer. */
const COMMAND_TIMEOUT_MS = 5000;

export interface QueueBackendOptions {
  redisUrl: string;
  warn: (message: string) => void;
}

export class QueueBackend implements RunBackend {
  readonly mode = 'queue';
  private readonly log = new RunLog();
  private closed = false;
  private tailing?: Promise<void>;

  private constructor(
    private readonly queue: Queue<RunJob>,
    private readonly commands: Redis,
    private readonly reader: Redis,
    /** Connections BullMQ was given and leaves open. */
    private readonly given: Redis[],
    private readonly queueEvents: QueueEvents,
    private readonly options: QueueBackendOptions,
  ) {}

  static async connect(options: QueueBackendOptions): Promise<QueueBackend> {
    const connect = () => new Redis(options.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true });
    // A request fails at once while Redis is away (a 503), instead of waiting in the client's queue for it to come back.
    const failFast = () => new Redis(options.redisUrl, { maxRetriesPerRequest: null, lazyConnect: true, enableOfflineQueue: false, commandTimeout: COMMAND_TIMEOUT_MS });
    const commands = failFast();
    const reader = connect();
    const queueConnection = failFast();
    try {
      await commands.connect();
      await reader.connect();
      await queueConnection.connect();
    } catch (error) {
      for (const connection of [commands, reader, queueConnection]) connection.disconnect();
      throw new Error(`cannot reach Redis at ${redactUrl(options.redisUrl)}: ${(error as Error).message}`);
    }
    const queue = new Queue<RunJob>(QUEUE_NAME, { connection: queueConnection });
    const eventsConnection = connect();
    const queueEvents = new QueueEvents(QUEUE_NAME, { connection: eventsConnection });
    const backend = new QueueBackend(queue, commands, reader, [queueConnection, eventsConnection], queueEvents, options);
    // Losing Redis is reported once per outage, never thrown: an unheard 'error' would end the process.
    let reported = false;
    const lost = (error?: Error) => {
      if (backend.closed || reported) return;
      reported = true;
      options.warn(`lost Redis at ${redactUrl(options.redisUrl)} (${error?.message ?? 'the connection closed'}); answering 503 until it is back`);
    };
    for (const emitter of [commands, reader, queueConnection, eventsConnection]) emitter.on('error', lost);
    // A Redis that goes away may close the connection without an error.
    commands.on('close', () => lost());
    queue.on('error', lost);
    queueEvents.on('error', lost);
    commands.on('ready', () => {
      if (reported) options.warn('Redis is back');
      reported = false;
    });
    // BullMQ fails a job whose workers kept dying (its stalled limit): end the run visibly instead of leaving it running.
    queueEvents.on('failed', ({ jobId, failedReason }) => void backend.endFailedJob(jobId, failedReason));
    // Tail from now: earlier events are read from each run's own stream when it is asked for.
    const [last] = await commands.xrevrange(EVENTS_STREAM, '+', '-', 'COUNT', 1);
    backend.tailing = backend.tail(last?.[0] ?? '0-0');
    return backend;
  }

  async start(request: StartRequest): Promise<RunRecord> {
    return this.needingRedis(() => this.enqueue(request));
  }

  private async enqueue(request: StartRequest): Promise<RunRecord> {
    const id = newRunId(Date.now());
    const createdAt = Date.now();
    const record = this.log.create(id, request.served.name, createdAt, stepInfosOf(request.served.workflow));
    await this.commands.multi().zadd(RUNS_INDEX, createdAt, id).hset(runMeta(id), 'workflow', request.served.name, 'createdAt', String(createdAt)).exec();
    const job: RunJob = { id, workflow: request.served.name, inputs: request.inputs, ...(request.test ? { test: request.test } : {}) };
    if (request.resumeOf) job.resumeOf = request.resumeOf.id;
    await this.queue.add('run', job, { jobId: id, removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 } });
    return record;
  }

  async find(id: string): Promise<RunRecord | undefined> {
    return this.needingRedis(() => this.lookUp(id));
  }

  private async lookUp(id: string): Promise<RunRecord | undefined> {
    const known = this.log.get(id);
    if (known) return known;
    const meta = await this.commands.hgetall(runMeta(id));
    if (!meta.workflow) return undefined;
    const record = this.log.get(id) ?? this.log.create(id, meta.workflow, Number(meta.createdAt) || 0);
    await this.backfill(record);
    return record;
  }

  /**
   * Every run any server on this Redis started, newest first. A status filter reads
   * each run's state, so a page looks at no more than {@link MAX_SCANNED} runs and may
   * come back short, with a cursor to go on from.
   */
  async list(query: ListQuery): Promise<RunPage> {
    return this.needingRedis(() => this.page(query));
  }

  private async page(query: ListQuery): Promise<RunPage> {
    const runs: RunRecord[] = [];
    let position = query.after;
    let scanned = 0;
    while (runs.length < query.limit && scanned < MAX_SCANNED) {
      const wanted = query.statuses ? LIST_BATCH : Math.min(LIST_BATCH, query.limit - runs.length);
      const batch = await this.indexAfter(position, wanted);
      const records = await Promise.all(batch.map((entry) => this.lookUp(entry.id)));
      for (const [i, entry] of batch.entries()) {
        scanned++;
        position = entry;
        const record = records[i];
        if (record && (!query.statuses || query.statuses.has(record.state.status))) runs.push(record);
        if (runs.length === query.limit && i < batch.length - 1) return { runs, next: position };
      }
      if (batch.length < wanted) return { runs };
    }
    return { runs, ...(position ? { next: position } : {}) };
  }

  /** Up to `count` entries of the runs index after `position`, newest first (equal times by id, descending, as Redis orders them). */
  private async indexAfter(position: ListPosition | undefined, count: number): Promise<ListPosition[]> {
    const entries: ListPosition[] = [];
    if (position) {
      const tied = await this.commands.zrangebyscore(RUNS_INDEX, position.at, position.at);
      for (const id of tied.filter((id) => id < position.id).sort().reverse()) entries.push({ at: position.at, id });
    }
    if (entries.length >= count) return entries.slice(0, count);
    const below = await this.commands.zrevrangebyscore(RUNS_INDEX, position ? `(${position.at}` : '+inf', '-inf', 'WITHSCORES', 'LIMIT', 0, count - entries.length);
    for (let i = 0; i + 1 < below.length; i += 2) entries.push({ id: below[i], at: Number(below[i + 1]) });
    return entries;
  }

  async cancel(id: string): Promise<boolean> {
    return this.needingRedis(() => this.stop(id));
  }

  private async stop(id: string): Promise<boolean> {
    const record = await this.lookUp(id);
    if (!record || record.ended) return false;
    const job = await this.queue.getJob(id);
    const state = await job?.getState();
    if (job && (state === 'waiting' || state === 'delayed' || state === 'prioritized')) {
      try {
        await job.remove();
        const event: RunEvent = { type: 'run.cancelled', runId: id, seq: 1, time: Date.now(), reason: 'cancelled through the API before a worker took it', durationMs: 0, usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } };
        await appendEvent(this.commands, id, record.events.length + 1, event);
        return true;
      } catch {
        // A worker took it meanwhile: ask that worker.
      }
    }
    await this.commands.multi().set(cancelKey(id), '1', 'EX', 7 * 24 * 3600).publish(CANCEL_CHANNEL, id).exec();
    return true;
  }

  /**
   * Runs `work` when Redis answers; while it is away, a 503 that says so, at once:
   * what a server knows of a run may be stale then, so it answers nothing about runs.
   */
  private async needingRedis<T>(work: () => Promise<T>): Promise<T> {
    if (this.commands.status !== 'ready') throw this.unavailable();
    try {
      return await work();
    } catch (error) {
      if (error instanceof ApiError || (this.commands.status === 'ready' && !isConnectionError(error))) throw error;
      throw this.unavailable();
    }
  }

  private unavailable(): ApiError {
    return new ApiError(503, 'redis-unavailable', `the queue's Redis (${redactUrl(this.options.redisUrl)}) does not answer; runs already taken go on on their workers and report when it is back. Try again shortly.`);
  }

  async close(): Promise<void> {
    this.closed = true;
    this.reader.disconnect();
    await this.tailing;
    await this.queueEvents.close();
    await this.queue.close();
    for (const connection of this.given) connection.disconnect();
    await this.commands.quit();
  }

  async endFailedJob(id: string, reason: string): Promise<void> {
    const record = await this.lookUp(id).catch(() => undefined);
    if (!record || record.ended) return;
    const event: RunEvent = { type: 'run.failed', runId: id, seq: 0, time: Date.now(), error: { code: 'worker', message: `the queue gave up on this run: ${reason}` }, durationMs: 0, usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } };
    await appendEvent(this.commands, id, record.events.length + 1, event).catch((error: Error) => this.options.warn(`cannot record the end of run ${id}: ${error.message}`));
  }

  /** Follows the shared stream and files each event under its run, filling any gap from the run's own stream. */
  private async tail(from: string): Promise<void> {
    let last = from;
    while (!this.closed) {
      try {
        const batch = (await this.reader.xread('COUNT', 500, 'BLOCK', 1000, 'STREAMS', EVENTS_STREAM, last)) as [string, [string, string[]][]][] | null;
        for (const [, entries] of batch ?? []) {
          for (const [entryId, fields] of entries) {
            await this.file(fields);
            last = entryId;
          }
        }
      } catch {
        // Lost Redis (reported once by the connection's error handler): read on from the last event filed once it is back.
        if (this.closed) return;
        await new Promise((resolve) => setTimeout(resolve, 1000));
      }
    }
  }

  /** Files one entry of the shared stream under its run, if this server follows that run. */
  private async file(fields: string[]): Promise<void> {
    const parsed = parseFields(fields);
    if (!parsed?.runId) return;
    const record = this.log.get(parsed.runId);
    if (!record) return;
    // A gap is filled from the run's own stream, on this connection, which waits for Redis rather than failing.
    if (parsed.delta !== undefined) {
      if (parsed.number > record.events.length) await this.backfill(record, this.reader);
      else record.addDelta(parsed.event, parsed.number, parsed.delta);
    } else if (parsed.number > record.events.length + 1) await this.backfill(record, this.reader);
    else record.add(parsed.event, parsed.number);
  }

  private async backfill(record: RunRecord, redis: Redis = this.commands): Promise<void> {
    const { events, deltas } = await readRunStream(redis, record.id);
    let next = 0;
    // Deltas go in their place among the events: after event N, before event N+1.
    for (const { number, event } of events) {
      for (; next < deltas.length && deltas[next].number < number; next++) record.addDelta(deltas[next].event, deltas[next].number, deltas[next].delta);
      record.add(event, number);
    }
    for (; next < deltas.length; next++) record.addDelta(deltas[next].event, deltas[next].number, deltas[next].delta);
  }
}

/** ioredis's words for a command that could not reach Redis (as opposed to one Redis refused). */
function isConnectionError(error: unknown): boolean {
  const message = error instanceof Error ? error.message : '';
  return /Connection is closed|Stream isn't writeable|Command timed out|ECONNREFUSED|ECONNRESET|EPIPE|enableOfflineQueue/i.test(message);
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
