import assert from 'node:assert/strict';
import { readdirSync, readFileSync, rmSync, writeFileSync, mkdirSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { MockProvider, TRACE_SCHEMA_VERSION, type Provider, type Workflow } from '../../../src/engine';
import { readTrace, recordedRun, TraceStore, workflowSlug } from '../../../src/engine/trace';
import { only, tempDir, writeWorkflow } from '../../support/durable';

const WORKFLOW = `name: Two steps
model: { provider: mock, name: m }
steps:
  - id: a
    prompt: Hello.
  - id: b
    prompt: "Again: {{ steps.a.output }}"
`;

async function recordRun(store: TraceStore, workflow: Workflow, provider: Provider = new MockProvider(), text = WORKFLOW) {
  const recording = recordedRun(workflow, { store, workflowText: text, secrets: ['hunter2-secret-value'] });
  const result = await recording.run({ providers: only(provider) });
  return { result, file: recording.trace! };
}

test('a run is one JSONL file under runs/<slug>/, starting with run.started and its schema version', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const workflow = writeWorkflow(path.join(dir, 'Two Steps.workflow.yaml'), WORKFLOW);
  const store = new TraceStore(path.join(dir, '.orchestrate'));
  const { result, file } = await recordRun(store, workflow);
  assert.equal(file, path.join(dir, '.orchestrate', 'runs', 'two-steps', `${result.runId}.jsonl`));
  const text = readFileSync(file, 'utf8');
  assert.ok(text.endsWith('\n'));
  const events = text.trimEnd().split('\n').map((line) => JSON.parse(line));
  assert.equal(events[0].type, 'run.started');
  assert.equal(events[0].schemaVersion, TRACE_SCHEMA_VERSION);
  assert.equal(events[0].workflowPath, workflow.file);
  assert.match(events[0].workflowSha256, /^[0-9a-f]{64}$/);
  assert.equal(events.at(-1).type, 'run.completed');
  assert.ok(!events.some((e) => e.type === 'step.delta'), 'streamed deltas are not written');
  const trace = await readTrace(file);
  assert.deepEqual(trace.warnings, []);
  assert.equal(trace.events.filter((e) => e.type === 'step.completed').length, 2);
});

test('slugs are portable folder names', () => {
  assert.equal(workflowSlug('/x/Build a Website.workflow.yaml'), 'build-a-website');
  assert.equal(workflowSlug('flow.yml'), 'flow');
  assert.equal(workflowSlug('/x/.workflow.yaml', 'My Flow!'), 'my-flow');
});

test('runs are listed newest first with status, duration, tokens and cost; filtered by workflow file', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const one = writeWorkflow(path.join(dir, 'one.workflow.yaml'), WORKFLOW);
  const two = writeWorkflow(path.join(dir, 'two.workflow.yaml'), WORKFLOW.replace('Two steps', 'Other'));
  const store = new TraceStore(path.join(dir, '.orchestrate'));
  const first = await recordRun(store, one);
  await new Promise((r) => setTimeout(r, 5));
  const second = await recordRun(store, two);
  const runs = await store.listRuns();
  assert.deepEqual(runs.map((r) => r.id), [second.result.runId, first.result.runId]);
  assert.equal(runs[1].status, 'succeeded');
  assert.equal(runs[1].workflow, 'Two steps');
  assert.equal(runs[1].workflowFile, one.file);
  assert.equal(runs[1].tokens, first.result.usage.totalTokens);
  assert.equal(runs[1].durationMs, first.result.durationMs);
  assert.equal(runs[1].costUsd, 0);
  assert.equal(runs[1].file, first.file);
  assert.deepEqual((await store.listRuns({ workflowFile: one.file })).map((r) => r.id), [first.result.runId]);
  assert.equal((await store.findRun(first.result.runId.slice(0, -2)))?.id, first.result.runId);
});

