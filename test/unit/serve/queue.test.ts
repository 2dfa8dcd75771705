/**
 * The queue mode end to end: a real redis-server, `serve` in this process, and
 * `orchestrate worker` processes spawned from source.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import type { RunEvent } from '../../../src/engine';
import type { RunRecord } from '../../../src/serve/run-log';
import type { RunningServer } from '../../../src/serve/server';
import { startFakeOpenAI } from '../../support/fake-openai-server';
import { api, redisMissing, redisSuite, spawnWorker, tempFolder, type WorkerProcess } from './helpers';

const skip = redisMissing();
if (skip) process.stderr.write(`SKIPPED queue tests: ${skip}\n`);

const ONE_STEP = `name: one step
inputs:
  n: { type: number }
steps:
  - id: a
    prompt: "step a for {{ inputs.n }}"
`;

const THREE_STEPS = `name: three steps
inputs:
  n: { type: number }
steps:
  - id: a
    prompt: "step a for {{ inputs.n }}"
  - id: b
    prompt: "step b for {{ inputs.n }}"
  - id: c
    prompt: "step c for {{ inputs.n }}"
`;

describe('queue mode: serve --redis with worker processes', { skip }, () => {
  // Each test's workers serve its own folder, so none may outlive it and take the next test's runs.
  const suite = redisSuite();


  async function worker(dir: string, args: string[], env: Record<string, string> = {}): Promise<WorkerProcess> {
    const spawned = await spawnWorker(dir, suite.redis.url, args, env);
    suite.cleanup(async () => {
      if (spawned.child.exitCode === null && spawned.child.signalCode === null) {
        spawned.child.kill('SIGKILL');
        await spawned.exited;
      }
    });
    return spawned;
  }

  async function startRuns(server: RunningServer, workflow: string, count: number): Promise<RunRecord[]> {
    const records: RunRecord[] = [];
    for (let n = 0; n < count; n++) {
      const response = await api<{ id: string }>(server.url, 'POST', '/v1/runs', { workflow, inputs: { n } });
      assert.equal(response.status, 201, JSON.stringify(response.body));
      records.push((await server.backend.find(response.body.id))!);
    }
    return records;
  }

  const count = (events: RunEvent[], type: RunEvent['type']) => events.filter((event) => event.type === type).length;

  test('300 runs across 3 worker processes on a 50 ms mock: every run completes exactly once', async () => {
    const folder = tempFolder({ 'one.workflow.yaml': ONE_STEP });
    suite.cleanup(folder.remove);
    const server = await suite.serve(folder.dir);
    const workers = await Promise.all([0, 1, 2].map(() => worker(folder.dir, ['--mock', '--mock-delay', '50', '--cache', 'off', '--concurrency', '10'])));
    const records = await startRuns(server, 'one.workflow.yaml', 300);
    await Promise.all(records.map((record) => record.whenEnded()));
    for (const record of records) {
      assert.equal(record.state.status, 'succeeded', `${record.id}: ${JSON.stringify(record.state.error)}`);
      assert.equal(count(record.events, 'run.started'), 1, `${record.id} started once`);
      assert.equal(count(record.events, 'run.completed'), 1, `${record.id} completed once`);
      assert.equal(count(record.events, 'step.started'), 1, `${record.id} ran its step once`);
    }
    // Each worker took part: the queue spread the runs.
    for (const spawned of workers) spawned.child.kill('SIGTERM');
    const finished = await Promise.all(
      workers.map(async (spawned) => {
        assert.equal(await spawned.exited, 0, spawned.output());
        return Number(/drained: (\d+) run/.exec(spawned.output())?.[1]);
      }),
    );
    assert.equal(finished.reduce((a, b) => a + b, 0), 300, `runs per worker: ${finished.join(', ')}`);
    assert.ok(finished.every((n) => n > 0), `runs per worker: ${finished.join(', ')}`);

    // The server dies and another starts: it lists the runs and serves their state from Redis.
    await server.close();
    const second = await suite.serve(folder.dir);
    const listed = await api<{ runs: { id: string; status: string }[] }>(second.url, 'GET', '/v1/runs?limit=1000');
    assert.equal(listed.body.runs.length, 300);
    assert.ok(listed.body.runs.every((run) => run.status === 'succeeded'));
    const one = await api<{ status: string; steps: Record<string, { status: string }> }>(second.url, 'GET', `/v1/runs/${records[7].id}`);
    assert.equal(one.body.status, 'succeeded');
    assert.equal(one.body.steps.a.status, 'succeeded');
  });

  test('kill -9 of a worker mid-run: its runs finish on another worker with no repeated model call for finished steps', async () => {
    const fake = await startFakeOpenAI({ apiKey: 'sk-test-key', chunkDelayMs: 60, reply: 'one two three four five six' });
    suite.cleanup(() => fake.close());
    const folder = tempFolder({ 'three.workflow.yaml': THREE_STEPS, 'orchestrate.config.json': JSON.stringify({ providers: [{ name: 'openai', baseURL: fake.url }] }) });
    suite.cleanup(folder.remove);
    const server = await suite.serve(folder.dir);
    const env = { OPENAI_API_KEY: 'sk-test-key' };
    const doomed = await worker(folder.dir, ['--cache', 'off', '--concurrency', '6', '--lock-ms', '1000'], env);
    const records = await startRuns(server, 'three.workflow.yaml', 6);
    // Wait until every run has finished a step and none has finished all three.
    await Promise.all(records.map((record) => new Promise<void>((resolve) => record.subscribe(0, (event) => event.type === 'step.completed' && resolve()))));
    doomed.child.kill('SIGKILL');
    assert.equal(await doomed.exited, null);
    const finishedBeforeKill = new Map(records.map((record) => [record.id, record.events.filter((e) => e.type === 'step.completed').map((e) => (e as { stepId: string }).stepId)]));
    await worker(folder.dir, ['--cache', 'off', '--concurrency', '6', '--lock-ms', '1000'], env);
    await Promise.all(records.map((record) => record.whenEnded()));

    const calls = new Map<string, number>();
    for (const request of fake.requests) {
      const prompt = request.body?.messages.at(-1)?.content ?? '';
      calls.set(prompt, (calls.get(prompt) ?? 0) + 1);
    }
    let restored = 0;
    for (const [index, record] of records.entries()) {
      assert.equal(record.state.status, 'succeeded', `${record.id}: ${JSON.stringify(record.state.error)}`);
      const starts = record.events.filter((event) => event.type === 'run.started');
      assert.equal(starts.length, 2, 'the run was delivered again after its worker died');
      assert.equal((starts[1] as { resumedFrom?: string }).resumedFrom, record.id);
      for (const stepId of finishedBeforeKill.get(record.id)!) {
        assert.equal(calls.get(`step ${stepId} for ${index}`), 1, `step ${stepId} of run ${index} finished before the kill and was not called again`);
        restored++;
      }
      for (const stepId of ['a', 'b', 'c']) assert.ok((calls.get(`step ${stepId} for ${index}`) ?? 0) >= 1);
    }
    assert.ok(restored >= records.length);
  });

  test('a 600 rpm budget shared by 3 workers: the achieved rate is within 5% of it, with no 429', async () => {
    const rpm = 600;
    const fake = await startFakeOpenAI({ apiKey: 'sk-test-key', rpm, reply: 'ok' });
    suite.cleanup(() => fake.close());
    const folder = tempFolder({ 'one.workflow.yaml': ONE_STEP, 'orchestrate.config.json': JSON.stringify({ providers: [{ name: 'openai', baseURL: fake.url, rpm }] }) });
    suite.cleanup(folder.remove);
    const server = await suite.serve(folder.dir);
    const env = { OPENAI_API_KEY: 'sk-test-key' };
    await Promise.all([0, 1, 2].map(() => worker(folder.dir, ['--cache', 'off', '--concurrency', '20'], env)));
    const total = 130;
    const records = await startRuns(server, 'one.workflow.yaml', total);
    await Promise.all(records.map((record) => record.whenEnded()));
    for (const record of records) assert.equal(record.state.status, 'succeeded', JSON.stringify(record.state.error));
    assert.equal(fake.stats.rateLimited, 0, 'no request was refused with a 429');
    const times = fake.requests.filter((request) => request.path.endsWith('/chat/completions')).map((request) => request.receivedAt).sort((a, b) => a - b);
    assert.equal(times.length, total);
    // Past the bucket's first burst, requests arrive at the budget's rate.
    const steady = times.slice(10);
    const perMinute = ((steady.length - 1) / (steady.at(-1)! - steady[0])) * 60_000;
    assert.ok(Math.abs(perMinute - rpm) / rpm <= 0.05, `achieved ${perMinute.toFixed(1)} rpm against a budget of ${rpm}`);
  });

  test('SIGTERM drains a worker: the runs it holds finish there, the rest wait for another worker, nothing is lost', async () => {
    const folder = tempFolder({ 'three.workflow.yaml': THREE_STEPS });
    suite.cleanup(folder.remove);
    const server = await suite.serve(folder.dir);
    const first = await worker(folder.dir, ['--mock', '--mock-delay', '200', '--cache', 'off', '--concurrency', '3']);
    const records = await startRuns(server, 'three.workflow.yaml', 8);
    const held = await new Promise<RunRecord[]>((resolve) => {
      const started = new Set<RunRecord>();
      for (const record of records) record.subscribe(0, (event) => event.type === 'run.started' && started.add(record).size === 3 && resolve([...started]));
    });
    first.child.kill('SIGTERM');
    assert.equal(await first.exited, 0, first.output());
    for (const record of held) assert.equal(record.state.status, 'succeeded', 'a run held at SIGTERM finished on its worker');
    assert.ok(records.some((record) => record.state.status === 'queued'), 'runs not yet taken stay queued');
    await worker(folder.dir, ['--mock', '--cache', 'off']);
    await Promise.all(records.map((record) => record.whenEnded()));
    for (const record of records) {
      assert.equal(record.state.status, 'succeeded');
      assert.equal(count(record.events, 'run.started'), 1, `${record.id} ran exactly once`);
    }
  });

  test('cancel: a queued run is cancelled before any worker takes it; a running one is stopped by its worker', async () => {
    const folder = tempFolder({ 'three.workflow.yaml': THREE_STEPS });
    suite.cleanup(folder.remove);
    const server = await suite.serve(folder.dir);
    const [queued] = await startRuns(server, 'three.workflow.yaml', 1);
    const cancelled = await api(server.url, 'POST', `/v1/runs/${queued.id}/cancel`);
    assert.equal(cancelled.status, 202);
    await queued.whenEnded();
    assert.equal(queued.state.status, 'cancelled');
    await worker(folder.dir, ['--mock', '--mock-delay', '300', '--cache', 'off']);
    const [running] = await startRuns(server, 'three.workflow.yaml', 1);
    await new Promise<void>((resolve) => running.subscribe(0, (event) => event.type === 'step.started' && resolve()));
    assert.equal((await api(server.url, 'POST', `/v1/runs/${running.id}/cancel`)).status, 202);
    await running.whenEnded();
    assert.equal(running.state.status, 'cancelled');
    assert.equal(queued.events.filter((event) => event.type === 'run.started').length, 0, 'the queued run never started');
  });
});
