/** The HTTP API in the embedded mode: real requests to a real server on a free port. */
import assert from 'node:assert/strict';
import { spawn } from 'node:child_process';
import { readFileSync, symlinkSync } from 'node:fs';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import { main, type Io } from '../../../src/cli/main';
import { readTrace } from '../../../src/engine/trace';
import type { ServedRunState } from '../../../src/serve/run-state';
import { startServer, type RunningServer } from '../../../src/serve/server';
import { api, readEvents, tempFolder, waitForEnd } from './helpers';

const GREET = `name: greet
inputs:
  who: { type: string, required: true, description: the person to greet }
  times: { type: number, default: 1 }
  tone: { type: string, choices: [warm, dry], default: warm }
steps:
  - id: hello
    prompt: "Say hello to {{ inputs.who }}, {{ inputs.times }} times, {{ inputs.tone }}"
  - id: done
    set: "{{ steps.hello.output }}"
outputs:
  greeting: "{{ steps.done.output }}"
`;

const SLOW = `name: slow
steps:
  - id: one
    prompt: first
  - id: two
    prompt: second
`;

describe('serve (embedded): the HTTP API', () => {
  let server: RunningServer;
  let folder: ReturnType<typeof tempFolder>;

  before(async () => {
    folder = tempFolder({ 'greet.workflow.yaml': GREET, 'nested/slow.workflow.yaml': SLOW, 'broken.workflow.yaml': 'name: broken\nsteps: nope\n', '.env': 'OPENAI_API_KEY=not-a-workflow\n' });
    symlinkSync('/etc/hostname', path.join(folder.dir, 'escape.yaml'));
    server = await startServer({ root: folder.dir, port: 0, mock: true, mockDelayMs: 20, env: {}, log: () => undefined });
  });
  after(async () => {
    await server.close({ cancel: true });
    folder.remove();
  });

  test('POST /v1/runs starts a run: 201 with its id; GET shows its state, outputs and per-step results', async () => {
    const created = await api<{ id: string }>(server.url, 'POST', '/v1/runs', { workflow: 'greet.workflow.yaml', inputs: { who: 'Ada' } });
    assert.equal(created.status, 201);
    assert.match(created.body.id, /^\d{4}-/);
    assert.equal(created.headers.get('location'), `/v1/runs/${created.body.id}`);
    const state = await waitForEnd(server.url, created.body.id);
    assert.equal(state.status, 'succeeded');
    assert.equal(state.workflow, 'greet.workflow.yaml');
    assert.match(String(state.outputs?.greeting), /Say hello to Ada, 1 times, warm/);
    assert.deepEqual(Object.keys(state.steps), ['hello', 'done']);
    assert.equal(state.steps.hello.status, 'succeeded');
    assert.equal(state.steps.hello.attempts, 1);
    assert.equal(state.steps.hello.visits, 1);
    assert.ok(state.steps.hello.usage!.totalTokens > 0);
    assert.equal(typeof state.durationMs, 'number');
    assert.equal(typeof state.startedAt, 'number');

    const listed = await api<{ runs: ServedRunState[] }>(server.url, 'GET', '/v1/runs');
    assert.ok(listed.body.runs.some((run) => run.id === created.body.id));
  });

  test('the run is recorded as the CLI records it: its trace is served as JSONL and is the file in .orchestrate/runs', async () => {
    const created = await api<{ id: string }>(server.url, 'POST', '/v1/runs', { workflow: 'greet.workflow.yaml', inputs: { who: 'Bo' } });
    await waitForEnd(server.url, created.body.id);
    const trace = await api<string>(server.url, 'GET', `/v1/runs/${created.body.id}/trace`);
    assert.equal(trace.status, 200);
    assert.match(trace.headers.get('content-type') ?? '', /ndjson/);
    const lines = String(trace.body).trim().split('\n').map((line) => JSON.parse(line) as { type: string; runId: string });
    assert.equal(lines[0].type, 'run.started');
    assert.equal(lines[0].runId, created.body.id);
    assert.equal(lines.at(-1)!.type, 'run.completed');
    const file = path.join(folder.dir, '.orchestrate', 'runs', 'greet', `${created.body.id}.jsonl`);
    const read = await readTrace(file);
    assert.equal(read.end?.type, 'run.completed');
  });

  test('events: SSE from the start, or after Last-Event-ID, numbered from 1 and ending with the run', async () => {
    const created = await api<{ id: string }>(server.url, 'POST', '/v1/runs', { workflow: 'nested/slow.workflow.yaml' });
    const live = await readEvents(server.url, created.body.id);
    assert.deepEqual(live.map((event) => event.id), live.map((_, i) => i + 1));
    assert.equal(live[0].event, 'run.started');
    assert.equal(live.at(-1)!.event, 'run.completed');
    assert.ok(live.every((event) => event.event === event.data.type));
    const rest = await readEvents(server.url, created.body.id, 3);
    assert.deepEqual(rest, live.slice(3));
    assert.deepEqual(await readEvents(server.url, created.body.id, live.length), []);
  });

  test('cancel stops a running run; cancelling an ended run is a 409', async () => {
    const slowServer = await startServer({ root: folder.dir, port: 0, mock: true, mockDelayMs: 2000, env: {}, log: () => undefined });
    try {
      const created = await api<{ id: string }>(slowServer.url, 'POST', '/v1/runs', { workflow: 'nested/slow.workflow.yaml' });
      const record = (await slowServer.backend.find(created.body.id))!;
      await new Promise<void>((resolve) => record.subscribe(0, (event) => event.type === 'step.started' && resolve()));
      assert.equal((await api(slowServer.url, 'POST', `/v1/runs/${created.body.id}/cancel`)).status, 202);
      const state = await waitForEnd(slowServer.url, created.body.id);
      assert.equal(state.status, 'cancelled');
      const again = await api<{ error: { code: string } }>(slowServer.url, 'POST', `/v1/runs/${created.body.id}/cancel`);
      assert.equal(again.status, 409);
      assert.equal(again.body.error.code, 'run-ended');
    } finally {
      await slowServer.close({ cancel: true });
    }
  });

  test('bad requests get clear 4xx errors with stable codes, naming the input', async () => {
    const cases: [unknown, number, string, string?][] = [
      [{ workflow: 'nope.workflow.yaml' }, 404, 'workflow-not-found'],
      [{ workflow: '../outside.workflow.yaml' }, 400, 'workflow-outside'],
      [{ workflow: '/etc/passwd' }, 400, 'workflow-outside'],
      [{ workflow: 'escape.yaml' }, 400, 'workflow-outside'],
      [{ workflow: '.env' }, 404, 'workflow-not-found'],
      [{ workflow: 'broken.workflow.yaml' }, 422, 'workflow-invalid'],
      [{ workflow: 'greet.workflow.yaml' }, 422, 'missing-input', 'who'],
      [{ workflow: 'greet.workflow.yaml', inputs: { who: 5 } }, 422, 'invalid-input', 'who'],
      [{ workflow: 'greet.workflow.yaml', inputs: { who: 'x', times: 'many' } }, 422, 'invalid-input', 'times'],
      [{ workflow: 'greet.workflow.yaml', inputs: { who: 'x', tone: 'loud' } }, 422, 'invalid-input', 'tone'],
      [{ workflow: 'greet.workflow.yaml', inputs: { who: 'x', constructor: 1 } }, 422, 'unknown-input', 'constructor'],
      [{ workflow: 'greet.workflow.yaml', inputs: { who: 'x', toString: 1 } }, 422, 'unknown-input', 'toString'],
      [{ workflow: 'greet.workflow.yaml', inputs: [] }, 400, 'invalid-request'],
      [{ inputs: {} }, 400, 'invalid-request'],
      [{ workflow: 'greet.workflow.yaml', extra: 1 }, 400, 'invalid-request'],
      ['{"workflow": ', 400, 'invalid-request'],
      ['{"workflow":"greet.workflow.yaml","inputs":{"__proto__":{"who":"x"}}}', 400, 'invalid-request'],
    ];
    for (const [body, status, code, input] of cases) {
      const response = await api<{ error: { code: string; message: string; input?: string } }>(server.url, 'POST', '/v1/runs', body);
      assert.equal(response.status, status, `${JSON.stringify(body)} → ${JSON.stringify(response.body)}`);
      assert.equal(response.body.error.code, code, JSON.stringify(body));
      if (input) {
        assert.equal(response.body.error.input, input);
        assert.match(response.body.error.message, new RegExp(`\`${input}\``));
      }
      assert.doesNotMatch(response.body.error.message, /must NOT|must have required|should be|not-a-workflow/);
    }
    const broken = await api<{ error: { problems: string[] } }>(server.url, 'POST', '/v1/runs', { workflow: 'broken.workflow.yaml' });
    assert.match(broken.body.error.problems[0], /broken\.workflow\.yaml:2:\d+: schema: /);
    assert.equal((await api(server.url, 'GET', '/v1/runs/no-such-run')).status, 404);
    assert.equal((await api(server.url, 'GET', '/v1/runs/no-such-run/events')).status, 404);
  });

  test('step ids like `constructor` and `__proto__` are data in the served state', async () => {
    const hostile = tempFolder({ 'proto.workflow.yaml': 'name: proto\nsteps:\n  - id: constructor\n    set: 1\n  - id: __proto__\n    set: 2\n  - id: toString\n    set: 3\n' });
    const local = await startServer({ root: hostile.dir, port: 0, mock: true, env: {}, log: () => undefined });
    try {
      const created = await api<{ id: string }>(local.url, 'POST', '/v1/runs', { workflow: 'proto.workflow.yaml' });
      const state = await waitForEnd(local.url, created.body.id);
      assert.equal(state.status, 'succeeded');
      assert.deepEqual(Object.keys(state.steps).sort(), ['__proto__', 'constructor', 'toString']);
      assert.equal(state.steps['constructor' as string].output, 1);
      assert.equal((Object.getOwnPropertyDescriptor(state.steps, '__proto__')?.value as { output: unknown }).output, 2);
      assert.equal(state.steps['toString' as string].output, 3);
    } finally {
      await local.close();
      hostile.remove();
    }
  });

  test('hostile workflow paths never reach outside the folder', async () => {
    await fc.assert(
      fc.asyncProperty(fc.oneof(fc.string(), fc.constantFrom('..', '../', '..%2f', 'a/../../b.yaml', '\0.yaml', 'nested/../../x.yaml', '~/.ssh/id_rsa', 'C:\\x.yaml')), async (name) => {
        const response = await api<{ error?: { code: string } }>(server.url, 'POST', '/v1/runs', { workflow: name });
        assert.ok([400, 404, 422].includes(response.status), `${JSON.stringify(name)} → ${response.status}`);
      }),
      { numRuns: 60 },
    );
  });

  test('GET /openapi.json describes the API', async () => {
    const spec = await api<{ openapi: string; paths: Record<string, unknown> }>(server.url, 'GET', '/openapi.json');
    assert.equal(spec.status, 200);
    assert.match(spec.body.openapi, /^3\./);
    for (const route of ['/v1/runs', '/v1/runs/{id}', '/v1/runs/{id}/events', '/v1/runs/{id}/cancel', '/v1/runs/{id}/trace']) assert.ok(route in spec.body.paths, route);
  });
});

