/**
 * The embedded mode's history and streams: `GET /v1/runs` lists the trace store
 * (past servers' runs and `orchestrate run`'s too), a page at a time and by status;
 * `?deltas=1` adds the streamed text to a run's events, from the start or live.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { main, type Io } from '../../../src/cli/main';
import type { ServedRunState } from '../../../src/serve/run-state';
import { startServer, type RunningServer } from '../../../src/serve/server';
import { api, checkDeltaStream, readStream, tempFolder, waitForEnd, WORDS, type Page } from './helpers';


describe('serve (embedded): every run in the trace store, pages, statuses and deltas', () => {
  let folder: ReturnType<typeof tempFolder>;
  let server: RunningServer;
  const earlier: string[] = [];

  before(async () => {
    folder = tempFolder({ 'words.workflow.yaml': WORDS });
    // Runs of an earlier server on the folder, and one of `orchestrate run`.
    const first = await startServer({ root: folder.dir, port: 0, mock: true, env: {}, log: () => undefined });
    for (let n = 0; n < 4; n++) {
      const created = await api<{ id: string }>(first.url, 'POST', '/v1/runs', { workflow: 'words.workflow.yaml', inputs: { n } });
      await waitForEnd(first.url, created.body.id);
      earlier.push(created.body.id);
    }
    await first.close();
    let out = '';
    let err = '';
    const io: Io = { out: (text) => (out += text), err: (text) => (err += text), color: false, env: {}, cwd: folder.dir };
    assert.equal(await main(['run', path.join(folder.dir, 'words.workflow.yaml'), '--mock', '--json', '--traces', path.join(folder.dir, '.orchestrate')], io), 0, err);
    earlier.push((JSON.parse(out) as { runId: string }).runId);
    server = await startServer({ root: folder.dir, port: 0, mock: true, mockDelayMs: 30, env: {}, log: () => undefined });
  });
  after(async () => {
    await server.close({ cancel: true });
    folder.remove();
  });

  async function all(query = ''): Promise<ServedRunState[]> {
    return (await api<Page>(server.url, 'GET', `/v1/runs?limit=1000${query}`)).body.runs;
  }

  test('after a restart, GET /v1/runs lists the earlier server\'s runs and `orchestrate run`\'s, newest first', async () => {
    const runs = await all();
    assert.deepEqual(runs.map((run) => run.id).sort(), [...earlier].sort());
    assert.ok(runs.every((run) => run.status === 'succeeded' && run.workflow === 'words.workflow.yaml' && run.steps.a.status === 'succeeded'));
    const starts = runs.map((run) => run.startedAt!);
    assert.deepEqual(starts, [...starts].sort((a, b) => b - a));
  });

  test('pages: following nextCursor with any limit visits every run once, in order, however runs start meanwhile', async () => {
    const created = await api<{ id: string }>(server.url, 'POST', '/v1/runs', { workflow: 'words.workflow.yaml' });
    await waitForEnd(server.url, created.body.id);
    assert.equal((await all())[0].id, created.body.id, 'the newest run comes first');
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 7 }), async (limit) => {
        const whole = (await all()).map((run) => run.id);
        const seen: string[] = [];
        let cursor: string | undefined;
        let pages = 0;
        do {
          const page = await api<Page>(server.url, 'GET', `/v1/runs?limit=${limit}${cursor ? `&cursor=${encodeURIComponent(cursor)}` : ''}`);
          assert.equal(page.status, 200);
          assert.ok(page.body.runs.length <= limit);
          seen.push(...page.body.runs.map((run) => run.id));
          cursor = page.body.nextCursor;
          // A run started between pages is newer than the cursor: it never shifts the pages after it.
          if (pages++ === 0) await api(server.url, 'POST', '/v1/runs', { workflow: 'words.workflow.yaml' });
        } while (cursor);
        assert.deepEqual(seen, whole);
      }),
      { numRuns: 6 },
    );
  });

  test('status filters: one status or several; a running run is listed as running', async () => {
    const slow = await startServer({ root: folder.dir, port: 0, mock: true, mockDelayMs: 5000, env: {}, log: () => undefined });
    try {
      const created = await api<{ id: string }>(slow.url, 'POST', '/v1/runs', { workflow: 'words.workflow.yaml' });
      const record = (await slow.backend.find(created.body.id))!;
      await new Promise<void>((resolve) => record.subscribe(0, (event) => event.type === 'step.started' && resolve()));
      // The other server's runs in flight are in the same store, so they are listed too.
      const running = (await api<Page>(slow.url, 'GET', '/v1/runs?status=running')).body.runs;
      assert.ok(running.some((run) => run.id === created.body.id));
      assert.ok(running.every((run) => run.status === 'running'));
      const ended = (await api<Page>(slow.url, 'GET', '/v1/runs?status=succeeded,failed&limit=1000')).body.runs;
      assert.ok(ended.length >= earlier.length && ended.every((run) => run.status === 'succeeded'));
      assert.ok(!ended.some((run) => run.id === created.body.id));
    } finally {
      await slow.close({ cancel: true });
    }
    // Cancelled when its server closed: the other server lists it so, from the trace.
    const cancelled = await all('&status=cancelled');
    assert.deepEqual(cancelled.map((run) => run.status), ['cancelled']);
    assert.equal(cancelled[0].steps.a.status, 'cancelled');
  });

  test('a bad cursor, status or limit is a 400 that says what to send', async () => {
    for (const [query, code, words] of [
      ['cursor=nonsense', 'invalid-cursor', /nextCursor/],
      [`cursor=${Buffer.from('["x","y"]').toString('base64url')}`, 'invalid-cursor', /nextCursor/],
      ['status=done', 'invalid-request', /`status` takes queued, running.*not `done`/],
      ['status=__proto__', 'invalid-request', /not `__proto__`/],
      ['limit=0', 'invalid-request', /limit/],
      ['limit=1001', 'invalid-request', /limit/],
      ['limit=2.5', 'invalid-request', /limit/],
      ['colour=red', 'invalid-request', /unknown field `colour`/],
    ] as const) {
      const response = await api<{ error: { code: string; message: string } }>(server.url, 'GET', `/v1/runs?${query}`);
      assert.equal(response.status, 400, query);
      assert.equal(response.body.error.code, code, query);
      assert.match(response.body.error.message, words, query);
    }
  });

  test('?deltas=1 streams the model calls\' text between the events, live or from the start, and Last-Event-ID resumes on a delta', async () => {
    const created = await api<{ id: string }>(server.url, 'POST', '/v1/runs', { workflow: 'words.workflow.yaml', inputs: { n: 7 } });
    const live = await readStream(server.url, created.body.id, { deltas: true });
    checkDeltaStream(live);
    const deltas = live.filter((event) => event.event === 'step.delta');
    assert.ok(deltas.length >= 4, `deltas: ${deltas.length}`);
    assert.deepEqual(await readStream(server.url, created.body.id, { deltas: true }), live, 'from the start after the end: the same stream');
    const without = await readStream(server.url, created.body.id);
    assert.deepEqual(without, live.filter((event) => event.event !== 'step.delta'), 'without deltas: the events alone, numbered as before');
    for (const at of [1, Math.floor(live.length / 2), live.indexOf(deltas[2])]) {
      assert.deepEqual(await readStream(server.url, created.body.id, { deltas: true, lastEventId: live[at].id }), live.slice(at + 1), `after ${live[at].id}`);
    }
    // A delta's id without deltas asked resumes after its event.
    const [event] = deltas[0].id.split('.');
    assert.deepEqual(await readStream(server.url, created.body.id, { lastEventId: deltas[0].id }), without.slice(Number(event)));
    const bad = await api<{ error: { code: string } }>(server.url, 'GET', `/v1/runs/${created.body.id}/events?deltas=maybe`);
    assert.equal(bad.status, 400);
  });

  test('/openapi.json describes the listing\'s cursor and status, and the events\' deltas', async () => {
    const spec = await api<{ paths: Record<string, { get: { parameters: { name: string }[] } }> }>(server.url, 'GET', '/openapi.json');
    const names = (route: string) => spec.body.paths[route].get.parameters.map((parameter) => parameter.name);
    assert.deepEqual(names('/v1/runs').sort(), ['cursor', 'limit', 'status']);
    assert.ok(names('/v1/runs/{id}/events').includes('deltas'));
    assert.ok(names('/v1/runs/{id}/events').includes('last-event-id'));
    assert.match(JSON.stringify(spec.body.paths['/v1/runs']), /nextCursor/);
  });
});

