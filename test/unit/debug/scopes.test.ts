/** The Step scope of a frame shows the execution's tool calls: which tool, its arguments, what came back. */
import assert from 'node:assert/strict';
import { test } from 'node:test';
import { frameScopes } from '../../../src/debug/scopes';
import { WorkflowDebugger, type Stop } from '../../../src/debug/workflow-debugger';
import type { RunEvent } from '../../../src/engine';
import { initialRunState, reduceEvents, RunStateBuilder, stepInfosOf } from '../../../src/engine/state';
import { load, run, ScriptedProvider } from '../../support/engine';

test('a stop before a model call lists the tool calls its execution made so far', async () => {
  const workflow = load(`
    name: tools in variables
    model: { provider: scripted }
    steps:
      - id: ask
        prompt: look it up
  `);
  let stopped!: (stop: Stop) => void;
  const stopAt = new Promise<Stop>((resolve) => (stopped = resolve));
  const dbg = new WorkflowDebugger({ stopped: (stop) => stopped(stop), threadStarted: () => undefined, threadExited: () => undefined, output: () => undefined });
  dbg.filters = new Set(['model-call']);
  const builder = new RunStateBuilder(initialRunState(workflow, stepInfosOf(workflow)));
  const running = run(workflow, new ScriptedProvider(() => 'done'), { inspector: dbg, onEvent: (e) => builder.apply(e) });
  const stop = await stopAt;
  // A tool the model asked for, with a hostile name and a reply whose keys are prototype names: data, shown as given.
  const base = { runId: builder.state.runId!, time: 0, stepId: 'ask', visit: 1 };
  const identity = { callId: 'c1', server: 'files', tool: 'constructor', attempt: 1, turn: 1 };
  const reply = JSON.parse('{"__proto__": {"polluted": true}, "toString": "x"}') as Record<string, unknown>;
  const tools: RunEvent[] = [
    { ...base, seq: 100, type: 'tool.started', ...identity, arguments: { value: { path: 'notes.txt' }, truncated: false, bytes: 21 }, approvedBy: 'policy' },
    { ...base, seq: 101, type: 'tool.completed', ...identity, result: { text: 'ignored', structuredContent: reply, isError: false, truncated: false, bytes: 50 }, latencyMs: 7 },
  ];
  const state = reduceEvents(builder.state, tools);
  const [step] = frameScopes({ stop, execution: stop.execution, call: true }, state, undefined);
  assert.equal(step.name, 'Model call');
  const calls = (step.container.value as Record<string, unknown>)['tool calls'] as Record<string, unknown>[];
  assert.equal(calls.length, 1);
  assert.deepEqual({ ...calls[0], result: undefined }, { tool: 'files.constructor', status: 'succeeded', attempt: 1, turn: 1, arguments: { path: 'notes.txt' }, result: undefined, latencyMs: 7 });
  assert.ok(Object.hasOwn(calls[0].result as object, '__proto__'), 'a `__proto__` key of a reply is its own data');
  assert.equal(({} as Record<string, unknown>).polluted, undefined);
  dbg.resumeAll();
  assert.equal((await running).result.status, 'succeeded');
});
