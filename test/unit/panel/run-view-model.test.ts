import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { RunControl, type RunEvent } from '../../../src/engine';
import { MockProvider } from '../../../src/engine/providers/mock';
import { coalesceDeltas } from '../../../src/shared/event-batcher';
import {
  activeStepIds,
  callView,
  displayStatus,
  applyEvents,
  elapsedMs,
  initialRunViewModel,
  latestExecution,
  markInterrupted,
  runElapsedMs,
  runViewModelOf,
  type RunViewModel,
} from '../../../src/shared/run-view-model';
import { outlineOf } from '../../../src/shared/workflow-outline';
import { load, run, ScriptedProvider } from '../../support/engine';

/** Deep-freezes a value so that any write into it throws (ES modules are strict). */
function deepFreeze<T>(value: T): T {
  if (typeof value === 'object' && value !== null && !Object.isFrozen(value)) {
    Object.freeze(value);
    for (const child of Object.values(value)) deepFreeze(child);
  }
  return value;
}

const kitchenSink = `
  name: kitchen sink
  model: { provider: mock, name: m-1 }
  workers:
    critic: { system: "You are a critic." }
  steps:
    - id: outline
      name: Outline
      prompt: Outline a post about owls
      mock: "owls are great birds"
    - id: fan
      parallel:
        - { id: left, prompt: "left of {{ steps.outline.output }}", mock: "L" }
        - { id: right, worker: critic, prompt: "right", mock: "R" }
    - id: each
      for_each: '["a", "b", "c"]'
      prompt: "item {{ item }}"
      mock: "out {{ item }}"
    - id: flaky
      prompt: flaky
      retries: 1
      retry_delay: 0s
      mock: [{ $error: simulated outage }, recovered]
    - id: maybe
      if: 'false'
      set: never
    - id: shape
      prompt: structured
      output:
        schema: { type: object, properties: { score: { type: integer } }, required: [score] }
`;

async function kitchenRun() {
  const workflow = load(kitchenSink);
  const recorded = await run(workflow, new MockProvider());
  return { workflow, ...recorded, outline: outlineOf(workflow) };
}

describe('initial state', () => {
  test('every step of the outline is pending, nested ones after their parent, with depth and line', () => {
    const workflow = load(kitchenSink);
    const state = initialRunViewModel(outlineOf(workflow));
    assert.deepEqual(state.order, ['outline', 'fan', 'left', 'right', 'each', 'flaky', 'maybe', 'shape']);
    assert.equal(state.status, 'idle');
    assert.ok(Object.values(state.steps).every((s) => s.status === 'pending' && s.inWorkflow && s.visits === 0));
    assert.equal(state.steps.left.depth, 1);
    assert.equal(state.steps.left.parentId, 'fan');
    assert.equal(state.steps.outline.line, workflow.stepsById.get('outline')!.idRange.start.line);
    assert.equal(state.steps.each.forEach, true);
    assert.equal(state.steps.outline.name, 'Outline');
  });
});

