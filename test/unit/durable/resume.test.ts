import assert from 'node:assert/strict';
import { writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { test } from 'node:test';
import { runWorkflow, type ModelRequest, type ModelResponse, type Provider, type RunEvent } from '../../../src/engine';
import { planResume, readTrace, ResumeError, recordedRun, resumeRun, TraceStore } from '../../../src/engine/trace';
import { CountingProvider, only, tempDir, writeWorkflow } from '../../support/durable';

// A parallel step, a map, and a review loop through a switch with a scripted reviewer:
// every kind of execution the restorer must key correctly.
const WORKFLOW = `name: Resumable
inputs:
  topic: { default: bread }
model: { provider: counting, name: m }
steps:
  - id: spec
    prompt: "Write a spec about {{ inputs.topic }}."
  - id: both
    parallel:
      - id: left
        prompt: "Left of {{ steps.spec.output }}"
      - id: right
        prompt: "Right of {{ steps.spec.output }}"
  - id: items
    for_each: "['x', 'y', 'z']"
    concurrency: 1
    prompt: "Item {{ item }} with {{ steps.left.output }} and {{ steps.right.output }}"
  - id: review
    prompt: "Review {{ steps.items.output }}"
    mock: ["CHANGES: more", "APPROVED"]
  - id: verdict
    switch: 'steps.review.output.startsWith("APPROVED") ? "yes" : "no"'
    cases:
      yes: final
      no: review
  - id: final
    prompt: "Final: {{ steps.review.output }}"
`;

/** Fails each named execution (`items[1]`, `review@2`) once, like a dropped connection. */
class FlakyProvider implements Provider {
  readonly id = 'counting';
  constructor(
    readonly inner: CountingProvider,
    private readonly failOnce: Set<string>,
  ) {}
  complete(request: ModelRequest): Promise<ModelResponse> {
    const label = `${request.stepId}${request.index !== undefined ? `[${request.index}]` : ''}${(request.visit ?? 1) > 1 ? `@${request.visit}` : ''}`;
    if (this.failOnce.delete(label)) return Promise.reject(Object.assign(new Error(`connection reset at ${label}`), { retryable: false }));
    return this.inner.complete(request);
  }
}

async function setup(dir: string) {
  const workflow = writeWorkflow(path.join(dir, 'resumable.workflow.yaml'), WORKFLOW);
  const store = new TraceStore(path.join(dir, '.orchestrate'));
  const reference = await runWorkflow(workflow, { providers: only(new CountingProvider()) });
  assert.equal(reference.status, 'succeeded');
  return { workflow, store, reference };
}

async function failingRun(dir: string, failOn: string) {
  const { workflow, store, reference } = await setup(dir);
  const calls = new CountingProvider();
  const recording = recordedRun(workflow, { store, workflowText: WORKFLOW });
  const failed = await recording.run({ inputs: { topic: 'rye' }, providers: only(new FlakyProvider(calls, new Set([failOn]))) });
  assert.equal(failed.status, 'failed');
  return { workflow, store, reference, calls, trace: recording.trace!, failed };
}

test('resume restores every finished execution, calls only the rest, and ends as an uninterrupted run would', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const { workflow, store, calls, trace, failed } = await failingRun(dir, 'items[1]');
  // A map goes on with its other items when one fails, so items[2] finished too.
  assert.deepEqual(calls.steps, ['spec', 'left', 'right', 'items[0]', 'items[2]']);

  const resumedCalls = new CountingProvider();
  const events: RunEvent[] = [];
  const outcome = await resumeRun(trace, { providers: only(resumedCalls), onEvent: (e) => events.push(e) });
  assert.equal(outcome.result.status, 'succeeded');
  assert.deepEqual(resumedCalls.steps, ['items[1]', 'review', 'review@2', 'final'], 'no finished execution is called again');
  assert.equal(outcome.restored, 5, 'spec, left, right, items[0], items[2]');
  const restored = events.filter((e) => e.type === 'step.completed' && e.restored).map((e) => (e.type === 'step.completed' ? `${e.stepId}${e.index ?? ''}` : ''));
  assert.deepEqual(restored.sort(), ['items0', 'items2', 'left', 'right', 'spec']);

  // The same inputs (topic=rye, from run.started) give the same outputs as a run that never failed.
  const uninterrupted = await runWorkflow(workflow, { inputs: { topic: 'rye' }, providers: only(new CountingProvider()) });
  assert.deepEqual(outcome.result.outputs, uninterrupted.outputs);
  assert.deepEqual(outcome.result.steps.final.output, uninterrupted.steps.final.output);

  // The continuation is a new trace in the same store, linked by resumedFrom.
  assert.ok(outcome.trace && outcome.trace !== trace);
  const continuation = await readTrace(outcome.trace);
  assert.equal(continuation.started.resumedFrom, failed.runId);
  assert.deepEqual(continuation.started.inputs, { topic: 'rye' });
  const listed = await store.listRuns();
  assert.equal(listed[0].resumedFrom, failed.runId);
});

test('a scripted reviewer keeps its place: resuming inside a loop takes the same path', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const { calls, trace } = await failingRun(dir, 'review@2');
  assert.deepEqual(calls.steps.slice(-1), ['review']);
  const resumedCalls = new CountingProvider();
  const outcome = await resumeRun(trace, { providers: only(resumedCalls) });
  assert.equal(outcome.result.status, 'succeeded');
  assert.deepEqual(resumedCalls.steps, ['review@2', 'final'], 'review visit 1 is restored and its `mock:` entry stays used');
  assert.equal(outcome.result.steps.review.output, 'APPROVED');
  assert.equal(outcome.result.steps.review.visits, 2);
});

test('a continuation can itself be resumed from its own trace alone', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const { trace } = await failingRun(dir, 'items[1]');
  const second = await resumeRun(trace, { providers: only(new FlakyProvider(new CountingProvider(), new Set(['final']))) });
  assert.equal(second.result.status, 'failed');
  const thirdCalls = new CountingProvider();
  const third = await resumeRun(second.trace!, { providers: only(thirdCalls) });
  assert.equal(third.result.status, 'succeeded');
  assert.deepEqual(thirdCalls.steps, ['final']);
});

test('resume refuses a run that succeeded, and warns when the workflow changed since', async (t) => {
  const { dir, remove } = tempDir();
  t.after(remove);
  const { workflow, trace } = await failingRun(dir, 'final');
  writeFileSync(workflow.file, WORKFLOW.replace('Final:', 'Finally:'));
  const plan = await planResume(trace);
  assert.equal(plan.warnings.length, 1);
  assert.match(plan.warnings[0], /changed since run .*restored as recorded/);

  const outcome = await resumeRun(trace, { providers: only(new CountingProvider()) });
  assert.equal(outcome.result.status, 'succeeded');
  await assert.rejects(planResume(outcome.trace!), (e: unknown) => e instanceof ResumeError && e.code === 'already-succeeded');
});
