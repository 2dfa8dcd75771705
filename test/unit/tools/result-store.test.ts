// Whole results beside the trace, and reading a recorded run's results back for replay.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { fileResultStore, recordResult, recordedResults, type ToolCompletedPayload, type ToolResult } from '../../../src/engine/tools';

async function completed(callId: string, result: ToolResult, traceFile: string): Promise<ToolCompletedPayload> {
  const store = fileResultStore(traceFile);
  return { type: 'tool.completed', callId, server: 's', tool: 't', latencyMs: 1, result: await recordResult(result, { capBytes: 64, store: (whole) => store(callId, whole) }) };
}

describe('stored tool results', () => {
  test('a big result is stored whole beside the trace and read back; a small one comes from its event', async () => {
    const trace = path.join(mkdtempSync(path.join(tmpdir(), 'orchestrate-results-')), 'run-1.jsonl');
    const big: ToolResult = { text: 'x'.repeat(500), structuredContent: { rows: [1, 2, 3] }, isError: false };
    const small: ToolResult = { text: 'ok', isError: true };
    const events = [await completed('a#1.t1', big, trace), await completed('b#1', small, trace), { type: 'step.completed' }];
    assert.equal(events[0]!.type === 'tool.completed' && (events[0] as ToolCompletedPayload).result.ref, 'run-1.tools/a#1.t1.json');
    const results = await recordedResults(events, trace);
    assert.deepEqual(results.get('a#1.t1'), big);
    assert.deepEqual(results.get('b#1'), small);
  });

  test('hostile call ids stay inside the folder; refs that leave it and missing files are not replayed', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'orchestrate-results-'));
    const trace = path.join(dir, 'run-2.jsonl');
    const event = await completed('../../etc/passwd', { text: 'y'.repeat(200), isError: false }, trace);
    assert.equal(event.result.ref, 'run-2.tools/__.._etc_passwd.json');
    assert.ok(existsSync(path.join(dir, 'run-2.tools/__.._etc_passwd.json')));
    const escaping: ToolCompletedPayload = { ...event, callId: 'evil', result: { ...event.result, ref: '../../outside.json' } };
    const missing = await completed('gone', { text: 'z'.repeat(200), isError: false }, trace);
    rmSync(path.join(dir, missing.result.ref!));
    const results = await recordedResults([escaping, missing], trace);
    assert.deepEqual([...results.keys()], []);
  });
});
