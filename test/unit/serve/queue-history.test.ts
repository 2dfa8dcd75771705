/**
 * The queue mode's history and streams: `GET /v1/runs` on any server lists the runs
 * every server on the Redis started, wherever they ran, a page at a time and by
 * status; `?deltas=1` streams the workers' model text, live or from the start.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { startServer } from '../../../src/serve/server';
import { api, checkDeltaStream, readStream, redisMissing, redisSuite, spawnWorker, tempFolder, waitForEnd, WORDS, type Page, type WorkerProcess } from './helpers';

const skip = redisMissing();


describe('queue mode: one history for every server, and deltas from the workers', { skip }, () => {
  const suite = redisSuite();


  async function worker(dir: string, args: string[]): Promise<WorkerProcess> {
    const spawned = await spawnWorker(dir, suite.redis.url, args);
    suite.cleanup(async () => {
      if (spawned.child.exitCode === null && spawned.child.signalCode === null) {
        spawned.child.kill('SIGKILL');
        await spawned.exited;
      }
    });
    return spawned;
  }

  test('GET /v1/runs on any server lists the runs of every server, run on either worker; pages and status filters', async () => {
    const folder = tempFolder({ 'words.workflow.yaml': WORDS });
    suite.cleanup(folder.remove);
    const [one, two] = [await suite.serve(folder.dir), await suite.serve(folder.dir)];
    await worker(folder.dir, ['--mock', '--cache', 'off']);
    await worker(folder.dir, ['--mock', '--cache', 'off']);
    const ids: string[] = [];
    for (let n = 0; n < 23; n++) {
      const created = await api<{ id: string }>(n % 2 ? one.url : two.url, 'POST', '/v1/runs', { workflow: 'words.workflow.yaml', inputs: { n } });
      ids.push(created.body.id);
    }
    for (const id of ids) assert.equal((await waitForEnd(one.url, id)).status, 'succeeded');
    // A third server, started after all of them, lists them too.
    const third = await suite.serve(folder.dir);
    for (const server of [one, two, third]) {
      const all = (await api<Page>(server.url, 'GET', '/v1/runs?limit=1000')).body;
      assert.deepEqual(all.runs.map((run) => run.id).sort(), [...ids].sort());
      assert.equal(all.nextCursor, undefined);
      for (const limit of [1, 4, 22, 23]) {
        const seen: string[] = [];
        let cursor: string | undefined;
        do {
          const page = (await api<Page>(server.url, 'GET', `/v1/runs?limit=${limit}${cursor ? `&cursor=${cursor}` : ''}`)).body;
          assert.ok(page.runs.length <= limit);
          seen.push(...page.runs.map((run) => run.id));
          cursor = page.nextCursor;
        } while (cursor);
        assert.deepEqual(seen, all.runs.map((run) => run.id), `limit ${limit}`);
      }
    }
    assert.equal((await api<Page>(third.url, 'GET', '/v1/runs?status=succeeded&limit=5')).body.runs.length, 5);
    assert.deepEqual((await api<Page>(third.url, 'GET', '/v1/runs?status=failed,cancelled,queued,running')).body.runs, []);
  });

  test('the server stops mid-run: the runs go on on the workers, and a server started again serves them from Redis', async () => {
    const folder = tempFolder({ 'words.workflow.yaml': WORDS });
    suite.cleanup(folder.remove);
    const server = await startServer({ root: folder.dir, port: 0, redisUrl: suite.redis.url, env: {}, log: () => undefined });
    await worker(folder.dir, ['--mock', '--mock-delay', '300', '--cache', 'off']);
    const ids: string[] = [];
    for (let n = 0; n < 3; n++) ids.push((await api<{ id: string }>(server.url, 'POST', '/v1/runs', { workflow: 'words.workflow.yaml', inputs: { n } })).body.id);
    const record = (await server.backend.find(ids[0]))!;
    await new Promise<void>((resolve) => record.subscribe(0, (event) => event.type === 'step.started' && resolve()));
    await server.close();
    const again = await suite.serve(folder.dir);
    for (const id of ids) {
      const state = await waitForEnd(again.url, id);
      assert.equal(state.status, 'succeeded');
      const events = await readStream(again.url, id);
      assert.equal(events.filter((event) => event.event === 'run.started').length, 1, 'each run ran once, on its worker');
    }
  });

  test('?deltas=1: the workers\' streamed text comes between the events, live or from the start, on any server, and Last-Event-ID resumes on a delta', async () => {
    const folder = tempFolder({ 'words.workflow.yaml': WORDS });
    suite.cleanup(folder.remove);
    const server = await suite.serve(folder.dir);
    await worker(folder.dir, ['--mock', '--mock-delay', '100', '--cache', 'off']);
    const created = await api<{ id: string }>(server.url, 'POST', '/v1/runs', { workflow: 'words.workflow.yaml', inputs: { n: 3 } });
    const live = await readStream(server.url, created.body.id, { deltas: true });
    checkDeltaStream(live);
    // A worker sends text in batches, however many there are: each model step's text comes before its end.
    const deltas = live.filter((event) => event.event === 'step.delta');
    assert.deepEqual([...new Set(deltas.map((event) => event.data.stepId))], ['a', 'b']);
    const other = await suite.serve(folder.dir);
    assert.deepEqual(await readStream(other.url, created.body.id, { deltas: true }), live, 'another server reads the same stream from Redis');
    assert.deepEqual(await readStream(other.url, created.body.id), live.filter((event) => event.event !== 'step.delta'));
    const at = live.indexOf(deltas[1]);
    assert.deepEqual(await readStream(other.url, created.body.id, { deltas: true, lastEventId: live[at].id }), live.slice(at + 1));
  });
});