describe('a whole run', () => {
  test('ends with each step as the engine reported it, and totals equal the run’s', async () => {
    const { events, result, outline } = await kitchenRun();
    assert.equal(result.status, 'succeeded');
    const state = runViewModelOf(outline, events);
    assert.equal(state.status, 'succeeded');
    assert.equal(state.runId, result.runId);
    assert.deepEqual(
      Object.fromEntries(state.order.map((id) => [id, state.steps[id].status])),
      { outline: 'succeeded', fan: 'succeeded', left: 'succeeded', right: 'succeeded', each: 'succeeded', flaky: 'succeeded', maybe: 'skipped', shape: 'succeeded' },
    );
    assert.deepEqual(state.totals.usage, result.usage);
    assert.equal(state.durationMs, result.durationMs);
    assert.deepEqual(state.outputs, result.outputs);
    for (const [id, step] of Object.entries(result.steps)) {
      const view = state.steps[id];
      assert.equal(view.visits, step.visits, `${id} visits`);
      if (step.status === 'succeeded') assert.deepEqual(latestExecution(view)!.output, step.output, `${id} output`);
    }
    assert.equal(activeStepIds(state).length, 0);
  });

  test('a model call shows the prompt and system message as sent, model, params, tokens and latency', async () => {
    const { events, outline } = await kitchenRun();
    const state = runViewModelOf(outline, events);
    const right = latestExecution(state.steps.right)!;
    assert.equal(callView(right.call!).system, 'You are a critic.');
    assert.equal(callView(right.call!).prompt, 'right');
    assert.equal(right.call?.model, 'm-1');
    assert.equal(right.call?.provider, 'mock');
    assert.deepEqual(right.call?.messages.map((m) => m.role), ['system', 'user']);
    assert.ok((callView(right.call!).usage?.totalTokens ?? 0) > 0);
    assert.equal(typeof callView(right.call!).latencyMs, 'number');
    assert.equal(callView(latestExecution(state.steps.left)!.call!).prompt, 'left of owls are great birds');
    assert.equal(callView(latestExecution(state.steps.left)!.call!).system, undefined);
    assert.deepEqual(latestExecution(state.steps.shape)!.output, { score: 1 });
    assert.ok(latestExecution(state.steps.shape)!.call?.outputSchema);
  });

  test('a map keeps its items in index order with their own outputs and calls', async () => {
    const { events, outline } = await kitchenRun();
    const each = latestExecution(runViewModelOf(outline, events).steps.each)!;
    assert.deepEqual(each.items.map((i) => [i.index, i.status, i.output]), [
      [0, 'succeeded', 'out a'],
      [1, 'succeeded', 'out b'],
      [2, 'succeeded', 'out c'],
    ]);
    assert.equal(callView(each.items[1].call!).prompt, 'item b');
    assert.equal(each.items[1].streamed, 'out b');
    assert.deepEqual(each.output, ['out a', 'out b', 'out c']);
  });

  test('a retried step keeps each failed attempt’s error and counts its attempts', async () => {
    const { events, outline } = await kitchenRun();
    const flaky = runViewModelOf(outline, events).steps.flaky;
    assert.equal(flaky.attempts, 2);
    const execution = latestExecution(flaky)!;
    assert.equal(execution.retries.length, 1);
    assert.equal(execution.retries[0].attempt, 1);
    assert.match(execution.retries[0].error.message, /simulated outage/);
    assert.equal(execution.output, 'recovered');
    assert.equal(execution.streamed, 'recovered');
  });

  test('a skipped step says why', async () => {
    const { events, outline } = await kitchenRun();
    const maybe = latestExecution(runViewModelOf(outline, events).steps.maybe)!;
    assert.equal(maybe.status, 'skipped');
    assert.match(maybe.skipReason!, /if: false/);
  });

  test('streamed text accumulates per step while it runs, and mid-run states show running steps', async () => {
    const { events, outline } = await kitchenRun();
    const firstDelta = events.findIndex((e) => e.type === 'step.delta' && e.stepId === 'outline');
    const completed = events.findIndex((e) => e.type === 'step.completed' && e.stepId === 'outline');
    let state = runViewModelOf(outline, events.slice(0, firstDelta + 2));
    assert.equal(state.steps.outline.status, 'running');
    assert.deepEqual(activeStepIds(state), ['outline']);
    assert.equal(latestExecution(state.steps.outline)!.streamed, 'owls are ');
    state = applyEvents(state, events.slice(firstDelta + 2, completed));
    assert.equal(latestExecution(state.steps.outline)!.streamed, 'owls are great birds');
    assert.equal(state.steps.fan.status, 'pending');
  });
});

describe('purity and sharing', () => {
  test('never writes into the state it is given', async () => {
    const { events, outline } = await kitchenRun();
    let state = deepFreeze(initialRunViewModel(outline));
    for (const event of events) state = deepFreeze(applyEvents(state, [event]));
    assert.equal(state.status, 'succeeded');
  });

  test('one event at a time, in batches, or with deltas coalesced: the same final state', async () => {
    const { events, outline } = await kitchenRun();
    const oneByOne = events.reduce<RunViewModel>((s, e) => applyEvents(s, [e]), initialRunViewModel(outline));
    const coalesced = runViewModelOf(outline, coalesceDeltas(events));
    const strip = (s: RunViewModel) => ({ ...s, eventCount: 0 });
    await fc.assert(
      fc.asyncProperty(fc.array(fc.integer({ min: 1, max: 7 }), { maxLength: 40 }), async (sizes) => {
        let state = initialRunViewModel(outline);
        let at = 0;
        for (const size of sizes) {
          state = applyEvents(state, events.slice(at, at + size));
          at += size;
        }
        state = applyEvents(state, events.slice(at));
        assert.deepEqual(strip(state), strip(oneByOne));
      }),
      { numRuns: 50 },
    );
    assert.deepEqual(strip(coalesced), strip(oneByOne));
    assert.ok(coalesced.eventCount < oneByOne.eventCount, 'coalescing folds fewer events');
  });

  test('steps no event touched keep their identity', async () => {
    const { events, outline } = await kitchenRun();
    const before = runViewModelOf(outline, events.slice(0, 3));
    const delta = events.find((e) => e.type === 'step.delta')!;
    const after = applyEvents(before, [delta]);
    assert.notEqual(after.steps.outline, before.steps.outline);
    assert.equal(after.steps.fan, before.steps.fan);
    assert.equal(after.steps.shape, before.steps.shape);
    assert.equal(applyEvents(before, []), before);
  });
});

