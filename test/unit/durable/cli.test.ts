import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { chainWorkflow, exited, runCli, spawnCli, tempDir, writeWorkflow } from '../../support/durable';

function calls(log: string): string[] {
  return existsSync(log) ? readFileSync(log, 'utf8').trimEnd().split('\n').filter(Boolean).map((l) => JSON.parse(l).stepId) : [];
}

function setup(t: { after: (fn: () => void) => void }, steps = 4) {
  const { dir, remove } = tempDir();
  t.after(remove);
  const workflow = path.join(dir, 'chain.workflow.yaml');
  writeWorkflow(workflow, chainWorkflow(steps));
  return { dir, workflow, root: path.join(dir, 'traces'), log: path.join(dir, 'calls.log') };
}

test('every durable command has --help', async () => {
  for (const [command, words] of [
    ['run', ['--traces DIR', '--no-trace', '--cache reuse|refresh|off', '--no-cache', '--replay']],
    ['resume', ['TRACE|RUN-ID', '--input', '--workflow', 'resumedFrom']],
    ['runs', ['WORKFLOW-FILE', '--json', '--limit', 'interrupted']],
    ['trace', ['RUN-ID|FILE', '--json', '--full']],
  ] as const) {
    const { code, out } = await runCli([command, '--help'], { cwd: process.cwd() });
    assert.equal(code, 0);
    for (const word of words) assert.ok(out.includes(word), `${command} --help mentions ${word}`);
  }
  const { out } = await runCli(['--help'], { cwd: process.cwd() });
  for (const command of ['resume', 'runs', 'trace']) assert.match(out, new RegExp(`^  ${command} `, 'm'));
});

test('run records a trace and prints its path; runs lists it; trace shows its steps', async (t) => {
  const { dir, workflow, root } = setup(t);
  const run = await runCli(['run', workflow, '--traces', root, '--quiet'], { cwd: dir });
  assert.equal(run.code, 0, run.err);
  const [, shown] = /trace: (\S+)/.exec(run.err)!;
  assert.ok(existsSync(path.resolve(dir, shown)));

  const runs = await runCli(['runs', '--traces', root], { cwd: dir });
  assert.equal(runs.code, 0);
  assert.match(runs.out, /^\s+STARTED\s+DURATION\s+TOKENS\s+COST\s+WORKFLOW\s+RUN$/m);
  assert.match(runs.out, /^✓ .* tok .*Chain\s+\S+$/m);
  const [listed] = JSON.parse((await runCli(['runs', workflow, '--traces', root, '--json'], { cwd: dir })).out);
  assert.equal(listed.status, 'succeeded');
  assert.deepEqual(JSON.parse((await runCli(['runs', path.join(dir, 'other.yaml'), '--traces', root, '--json'], { cwd: dir })).out), []);

  const trace = await runCli(['trace', listed.id, '--traces', root], { cwd: dir });
  assert.equal(trace.code, 0, trace.err);
  assert.match(trace.out, /^Chain {2}run \S+$/m);
  assert.match(trace.out, /^✓ s2 {2}\d+ms · \d+ tok · mock\/chain-model$/m);
  assert.match(trace.out, /^ {4}prompt: Step 2\. Build on: Mock reply/m);
  assert.match(trace.out, /^ {4}output: Mock reply from chain-model for step "s2"/m);
  const view = JSON.parse((await runCli(['trace', listed.file, '--json'], { cwd: dir })).out);
  assert.equal(view.steps.length, 4);
  assert.equal(view.steps[1].call.messages[0].content.startsWith('Step 2.'), true);
});

test('--no-trace records nothing; bad options and unknown runs exit 2', async (t) => {
  const { dir, workflow, root } = setup(t);
  assert.equal((await runCli(['run', workflow, '--traces', root, '--no-trace', '-q'], { cwd: dir })).code, 0);
  assert.equal(existsSync(path.join(root, 'runs')), false);
  const bad = await runCli(['run', workflow, '--traces', root, '--cache', 'sometimes'], { cwd: dir });
  assert.equal(bad.code, 2);
  assert.match(bad.err, /--cache takes reuse, refresh or off, not `sometimes`/);
  for (const command of ['resume', 'trace']) {
    const unknown = await runCli([command, 'no-such-run', '--traces', root], { cwd: dir });
    assert.equal(unknown.code, 2, command);
    assert.match(unknown.err, /no-such-run: no such trace file, and no run with that id/);
  }
  const replay = await runCli(['run', workflow, '--traces', root, '--replay', 'no-such-run'], { cwd: dir });
  assert.equal(replay.code, 2);
});

