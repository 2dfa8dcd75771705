/**
 * The trace writer writes in the background: the caller never waits for the disk,
 * yet a model call never starts before the steps finished ahead of it are in the
 * file (so a crash loses at most the step in flight), and `close()` resolves only
 * once everything is written. Run ids come from an injected source.
 */
import assert from 'node:assert/strict';
import { mkdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import fc from 'fast-check';
import { MockProvider, type ModelRequest, type ModelResponse, type Provider, type RunEvent } from '../../../src/engine';
import { formatRunId, seededIdSource, type IdSource } from '../../../src/engine/ids';
import { readTrace, recordedRun, TraceStore, TraceWriter } from '../../../src/engine/trace';
import { chainWorkflow, only, tempDir, writeWorkflow } from '../../support/durable';

function completedIn(file: string): string[] {
  return readFileSync(file, 'utf8')
    .split('\n')
    .filter((line) => line.includes('"type":"step.completed"'))
    .map((line) => JSON.parse(line).stepId as string);
}

test('a model call starts only once every step finished before it is in the trace file', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const workflow = writeWorkflow(path.join(dir, 'chain.workflow.yaml'), chainWorkflow(6));
  const store = new TraceStore(path.join(dir, 'traces'));
  const seen: { step: string; finishedInFile: string[] }[] = [];
  let trace = '';
  const mock = new MockProvider();
  const watching: Provider = {
    id: 'mock',
    complete(request: ModelRequest): Promise<ModelResponse> {
      // What a crash at this instant would leave on the disk.
      seen.push({ step: request.stepId, finishedInFile: completedIn(trace) });
      return mock.complete(request);
    },
  };
  const recording = recordedRun(workflow, { store });
  trace = recording.trace!;
  const result = await recording.run({ providers: only(watching) });
  assert.equal(result.status, 'succeeded');
  assert.deepEqual(
    seen.map((s) => [s.step, s.finishedInFile.length]),
    ['s1', 's2', 's3', 's4', 's5', 's6'].map((id, i) => [id, i]),
  );
  const read = await readTrace(trace);
  assert.equal(read.end?.type, 'run.completed', 'close() resolved after the last line');
});

test('the id source is injected: the same seed gives the same ids, and a collision draws again', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const clock = { now: () => Date.UTC(2026, 10, 21, 10, 4, 5, 123) };
  const a = seededIdSource(7);
  const b = seededIdSource(7);
  const ids = Array.from({ length: 5 }, () => a.runId(clock.now()));
  assert.deepEqual(Array.from({ length: 5 }, () => b.runId(clock.now())), ids);
  for (const id of ids) assert.match(id, /^2026-11-21T10-04-05-123Z-[0-9a-z]{4}$/);

  // A source that repeats itself, as two runs in one millisecond might.
  const draws = ['aaaa', 'aaaa', 'aaaa', 'bbbb'];
  const repeating: IdSource = { runId: (now) => formatRunId(now, draws.shift()!) };
  const store = new TraceStore(path.join(dir, 'traces'), { ids: repeating, clock });
  const first = store.begin({ workflowFile: path.join(dir, 'w.workflow.yaml'), workflowName: 'W' });
  const second = store.begin({ workflowFile: path.join(dir, 'w.workflow.yaml'), workflowName: 'W' });
  assert.equal(first.runId, '2026-11-21T10-04-05-123Z-aaaa');
  assert.equal(second.runId, '2026-11-21T10-04-05-123Z-bbbb', 'the taken file was not reused');
  await Promise.all([first.close(), second.close()]);
});

test('an index that cannot be written stops the recording with one warning; the run goes on', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const workflow = writeWorkflow(path.join(dir, 'chain.workflow.yaml'), chainWorkflow(3));
  const store = new TraceStore(path.join(dir, 'traces'));
  mkdirSync(store.indexFile, { recursive: true }); // a folder where the index file goes
  const warnings: string[] = [];
  const recording = recordedRun(workflow, { store, onError: (error) => warnings.push(error.message) });
  const result = await recording.run({ providers: only(new MockProvider()) });
  assert.equal(result.status, 'succeeded');
  assert.equal(warnings.length, 1, warnings.join('\n'));
});

test('a store that cannot be created: onUnrecorded is told and the run goes on unrecorded; without it, begin throws', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const workflow = writeWorkflow(path.join(dir, 'chain.workflow.yaml'), chainWorkflow(2));
  const file = path.join(dir, 'chain.workflow.yaml');
  const store = new TraceStore(path.join(file, 'below-a-file'));
  const told: string[] = [];
  const recording = recordedRun(workflow, { store, onUnrecorded: (error) => told.push((error as NodeJS.ErrnoException).code ?? '') });
  assert.equal(recording.trace, undefined);
  assert.deepEqual(told, ['ENOTDIR']);
  assert.equal((await recording.run({ providers: only(new MockProvider()) })).status, 'succeeded');
  assert.throws(() => recordedRun(workflow, { store }), { code: 'ENOTDIR' });
});

function event(i: number, type: 'step.started' | 'step.completed'): RunEvent {
  const ref = { runId: 'r', stepId: `s${i}`, visit: 1, seq: 2 * i + (type === 'step.completed' ? 1 : 0), time: i };
  return type === 'step.started' ? { ...ref, type, kind: 'set', attempt: 1 } : { ...ref, type, attempt: 1, output: `out ${i}`, durationMs: 1 };
}

test('property: whatever the interleaving of writes, durable() and close(), the file holds every event once, in order', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  let n = 0;
  await fc.assert(
    fc.asyncProperty(fc.array(fc.constantFrom('write', 'durable', 'tick'), { maxLength: 40 }), fc.constantFrom('step' as const, 'none' as const), async (ops, sync) => {
      const writer = TraceWriter.create(path.join(dir, `w${n++}.jsonl`), { sync });
      const expected: string[] = [];
      let i = 0;
      const waits: Promise<void>[] = [];
      for (const op of ops) {
        if (op === 'write') {
          const e = event(i, i % 2 === 0 ? 'step.started' : 'step.completed');
          writer.write(e);
          expected.push(`${e.type}:${e.seq}`);
          i++;
        } else if (op === 'durable') {
          const before = expected.length;
          waits.push(
            writer.durable().then(() => {
              // Every boundary queued before the call is in the file by now.
              const lines = readFileSync(writer.file, 'utf8').split('\n').filter(Boolean);
              const boundaries = expected.slice(0, before).filter((x) => x.startsWith('step.completed')).length;
              assert.ok(lines.filter((l) => l.includes('step.completed')).length >= boundaries);
            }),
          );
        } else await new Promise<void>((resolve) => setImmediate(resolve));
      }
      await writer.close();
      await Promise.all(waits);
      writer.write(event(999, 'step.completed')); // ignored once closed
      const lines = readFileSync(writer.file, 'utf8').split('\n').filter(Boolean);
      assert.deepEqual(
        lines.map((l) => JSON.parse(l) as RunEvent).map((e) => `${e.type}:${e.seq}`),
        expected,
      );
    }),
    { numRuns: 60 },
  );
});
