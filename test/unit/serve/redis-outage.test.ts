/**
 * Redis dies mid-run and comes back on the same port (with its append-only file):
 * the server answers 503 meanwhile, the worker keeps running the run, and when
 * Redis is back both reconnect and the run completes with no step run twice.
 */
import assert from 'node:assert/strict';
import { Redis } from 'ioredis';
import { after, before, describe, test } from 'node:test';
import type { RunEvent } from '../../../src/engine';
import { startServer, type RunningServer } from '../../../src/serve/server';
import { api, redisMissing, spawnWorker, startRedis, tempFolder, waitForEnd, type RedisInstance, type WorkerProcess } from './helpers';

const skip = redisMissing();

const THREE_STEPS = `name: three steps
steps:
  - id: a
    prompt: "step a"
  - id: b
    prompt: "step b"
  - id: c
    prompt: "step c"
`;

describe('queue mode: Redis dies mid-run and comes back', { skip }, () => {
  let redis: RedisInstance;
  let folder: ReturnType<typeof tempFolder>;
  let server: RunningServer;
  let worker: WorkerProcess;
  const warnings: string[] = [];
  let onWarning: (line: string) => void = () => undefined;
  /** Resolves when the server next logs a line matching `pattern`. */
  const said = (pattern: RegExp) =>
    new Promise<void>((resolve) => {
      onWarning = (line) => pattern.test(line) && resolve();
    });

  before(async () => {
    redis = await startRedis({ persistent: true });
    folder = tempFolder({ 'three.workflow.yaml': THREE_STEPS });
    server = await startServer({ root: folder.dir, port: 0, redisUrl: redis.url, env: {}, log: (message) => {
        warnings.push(message);
        onWarning(message);
      } });
    worker = await spawnWorker(folder.dir, redis.url, ['--mock', '--mock-delay', '400', '--cache', 'off']);
  });
  after(async () => {
    await server.close();
    worker.child.kill('SIGKILL');
    await worker.exited;
    await redis.stop();
    folder.remove();
  });

  test('the server answers 503 redis-unavailable meanwhile; the run completes on its worker once Redis is back, each step run once', async () => {
    const created = await api<{ id: string }>(server.url, 'POST', '/v1/runs', { workflow: 'three.workflow.yaml' });
    assert.equal(created.status, 201);
    const record = (await server.backend.find(created.body.id))!;
    await new Promise<void>((resolve) => record.subscribe(0, (event) => event.type === 'step.completed' && resolve()));
    // A stream opened before the outage stays open and goes on after it.
    const stream = fetch(`${server.url}/v1/runs/${created.body.id}/events`).then((response) => response.text());

    await redis.kill();
    for (const [method, route, body] of [
      ['GET', '/v1/runs', undefined],
      ['GET', `/v1/runs/${created.body.id}`, undefined],
      ['GET', `/v1/runs/${created.body.id}/events`, undefined],
      ['GET', `/v1/runs/${created.body.id}/trace`, undefined],
      ['POST', '/v1/runs', { workflow: 'three.workflow.yaml' }],
      ['POST', `/v1/runs/${created.body.id}/cancel`, undefined],
    ] as const) {
      const response = await api<{ error: { code: string; message: string } }>(server.url, method, route, body);
      assert.equal(response.status, 503, `${method} ${route}: ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.code, 'redis-unavailable');
      assert.match(response.body.error.message, /Redis \(redis:\/\/127\.0\.0\.1:\d+\) does not answer; runs already taken go on on their workers/);
    }
    // The API description needs no Redis.
    assert.equal((await api(server.url, 'GET', '/openapi.json')).status, 200);

    const back = said(/Redis is back/);
    await redis.start();
    // Until the server has reconnected it still answers 503; it says when it has.
    await back;
    const state = await waitForEnd(server.url, created.body.id);
    assert.equal(state.status, 'succeeded', JSON.stringify(state));
    const count = (type: RunEvent['type']) => record.events.filter((event) => event.type === type).length;
    assert.equal(count('run.started'), 1, 'the run was not delivered again');
    assert.equal(count('step.started'), 3, 'each step ran once');
    assert.equal(count('step.completed'), 3);
    assert.ok((await stream).includes('event: run.completed'), 'the stream opened before the outage ended with the run');
    assert.ok(warnings.some((line) => /lost Redis at redis:\/\/127\.0\.0\.1:\d+/.test(line)), warnings.join('\n'));
    assert.equal(warnings.filter((line) => /lost Redis/.test(line)).length, 1, `said once: ${warnings.join('\n')}`);
    assert.match(worker.output(), /lost Redis .*the runs in hand go on/);

    // Both reconnected: a new run is queued, taken and finished.
    const next = await api<{ id: string }>(server.url, 'POST', '/v1/runs', { workflow: 'three.workflow.yaml' });
    assert.equal(next.status, 201);
    assert.equal((await waitForEnd(server.url, next.body.id)).status, 'succeeded');
  });

  test('Redis comes back after the run\'s lock expired: the worker stops its run and it continues from its finished steps, none run twice', async () => {
    // This test's worker holds runs for 2 s without renewal; the one before (idle) goes.
    worker.child.kill('SIGKILL');
    await worker.exited;
    worker = await spawnWorker(folder.dir, redis.url, ['--mock', '--mock-delay', '400', '--cache', 'off', '--lock-ms', '2000']);
    const created = await api<{ id: string }>(server.url, 'POST', '/v1/runs', { workflow: 'three.workflow.yaml' });
    const record = (await server.backend.find(created.body.id))!;
    await new Promise<void>((resolve) => record.subscribe(0, (event) => event.type === 'step.completed' && resolve()));
    const back = said(/Redis is back/);
    await redis.kill();
    await redis.start();
    await back;
    // An outage longer than the lock, as Redis sees it when it comes back: the lock is gone.
    const direct = new Redis(redis.url);
    try {
      await direct.del(`bull:orchestrate-runs:${created.body.id}:lock`);
    } finally {
      direct.disconnect();
    }
    const state = await waitForEnd(server.url, created.body.id);
    assert.equal(state.status, 'succeeded', JSON.stringify(state));
    const starts = record.events.filter((event) => event.type === 'run.started');
    assert.equal(starts.length, 2, 'delivered again');
    assert.equal((starts[1] as { resumedFrom?: string }).resumedFrom, created.body.id);
    const stepsBefore = record.events.slice(0, record.events.indexOf(starts[1])).filter((event) => event.type === 'step.completed').map((event) => (event as { stepId: string }).stepId);
    assert.ok(stepsBefore.length >= 1);
    for (const stepId of ['a', 'b', 'c']) {
      const ran = record.events.filter((event) => event.type === 'step.completed' && (event as { stepId: string }).stepId === stepId && !(event as { restored?: boolean }).restored);
      assert.equal(ran.length, 1, `step ${stepId} finished once`);
    }
    for (const stepId of stepsBefore) {
      assert.equal(record.events.filter((event) => event.type === 'step.started' && (event as { stepId: string }).stepId === stepId).length, 1, `step ${stepId} finished before and was restored, not run again`);
    }
    assert.match(worker.output(), /lost the lock of run \S+; stopped it here/);
  });
});