test('the cache: a repeated run makes no call; refresh and --no-cache call again', async (t) => {
  const { dir, workflow, root, log } = setup(t);
  const env = { ORCHESTRATE_MOCK_CALL_LOG: log, ORCHESTRATE_CACHE_MOCK: '1' };
  const run = (...extra: string[]) => runCli(['run', workflow, '--traces', root, '-q', ...extra], { cwd: dir, env });
  assert.equal((await run()).code, 0);
  assert.equal(calls(log).length, 4);
  assert.equal((await run()).code, 0);
  assert.equal(calls(log).length, 4, 'all from the cache');
  const [latest] = JSON.parse((await runCli(['runs', '--traces', root, '--json'], { cwd: dir })).out);
  assert.equal(latest.tokens, 0, 'cached tokens are not counted as spent');
  assert.match((await runCli(['trace', latest.id, '--traces', root], { cwd: dir })).out, /· cached/);
  await run('--cache', 'refresh');
  assert.equal(calls(log).length, 8);
  await run('--no-cache');
  assert.equal(calls(log).length, 12);

  // Damage one entry: that call is made again with a warning, the run succeeds.
  const fan = readdirSync(path.join(root, 'cache'))[0];
  const entry = path.join(root, 'cache', fan, readdirSync(path.join(root, 'cache', fan))[0]);
  writeFileSync(entry, '{"v":1,"key":"trunc');
  const damaged = await run();
  assert.equal(damaged.code, 0);
  assert.match(damaged.err, /warning: cache entry .* is not valid JSON .*calling the model/);
  assert.equal(calls(log).length, 13);
});

test('--replay answers from a recorded run; a changed prompt fails with replay-mismatch', async (t) => {
  const { dir, workflow, root, log } = setup(t);
  await runCli(['run', workflow, '--traces', root, '-q'], { cwd: dir });
  const [recorded] = JSON.parse((await runCli(['runs', '--traces', root, '--json'], { cwd: dir })).out);
  const env = { ORCHESTRATE_MOCK_CALL_LOG: log };
  const same = await runCli(['run', workflow, '--traces', root, '--replay', recorded.id, '--json'], { cwd: dir, env });
  assert.equal(same.code, 0, same.err);
  assert.deepEqual(calls(log), []);
  writeWorkflow(workflow, chainWorkflow(4, { edit: 2 }));
  const changed = await runCli(['run', workflow, '--traces', root, '--replay', recorded.file], { cwd: dir, env });
  assert.equal(changed.code, 1);
  assert.match(changed.err, /✗ s2 step `s2` \(mock\/chain-model\): the messages sent differ from the recording/);
  assert.deepEqual(calls(log), []);
  const [replayRun] = JSON.parse((await runCli(['runs', '--traces', root, '--json'], { cwd: dir })).out);
  const view = JSON.parse((await runCli(['trace', replayRun.id, '--traces', root, '--json'], { cwd: dir })).out);
  assert.equal(view.steps.find((s: { stepId: string }) => s.stepId === 's2').error.code, 'replay-mismatch');
});

test('resume refuses a run that succeeded', async (t) => {
  const { dir, workflow, root } = setup(t);
  await runCli(['run', workflow, '--traces', root, '-q'], { cwd: dir });
  const [run] = JSON.parse((await runCli(['runs', '--traces', root, '--json'], { cwd: dir })).out);
  const resumed = await runCli(['resume', run.id, '--traces', root], { cwd: dir });
  assert.equal(resumed.code, 2);
  assert.match(resumed.err, /succeeded; there is nothing to resume/);
});

test('two CLI processes at once share the store and the cache without corrupting either', { timeout: 60_000 }, async (t) => {
  const { dir, workflow, root } = setup(t, 10);
  const env = { ORCHESTRATE_CACHE_MOCK: '1' };
  const children = [0, 1, 2].map(() => spawnCli(['run', workflow, '--traces', root, '--mock-delay', '20', '-q'], { cwd: dir, env }));
  const results = await Promise.all(children.map(exited));
  assert.deepEqual(results.map((r) => r.code), [0, 0, 0], results.map((r) => r.err).join('\n'));
  const index = readFileSync(path.join(root, 'runs', 'index.jsonl'), 'utf8').trimEnd().split('\n');
  assert.equal(index.length, 6);
  for (const line of index) JSON.parse(line);
  const runs = JSON.parse((await runCli(['runs', '--traces', root, '--json'], { cwd: dir })).out);
  assert.deepEqual(runs.map((r: { status: string }) => r.status), ['succeeded', 'succeeded', 'succeeded']);
  let entries = 0;
  for (const fan of readdirSync(path.join(root, 'cache'))) {
    for (const name of readdirSync(path.join(root, 'cache', fan))) {
      assert.match(name, /^[0-9a-f]{64}\.json$/, 'no temporary file left behind');
      JSON.parse(readFileSync(path.join(root, 'cache', fan, name), 'utf8'));
      entries++;
    }
  }
  assert.equal(entries, 10);
});
