import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { RunControl, SimulatedClock, type RunEvent } from '../../../src/engine';
import type { Inspector, InspectionPoint } from '../../../src/engine/run';
import { refKey } from '../../../src/engine/state/run-state';
import { load, run, ScriptedProvider } from '../../support/engine';

const echo = () => new ScriptedProvider((request) => `reply to ${request.stepId}`);

/** Records every hook as `hook:refKey`. */
function recorder(log: string[]): Inspector {
  const key = (point: InspectionPoint) => refKey(point.ref);
  return {
    beforeStep: (p) => void log.push(`step:${key(p)}`),
    beforeModelCall: (p) => void log.push(`call:${key(p)}#${p.attempt}:${p.request.messages.at(-1)?.content}`),
    onStepFailed: (p) => void log.push(`failed:${key(p)}:${p.error.code}`),
    onRetry: (p) => void log.push(`retry:${key(p)}#${p.attempt}:${p.delayMs}`),
    onCheckFailed: (p) => void log.push(`check:${key(p)}#${p.attempt}:${String(p.output)}`),
  };
}

/** A hook that holds the run until released. */
function gate() {
  let release!: () => void;
  let reached!: () => void;
  const arrived = new Promise<void>((resolve) => (reached = resolve));
  const held = new Promise<void>((resolve) => (release = resolve));
  return { arrived, release: () => release(), hold: () => (reached(), held) };
}

const stripTimes = (events: RunEvent[]) => events.map(({ time: _time, runId: _runId, ...rest }) => rest);

describe('the inspection port', () => {
  test('is called before each step, item, branch and model call, with the rendered request', async () => {
    const workflow = load(`
      name: shapes
      model: { provider: scripted }
      inputs:
        topic: { default: owls }
      steps:
        - id: a
          prompt: about {{ inputs.topic }}
        - id: each
          for_each: "[1, 2]"
          concurrency: 1
          set: "{{ item }}"
        - id: both
          parallel:
            - id: left
              set: l
            - id: right
              set: r
    `);
    const log: string[] = [];
    const { result } = await run(workflow, echo(), { inspector: recorder(log) });
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(log, ['step:a#1#', 'call:a#1##1:about owls', 'step:each#1#', 'step:each#1#0', 'step:each#1#1', 'step:both#1#', 'step:both#1#/left#1#', 'step:both#1#/right#1#']);
  });

  test('sees sub-workflow steps under their prefixed ids', async () => {
    const child = load(
      `
      name: child
      steps:
        - id: inner
          set: hi
      outputs:
        said: "{{ steps.inner.output }}"
    `,
      'child.workflow.yaml',
    );
    const workflow = load(`
      name: parent
      steps:
        - id: sub
          uses: child.workflow.yaml
    `);
    const log: string[] = [];
    const points: InspectionPoint[] = [];
    const inspector = recorder(log);
    const { result } = await run(workflow, echo(), { inspector: { ...inspector, beforeStep: (p) => void (points.push(p), inspector.beforeStep!(p)) }, loadWorkflow: async () => child });
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(log, ['step:sub#1#', 'step:sub#1#/sub/inner#1#']);
    assert.equal(points[1].workflow.name, 'child');
    assert.equal(points[1].step.id, 'inner');
  });

  test('reports a failed check, the retry (before its wait) and the failure', async () => {
    const workflow = load(`
      name: checks
      model: { provider: scripted }
      steps:
        - id: a
          prompt: go
          check: output == "good"
          retries: 1
          retry_delay: 5s
    `);
    const clock = new SimulatedClock();
    const log: string[] = [];
    const running = run(workflow, new ScriptedProvider(() => 'bad'), { inspector: recorder(log), clock });
    while (!log.some((entry) => entry.startsWith('retry'))) await clock.advance(0);
    assert.deepEqual(log, ['step:a#1#', 'call:a#1##1:go', 'check:a#1##1:bad', 'retry:a#1##1:5000']);
    assert.equal(clock.pending, 1, 'the retry waits only after the hook');
    await clock.advance(5000);
    const { result } = await running;
    assert.equal(result.status, 'failed');
    assert.deepEqual(log.slice(4), ['call:a#1##2:go', 'check:a#1##2:bad', 'failed:a#1#:check']);
  });

  test('holds the run while a hook is pending, and sets a step output as a what-if', async () => {
    const workflow = load(`
      name: hold
      model: { provider: scripted }
      steps:
        - id: a
          prompt: first
        - id: b
          prompt: "then {{ steps.a.output }}"
    `);
    const provider = echo();
    const held = gate();
    const running = run(workflow, provider, {
      inspector: {
        beforeStep: (point) => {
          if (point.ref.stepId !== 'b') return;
          assert.equal(point.setStepOutput('a', 'what if'), true);
          assert.equal(point.setStepOutput('constructor', 'x'), false);
          return held.hold();
        },
      },
    });
    await held.arrived;
    assert.equal(provider.requests.length, 1, 'b waits at its breakpoint');
    held.release();
    const { result } = await running;
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(provider.prompts, ['first', 'then what if']);
  });

  test('a run cancelled while held stops waiting and ends cancelled', async () => {
    const workflow = load(`
      name: cancel
      model: { provider: scripted }
      steps:
        - id: a
          prompt: first
    `);
    const provider = echo();
    const held = gate();
    const control = new RunControl();
    const running = run(workflow, provider, { control, inspector: { beforeModelCall: () => held.hold() } });
    await held.arrived;
    control.cancel('stopped by the debugger');
    const { result, events } = await running;
    assert.equal(result.status, 'cancelled');
    assert.equal(provider.requests.length, 0, 'the call was never sent');
    assert.equal(events.at(-1)?.type, 'run.cancelled');
  });

  test('an inspector that does nothing leaves the run exactly as without one', async () => {
    const workflow = load(`
      name: same
      model: { provider: scripted }
      steps:
        - id: a
          prompt: go
          check: output != "x"
        - id: each
          for_each: "[1, 2, 3]"
          prompt: "{{ item }}"
        - id: fork
          parallel:
            - id: l
              prompt: left
            - id: r
              set: "{{ steps.a.output }}"
    `);
    const plain = await run(workflow, echo(), { clock: new SimulatedClock(), runId: 'r' });
    const inspected = await run(workflow, echo(), { clock: new SimulatedClock(), runId: 'r', inspector: recorder([]) });
    assert.deepEqual(stripTimes(inspected.events), stripTimes(plain.events));
  });
});
