import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { readTrace } from '../../../src/engine/trace';
import { chainWorkflow, exited, runCli, spawnCli, tempDir, writeWorkflow } from '../../support/durable';

const STEPS = 8;

/** Step ids from the call log, one per call that reached the provider. */
function loggedCalls(log: string): string[] {
  if (!existsSync(log)) return [];
  return readFileSync(log, 'utf8').trimEnd().split('\n').filter(Boolean).map((line) => JSON.parse(line).stepId as string);
}

function completedSteps(text: string): string[] {
  return text
    .split('\n')
    .filter((line) => line.includes('"type":"step.completed"'))
    .map((line) => JSON.parse(line).stepId as string);
}

async function until<T>(what: string, probe: () => T | undefined, timeoutMs = 20_000): Promise<T> {
  const deadline = Date.now() + timeoutMs;
  for (;;) {
    const value = probe();
    if (value !== undefined) return value;
    if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}`);
    await new Promise((r) => setTimeout(r, 20));
  }
}

test('a run killed with SIGKILL keeps every finished step; resume completes it with no repeated call', { timeout: 60_000 }, async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const workflow = path.join(dir, 'chain.workflow.yaml');
  writeWorkflow(workflow, chainWorkflow(STEPS));
  const root = path.join(dir, 'traces');
  const log = path.join(dir, 'calls.log');
  const env = { ORCHESTRATE_MOCK_CALL_LOG: log };

  const child = spawnCli(['run', workflow, '--traces', root, '--mock-delay', '150', '--quiet'], { cwd: dir, env });
  t.after(() => child.kill('SIGKILL'));
  const done = exited(child);
  const runsDir = path.join(root, 'runs', 'chain');
  const trace = await until('three finished steps', () => {
    const files = existsSync(runsDir) ? readdirSync(runsDir) : [];
    if (files.length !== 1) return undefined;
    const file = path.join(runsDir, files[0]);
    return completedSteps(readFileSync(file, 'utf8')).length >= 3 ? file : undefined;
  });
  child.kill('SIGKILL');
  const { code } = await done;
  assert.equal(code, 'SIGKILL');

  const killed = await readTrace(trace);
  assert.equal(killed.end, undefined, 'no end was written');
  const finished = completedSteps(readFileSync(trace, 'utf8'));
  const before = loggedCalls(log);
  assert.ok(finished.length >= 3 && finished.length < STEPS, `finished ${finished.join(',')}`);
  // Every call that returned before the kill is in the trace; at most the step in flight is not.
  assert.deepEqual(before.slice(0, finished.length), finished);
  assert.ok(before.length - finished.length <= 1, `calls ${before.join(',')} vs finished ${finished.join(',')}`);

  const listed = JSON.parse((await runCli(['runs', '--traces', root, '--json'], { cwd: dir })).out);
  assert.equal(listed[0].status, 'interrupted');

  const resumed = await runCli(['resume', killed.started.runId, '--traces', root, '--quiet'], { cwd: dir, env });
  assert.equal(resumed.code, 0, resumed.err);
  const after = loggedCalls(log).slice(before.length);
  assert.deepEqual(after.filter((id) => finished.includes(id)), [], 'no finished step is called again');
  assert.deepEqual([...finished, ...after].sort(), Array.from({ length: STEPS }, (_, i) => `s${i + 1}`).sort(), 'each step ran exactly once overall');

  const runs = JSON.parse((await runCli(['runs', '--traces', root, '--json'], { cwd: dir })).out);
  assert.equal(runs[0].status, 'succeeded');
  assert.equal(runs[0].resumedFrom, killed.started.runId);
  assert.match(resumed.err, new RegExp(`trace: .*${runs[0].id}\\.jsonl`));
});
