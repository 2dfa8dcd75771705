/** A server's runs in the editor: as the runs view lists them, and as the panel reads and follows them, against a real server. */
import assert from 'node:assert/strict';
import { after, before, describe, test } from 'node:test';
import fc from 'fast-check';
import type { RunEvent } from '../../../src/engine';
import { ServeClient } from '../../../src/serve/client';
import type { ServedRunState } from '../../../src/serve/run-state';
import { startServer, type RunningServer } from '../../../src/serve/server';
import { followAfterTrace, loadServerRun, type ServerRunSource } from '../../../src/extension/server/server-run-content';
import { isServerRun, parseServerRunLocation, serverLabel, serverRunLocation, serverRunSummary, workflowLabel } from '../../../src/extension/server/server-runs';
import { tempFolder, waitForEnd } from '../serve/helpers';

const TWO_STEPS = `name: two steps
steps:
  - id: one
    prompt: first
  - id: two
    prompt: second
`;

describe('server runs as the runs view lists them', () => {
  test('a served state becomes a run summary whose file is the run’s URL; queued and paused count as going on', () => {
    const state: ServedRunState = {
      id: '2026-12-01T10-00-00-000Z-abcd',
      workflow: 'reports/weekly.workflow.yaml',
      status: 'failed',
      steps: {},
      usage: { inputTokens: 3, outputTokens: 4, totalTokens: 7 },
      costUsd: 0.5,
      startedAt: 1000,
      durationMs: 20,
      error: { code: 'rate-limit', message: 'first line\nsecond line' },
    };
    const summary = serverRunSummary('http://127.0.0.1:8787', state);
    assert.deepEqual(summary, {
      id: state.id,
      workflow: 'weekly',
      workflowFile: 'http://127.0.0.1:8787/reports/weekly.workflow.yaml',
      file: `http://127.0.0.1:8787/v1/runs/${state.id}`,
      status: 'failed',
      startedAt: 1000,
      durationMs: 20,
      tokens: 7,
      costUsd: 0.5,
      error: 'first line',
      server: { address: 'http://127.0.0.1:8787', status: 'failed', workflowPath: 'reports/weekly.workflow.yaml' },
    });
    assert.ok(isServerRun(summary));
    assert.equal(serverRunSummary('http://h', { ...state, status: 'queued' }).status, 'running');
    assert.equal(serverRunSummary('http://h', { ...state, status: 'paused' }).status, 'running');
    assert.equal(serverRunSummary('http://h', { ...state, status: 'interrupted' }).status, 'interrupted');
    assert.equal(serverLabel('https://runs.example.com:8443'), 'runs.example.com:8443');
    assert.equal(workflowLabel('a/b.yml'), 'b');
    assert.equal(workflowLabel('.workflow.yaml'), '.workflow.yaml');
  });

  test('a run’s location names its server and id back, whatever the id holds; trace files are not locations', () => {
    fc.assert(
      fc.property(fc.oneof(fc.string({ minLength: 1 }), fc.constantFrom('__proto__', 'constructor', 'a/b', '..', '%2F', '?x#y')), fc.constantFrom('http://127.0.0.1:8787', 'https://h.example/prefix/path'), (id, address) => {
        assert.deepEqual({ ...parseServerRunLocation(serverRunLocation(address, id)) }, { address, id });
      }),
    );
    for (const file of ['/home/me/.orchestrate/runs/x/1.jsonl', 'C:\\runs\\1.jsonl', 'file:///v1/runs/1', 'http://h/v1/runs/', 'http://h/v1/runs/a/b', 'http://h/v1/runs/%E0%A4%A']) {
      assert.equal(parseServerRunLocation(file), undefined, file);
    }
  });
});

describe('server runs as the panel reads them', () => {
  let server: RunningServer;
  let folder: ReturnType<typeof tempFolder>;
  let client: ServeClient;
  let source: ServerRunSource;

  before(async () => {
    folder = tempFolder({ 'two.workflow.yaml': TWO_STEPS });
    server = await startServer({ root: folder.dir, port: 0, mock: true, mockDelayMs: 50, env: {}, log: () => undefined });
    client = new ServeClient(server.url);
    const idOf = (location: string) => parseServerRunLocation(location)!.id;
    source = {
      owns: (location) => parseServerRunLocation(location) !== undefined,
      load: (location) => loadServerRun(client, idOf(location), []),
      follow: async (location, after, onEvent, signal) => {
        await client.follow(idOf(location), { after, onEvent, signal });
      },
      cancel: (location) => client.cancel(idOf(location)),
    };
  });
  after(async () => {
    await server.close({ cancel: true });
    folder.remove();
  });

  const start = async (): Promise<string> => {
    const response = await fetch(`${server.url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: '{"workflow":"two.workflow.yaml"}' });
    return ((await response.json()) as { id: string }).id;
  };

  test('an ended run: its trace, with the workflow file this machine has, not live', async () => {
    const id = await start();
    await waitForEnd(server.url, id);
    const { run, live, state } = await loadServerRun(client, id, []);
    assert.equal(live, false);
    assert.equal(state.status, 'succeeded');
    assert.equal(run.trace.started.runId, id);
    assert.ok(run.workflow, 'the server’s workflow file is on this machine, so the graph shows');
    assert.deepEqual(run.outline.steps.map((step) => step.id), ['one', 'two']);
    assert.deepEqual(run.warnings, []);
  });

  test('a running run is followed from where its trace stops: every event once, in order, ending with the run', async () => {
    const id = await start();
    const record = (await server.backend.find(id))!;
    await new Promise<void>((resolve) => record.subscribe(0, (event) => event.type === 'step.started' && resolve()));
    const { run, live } = await source.load(serverRunLocation(server.url, id));
    assert.equal(live, true);
    const forwarded: RunEvent[] = [];
    await new Promise<void>((resolve, reject) => {
      followAfterTrace(source, serverRunLocation(server.url, id), run.trace, { onEvent: (event) => forwarded.push(event), onEnd: resolve, onError: (message) => reject(new Error(message)) });
    });
    const full = await client.trace(id);
    const keys = (events: readonly RunEvent[]) => events.map((event) => `${event.runId}#${event.seq}#${event.type}`);
    assert.deepEqual(keys(run.trace.events), keys(full.events));
    assert.equal(forwarded.at(-1)?.type, 'run.completed');
    assert.equal(new Set(keys(run.trace.events)).size, run.trace.events.length);
  });

  test('a run nobody has started yet is not shown: it says so', async () => {
    const queued = { ...client, run: async () => ({ id: 'q', workflow: 'two.workflow.yaml', status: 'queued', steps: {} }) } as unknown as ServeClient;
    await assert.rejects(loadServerRun(queued, 'q', []), /run q is queued on .*no worker has started it yet/);
  });
});
