/**
 * What the serve tests share: a real redis-server on a free loopback port in a
 * temporary folder, worker processes spawned from source, a temp folder of
 * workflows, and waiting on a run's state (never on time).
 */
import { spawn, spawnSync, type ChildProcess } from 'node:child_process';
import { mkdtempSync, mkdirSync, rmSync, writeFileSync } from 'node:fs';
import { createServer } from 'node:net';
import * as os from 'node:os';
import * as path from 'node:path';
import { after, afterEach, before } from 'node:test';
import type { ServedRunState } from '../../../src/serve/run-state';
import { startServer, type RunningServer } from '../../../src/serve/server';

const REPO = path.resolve(__dirname, '../../..');
const ENTRY = path.join(REPO, 'test/support/cli-entry.ts');

/** Why Redis tests cannot run here, or undefined when `redis-server` is installed. */
export function redisMissing(): string | undefined {
  const probe = spawnSync('redis-server', ['--version'], { encoding: 'utf8' });
  return probe.error ? 'redis-server is not installed (apt-get install -y redis-server); the queue tests need a real Redis' : undefined;
}

export async function freePort(): Promise<number> {
  return new Promise((resolve, reject) => {
    const server = createServer();
    server.once('error', reject);
    server.listen(0, '127.0.0.1', () => {
      const address = server.address();
      server.close(() => resolve(typeof address === 'object' && address ? address.port : 0));
    });
  });
}

export interface RedisInstance {
  url: string;
  stop(): Promise<void>;
  /** `kill -9` of the redis-server; `start()` brings it back on the same port, with what it had written to disk. */
  kill(): Promise<void>;
  start(): Promise<void>;
}

/**
 * A throwaway redis-server, gone when stopped: with no persistence, or, when
 * `persistent`, with an append-only file synced at every write, so a restart keeps all.
 */
export async function startRedis(options: { persistent?: boolean } = {}): Promise<RedisInstance> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orchestrate-redis-'));
  const port = await freePort();
  const persistence = options.persistent ? ['--appendonly', 'yes', '--appendfsync', 'always'] : ['--appendonly', 'no'];
  let child: ChildProcess;
  const launch = async () => {
    child = spawn('redis-server', ['--port', String(port), '--bind', '127.0.0.1', '--dir', dir, '--save', '', ...persistence], { stdio: ['ignore', 'pipe', 'pipe'] });
    await new Promise<void>((resolve, reject) => {
      let output = '';
      child.stdout!.on('data', (chunk: Buffer) => {
        output += chunk.toString();
        if (output.includes('Ready to accept connections')) resolve();
      });
      child.once('exit', (code) => reject(new Error(`redis-server exited (${code}): ${output}`)));
    });
  };
  const end = async (signal: NodeJS.Signals) => {
    if (child.exitCode !== null || child.signalCode !== null) return;
    const exited = new Promise((resolve) => child.once('exit', resolve));
    child.kill(signal);
    await exited;
  };
  await launch();
  return {
    url: `redis://127.0.0.1:${port}`,
    async stop() {
      await end('SIGTERM');
      rmSync(dir, { recursive: true, force: true });
    },
    kill: () => end('SIGKILL'),
    start: launch,
  };
}

export interface WorkerProcess {
  child: ChildProcess;
  output: () => string;
  exited: Promise<number | null>;
}

/** `orchestrate worker DIR --redis URL …` as a real process; resolves once it says it is ready. */
export async function spawnWorker(dir: string, redisUrl: string, args: string[], env: Record<string, string> = {}): Promise<WorkerProcess> {
  const child = spawn(process.execPath, ['--import', 'tsx', ENTRY, 'worker', dir, '--redis', redisUrl, ...args], {
    cwd: REPO,
    env: { PATH: process.env.PATH ?? '', HOME: process.env.HOME ?? '', ...env },
    stdio: ['ignore', 'pipe', 'pipe'],
  });
  let output = '';
  child.stdout!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  child.stderr!.on('data', (chunk: Buffer) => (output += chunk.toString()));
  const exited = new Promise<number | null>((resolve) => child.once('exit', (code) => resolve(code)));
  await new Promise<void>((resolve, reject) => {
    const check = () => {
      if (output.includes('worker ready')) {
        child.stdout!.off('data', check);
        resolve();
      }
    };
    child.stdout!.on('data', check);
    void exited.then((code) => reject(new Error(`worker exited (${code}) before it was ready:\n${output}`)));
  });
  return { child, output: () => output, exited };
}

/** A temporary folder holding these files (relative path → text). */
export function tempFolder(files: Record<string, string>): { dir: string; remove(): void } {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orchestrate-serve-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return { dir, remove: () => rmSync(dir, { recursive: true, force: true }) };
}

export async function api<T = unknown>(base: string, method: string, route: string, body?: unknown, headers: Record<string, string> = {}): Promise<{ status: number; body: T; headers: Headers }> {
  const response = await fetch(`${base}${route}`, {
    method,
    headers: body === undefined ? headers : { 'content-type': 'application/json', ...headers },
    body: body === undefined ? undefined : typeof body === 'string' ? body : JSON.stringify(body),
  });
  const text = await response.text();
  let parsed: unknown = text;
  try {
    parsed = JSON.parse(text);
  } catch {
    // Not JSON (a trace, an event stream): the text itself.
  }
  return { status: response.status, body: parsed as T, headers: response.headers };
}

