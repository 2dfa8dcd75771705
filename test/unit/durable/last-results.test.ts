import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { runWorkflow, type Workflow } from '../../../src/engine';
import { lastResults, TraceStore } from '../../../src/engine/trace';
import { chainWorkflow, CountingProvider, only, tempDir, writeWorkflow } from '../../support/durable';

async function recorded(store: TraceStore, workflow: Workflow, options: { startAt?: string; stopAfter?: string; seed?: Awaited<ReturnType<typeof lastResults>> } = {}) {
  const recorder = store.begin({ workflowFile: workflow.file, workflowName: workflow.name });
  const result = await runWorkflow(workflow, { providers: only(new CountingProvider()), runId: recorder.runId, onEvent: recorder.onEvent, ...options });
  await recorder.close();
  return result;
}

test('lastResults gives each step its newest success across recent runs, for use as a seed', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const root = path.join(dir, '.orchestrate');
  const store = new TraceStore(root);
  const file = path.join(dir, 'chain.workflow.yaml');
  const workflow = writeWorkflow(file, chainWorkflow(4, { provider: 'counting' }));
  const other = writeWorkflow(path.join(dir, 'other.workflow.yaml'), chainWorkflow(4, { provider: 'counting', edit: 1 }));

  assert.deepEqual(await lastResults(root, file), {}, 'no runs yet');
  const full = await recorded(store, workflow);
  await recorded(store, other);
  // *Run step* on s2 with an edited prompt: a newer run that holds s2 only.
  const edited = writeWorkflow(file, chainWorkflow(4, { provider: 'counting', edit: 2 }));
  const seed = await lastResults(root, file);
  const single = await recorded(store, edited, { startAt: 's2', stopAfter: 's2', seed });
  assert.equal(single.status, 'succeeded');

  const results = await lastResults(root, file);
  assert.deepEqual(Object.keys(results).sort(), ['s1', 's2', 's3', 's4']);
  assert.equal(results.s2.output, single.steps.s2.output, 's2 from the newest run');
  assert.notEqual(results.s2.output, full.steps.s2.output);
  assert.equal(results.s1.output, full.steps.s1.output, 'the rest from the run before');
  assert.equal(results.s3.status, 'succeeded');
  assert.equal(results.s4.output, full.steps.s4.output);
});
