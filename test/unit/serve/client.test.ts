/** The editor's client of `orchestrate serve` (src/serve/client.ts), against a real server on a free loopback port. */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { createServer, type Server } from 'node:http';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { RunEvent } from '../../../src/engine';
import { TraceFormatError } from '../../../src/engine/trace';
import { parseServerUrl, ServeClient, ServeClientError } from '../../../src/serve/client';
import { startServer, type RunningServer } from '../../../src/serve/server';
import { freePort, tempFolder, waitForEnd } from './helpers';

const TWO_STEPS = `name: two steps
inputs:
  topic: { type: string, default: otters }
steps:
  - id: one
    prompt: "Write about {{ inputs.topic }}"
  - id: two
    prompt: "Polish: {{ steps.one.output }}"
`;

const FAILING = `name: failing
steps:
  - id: one
    prompt: first
  - id: two
    prompt: second
    mock: { $error: "down" }
`;

async function listening(server: Server): Promise<string> {
  await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
  const address = server.address();
  return `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
}

describe('serve client', () => {
  let server: RunningServer;
  let folder: ReturnType<typeof tempFolder>;
  let client: ServeClient;

  before(async () => {
    folder = tempFolder({ 'two.workflow.yaml': TWO_STEPS, 'failing.workflow.yaml': FAILING });
    server = await startServer({ root: folder.dir, port: 0, mock: true, env: {}, log: () => undefined });
    client = new ServeClient(`${server.url}/`);
  });
  after(async () => {
    await server.close({ cancel: true });
    folder.remove();
  });

  const start = async (workflow: string): Promise<string> => {
    const response = await fetch(`${server.url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ workflow }) });
    return ((await response.json()) as { id: string }).id;
  };

  test('lists runs, reads a state and the trace — the same trace as the file in the served folder', async () => {
    const id = await start('two.workflow.yaml');
    await waitForEnd(server.url, id);
    assert.equal(client.address, server.url);
    const page = await client.listRuns({ limit: 10 });
    const listed = page.runs.find((run) => run.id === id);
    assert.equal(listed?.status, 'succeeded');
    assert.equal(listed?.workflow, 'two.workflow.yaml');
    assert.equal((await client.run(id)).steps.two.status, 'succeeded');

    const trace = await client.trace(id);
    assert.equal(trace.file, `${server.url}/v1/runs/${id}`);
    assert.equal(trace.started.runId, id);
    assert.equal(trace.end?.type, 'run.completed');
    const runs = path.join(folder.dir, '.orchestrate', 'runs');
    const file = path.join(runs, readdirSync(runs, { recursive: true, encoding: 'utf8' }).find((name) => name.endsWith(`${id}.jsonl`))!);
    const onDisk = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as RunEvent);
    assert.deepEqual(trace.events, onDisk);
  });

  test('follows events from the start or after a number, ending with the run; numbers never repeat', async () => {
    const id = await start('two.workflow.yaml');
    const seen: [string, number][] = [];
    const last = await client.follow(id, { onEvent: (event, number) => seen.push([event.type, number]) });
    assert.equal(seen[0][0], 'run.started');
    assert.equal(seen.at(-1)![0], 'run.completed');
    assert.deepEqual(seen.map(([, n]) => n), seen.map((_, i) => i + 1));
    assert.equal(last, seen.length);
    const rest: number[] = [];
    await client.follow(id, { after: 2, onEvent: (_event, number) => rest.push(number) });
    assert.deepEqual(rest, seen.slice(2).map(([, n]) => n));
  });

  test('cancels a running run (false once it ended) and resumes a failed one on the server', async () => {
    const slow = await startServer({ root: folder.dir, port: 0, mock: true, mockDelayMs: 60_000, env: {}, log: () => undefined });
    try {
      const slowClient = new ServeClient(slow.url);
      const id = await (await fetch(`${slow.url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"workflow":"two.workflow.yaml"}' })).json() as { id: string };
      const controller = new AbortController();
      const followed = slowClient.follow(id.id, {
        signal: controller.signal,
        onEvent: (event) => {
          if (event.type === 'step.started') void slowClient.cancel(id.id);
        },
      });
      await followed;
      assert.equal((await slowClient.run(id.id)).status, 'cancelled');
      assert.equal(await slowClient.cancel(id.id), false);
    } finally {
      await slow.close({ cancel: true });
    }

    const failed = await start('failing.workflow.yaml');
    await waitForEnd(server.url, failed);
    const resumed = await client.resume(failed);
    assert.notEqual(resumed.id, failed);
    const trace = await (async () => {
      await waitForEnd(server.url, resumed.id);
      return client.trace(resumed.id);
    })();
    assert.equal(trace.started.resumedFrom, failed);
  });

  test('a server that is down is one clear error, not a stack', async () => {
    const port = await freePort();
    const down = new ServeClient(`http://127.0.0.1:${port}`);
    await assert.rejects(down.listRuns(), (error: unknown) => {
      assert.ok(error instanceof ServeClientError);
      assert.equal(error.code, 'unreachable');
      assert.equal(error.message, `cannot reach http://127.0.0.1:${port}: connection refused`);
      return true;
    });
  });

  test('errors carry the server’s stable code; an unknown run is run-not-found', async () => {
    await assert.rejects(client.run('__proto__'), (error: unknown) => error instanceof ServeClientError && error.code === 'run-not-found' && error.status === 404);
    await assert.rejects(client.trace('constructor'), (error: unknown) => error instanceof ServeClientError && error.code === 'run-not-found');
  });

  test('with a token: none or a wrong one is `unauthorized`, the right one works, and no message shows it', async () => {
    const secret = 's3cret-token-value';
    const guarded = await startServer({ root: folder.dir, port: 0, mock: true, token: secret, env: {}, log: () => undefined });
    try {
      for (const token of [undefined, 'wrong-token']) {
        await assert.rejects(new ServeClient(guarded.url, { token }).listRuns(), (error: unknown) => {
          assert.ok(error instanceof ServeClientError);
          assert.equal(error.code, 'unauthorized');
          assert.ok(!error.message.includes(secret) && !error.message.includes('wrong-token'));
          return true;
        });
      }
      // The folder's whole history (the earlier server's runs too): `GET /v1/runs` lists the trace store.
      assert.ok(Array.isArray((await new ServeClient(guarded.url, { token: secret }).listRuns()).runs));
    } finally {
      await guarded.close({ cancel: true });
    }
  });

  test('tolerates what a newer server adds, skips runs it cannot read, and returns the next page’s cursor', async () => {
    let asked = '';
    const foreign = createServer((request, response) => {
      asked = request.url ?? '';
      response.setHeader('content-type', 'application/json');
      response.end(
        JSON.stringify({
          runs: [
            { id: 'a', workflow: 'x.workflow.yaml', status: 'running', steps: {}, name: 'X', host: 'worker-2' },
            { id: 'b', workflow: 'x.workflow.yaml', status: 'exploded', steps: {} },
            { id: 7, workflow: 'x.workflow.yaml', status: 'failed' },
            { id: 'c', workflow: 'y.workflow.yaml', status: 'failed', startedAt: 'yesterday' },
            null,
            'constructor',
          ],
          nextCursor: 'page-2',
          total: 99,
        }),
      );
    });
    const base = await listening(foreign);
    try {
      const page = await new ServeClient(base).listRuns({ limit: 2, status: 'running', cursor: 'page-1' });
      assert.deepEqual(page.runs.map((run) => run.id), ['a']);
      assert.equal(page.nextCursor, 'page-2');
      assert.equal(asked, '/v1/runs?limit=2&cursor=page-1&status=running');
    } finally {
      foreign.close();
    }
  });

  test('an answer that is not the API is a bad-response, worded for a person', async () => {
    const foreign = createServer((_request, response) => response.end('<html>hello</html>'));
    const base = await listening(foreign);
    try {
      await assert.rejects(new ServeClient(base).listRuns(), /is not JSON; is it an orchestrate server\?/);
      // A trace is read as a trace file is: what is not one is a trace error naming where it came from.
      await assert.rejects(new ServeClient(base).trace('x'), (error: unknown) => error instanceof TraceFormatError && error.message.startsWith(`${base}/v1/runs/x:`));
    } finally {
      foreign.close();
    }
  });

  test('server addresses: http(s) only, no credentials, query or fragment; anything else is a bad-url, never a crash', () => {
    assert.equal(parseServerUrl(' http://127.0.0.1:8787/ ').href, 'http://127.0.0.1:8787/');
    assert.equal(new ServeClient('https://runs.example.com/orchestrate/').address, 'https://runs.example.com/orchestrate');
    for (const bad of ['', 'localhost:8787', 'file:///etc/passwd', 'javascript:alert(1)', 'http://user:pw@host', 'http://h/?x=1', 'http://h/#f', 'ftp://h']) {
      assert.throws(() => parseServerUrl(bad), (error: unknown) => error instanceof ServeClientError && error.code === 'bad-url', bad);
    }
    fc.assert(
      fc.property(fc.oneof(fc.string(), fc.webUrl({ withQueryParameters: true, withFragments: true }), fc.constantFrom('__proto__', 'constructor', 'http://[::1]:0', 'http://127.0.0.1:99999')), (text) => {
        try {
          const url = parseServerUrl(text);
          return (url.protocol === 'http:' || url.protocol === 'https:') && url.search === '' && url.hash === '' && !url.pathname.endsWith('/') === (url.pathname !== '/');
        } catch (error) {
          return error instanceof ServeClientError && error.code === 'bad-url';
        }
      }),
    );
  });
});