describe('control', () => {
  const three = `
    name: three
    model: { provider: scripted }
    steps:
      - { id: a, prompt: a }
      - { id: b, prompt: b }
      - { id: c, prompt: c }
  `;

  async function until(predicate: () => boolean): Promise<void> {
    for (let i = 0; i < 1000 && !predicate(); i++) await new Promise((r) => setImmediate(r));
    assert.ok(predicate(), 'condition not reached');
  }

  test('step-through: the step the run waits before is paused, then runs when told', async () => {
    const workflow = load(three);
    const outline = outlineOf(workflow);
    const control = new RunControl({ stepping: true });
    const events: RunEvent[] = [];
    const pending = run(workflow, new ScriptedProvider(() => 'x'), { control, onEvent: (e) => events.push(e) });
    await until(() => events.some((e) => e.type === 'run.paused'));
    let state = runViewModelOf(outline, events);
    assert.equal(state.status, 'paused');
    assert.equal(state.pausedBefore, 'a');
    assert.equal(displayStatus(state, state.steps.a), 'paused');
    control.step();
    await until(() => events.filter((e) => e.type === 'run.paused').length === 2);
    state = runViewModelOf(outline, events);
    assert.equal(state.steps.a.status, 'succeeded');
    assert.equal(displayStatus(state, state.steps.b), 'paused');
    assert.equal(state.pausedBefore, 'b');
    control.resume();
    await pending;
    state = runViewModelOf(outline, events);
    assert.equal(state.status, 'succeeded');
    assert.equal(state.pausedBefore, undefined);
    assert.ok(Object.values(state.steps).every((s) => s.status === 'succeeded'));
  });

  test('resume puts the paused step back to what it was (a loop’s step stays done)', () => {
    const outline = outlineOf(load(three));
    const base = { runId: 'r', time: 0 };
    let state = runViewModelOf(outline, [
      { ...base, seq: 1, type: 'run.started', schemaVersion: 1, workflow: { name: 'three', file: 'f' }, inputs: {} },
      { ...base, seq: 2, type: 'step.started', stepId: 'a', visit: 1, kind: 'prompt', attempt: 1 },
      { ...base, seq: 3, type: 'step.completed', stepId: 'a', visit: 1, attempt: 1, output: 'x', durationMs: 1 },
      { ...base, seq: 4, type: 'run.paused', nextStepId: 'a' },
    ]);
    assert.equal(displayStatus(state, state.steps.a), 'paused');
    assert.equal(state.steps.a.status, 'succeeded');
    state = applyEvents(state, [{ ...base, seq: 5, type: 'run.resumed' }]);
    assert.equal(displayStatus(state, state.steps.a), 'succeeded');
    assert.equal(state.status, 'running');
  });

  test('a cancelled run: the step in flight ends cancelled, the run says why', async () => {
    const workflow = load(three);
    const control = new RunControl();
    const provider = new ScriptedProvider(
      (r) =>
        new Promise((_, reject) => {
          r.signal.addEventListener('abort', () => reject(r.signal.reason));
          setImmediate(() => control.cancel('stopped in test'));
        }),
    );
    const { events } = await run(workflow, provider, { control });
    const state = runViewModelOf(outlineOf(workflow), events);
    assert.equal(state.status, 'cancelled');
    assert.equal(state.cancelReason, 'stopped in test');
    assert.equal(state.steps.a.status, 'cancelled');
    assert.equal(latestExecution(state.steps.a)!.error?.code, 'cancelled');
    assert.equal(state.steps.b.status, 'pending');
  });

  test('a failed run keeps the error with its cause', async () => {
    const workflow = load(`
      name: fails
      model: { provider: mock }
      steps:
        - { id: a, prompt: x, mock: { $error: "server on fire" } }
    `);
    const { events } = await run(workflow, new MockProvider());
    const state = runViewModelOf(outlineOf(workflow), events);
    assert.equal(state.status, 'failed');
    assert.equal(state.steps.a.status, 'failed');
    assert.match(latestExecution(state.steps.a)!.error!.message, /server on fire/);
    assert.ok(state.error);
  });
});

