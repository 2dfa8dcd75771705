/**
 * The debugger's holds in the one run state: the runner says where an inspector holds
 * it (`step.held` / `step.released`), the reducer folds that into `RunState.held`, and
 * the run is `paused` while anything is held. The debugger, the run panel, the lenses
 * and the status bar read this, never a copy of their own.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { WorkflowDebugger } from '../../../src/debug/workflow-debugger';
import { DebuggerRunControl } from '../../../src/debug/run-control';
import type { HoldPoint, RunEvent, StepRef } from '../../../src/engine';
import { holdAt, initialRunState, reduceEvents, reduceRun, refKey, RunStateBuilder, stepInfosOf, type RunState } from '../../../src/engine/state';
import { load, run, ScriptedProvider } from '../../support/engine';
import { queuedStops } from './queued-stops';

const WORKFLOW = load(`
  name: holds
  model: { provider: scripted }
  steps:
    - id: first
      prompt: one
    - id: fork
      parallel:
        - id: left
          set: L
        - id: right
          set: R
    - id: each
      for_each: "[1, 2]"
      concurrency: 1
      set: "{{ item }}"
    - id: last
      prompt: two
`);

/** A debugger driving a real run; each stop and each state the run passes through are the test's to read. */
function debugRun(setup: (dbg: WorkflowDebugger) => void = () => undefined) {
  const { dbg, next: nextStop } = queuedStops();
  setup(dbg);
  const builder = new RunStateBuilder(initialRunState(WORKFLOW, stepInfosOf(WORKFLOW)));
  const held: string[] = [];
  const onHeld: (() => void)[] = [];
  const control = new DebuggerRunControl(dbg, () => undefined);
  const running = run(WORKFLOW, new ScriptedProvider((r) => `reply to ${r.stepId}`), {
    inspector: dbg,
    control,
    onEvent: (event) => {
      builder.apply(event);
      dbg.onEvent(event);
      if (event.type === 'step.held') {
        held.push(`${event.at}:${refKey(event)}`);
        onHeld.splice(0).forEach((go) => go());
      }
    },
  });
  /** The next stop, once the run state shows it. */
  const stopped = async () => {
    const stop = await nextStop();
    const key = refKey(stop.point.ref);
    while (!builder.state.held?.some((h) => h.key === key)) await new Promise<void>((resolve) => onHeld.push(resolve));
    return stop;
  };
  return { dbg, control, running, stopped, state: () => builder.state, held };
}

describe('holds in the run state', () => {
  test('a stop is in the state where the debugger made it; stepping moves it; continuing clears it', async () => {
    const { dbg, running, stopped, state, held } = debugRun((d) => d.stopAtFirstStep('entry'));
    let stop = await stopped();
    assert.deepEqual(state().held?.map((h) => [h.stepId, h.at]), [['first', 'step']]);
    assert.equal(state().status, 'paused');
    assert.equal(holdAt(state(), 'first')?.at, 'step');

    dbg.resume(stop.lane.id, 'in');
    stop = await stopped();
    assert.equal(stop.kind, 'call');
    assert.deepEqual(state().held?.map((h) => [h.stepId, h.at]), [['first', 'call']], 'the step’s model call, and only that');

    dbg.resume(stop.lane.id, 'next');
    stop = await stopped();
    assert.deepEqual(state().held?.map((h) => h.stepId), ['fork']);
    assert.equal(state().steps.first.status, 'succeeded');

    dbg.resume(stop.lane.id, 'in');
    stop = await stopped();
    assert.equal(stop.point.ref.stepId, 'left');
    assert.equal(holdAt(state(), 'left')?.at, 'step');
    assert.equal(holdAt(state(), 'fork'), undefined, 'not the parallel itself');
    assert.equal(holdAt(state(), 'fork', true)?.stepId, 'left', 'but inside it');

    dbg.resumeAll();
    const { result, events } = await running;
    assert.equal(result.status, 'succeeded');
    assert.equal(state().held, undefined);
    assert.equal(state().status, 'succeeded');
    // Every hold is released, in the events as in the state.
    const opened = events.filter((e) => e.type === 'step.held').map((e) => refKey(e as StepRef));
    const closed = events.filter((e) => e.type === 'step.released').map((e) => refKey(e as StepRef));
    assert.deepEqual(opened, closed);
    assert.deepEqual(held, ['step:first#1#', 'call:first#1#', 'step:fork#1#', 'step:fork#1#/left#1#']);
  });

  test('the run panel’s and the lenses’ controls act through the debugger: Next step steps over, Resume continues, Pause stops at the next step', async () => {
    const { control, running, stopped, state } = debugRun((d) => d.stopAtFirstStep('entry'));
    await stopped();
    control.step();
    assert.equal((await stopped()).point.ref.stepId, 'fork');
    control.step();
    assert.equal((await stopped()).point.ref.stepId, 'each', 'over the branches');
    control.resume();
    control.pause();
    const paused = await stopped();
    assert.deepEqual([paused.reason, paused.point.ref.stepId, paused.point.ref.index], ['pause', 'each', 0]);
    assert.equal(holdAt(state(), 'each')?.index, 0);
    control.resume();
    await running;
    assert.equal(state().status, 'succeeded');
  });

  test('a run cancelled while held ends cancelled, nothing held', async () => {
    const { control, running, stopped, state } = debugRun((d) => d.stopAtFirstStep('entry'));
    await stopped();
    control.cancel('stopped from the run panel');
    const { result, events } = await running;
    assert.equal(result.status, 'cancelled');
    assert.equal(state().held, undefined);
    assert.deepEqual(events.slice(-2).map((e) => e.type), ['step.released', 'run.cancelled']);
  });
});

