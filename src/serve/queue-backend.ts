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
import { RunLog, type RunRecord } from './run-log';
import type { ListPosition, ListQuery, RunPage } from './run-list';

/** Runs a listing with a status filter looks at before it returns a short page. */
const MAX_SCANNED = 2000;
const LIST_BATCH = 100;

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
    const commands = connect();
    const reader = connect();
    try {
      await commands.connect();
      await reader.connect();
    } catch (error) {
      commands.disconnect();
      reader.disconnect();
      throw new Error(`cannot reach Redis at ${redactUrl(options.redisUrl)}: ${(error as Error).message}`);
    }
    const queueConnection = connect();
    const queue = new Queue<RunJob>(QUEUE_NAME, { connection: queueConnection });
    const eventsConnection = connect();
    const queueEvents = new QueueEvents(QUEUE_NAME, { connection: eventsConnection });
    const backend = new QueueBackend(queue, commands, reader, [queueConnection, eventsConnection], queueEvents, options);
    // BullMQ fails a job whose workers kept dying (its stalled limit): end the run visibly instead of leaving it running.
    queueEvents.on('failed', ({ jobId, failedReason }) => void backend.endFailedJob(jobId, failedReason));
    // Tail from now: earlier events are read from each run's own stream when it is asked for.
    const [last] = await commands.xrevrange(EVENTS_STREAM, '+', '-', 'COUNT', 1);
    backend.tailing = backend.tail(last?.[0] ?? '0-0');
    return backend;
  }

  async start(request: StartRequest): Promise<RunRecord> {
    const id = newRunId(Date.now());
    const createdAt = Date.now();
    const record = this.log.create(id, request.served.name, createdAt, stepInfosOf(request.served.workflow));
    await this.commands.multi().zadd(RUNS_INDEX, createdAt, id).hset(runMeta(id), 'workflow', request.served.name, 'createdAt', String(createdAt)).exec();
    await this.queue.add('run', { id, workflow: request.served.name, inputs: request.inputs }, { jobId: id, removeOnComplete: { age: 24 * 3600 }, removeOnFail: { age: 7 * 24 * 3600 } });
    return record;
  }

  async find(id: string): Promise<RunRecord | undefined> {
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
    const runs: RunRecord[] = [];
    let position = query.after;
    let scanned = 0;
    while (runs.length < query.limit && scanned < MAX_SCANNED) {
      const wanted = query.statuses ? LIST_BATCH : Math.min(LIST_BATCH, query.limit - runs.length);
      const batch = await this.indexAfter(position, wanted);
      const records = await Promise.all(batch.map((entry) => this.find(entry.id)));
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
    const record = await this.find(id);
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
    const record = await this.find(id).catch(() => undefined);
    if (!record || record.ended) return;
    const event: RunEvent = { type: 'run.failed', runId: id, seq: 0, time: Date.now(), error: { code: 'worker', message: `the queue gave up on this run: ${reason}` }, durationMs: 0, usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } };
    await appendEvent(this.commands, id, record.events.length + 1, event).catch((error: Error) => this.options.warn(`cannot record the end of run ${id}: ${error.message}`));
  }

  /** Follows the shared stream and files each event under its run, filling any gap from the run's own stream. */
  private async tail(from: string): Promise<void> {
    let last = from;
    while (!this.closed) {
      let batch: [string, [string, string[]][]][] | null;
      try {
        batch = (await this.reader.xread('COUNT', 500, 'BLOCK', 1000, 'STREAMS', EVENTS_STREAM, last)) as [string, [string, string[]][]][] | null;
      } catch (error) {
        if (this.closed) return;
        this.options.warn(`lost Redis (${(error as Error).message}); retrying`);
        await new Promise((resolve) => setTimeout(resolve, 1000));
        continue;
      }
      for (const [, entries] of batch ?? []) {
        for (const [entryId, fields] of entries) {
          last = entryId;
          const parsed = parseFields(fields);
          if (!parsed?.runId) continue;
          const record = this.log.get(parsed.runId);
          if (!record) continue;
          if (parsed.delta !== undefined) {
            if (parsed.number > record.events.length) await this.backfill(record);
            else record.addDelta(parsed.event, parsed.number, parsed.delta);
          } else if (parsed.number > record.events.length + 1) await this.backfill(record);
          else record.add(parsed.event, parsed.number);
        }
      }
    }
  }

  private async backfill(record: RunRecord): Promise<void> {
    const { events, deltas } = await readRunStream(this.commands, record.id);
    let next = 0;
    // Deltas go in their place among the events: after event N, before event N+1.
    for (const { number, event } of events) {
      for (; next < deltas.length && deltas[next].number < number; next++) record.addDelta(deltas[next].event, deltas[next].number, deltas[next].delta);
      record.add(event, number);
    }
    for (; next < deltas.length; next++) record.addDelta(deltas[next].event, deltas[next].number, deltas[next].delta);
  }
}

function redactUrl(url: string): string {
  return url.replace(/\/\/[^@/]*@/, '//***@');
}
