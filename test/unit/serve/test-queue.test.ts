/**
 * `orchestrate test --redis`: dataset rows run as queued runs on two worker
 * processes, reported exactly as a local eval; a worker killed mid-row leaves the
 * row to the other, which resumes it without running its finished steps again.
 */
import assert from 'node:assert/strict';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { Redis } from 'ioredis';
import { main, type Io } from '../../../src/cli/main';
import type { RunEvent } from '../../../src/engine';
import { EVENTS_STREAM, parseFields } from '../../../src/serve/redis-events';
import { redisMissing, redisSuite, spawnWorker, tempFolder, type WorkerProcess } from './helpers';

const skip = redisMissing();

const WORKFLOW = `name: rows
inputs:
  n: { type: number }
  word: { type: string }
steps:
  - id: a
    prompt: "first for {{ inputs.n }}"
  - id: b
    prompt: "second for {{ inputs.word }}"
  - id: c
    set: "{{ inputs.word }}-{{ inputs.n }}"
outputs:
  tag: "{{ steps.c.output }}"
tests:
  - name: stubbed
    inputs: { n: 1, word: x }
    mock:
      a: stub reply
    expect:
      - equals: stub reply
        step: a
  - name: rows
    rows: rows.dataset.jsonl
    expect:
      - equals: "{{ row.expected }}"
        output: tag
`;

const ROWS = Array.from({ length: 12 }, (_, n) => JSON.stringify({ n, word: `w${n}`, expected: n % 5 === 3 ? 'wrong' : `w${n}-${n}` })).join('\n') + '\n';

/** What a report says that does not depend on where or when it ran. */
function comparable(value: unknown): unknown {
  if (Array.isArray(value)) return value.map(comparable);
  if (typeof value !== 'object' || value === null) return value;
  const out: Record<string, unknown> = {};
  for (const [key, inner] of Object.entries(value)) if (!['runId', 'trace', 'durationMs', 'id', 'eval', 'startedAt', 'endedAt'].includes(key)) out[key] = comparable(inner);
  return out;
}

