/** POST /v1/runs/{id}/resume in the queue mode: a worker continues the run from its events in Redis. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import { startServer } from '../../../src/serve/server';
import { api, redisMissing, spawnWorker, startRedis, tempFolder, type RedisInstance } from './helpers';

const skip = redisMissing();
if (skip) process.stderr.write(`SKIPPED queue resume tests: ${skip}\n`);

const THREE_STEPS = `name: three steps
steps:
  - id: a
    prompt: step a
  - id: b
    prompt: step b
  - id: c
    prompt: step c
`;

describe('queue mode: resuming a run', { skip }, () => {
  let redis: RedisInstance;

  before(async () => {
    redis = await startRedis();
  });
  after(async () => {
    await redis.stop();
  });

  test('a cancelled run resumes on a worker: its finished step is restored, not called again', async () => {
    const folder = tempFolder({ 'three.workflow.yaml': THREE_STEPS });
    const server = await startServer({ root: folder.dir, port: 0, redisUrl: redis.url, env: {}, log: () => undefined });
    const worker = await spawnWorker(folder.dir, redis.url, ['--mock', '--mock-delay', '300', '--cache', 'off']);
    try {
      const created = await api<{ id: string }>(server.url, 'POST', '/v1/runs', { workflow: 'three.workflow.yaml' });
      const first = (await server.backend.find(created.body.id))!;
      await new Promise<void>((resolve) => first.subscribe(0, (event) => event.type === 'step.completed' && event.stepId === 'a' && resolve()));
      assert.equal((await api(server.url, 'POST', `/v1/runs/${first.id}/cancel`)).status, 202);
      await first.whenEnded();
      assert.equal(first.state.status, 'cancelled');

      const resumed = await api<{ id: string; resumedFrom: string }>(server.url, 'POST', `/v1/runs/${first.id}/resume`);
      assert.equal(resumed.status, 201, JSON.stringify(resumed.body));
      assert.equal(resumed.body.resumedFrom, first.id);
      const second = (await server.backend.find(resumed.body.id))!;
      await second.whenEnded();
      assert.equal(second.state.status, 'succeeded');
      const started = second.events.find((event) => event.type === 'run.started');
      assert.equal(started?.type === 'run.started' && started.resumedFrom, first.id);
      const completed = second.events.flatMap((event) => (event.type === 'step.completed' ? [[event.stepId, event.restored === true]] : []));
      assert.deepEqual(completed, [['a', true], ['b', false], ['c', false]]);
      assert.deepEqual(second.events.flatMap((event) => (event.type === 'step.started' ? [event.stepId] : [])), ['b', 'c']);
    } finally {
      worker.child.kill('SIGKILL');
      await worker.exited;
      await server.close();
      folder.remove();
    }
  });
});
