/**
 * Serving at scale: runs per second through `serve --redis` with 1, 2 and 4 worker
 * processes on a 50 ms mock, latency from POST to the run's first event, and what
 * the queue adds to each run over the embedded in-process path.
 */
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
const RUNS = 200;
const PER_WORKER_CONCURRENCY = 10;
const SEQUENTIAL_RUNS = 100;

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
    results.note = 'Worker processes, the server, Redis and this harness share the machine; with 2 cores, more than 2 workers add no CPU, so scaling past 2 measures overlap of the 50 ms waits, not parallel compute.';
  } finally {
    await redis.stop();
    folder.remove();
  }
  return results;
}

async function post(server: RunningServer, count: number): Promise<{ records: RunRecord[]; latencies: Promise<number>[] }> {
  const records: RunRecord[] = [];
  const latencies: Promise<number>[] = [];
  for (let n = 0; n < count; n++) {
    const sent = performance.now();
    const response = await api<{ id: string }>(server.url, 'POST', '/v1/runs', { workflow: 'scale.workflow.yaml', inputs: { n } });
    const record = (await server.backend.find(response.body.id))!;
    records.push(record);
    latencies.push(new Promise((resolve) => record.subscribe(0, () => resolve(performance.now() - sent))));
  }
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