describe('orchestrate test --redis: rows over worker processes', { skip }, () => {
  const suite = redisSuite();

  async function worker(dir: string, args: string[]): Promise<WorkerProcess> {
    const spawned = await spawnWorker(dir, suite.redis.url, args);
    suite.cleanup(async () => {
      if (spawned.child.exitCode === null && spawned.child.signalCode === null) {
        spawned.child.kill('SIGKILL');
        await spawned.exited;
      }
    });
    return spawned;
  }

  async function orchestrateTest(dir: string, args: string[]): Promise<{ code: number; out: string; err: string }> {
    let out = '';
    let err = '';
    const io: Io = { out: (text) => (out += text), err: (text) => (err += text), color: false, env: {}, cwd: dir };
    const code = await main(['test', path.join(dir, 'rows.workflow.yaml'), '--mock', '--quiet', '--traces', path.join(dir, '.orchestrate'), ...args], io);
    return { code, out, err };
  }

  test('rows and cases run on both workers; the report and exit status are those of the local eval', async () => {
    const folder = tempFolder({ 'rows.workflow.yaml': WORKFLOW, 'rows.dataset.jsonl': ROWS });
    suite.cleanup(folder.remove);
    const local = await orchestrateTest(folder.dir, ['--reporter', 'json']);
    assert.equal(local.code, 1, local.err);
    const workers = [await worker(folder.dir, ['--concurrency', '2', '--mock-delay', '60', '--cache', 'off']), await worker(folder.dir, ['--concurrency', '2', '--mock-delay', '60', '--cache', 'off'])];
    const queued = await orchestrateTest(folder.dir, ['--reporter', 'json', '--redis', suite.redis.url, '--concurrency', '6']);
    assert.equal(queued.code, local.code, queued.err);
    type Report = { results: { case: string; row?: number; passed: boolean }[] };
    const [localReport, queuedReport] = [JSON.parse(local.out) as Report, JSON.parse(queued.out) as Report];
    const order = (report: Report) => ({ ...report, results: [...report.results].sort((a, b) => `${a.case}#${a.row ?? -1}`.localeCompare(`${b.case}#${b.row ?? -1}`)) });
    assert.deepEqual(comparable(order(queuedReport)), comparable(order(localReport)));
    assert.equal(queuedReport.results.length, 13);
    assert.equal(queuedReport.results.filter((result) => !result.passed).length, 2);
    assert.ok(queuedReport.results.find((result) => result.case === 'stubbed')!.passed, "the case's `mock:` applied on the worker");
    // The same summary table on stderr (the report is on stdout), and the same junit.
    const table = (text: string) => text.split('\n').filter((line) => /passed|failed|rows|stubbed/.test(line) && !/^eval:/.test(line)).join('\n');
    assert.equal(table(queued.err), table(local.err));
    // junit: the same test cases, once the run ids and the trace line (the trace stays on the worker's disk) are set aside; cases come in the order they finished.
    const junit = (text: string) =>
      text
        .replace(/time="[^"]*"|timestamp="[^"]*"|id="[^"]*"/g, '')
        .replace(/run \S+\n(trace \S+\n)?/g, '')
        .match(/<testsuites? [^>]*>|<testcase[\s\S]*?<\/testcase>/g)!
        .sort();
    assert.deepEqual(junit((await orchestrateTest(folder.dir, ['--reporter', 'junit', '--redis', suite.redis.url])).out), junit((await orchestrateTest(folder.dir, ['--reporter', 'junit'])).out));
    for (const spawned of workers) spawned.child.kill('SIGTERM');
    const finished = await Promise.all(workers.map(async (spawned) => (assert.equal(await spawned.exited, 0), Number(/drained: (\d+) run/.exec(spawned.output())?.[1]))));
    assert.equal(finished[0] + finished[1], 26);
    assert.ok(finished.every((n) => n > 0), `rows per worker: ${finished.join(', ')}`);
  });

  test('mistakes are usage errors before anything is queued: a file outside --root, --root without --redis, a bad URL, a Redis that does not answer', async () => {
    const folder = tempFolder({ 'rows.workflow.yaml': WORKFLOW, 'rows.dataset.jsonl': ROWS, 'sub/keep.txt': '' });
    suite.cleanup(folder.remove);
    const cases: [string[], RegExp][] = [
      [['--redis', suite.redis.url, '--root', path.join(folder.dir, 'sub')], /rows\.workflow\.yaml is not under .*sub: with --redis, the workers find each workflow by its path under the folder they serve/],
      [['--root', 'sub'], /--root names the folder the workers of --redis serve; add --redis URL/],
      [['--redis', 'localhost:6379'], /--redis takes a URL like redis:\/\/127\.0\.0\.1:6379, not `localhost:6379`/],
      [['--redis', 'redis://127.0.0.1:1'], /cannot reach Redis at redis:\/\/127\.0\.0\.1:1/],
    ];
    for (const [args, message] of cases) {
      const result = await orchestrateTest(folder.dir, args);
      assert.equal(result.code, 2, `${args.join(' ')}: ${result.err}`);
      assert.match(result.err, message);
    }
  });

  test('a worker killed mid-row: the row finishes on the other worker, and no finished step runs again', async () => {
    const folder = tempFolder({ 'rows.workflow.yaml': WORKFLOW, 'rows.dataset.jsonl': ROWS });
    suite.cleanup(folder.remove);
    const args = ['--concurrency', '3', '--mock-delay', '300', '--cache', 'off', '--lock-ms', '1000'];
    const doomed = await worker(folder.dir, args);
    // Follow every run's events as they reach Redis.
    const reader = new Redis(suite.redis.url);
    suite.cleanup(() => void reader.disconnect());
    const events = new Map<string, RunEvent[]>();
    let firstStepDone = () => undefined as void;
    const stepDone = new Promise<void>((resolve) => (firstStepDone = resolve));
    let following = true;
    // From now on: the stream also holds the runs of the test before.
    const [newest] = await reader.xrevrange(EVENTS_STREAM, '+', '-', 'COUNT', 1);
    const follow = (async () => {
      let last = newest?.[0] ?? '0-0';
      while (following) {
        const batch = (await reader.xread('BLOCK', 200, 'STREAMS', EVENTS_STREAM, last)) as [string, [string, string[]][]][] | null;
        for (const [, entries] of batch ?? []) {
          for (const [entryId, fields] of entries) {
            last = entryId;
            const parsed = parseFields(fields);
            if (!parsed?.runId || parsed.delta !== undefined) continue;
            events.set(parsed.runId, [...(events.get(parsed.runId) ?? []), parsed.event]);
            if (parsed.event.type === 'step.completed') firstStepDone();
          }
        }
      }
    })();
    const eval_ = orchestrateTest(folder.dir, ['--reporter', 'json', '--redis', suite.redis.url, '--concurrency', '3', '--filter', 'rows › rows']);
    await stepDone;
    doomed.child.kill('SIGKILL');
    await doomed.exited;
    const finishedBeforeKill = new Map([...events].map(([id, list]) => [id, list.filter((event) => event.type === 'step.completed').map((event) => (event as { stepId: string }).stepId)]));
    await worker(folder.dir, args);
    const result = await eval_;
    following = false;
    await follow;
    assert.equal(result.code, 1, result.err);
    const report = JSON.parse(result.out) as { results: { runId: string; row: number; passed: boolean; status: string }[] };
    assert.equal(report.results.length, 12);
    for (const row of report.results) assert.equal(row.status, 'succeeded', JSON.stringify(row));
    assert.deepEqual(report.results.filter((row) => !row.passed).map((row) => row.row).sort(), [3, 8]);
    let resumed = 0;
    for (const [id, before] of finishedBeforeKill) {
      const all = events.get(id)!;
      const starts = all.filter((event) => event.type === 'run.started');
      if (starts.length === 2) resumed++;
      for (const stepId of before) {
        const ran = all.filter((event) => event.type === 'step.started' && (event as { stepId: string }).stepId === stepId).length;
        assert.equal(ran, 1, `step ${stepId} of ${id} finished before the kill and did not run again`);
      }
    }
    assert.ok(resumed >= 1, `at least one row was resumed on the other worker: ${JSON.stringify([...finishedBeforeKill].map(([id, steps]) => [id, steps, events.get(id)!.map((event) => event.type)]))}`);
    // The runs are the deployment's: a server on the Redis lists them.
    const server = await suite.serve(folder.dir);
    const listed = await server.backend.list({ limit: 1000 });
    for (const row of report.results) assert.ok(listed.runs.some((run) => run.id === row.runId), row.runId);
  });
});
