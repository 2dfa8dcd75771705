/**
 * How a queued run's events travel: a worker appends each one (numbered from 1
 * across all of the run's deliveries) to the run's own Redis stream, which is also
 * its checkpoint log, and to one shared stream the servers tail for live updates.
 */
import type { Redis } from 'ioredis';
import type { RunEvent } from '../engine';

export const QUEUE_NAME = 'orchestrate-runs';
export const EVENTS_STREAM = 'orchestrate:events';
export const RUNS_INDEX = 'orchestrate:runs';
export const CANCEL_CHANNEL = 'orchestrate:cancel';
/** How long a run's events stay in Redis after its last one. */
const RUN_TTL_SECONDS = 7 * 24 * 3600;
const SHARED_STREAM_LENGTH = 100_000;

export const runStream = (id: string) => `orchestrate:run:${id}:events`;
export const runMeta = (id: string) => `orchestrate:run:${id}`;
export const cancelKey = (id: string) => `orchestrate:run:${id}:cancel`;

/** What a queued job carries. */
export interface RunJob {
  id: string;
  /** The workflow file relative to the served folder (workers serve the same folder). */
  workflow: string;
  inputs: Record<string, unknown>;
  /** The ended run this one continues: the worker restores its finished steps from that run's events. */
  resumeOf?: string;
  /** A case of `orchestrate test --redis`: the `tests:` entry whose `mocks:` apply, and whether every step runs on the mock provider. */
  test?: TestCaseJob;
}

export interface TestCaseJob {
  case: string;
  mock: boolean;
}

export interface NumberedEvent {
  number: number;
  event: RunEvent;
  /** For a `step.delta`: its place (1-based) among the deltas after event `number`. */
  delta?: number;
}

export async function appendEvent(redis: Redis, runId: string, number: number, event: RunEvent): Promise<void> {
  const json = JSON.stringify(event);
  await redis
    .multi()
    .xadd(runStream(runId), '*', 'n', String(number), 'e', json)
    .expire(runStream(runId), RUN_TTL_SECONDS)
    .xadd(EVENTS_STREAM, 'MAXLEN', '~', String(SHARED_STREAM_LENGTH), '*', 'id', runId, 'n', String(number), 'e', json)
    .exec();
}

/**
 * A `step.delta`, the `index`-th after event `after`: in the run's stream (so a
 * stream read from the start has it) and the shared one, without the checkpoint's
 * expiry renewal (the next event renews it).
 */
export async function appendDelta(redis: Redis, runId: string, after: number, index: number, event: RunEvent): Promise<void> {
  const json = JSON.stringify(event);
  await redis
    .multi()
    .xadd(runStream(runId), '*', 'n', String(after), 'd', String(index), 'e', json)
    .xadd(EVENTS_STREAM, 'MAXLEN', '~', String(SHARED_STREAM_LENGTH), '*', 'id', runId, 'n', String(after), 'd', String(index), 'e', json)
    .exec();
}

/**
 * Every event of a run, in order, and its deltas among them. An entry written twice
 * (a command the client sent again after losing Redis) is kept once.
 */
export async function readRunStream(redis: Redis, runId: string): Promise<{ events: NumberedEvent[]; deltas: NumberedEvent[] }> {
  const entries = await redis.xrange(runStream(runId), '-', '+');
  const events: NumberedEvent[] = [];
  const deltas: NumberedEvent[] = [];
  for (const [, fields] of entries) {
    const entry = parseFields(fields);
    if (!entry) continue;
    if (entry.delta !== undefined) deltas.push(entry);
    else if (entry.number === events.length + 1) events.push(entry);
  }
  return { events, deltas };
}

/** Every event of a run, in order: its checkpoints. */
export async function readRunEvents(redis: Redis, runId: string): Promise<NumberedEvent[]> {
  return (await readRunStream(redis, runId)).events;
}

export function parseFields(fields: string[]): (NumberedEvent & { runId?: string }) | undefined {
  const map = new Map<string, string>();
  for (let i = 0; i + 1 < fields.length; i += 2) map.set(fields[i], fields[i + 1]);
  const number = Number(map.get('n'));
  const json = map.get('e');
  if (!Number.isInteger(number) || json === undefined) return undefined;
  const delta = map.has('d') ? Number(map.get('d')) : undefined;
  if (delta !== undefined && !Number.isInteger(delta)) return undefined;
  try {
    return { number, event: JSON.parse(json) as RunEvent, runId: map.get('id'), ...(delta === undefined ? {} : { delta }) };
  } catch {
    return undefined;
  }
}

export function isRunEnd(event: RunEvent): boolean {
  return event.type === 'run.completed' || event.type === 'run.failed' || event.type === 'run.cancelled';
}
