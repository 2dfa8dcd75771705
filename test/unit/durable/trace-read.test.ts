import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { TRACE_SCHEMA_VERSION } from '../../../src/engine';
import { parseTrace, readTrace, TraceFormatError } from '../../../src/engine/trace';
import { runCli, tempDir } from '../../support/durable';

const started = { type: 'run.started', runId: 'r1', seq: 1, time: 1000, schemaVersion: TRACE_SCHEMA_VERSION, workflow: { name: 'W', file: 'w.workflow.yaml' }, inputs: {} };
const completed = { type: 'step.completed', runId: 'r1', seq: 2, time: 1001, stepId: 'a', visit: 1, attempt: 1, output: 'hi', durationMs: 1 };
const lines = (...events: unknown[]) => events.map((e) => JSON.stringify(e)).join('\n') + '\n';

test('a last line cut short is dropped with a warning, not an error', () => {
  const text = lines(started, completed) + '{"type":"step.comp';
  const trace = parseTrace(text, 't.jsonl');
  assert.equal(trace.events.length, 2);
  assert.equal(trace.warnings.length, 1);
  assert.match(trace.warnings[0], /t\.jsonl:3: the last line is cut short/);
  assert.equal(trace.end, undefined);
});

test('a garbage line in the middle is an error naming its line', () => {
  const text = lines(started) + 'this is not json\n' + lines(completed);
  assert.throws(
    () => parseTrace(text, 't.jsonl'),
    (error: unknown) => error instanceof TraceFormatError && error.code === 'trace-garbage' && error.line === 2 && /t\.jsonl:2: line 2 is not a JSON event/.test(error.message),
  );
});

test('JSON that is not an event is an error naming its line', () => {
  assert.throws(() => parseTrace(lines(started, [1, 2, 3]), 't.jsonl'), /t\.jsonl:2: line 2 is JSON but not a run event/);
});

test('a trace from a newer format version is refused with a clear message', () => {
  const text = lines({ ...started, schemaVersion: TRACE_SCHEMA_VERSION + 1 }, { type: 'step.teleported', seq: 2 });
  assert.throws(
    () => parseTrace(text, 't.jsonl'),
    (error: unknown) =>
      error instanceof TraceFormatError &&
      error.code === 'trace-version' &&
      error.message.includes(`trace format v${TRACE_SCHEMA_VERSION + 1}`) &&
      error.message.includes('update Orchestrate'),
  );
});

test('a file that does not start with run.started, an empty file and a missing file are clear errors', async () => {
  assert.throws(() => parseTrace(lines(completed), 't.jsonl'), (e: unknown) => e instanceof TraceFormatError && e.code === 'trace-header');
  assert.throws(() => parseTrace('', 't.jsonl'), (e: unknown) => e instanceof TraceFormatError && e.code === 'trace-empty');
  assert.throws(() => parseTrace('{"type":"run.sta', 't.jsonl'), (e: unknown) => e instanceof TraceFormatError && e.code === 'trace-empty');
  await assert.rejects(readTrace('/nonexistent/t.jsonl'), (e: unknown) => e instanceof TraceFormatError && e.code === 'trace-unreadable' && /no such trace file/.test(e.message));
});

test('unknown event types of our own version are skipped with one warning', () => {
  const trace = parseTrace(lines(started, { type: 'step.pondered', seq: 2 }, { type: 'step.pondered', seq: 3 }, completed), 't.jsonl');
  assert.equal(trace.events.length, 2);
  assert.deepEqual(trace.warnings, ['t.jsonl:2: unknown event type `step.pondered` ignored']);
});

test('the CLI reports damaged traces in one line and exits 2, without a stack trace', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const cases: [string, string, RegExp][] = [
    ['truncated.jsonl', lines(started, completed) + '{"type":"step', /warning: .*cut short/],
    ['garbage.jsonl', lines(started) + 'garbage\n' + lines(completed), /garbage\.jsonl:2: line 2 is not a JSON event/],
    ['newer.jsonl', lines({ ...started, schemaVersion: 99 }), /trace format v99, written by a newer Orchestrate/],
  ];
  for (const [name, text, message] of cases) {
    const file = path.join(dir, name);
    writeFileSync(file, text);
    const shown = await runCli(['trace', file], { cwd: dir });
    assert.match(shown.err, message, name);
    assert.doesNotMatch(shown.err, /\n\s+at /, `${name}: no stack trace`);
    assert.equal(shown.code, name === 'truncated.jsonl' ? 0 : 2, name);
    const resumed = await runCli(['resume', file], { cwd: dir });
    assert.equal(resumed.code, 2, `resume ${name}`);
    assert.doesNotMatch(resumed.err, /\n\s+at /);
  }
});