describe('loops, retries and odd traces', () => {
  test('each visit of a loop is its own execution; the step shows the latest', async () => {
    const workflow = load(`
      name: review-loop
      model: { provider: mock }
      steps:
        - id: code
          prompt: "write code"
        - id: review
          prompt: "review"
          mock: [CHANGES, CHANGES, APPROVED]
        - id: gate
          switch: 'steps.review.output == "APPROVED"'
          cases: { "true": end, "false": code }
    `);
    const { events } = await run(workflow, new MockProvider());
    const review = runViewModelOf(outlineOf(workflow), events).steps.review;
    assert.equal(review.visits, 3);
    assert.deepEqual(review.executions.map((e) => [e.visit, e.output]), [
      [1, 'CHANGES'],
      [2, 'CHANGES'],
      [3, 'APPROVED'],
    ]);
    assert.equal(review.calls, 3);
  });

  test('a retry clears the streamed text; a late delta of the abandoned attempt is ignored', () => {
    const outline = { name: 'w', file: 'f', steps: [{ id: 'a', kind: 'prompt' as const, depth: 0, line: 3, forEach: false }], edges: [] };
    const base = { runId: 'r', time: 10, stepId: 'a', visit: 1 };
    let state = runViewModelOf(outline, [
      { runId: 'r', time: 0, seq: 1, type: 'run.started', schemaVersion: 1, workflow: { name: 'w', file: 'f' }, inputs: {} },
      { ...base, seq: 2, type: 'step.started', kind: 'prompt', attempt: 1 },
      { ...base, seq: 3, type: 'step.delta', attempt: 1, text: 'half a rep' },
      { ...base, seq: 4, type: 'step.retrying', attempt: 1, delayMs: 5, error: { code: 'provider', message: 'reset', cause: { code: 'net', message: 'ECONNRESET' } }, partialOutput: 'half a rep' },
    ]);
    assert.equal(state.steps.a.status, 'retrying');
    state = applyEvents(state, [
      { ...base, seq: 5, type: 'step.started', kind: 'prompt', attempt: 2 },
      { ...base, seq: 6, type: 'step.delta', attempt: 1, text: 'ly' },
      { ...base, seq: 7, type: 'step.delta', attempt: 2, text: 'whole reply' },
    ]);
    const execution = latestExecution(state.steps.a)!;
    assert.equal(state.steps.a.status, 'running');
    assert.equal(execution.streamed, 'whole reply');
    assert.equal(execution.retries[0].partialOutput, 'half a rep');
    assert.equal(execution.retries[0].error.cause?.message, 'ECONNRESET');
    assert.equal(state.steps.a.attempts, 2);
  });

  test('a step the workflow no longer has is added after the others, marked as such', () => {
    const outline = { name: 'w', file: 'f', steps: [{ id: 'a', kind: 'prompt' as const, depth: 0, line: 3, forEach: false }], edges: [] };
    const state = runViewModelOf(outline, [
      { runId: 'r', time: 0, seq: 1, type: 'run.started', schemaVersion: 1, workflow: { name: 'w', file: 'f' }, inputs: {} },
      { runId: 'r', time: 1, seq: 2, type: 'step.started', stepId: 'gone', visit: 1, kind: 'set', attempt: 1, name: 'Gone' },
    ]);
    assert.deepEqual(state.order, ['a', 'gone']);
    assert.equal(state.steps.gone.inWorkflow, false);
    assert.equal(state.steps.gone.name, 'Gone');
    assert.equal(state.steps.gone.kind, 'set');
  });

  test('an interrupted trace: the run is interrupted and nothing is left running', () => {
    const outline = { name: 'w', file: 'f', steps: [], edges: [] };
    let state = runViewModelOf(outline, [
      { runId: 'r', time: 0, seq: 1, type: 'run.started', schemaVersion: 1, workflow: { name: 'w', file: 'f' }, inputs: {} },
      { runId: 'r', time: 1, seq: 2, type: 'step.started', stepId: 'a', visit: 1, kind: 'prompt', attempt: 1 },
    ]);
    state = markInterrupted(state);
    assert.equal(state.status, 'interrupted');
    assert.equal(state.steps.a.status, 'cancelled');
    assert.equal(markInterrupted(state), state);
  });

  test('cost and cache hits add up over calls; restored calls are not counted again', () => {
    const outline = { name: 'w', file: 'f', steps: [], edges: [] };
    const call = (costUsd: number, hit: boolean) => ({
      provider: 'openai',
      model: 'gpt',
      params: {},
      messages: [{ role: 'user' as const, content: 'p' }],
      usage: { inputTokens: 10, outputTokens: 5, totalTokens: 15 },
      costUsd,
      latencyMs: 100,
      cache: { hit, key: 'k' },
    });
    const base = { runId: 'r', time: 1, visit: 1 };
    const state = runViewModelOf(outline, [
      { runId: 'r', time: 0, seq: 1, type: 'run.started', schemaVersion: 1, workflow: { name: 'w', file: 'f' }, inputs: {} },
      { ...base, seq: 2, type: 'step.completed', stepId: 'old', attempt: 1, output: 'o', durationMs: 0, call: call(0.5, false), restored: true },
      { ...base, seq: 3, type: 'step.started', stepId: 'a', kind: 'prompt', attempt: 1 },
      { ...base, seq: 4, type: 'step.completed', stepId: 'a', attempt: 1, output: 'o', durationMs: 100, call: call(0.001, false) },
      { ...base, seq: 5, type: 'step.started', stepId: 'b', kind: 'prompt', attempt: 1 },
      { ...base, seq: 6, type: 'step.completed', stepId: 'b', attempt: 1, output: 'o', durationMs: 1, call: call(0, true) },
    ]);
    assert.equal(state.totals.calls, 2);
    assert.equal(state.totals.cacheHits, 1);
    assert.equal(state.totals.usage.totalTokens, 30);
    assert.ok(Math.abs(state.totals.costUsd! - 0.001) < 1e-12);
    assert.equal(latestExecution(state.steps.old)!.restored, true);
    assert.equal(callView(latestExecution(state.steps.b)!.call!).cacheHit, true);
    assert.equal(state.steps.a.costUsd, 0.001);
  });

  test('elapsed time: running steps tick from their start, finished ones show their duration', () => {
    assert.equal(elapsedMs({ status: 'running', startedAt: 1000 }, 1500), 500);
    assert.equal(elapsedMs({ status: 'succeeded', startedAt: 1000, durationMs: 42 }, 9999), 42);
    const outline = { name: 'w', file: 'f', steps: [], edges: [] };
    const started = runViewModelOf(outline, [{ runId: 'r', time: 1000, seq: 1, type: 'run.started', schemaVersion: 1, workflow: { name: 'w', file: 'f' }, inputs: {} }]);
    assert.equal(runElapsedMs(started, 1600), 600);
    const ended = applyEvents(started, [{ runId: 'r', time: 2000, seq: 2, type: 'run.completed', outputs: {}, durationMs: 1000, usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } }]);
    assert.equal(runElapsedMs(ended, 99999), 1000);
  });
});

describe('a call in flight', () => {
  test('shows the prompt as sent from step.started, then the call as answered', async () => {
    const { events, outline } = await kitchenRun();
    const started = events.findIndex((e) => e.type === 'step.started' && e.stepId === 'outline');
    const inFlight = latestExecution(runViewModelOf(outline, events.slice(0, started + 1)).steps.outline)!;
    assert.equal(callView(inFlight.call!).prompt, 'Outline a post about owls');
    assert.equal(inFlight.call?.model, 'm-1');
    assert.equal(callView(inFlight.call!).latencyMs, undefined);
    const done = latestExecution(runViewModelOf(outline, events).steps.outline)!;
    assert.equal(callView(done.call!).prompt, 'Outline a post about owls');
    assert.equal(typeof callView(done.call!).latencyMs, 'number');
  });
});