// ─── The reducer's holds against a model: any interleaving of holds and releases ────

const HOSTILE_IDS = ['a', 'b', '__proto__', 'constructor', 'toString', 'review/draft'];
const refArb = fc.record({ stepId: fc.constantFrom(...HOSTILE_IDS), visit: fc.integer({ min: 1, max: 3 }), index: fc.option(fc.integer({ min: 0, max: 2 }), { nil: undefined }) });
const opArb = fc.record({ held: fc.boolean(), ref: refArb, at: fc.constantFrom('step', 'call', 'failed', 'retry', 'check' as const) });

type Op = { held: boolean; ref: StepRef; at: HoldPoint };

function eventsOf(ops: Op[], end: boolean): RunEvent[] {
  const base = { runId: 'r', time: 0 };
  const events: RunEvent[] = [{ ...base, seq: 1, type: 'run.started', schemaVersion: 1, workflow: { name: 'w', file: 'w.yaml' }, inputs: {} }];
  for (const op of ops) {
    const ref: StepRef = { stepId: op.ref.stepId, visit: op.ref.visit, ...(op.ref.index !== undefined ? { index: op.ref.index } : {}) };
    events.push(op.held ? { ...base, seq: events.length + 1, type: 'step.held', ...ref, at: op.at } : { ...base, seq: events.length + 1, type: 'step.released', ...ref });
  }
  if (end) events.push({ ...base, seq: events.length + 1, type: 'run.completed', outputs: {}, durationMs: 0, usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } });
  return events;
}

describe('the reducer’s holds', () => {
  test('are the holds not yet released, in order; the run is paused exactly while there are any; its end clears them', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 40 }), fc.boolean(), (ops, end) => {
        const events = eventsOf(ops, end);
        const model = new Map<string, string>();
        for (const op of ops) {
          const key = refKey(op.ref);
          model.delete(key);
          if (op.held) model.set(key, op.at);
        }
        const state = reduceEvents(initialRunState({ name: 'w', file: 'w.yaml' }), events);
        if (end) {
          assert.equal(state.held, undefined);
          assert.equal(state.status, 'succeeded');
          return;
        }
        assert.deepEqual((state.held ?? []).map((h) => [h.key, h.at]), [...model]);
        assert.equal(state.status, model.size > 0 ? 'paused' : 'running');
        // Step ids like `__proto__` are data: each held step is a step of the state's own.
        for (const h of state.held ?? []) assert.ok(Object.hasOwn(state.steps, h.stepId));
      }),
    );
  });

  test('fold the same in one batch, event by event, or in place', () => {
    fc.assert(
      fc.property(fc.array(opArb, { maxLength: 30 }), (ops) => {
        const events = eventsOf(ops, false);
        const initial = initialRunState({ name: 'w', file: 'w.yaml' });
        const batch = reduceEvents(initial, events);
        let stepwise: RunState = initial;
        for (const event of events) stepwise = reduceRun(stepwise, event);
        const builder = new RunStateBuilder(initialRunState({ name: 'w', file: 'w.yaml' }));
        for (const event of events) builder.apply(event);
        assert.deepEqual(stepwise, batch);
        assert.deepEqual(builder.state, batch);
        assert.deepEqual(initial, initialRunState({ name: 'w', file: 'w.yaml' }), 'the state given is left as it was');
      }),
    );
  });
});
