// Tool events in the one run state: the reducer's fold is pure and total, calls keep
// their order, a run that ends cancels calls in flight, and the lens counts them.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { RunEvent } from '../../../src/engine';
import { initialRunState, reduceEvents } from '../../../src/engine/state';
import { foldToolCall } from '../../../src/engine/state/tool-calls';
import type { ToolEvent } from '../../../src/engine/tools';
import { statusTitle, stepStatusIn } from '../../../src/extension/language/status';

const base = { runId: 'r', time: 0 };
let seq = 0;
const at = <T extends object>(event: T) => ({ ...base, seq: ++seq, ...event }) as unknown as RunEvent;
const ref = { stepId: 'ask', visit: 1 };

function started(callId: string, tool = 'read_text_file'): RunEvent {
  return at({ type: 'tool.started', ...ref, callId, server: 'files', tool, arguments: { value: { path: 'a' }, truncated: false, bytes: 12 }, approvedBy: 'policy' });
}
function completed(callId: string, isError = false): RunEvent {
  return at({ type: 'tool.completed', ...ref, callId, server: 'files', tool: 'read_text_file', result: { text: 'ok', isError, truncated: false, bytes: 2 }, latencyMs: 5 });
}

describe('tool calls in the run state', () => {
  test('calls fold into the execution in order, and the lens counts them', () => {
    const events = [
      at({ type: 'run.started', schemaVersion: 1, workflow: { name: 'w', file: 'w.yaml' }, inputs: {} }),
      at({ type: 'step.started', ...ref, kind: 'prompt', attempt: 1 }),
      started('ask#1#.a1.t1.1'),
      started('ask#1#.a1.t1.2'),
      completed('ask#1#.a1.t1.2', true),
      completed('ask#1#.a1.t1.1'),
      at({ type: 'step.completed', ...ref, attempt: 1, output: 'done', durationMs: 10 }),
    ];
    const state = reduceEvents(initialRunState({ name: 'w', file: 'w.yaml' }), events);
    const calls = state.steps.ask.executions[0].tools!;
    assert.deepEqual(calls.map((c) => [c.callId, c.status]), [['ask#1#.a1.t1.1', 'succeeded'], ['ask#1#.a1.t1.2', 'error']]);
    assert.equal(state.steps.ask.toolCalls, 2);
    const status = stepStatusIn(state, 'ask')!;
    assert.equal(status.toolCalls, 2);
    assert.match(statusTitle(status), /2 tool calls/);
  });

  test('a run that ends with a call in flight shows it cancelled', () => {
    const events = [
      at({ type: 'run.started', schemaVersion: 1, workflow: { name: 'w', file: 'w.yaml' }, inputs: {} }),
      at({ type: 'step.started', ...ref, kind: 'tool', attempt: 1 }),
      started('ask#1#.a1'),
      at({ type: 'run.cancelled', reason: 'stop', durationMs: 1, usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } }),
    ];
    const state = reduceEvents(initialRunState({ name: 'w', file: 'w.yaml' }), events);
    assert.equal(state.steps.ask.executions[0].tools![0].status, 'cancelled');
  });

  test('property: the fold never mutates its input, keeps one entry per call id, and any id is just a name', () => {
    const id = fc.oneof(fc.constantFrom('__proto__', 'constructor', 'toString', ''), fc.string({ maxLength: 8 }));
    const event = fc.record({ kind: fc.constantFrom('tool.started', 'tool.completed', 'tool.failed'), callId: id, isError: fc.boolean() });
    fc.assert(
      fc.property(fc.array(event, { maxLength: 30 }), (script) => {
        let list: ReturnType<typeof foldToolCall> | undefined;
        for (const step of script) {
          const payload = { ...ref, time: 1, callId: step.callId, server: 'files', tool: 't' };
          const e: ToolEvent & { time: number } =
            step.kind === 'tool.started'
              ? { ...payload, type: 'tool.started', arguments: { value: {}, truncated: false, bytes: 2 }, approvedBy: 'policy' }
              : step.kind === 'tool.completed'
                ? { ...payload, type: 'tool.completed', result: { text: '', isError: step.isError, truncated: false, bytes: 0 }, latencyMs: 0 }
                : { ...payload, type: 'tool.failed', error: { code: 'tool-denied', message: 'no' }, latencyMs: 0 };
          const before = list ? JSON.stringify(list) : undefined;
          const next = foldToolCall(list, e, 1);
          if (list) assert.equal(JSON.stringify(list), before);
          list = next;
        }
        const ids = (list ?? []).map((c) => c.callId);
        assert.equal(new Set(ids).size, ids.length);
        assert.deepEqual(new Set(ids), new Set(script.map((s) => s.callId)));
      }),
    );
  });
});
