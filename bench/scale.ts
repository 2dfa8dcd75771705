/**
 * Serving at scale: runs per second through `serve --redis` with 1, 2 and 4 worker
 * processes on a 50 ms mock, latency from POST to the run's first event, and what
 * the queue adds to each run over the embedded in-process path.
 */
import * as os from 'node:os';
import type { RunRecord } from '../src/serve/run-log';
import { startServer, type RunningServer } from '../src/serve/server';
import { api, redisMissing, spawnWorker, startRedis, tempFolder, type WorkerProcess } from '../test/unit/serve/helpers';

const WORKFLOW = `name: scale
inputs:
  n: { type: number }
steps:
  - id: a
    prompt: "step a for {{ inputs.n }}"
`;
const MOCK_DELAY_MS = 50;
const RUNS = 400;
const PER_WORKER_CONCURRENCY = 10;
const SEQUENTIAL_RUNS = 100;
const POSTS_IN_FLIGHT = 20;

export async function benchScale(): Promise<Record<string, unknown>> {
  const missing = redisMissing();
  if (missing) return { skipped: missing };
  const redis = await startRedis();
  const folder = tempFolder({ 'scale.workflow.yaml': WORKFLOW });
  const results: Record<string, unknown> = { mockDelayMs: MOCK_DELAY_MS, runs: RUNS, concurrencyPerWorker: PER_WORKER_CONCURRENCY };
  try {
    const throughput: Record<string, unknown> = {};
    for (const workerCount of [1, 2, 4]) {
      const server = await startServer({ root: folder.dir, port: 0, redisUrl: redis.url, env: {}, log: () => undefined });
      const workers = await Promise.all(Array.from({ length: workerCount }, () => spawnWorker(folder.dir, redis.url, ['--mock', '--mock-delay', String(MOCK_DELAY_MS), '--cache', 'off', '--concurrency', String(PER_WORKER_CONCURRENCY)])));
      const started = performance.now();
      const { records } = await post(server, RUNS);
      await Promise.all(records.map((record) => record.whenEnded()));
      const seconds = (performance.now() - started) / 1000;
      throughput[`${workerCount}`] = { runsPerSecond: round(RUNS / seconds), seconds: round(seconds) };
      await stop(workers);
      await server.close();
    }
    const one = (throughput['1'] as { runsPerSecond: number }).runsPerSecond;
    results.throughput = throughput;
    results.scaling = { '2': round((throughput['2'] as { runsPerSecond: number }).runsPerSecond / one), '4': round((throughput['4'] as { runsPerSecond: number }).runsPerSecond / one) };

    // One run at a time, so each run's time is its own: the queue's cost is the difference.
    const embedded = await startServer({ root: folder.dir, port: 0, mock: true, mockDelayMs: MOCK_DELAY_MS, cache: 'off', env: {}, log: () => undefined });
    const embeddedRuns = await sequential(embedded);
    await embedded.close();
    const queued = await startServer({ root: folder.dir, port: 0, redisUrl: redis.url, env: {}, log: () => undefined });
    const workers = [await spawnWorker(folder.dir, redis.url, ['--mock', '--mock-delay', String(MOCK_DELAY_MS), '--cache', 'off'])];
    const queuedRuns = await sequential(queued);
    await stop(workers);
    await queued.close();
    // Measured one run at a time: with hundreds queued, POST to first event would be the wait in the queue.
    results.postToFirstEventMs = { embedded: percentiles(embeddedRuns.firstEvent), queue: percentiles(queuedRuns.firstEvent) };
    results.postToEndMs = { embedded: percentiles(embeddedRuns.end), queue: percentiles(queuedRuns.end) };
    results.queueOverheadPerRunMs = round(median(queuedRuns.end) - median(embeddedRuns.end));
    results.note = `Each worker could finish ${PER_WORKER_CONCURRENCY} runs per 50 ms (${(PER_WORKER_CONCURRENCY * 1000) / MOCK_DELAY_MS} runs/s) if waiting were all it did; the limit is CPU: the server (parsing, checking the workflow and queueing each POST, folding every event), Redis, the workers (engine, trace files with fsync, event writes) and this harness share ${os.cpus().length} cores, so workers beyond the core count add processes that compete for them rather than capacity.`;
  } finally {
    await redis.stop();
    folder.remove();
  }
  return results;
}

/** POSTs `count` runs, `POSTS_IN_FLIGHT` at a time, so submitting is not what limits the rate. */
async function post(server: RunningServer, count: number): Promise<{ records: RunRecord[]; latencies: Promise<number>[] }> {
  const records: RunRecord[] = [];
  const latencies: Promise<number>[] = [];
  const one = async (n: number) => {
    const sent = performance.now();
    const response = await api<{ id: string }>(server.url, 'POST', '/v1/runs', { workflow: 'scale.workflow.yaml', inputs: { n } });
    const record = (await server.backend.find(response.body.id))!;
    records.push(record);
    latencies.push(new Promise((resolve) => record.subscribe(0, () => resolve(performance.now() - sent))));
  };
  for (let n = 0; n < count; n += POSTS_IN_FLIGHT) await Promise.all(Array.from({ length: Math.min(POSTS_IN_FLIGHT, count - n) }, (_, i) => one(n + i)));
  return { records, latencies };
}

async function sequential(server: RunningServer): Promise<{ firstEvent: number[]; end: number[] }> {
  const firstEvent: number[] = [];
  const end: number[] = [];
  for (let n = 0; n < SEQUENTIAL_RUNS; n++) {
    const sent = performance.now();
    const { records, latencies } = await post(server, 1);
    await records[0].whenEnded();
    end.push(performance.now() - sent);
    firstEvent.push(await latencies[0]);
  }
  return { firstEvent, end };
}

async function stop(workers: WorkerProcess[]): Promise<void> {
  for (const worker of workers) worker.child.kill('SIGTERM');
  await Promise.all(workers.map((worker) => worker.exited));
}

function percentiles(values: number[]): { p50: number; p99: number } {
  const sorted = [...values].sort((a, b) => a - b);
  const at = (q: number) => round(sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]);
  return { p50: at(0.5), p99: at(0.99) };
}

function median(values: number[]): number {
  return percentiles(values).p50;
}

function round(value: number): number {
  return Math.round(value * 100) / 100;
}
