import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import * as path from 'node:path';
import { RunControl } from '../../../src/engine';
import { placeBreakpoints } from '../../../src/debug/breakpoints';
import { load, run, ScriptedProvider } from '../../support/engine';
import { queuedStops } from './queued-stops';

const harness = queuedStops;

const echo = () => new ScriptedProvider((request) => `reply to ${request.stepId}`);

const WORKFLOW = `
  name: hostile
  model: { provider: scripted }
  steps:
    - id: constructor
      set: first
    - id: toString
      for_each: "[1, 2]"
      concurrency: 2
      prompt: "{{ item }}"
    - id: hasOwnProperty
      set: "{{ steps.constructor.output }}"
`;

describe('the workflow debugger', () => {
  test('pause stops at the next step; step over goes to the next step in the lane; steps named like prototype members are data', async () => {
    const workflow = load(WORKFLOW);
    const { dbg, next } = harness();
    dbg.pause();
    const running = run(workflow, echo(), { inspector: dbg });
    const paused = await next();
    assert.equal(paused.reason, 'pause');
    assert.equal(paused.point.ref.stepId, 'constructor');
    dbg.resume(paused.lane.id, 'next');
    const over = await next();
    assert.equal(over.point.ref.stepId, 'toString');
    assert.equal(over.point.ref.index, undefined, 'the step, not an item');
    dbg.resume(over.lane.id, 'next');
    const after = await next();
    assert.equal(after.point.ref.stepId, 'hasOwnProperty');
    assert.equal(after.point.setStepOutput('constructor', 'changed'), true);
    dbg.resume(after.lane.id, 'continue');
    const { result } = await running;
    assert.equal(result.status, 'succeeded');
    const id: string = 'hasOwnProperty';
    assert.ok(Object.hasOwn(result.steps, id));
    assert.equal(result.steps[id].output, 'changed');
  });

  test('a breakpoint whose condition fails to evaluate says so and stops; items stop once each, concurrently, on their own threads', async () => {
    const workflow = load(WORKFLOW);
    const { dbg, next, output } = harness();
    const lines = (id: string) => workflow.stepsById.get(id)!.idRange.start.line;
    dbg.breakpoints.set(path.resolve(workflow.file), placeBreakpoints([{ line: lines('toString'), condition: 'item.nope == 1' }], workflow, undefined, () => 1));
    const running = run(workflow, echo(), { inspector: dbg });
    const first = await next();
    const second = await next();
    assert.deepEqual([first.point.ref.index, second.point.ref.index].sort(), [0, 1]);
    assert.notEqual(first.lane.id, second.lane.id);
    assert.match(output.join(''), /breakpoint condition `item.nope == 1`/);
    dbg.resumeAll();
    assert.equal((await running).result.status, 'succeeded');
  });

  test('the model-call filter stops with the rendered request; cancelling a held run ends it cancelled', async () => {
    const workflow = load(WORKFLOW);
    const { dbg, next } = harness();
    dbg.filters = new Set(['model-call']);
    const control = new RunControl();
    const running = run(workflow, echo(), { inspector: dbg, control });
    const call = await next();
    assert.equal(call.kind, 'call');
    assert.match(call.request?.messages.at(-1)?.content ?? '', /^[12]$/);
    control.cancel('stopped by the debugger');
    dbg.reset();
    assert.equal((await running).result.status, 'cancelled');
  });

  test('a failing branch stops once, at the branch, not again at its parallel step or the sub-workflow around it', async () => {
    const child = load(
      `
      name: child
      steps:
        - id: fork
          parallel:
            - id: bad
              set: "{{ 1 / 0 }}"
            - id: good
              set: g
    `,
      'child.workflow.yaml',
    );
    const workflow = load(`
      name: outer
      steps:
        - id: sub
          uses: child.workflow.yaml
    `);
    const { dbg, next } = harness();
    const running = run(workflow, echo(), { inspector: dbg, loadWorkflow: async () => child });
    const failed = await next();
    assert.equal(failed.reason, 'exception');
    assert.equal(failed.point.ref.stepId, 'sub/bad');
    assert.deepEqual(dbg.lanes.chain(failed.execution).map((e) => e.point.ref.stepId), ['sub/bad', 'sub/fork', 'sub']);
    dbg.resume(failed.lane.id, 'continue');
    assert.equal((await running).result.status, 'failed');
  });

  test('step out of a sub-workflow lands on the next step of the workflow that uses it', async () => {
    const child = load(
      `
      name: child
      steps:
        - id: one
          set: 1
        - id: two
          set: 2
    `,
      'child.workflow.yaml',
    );
    const workflow = load(`
      name: outer
      steps:
        - id: sub
          uses: child.workflow.yaml
        - id: after
          set: done
    `);
    const { dbg, next } = harness();
    dbg.stopAtFirstStep('entry');
    const running = run(workflow, echo(), { inspector: dbg, loadWorkflow: async () => child });
    const entry = await next();
    assert.equal(entry.point.ref.stepId, 'sub');
    dbg.resume(entry.lane.id, 'in');
    const inner = await next();
    assert.equal(inner.point.ref.stepId, 'sub/one');
    assert.equal(inner.point.workflow.name, 'child');
    dbg.resume(inner.lane.id, 'next');
    assert.equal((await next()).point.ref.stepId, 'sub/two');
    dbg.resume(inner.lane.id, 'out');
    const out = await next();
    assert.equal(out.point.ref.stepId, 'after');
    dbg.resume(out.lane.id, 'continue');
    assert.equal((await running).result.status, 'succeeded');
  });
});