describe('orchestrate serve, the command', () => {
  test('prints `listening on http://HOST:PORT` when ready (--port 0 picks a free port) and stops on SIGTERM', async () => {
    const folder = tempFolder({ 'greet.workflow.yaml': GREET });
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '../../support/cli-entry.ts'), 'serve', folder.dir, '--port', '0', '--mock'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /^listening on (http:\/\/127\.0\.0\.1:\d+)\n/m.exec(out);
          if (match) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${out}`)));
      });
      const created = await api<{ id: string }>(url, 'POST', '/v1/runs', { workflow: 'greet.workflow.yaml', inputs: { who: 'Cy' } });
      assert.equal((await waitForEnd(url, created.body.id)).status, 'succeeded');
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGTERM');
      assert.equal(await exited, 0);
    } finally {
      child.kill('SIGKILL');
      folder.remove();
    }
  });

  test('when the server dies (kill -9) its run is left interrupted: a new server shows it so, and `orchestrate resume` continues it without repeating finished steps', async () => {
    const folder = tempFolder({ 'nested/slow.workflow.yaml': SLOW });
    const child = spawn(process.execPath, ['--import', 'tsx', path.resolve(__dirname, '../../support/cli-entry.ts'), 'serve', folder.dir, '--port', '0', '--mock', '--mock-delay', '400'], { stdio: ['ignore', 'pipe', 'pipe'] });
    try {
      const url = await new Promise<string>((resolve, reject) => {
        let out = '';
        child.stdout.on('data', (chunk: Buffer) => {
          out += chunk.toString();
          const match = /^listening on (\S+)\n/m.exec(out);
          if (match) resolve(match[1]);
        });
        child.once('exit', (code) => reject(new Error(`serve exited (${code}): ${out}`)));
      });
      const created = await api<{ id: string }>(url, 'POST', '/v1/runs', { workflow: 'nested/slow.workflow.yaml' });
      // Follow the events until the first step has finished, then kill the server.
      const response = await fetch(`${url}/v1/runs/${created.body.id}/events`);
      const reader = response.body!.getReader();
      let seen = '';
      while (!seen.includes('event: step.completed')) seen += new TextDecoder().decode((await reader.read()).value);
      const exited = new Promise((resolve) => child.once('exit', resolve));
      child.kill('SIGKILL');
      await exited;

      // The trace holds what reached the disk before the kill: the finished steps it records are what a resume restores.
      const traceFile = path.join(folder.dir, '.orchestrate', 'runs', 'slow', `${created.body.id}.jsonl`);
      const finished = readFileSync(traceFile, 'utf8')
        .split('\n')
        .filter((line) => line.includes('"type":"step.completed"'))
        .map((line) => (JSON.parse(line) as { stepId: string }).stepId);
      const again = await startServer({ root: folder.dir, port: 0, mock: true, env: {}, log: () => undefined });
      try {
        const state = await api<ServedRunState>(again.url, 'GET', `/v1/runs/${created.body.id}`);
        assert.equal(state.status, 200);
        assert.equal(state.body.status, 'interrupted');
        for (const stepId of ['one', 'two']) assert.equal(state.body.steps[stepId].status === 'succeeded', finished.includes(stepId), `${stepId}: ${state.body.steps[stepId].status}`);
      } finally {
        await again.close();
      }
      let err = '';
      const io: Io = { out: () => undefined, err: (text) => (err += text), color: false, env: {}, cwd: folder.dir };
      assert.equal(await main(['resume', created.body.id, '--mock', '--traces', path.join(folder.dir, '.orchestrate')], io), 0, err);
      assert.match(err, new RegExp(`resuming run ${created.body.id}: ${finished.length} finished step execution`));
    } finally {
      child.kill('SIGKILL');
      folder.remove();
    }
  });

  test('worker without --redis is a usage error', async () => {
    let err = '';
    const io: Io = { out: () => undefined, err: (text) => (err += text), color: false, env: {}, cwd: process.cwd() };
    assert.equal(await main(['worker', '.'], io), 2);
    assert.match(err, /a worker needs --redis URL/);
  });
});

describe('serve: auth off loopback', () => {
  test('refuses to listen off loopback without ORCHESTRATE_SERVE_TOKEN', async () => {
    const folder = tempFolder({ 'greet.workflow.yaml': GREET });
    try {
      let err = '';
      const io: Io = { out: () => undefined, err: (text) => (err += text), color: false, env: {}, cwd: folder.dir };
      assert.equal(await main(['serve', '.', '--host', '0.0.0.0', '--port', '0'], io), 2);
      assert.match(err, /refusing to listen on 0\.0\.0\.0 without a token: set ORCHESTRATE_SERVE_TOKEN/);
    } finally {
      folder.remove();
    }
  });

  test('with a token, every request needs it as a bearer token', async () => {
    const folder = tempFolder({ 'greet.workflow.yaml': GREET });
    const token = 'serve-token-0123456789';
    const server = await startServer({ root: folder.dir, host: '0.0.0.0', port: 0, token, mock: true, env: {}, log: () => undefined });
    const base = server.url.replace('0.0.0.0', '127.0.0.1');
    try {
      for (const headers of [{} as Record<string, string>, { authorization: 'Bearer wrong' }, { authorization: token }, { authorization: `Bearer ${token}x` }]) {
        const response = await api<{ error: { code: string } }>(base, 'GET', '/v1/runs', undefined, headers);
        assert.equal(response.status, 401, JSON.stringify(headers));
        assert.equal(response.body.error.code, 'unauthorized');
      }
      assert.equal((await api(base, 'GET', '/openapi.json')).status, 401);
      const auth = { authorization: `Bearer ${token}` };
      const created = await api<{ id: string }>(base, 'POST', '/v1/runs', { workflow: 'greet.workflow.yaml', inputs: { who: 'x' } }, auth);
      assert.equal(created.status, 201);
      assert.equal((await waitForEnd(base, created.body.id, auth)).status, 'succeeded');
    } finally {
      await server.close({ cancel: true });
      folder.remove();
    }
  });
});