test('the index is rebuilt from the traces when it is missing, and repaired when behind', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const workflow = writeWorkflow(path.join(dir, 'w.workflow.yaml'), WORKFLOW);
  const store = new TraceStore(path.join(dir, '.orchestrate'));
  const a = await recordRun(store, workflow);
  const b = await recordRun(store, workflow);
  const before = await store.listRuns();

  rmSync(store.indexFile);
  const rebuilt = await store.listRuns();
  assert.deepEqual(rebuilt, before);
  assert.equal(readFileSync(store.indexFile, 'utf8').trimEnd().split('\n').length, 4, 'the scan wrote the index again');

  rmSync(b.file);
  assert.deepEqual((await store.listRuns()).map((r) => r.id), [a.result.runId], 'a deleted trace is no longer listed');

  // A trace with no index line and no end (copied in from a crashed run elsewhere).
  const orphan = path.join(store.runsDir, 'w', 'orphan.jsonl');
  writeFileSync(orphan, JSON.stringify({ type: 'run.started', runId: 'orphan', seq: 1, time: 1, schemaVersion: 1, workflow: { name: 'W', file: workflow.file }, inputs: {} }) + '\n');
  const listed = await store.listRuns();
  assert.deepEqual(listed.map((r) => [r.id, r.status]), [[a.result.runId, 'succeeded'], ['orphan', 'interrupted']]);
});

test('a run whose process died without an end is listed as interrupted', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const store = new TraceStore(path.join(dir, '.orchestrate'));
  mkdirSync(path.join(store.runsDir, 'w'), { recursive: true });
  writeFileSync(path.join(store.runsDir, 'w', 'dead.jsonl'), JSON.stringify({ type: 'run.started', runId: 'dead', seq: 1, time: 5, schemaVersion: 1, workflow: { name: 'W', file: 'w.yaml' }, inputs: {} }) + '\n');
  // pid 2^22+1 is above Linux's pid_max default: no such process.
  writeFileSync(store.indexFile, JSON.stringify({ op: 'start', id: 'dead', workflow: 'W', workflowFile: '/w.yaml', file: 'w/dead.jsonl', startedAt: 5, pid: 4194305, host: (await import('node:os')).hostname() }) + '\n');
  const [run] = await store.listRuns();
  assert.equal(run.status, 'interrupted');
  assert.match(readFileSync(store.indexFile, 'utf8'), /"op":"end","id":"dead","status":"interrupted"/, 'recorded, so the next listing does not look again');
});

test('error messages are redacted before they are written: given secrets and anything shaped like a key', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const workflow = writeWorkflow(path.join(dir, 'w.workflow.yaml'), WORKFLOW);
  const store = new TraceStore(path.join(dir, '.orchestrate'));
  const leaky: Provider = {
    id: 'leaky',
    async complete() {
      throw Object.assign(new Error('401: Incorrect API key provided: sk-proj-abcdefghijklmnop1234 (also hunter2-secret-value)'), { retryable: false });
    },
  };
  const { result, file } = await recordRun(store, workflow, leaky);
  assert.equal(result.status, 'failed');
  const text = readFileSync(file, 'utf8');
  assert.doesNotMatch(text, /sk-proj-abcdefghijklmnop1234/);
  assert.doesNotMatch(text, /hunter2-secret-value/);
  assert.match(text, /Incorrect API key provided: \*\*\*/);
  assert.match(readFileSync(store.indexFile, 'utf8'), /"status":"failed"/);
  assert.doesNotMatch(readFileSync(store.indexFile, 'utf8'), /sk-proj-abcdefghijklmnop1234/);
});

test('concurrent runs in one store get their own files and whole index lines', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const workflow = writeWorkflow(path.join(dir, 'w.workflow.yaml'), WORKFLOW);
  const store = new TraceStore(path.join(dir, '.orchestrate'));
  const runs = await Promise.all(Array.from({ length: 20 }, () => recordRun(store, workflow, new MockProvider({ delayMs: 5 }))));
  assert.equal(new Set(runs.map((r) => r.result.runId)).size, 20);
  assert.equal(readdirSync(path.join(store.runsDir, 'w')).length, 20);
  const index = readFileSync(store.indexFile, 'utf8').trimEnd().split('\n').map((line) => JSON.parse(line));
  assert.equal(index.length, 40);
  const listed = await store.listRuns();
  assert.equal(listed.length, 20);
  assert.ok(listed.every((r) => r.status === 'succeeded'));
  for (const run of runs) assert.equal((await readTrace(run.file)).events.at(-1)?.type, 'run.completed');
});
