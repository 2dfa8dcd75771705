import assert from 'node:assert/strict';
import * as path from 'node:path';
import { test } from 'node:test';
import { runWorkflow, type RunEvent, type Workflow } from '../../../src/engine';
import { CacheStore, cachingResolver } from '../../../src/engine/cache';
import { chainWorkflow, CountingProvider, only, tempDir, writeWorkflow } from '../../support/durable';

/** The user message each step sent, from a run's events. */
function sentPrompts(events: RunEvent[]): Map<string, string> {
  const prompts = new Map<string, string>();
  for (const event of events) if (event.type === 'step.completed' && event.call) prompts.set(event.stepId, event.call.messages.at(-1)!.content);
  return prompts;
}

async function run(workflow: Workflow, inner: CountingProvider, cacheDir: string) {
  const events: RunEvent[] = [];
  const providers = cachingResolver(only(inner), new CacheStore(cacheDir), 'reuse');
  const result = await runWorkflow(workflow, { providers, onEvent: (e) => events.push(e) });
  assert.equal(result.status, 'succeeded');
  return events;
}

test('after editing one prompt of a 20-step chain, only the steps whose rendered prompt changed call the model', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const file = path.join(dir, 'chain.workflow.yaml');
  const cacheDir = path.join(dir, 'cache');

  const first = new CountingProvider();
  const before = await run(writeWorkflow(file, chainWorkflow(20, { provider: 'counting' })), first, cacheDir);
  assert.equal(first.calls.length, 20);

  const unchanged = new CountingProvider();
  await run(writeWorkflow(file, chainWorkflow(20, { provider: 'counting' })), unchanged, cacheDir);
  assert.deepEqual(unchanged.steps, [], 'the same workflow again makes no call');

  const second = new CountingProvider();
  const after = await run(writeWorkflow(file, chainWorkflow(20, { provider: 'counting', edit: 7 })), second, cacheDir);
  const old = sentPrompts(before);
  const changed = [...sentPrompts(after)].filter(([id, prompt]) => old.get(id) !== prompt).map(([id]) => id);
  // s7 was edited; s8–s10 read their predecessor; s11 starts a new group and reads nothing upstream.
  assert.deepEqual(changed, ['s7', 's8', 's9', 's10']);
  assert.deepEqual(second.steps, changed, 'the calls made are exactly the steps whose prompt changed');
});