/** Polls nothing: follows the run's event stream until it ends, then returns its state. */
export async function waitForEnd(base: string, id: string, headers: Record<string, string> = {}): Promise<ServedRunState> {
  const response = await fetch(`${base}/v1/runs/${id}/events`, { headers });
  await response.text();
  return (await api<ServedRunState>(base, 'GET', `/v1/runs/${id}`, undefined, headers)).body;
}

export interface SseEvent {
  id: number;
  event: string;
  data: { type: string; [key: string]: unknown };
}

/** Reads a whole event stream (it ends with the run), without deltas: every id is a number. */
export async function readEvents(base: string, id: string, lastEventId?: number): Promise<SseEvent[]> {
  const events = await readStream(base, id, lastEventId === undefined ? {} : { lastEventId: String(lastEventId) });
  return events.map((event) => ({ ...event, id: Number(event.id) }));
}

export interface StreamedEvent {
  /** The SSE id: `N`, or `N.K` for a delta. */
  id: string;
  event: string;
  data: { type: string; [key: string]: unknown };
}

/** Reads a whole event stream, with `step.delta` events when `deltas`. */
export async function readStream(base: string, id: string, options: { deltas?: boolean; lastEventId?: string } = {}): Promise<StreamedEvent[]> {
  const response = await fetch(`${base}/v1/runs/${id}/events${options.deltas ? '?deltas=1' : ''}`, { headers: options.lastEventId === undefined ? {} : { 'last-event-id': options.lastEventId } });
  const text = await response.text();
  return text
    .split('\n\n')
    .filter((block) => block.includes('data: '))
    .map((block) => {
      const field = (name: string) => block.split('\n').find((line) => line.startsWith(`${name}: `))?.slice(name.length + 2) ?? '';
      return { id: field('id'), event: field('event'), data: JSON.parse(field('data')) as StreamedEvent['data'] };
    });
}

/** Checks a stream read with deltas: events numbered 1, 2, 3…, each delta `N.K` after event N, and each step's deltas spelling its output. */
export function checkDeltaStream(events: StreamedEvent[]): void {
  let number = 0;
  let delta = 0;
  const text = new Map<string, string>();
  for (const { id, event, data } of events) {
    if (event === 'step.delta') {
      if (id !== `${number}.${++delta}`) throw new Error(`delta id ${id} after event ${number}.${delta - 1}`);
      const key = `${String(data.stepId)}#${String(data.attempt)}`;
      text.set(key, (text.get(key) ?? '') + String(data.text));
      continue;
    }
    if (id !== String(++number)) throw new Error(`event id ${id}, expected ${number}`);
    delta = 0;
    if (event === 'step.completed' && typeof data.output === 'string' && !data.restored) {
      const streamed = text.get(`${String(data.stepId)}#${String(data.attempt)}`);
      if (streamed !== undefined && streamed !== data.output) throw new Error(`the deltas of ${String(data.stepId)} spell ${JSON.stringify(streamed)}, not its output ${JSON.stringify(data.output)}`);
    }
  }
}

/** What a `describe` of queue-mode tests shares; see {@link redisSuite}. */
export interface RedisSuite {
  /** The block's Redis, started before its first test and stopped after its last. */
  readonly redis: RedisInstance;
  /** Runs after the current test (the last added first): workers, servers and folders must not outlive it. */
  cleanup(fn: () => Promise<void> | void): void;
  /** `orchestrate serve --redis` over `dir`, closed after the current test. */
  serve(dir: string): Promise<RunningServer>;
}

/** Call inside a `describe`: registers the hooks that start its Redis and clean up after each test. */
export function redisSuite(): RedisSuite {
  let redis: RedisInstance | undefined;
  const cleanups: (() => Promise<void> | void)[] = [];
  before(async () => {
    redis = await startRedis();
  });
  afterEach(async () => {
    for (const cleanup of cleanups.splice(0).reverse()) await cleanup();
  });
  after(async () => {
    await redis?.stop();
  });
  const suite: RedisSuite = {
    get redis() {
      if (!redis) throw new Error('the suite’s Redis starts in its before hook');
      return redis;
    },
    cleanup: (fn) => void cleanups.push(fn),
    async serve(dir) {
      const server = await startServer({ root: dir, port: 0, redisUrl: suite.redis.url, env: {}, log: () => undefined });
      suite.cleanup(() => server.close());
      return server;
    },
  };
  return suite;
}

/** Two streamed steps, for the history and delta tests. */
export const WORDS = `name: words
inputs:
  n: { type: number, default: 0 }
steps:
  - id: a
    prompt: "write a few words about {{ inputs.n }}"
  - id: b
    prompt: "and a few more about {{ steps.a.output }}"
`;

/** A page of `GET /v1/runs`. */
export type Page = { runs: ServedRunState[]; nextCursor?: string };
