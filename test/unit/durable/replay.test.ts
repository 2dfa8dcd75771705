import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { runWorkflow, type RunEvent } from '../../../src/engine';
import { replayResolver } from '../../../src/engine/trace';
import { chainWorkflow, CountingProvider, only, tempDir, writeWorkflow } from '../../support/durable';

async function record(file: string, text: string) {
  const events: RunEvent[] = [];
  const calls = new CountingProvider();
  const result = await runWorkflow(writeWorkflow(file, text), { providers: only(calls), onEvent: (e) => events.push(e) });
  return { events, result, calls };
}

test('a replay gives every recorded reply with no model call', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const file = path.join(dir, 'chain.workflow.yaml');
  const recorded = await record(file, chainWorkflow(8, { provider: 'counting' }));
  const replayed = await runWorkflow(writeWorkflow(file, chainWorkflow(8, { provider: 'counting' })), { providers: replayResolver(recorded.events) });
  assert.equal(replayed.status, 'succeeded');
  assert.deepEqual(
    Object.fromEntries(Object.entries(replayed.steps).map(([id, s]) => [id, s.output])),
    Object.fromEntries(Object.entries(recorded.result.steps).map(([id, s]) => [id, s.output])),
  );
  assert.equal(replayed.costUsd, 0);
});

test('a step whose rendered messages differ fails with replay-mismatch, never calling a model', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const file = path.join(dir, 'chain.workflow.yaml');
  const recorded = await record(file, chainWorkflow(8, { provider: 'counting' }));
  const events: RunEvent[] = [];
  const replayed = await runWorkflow(writeWorkflow(file, chainWorkflow(8, { provider: 'counting', edit: 3 })), {
    providers: replayResolver(recorded.events, 'the recording'),
    onEvent: (e) => events.push(e),
  });
  assert.equal(replayed.status, 'failed');
  const failed = events.find((e) => e.type === 'step.failed');
  assert.ok(failed?.type === 'step.failed');
  assert.equal(failed.stepId, 's3');
  assert.equal(failed.error.code, 'replay-mismatch');
  assert.match(failed.error.message, /differ from the recording: the user message differs at line 1: recorded ".*", now ".*\(edited: be brief\)"/);
  assert.equal(failed.attempt, 1, 'a mismatch is not retried');
});

test('a step the recording lacks fails with replay-missing', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const file = path.join(dir, 'chain.workflow.yaml');
  const recorded = await record(file, chainWorkflow(3, { provider: 'counting' }));
  const events: RunEvent[] = [];
  const replayed = await runWorkflow(writeWorkflow(file, chainWorkflow(4, { provider: 'counting' })), { providers: replayResolver(recorded.events), onEvent: (e) => events.push(e) });
  assert.equal(replayed.status, 'failed');
  const failed = events.find((e) => e.type === 'step.failed');
  assert.ok(failed?.type === 'step.failed');
  assert.equal(failed.stepId, 's4');
  assert.equal(failed.error.code, 'replay-missing');
  assert.equal(replayed.steps.s3.status, 'succeeded');
});
