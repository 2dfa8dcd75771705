/** The runner's pure decisions, tested directly: where to go, whether to retry, whether a step may run again, when to stop. */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { decideNext } from '../../../src/engine/next';
import { decideRetry, stopsAfter, visitLimit } from '../../../src/engine/run/decide';
import { load } from '../../support/engine';

const workflow = load(`
  name: decisions
  model: { provider: mock }
  steps:
    - { id: a, prompt: a, on_failure: recover }
    - { id: b, prompt: b, next: d }
    - { id: c, prompt: c, end: true }
    - id: d
      switch: '"x"'
      cases: { x: c }
      default: end
    - { id: recover, prompt: r, max_visits: 2, fail: "gave up" }
`);
const step = (id: string) => workflow.stepsById.get(id)!;
const error = { code: 'internal' as const, message: 'boom' };

describe('decideNext', () => {
  test('a failure goes to on_failure, or fails the run with the step’s error', () => {
    assert.deepEqual(decideNext(workflow, step('a'), { status: 'failed', error }), { type: 'goto', stepId: 'recover' });
    assert.deepEqual(decideNext(workflow, step('b'), { status: 'failed', error }), { type: 'fail', error });
  });

  test('a success follows fail:, end, next, the switch case, then the file', () => {
    assert.deepEqual(decideNext(workflow, step('recover'), { status: 'succeeded' }), { type: 'fail-step' });
    assert.deepEqual(decideNext(workflow, step('c'), { status: 'succeeded' }), { type: 'end' });
    assert.deepEqual(decideNext(workflow, step('b'), { status: 'succeeded' }), { type: 'goto', stepId: 'd' });
    assert.deepEqual(decideNext(workflow, step('d'), { status: 'succeeded', switchTarget: 'c' }), { type: 'goto', stepId: 'c' });
    assert.deepEqual(decideNext(workflow, step('a'), { status: 'succeeded' }), { type: 'goto', stepId: 'b' });
  });

  test('a skipped step follows next, or the file', () => {
    assert.deepEqual(decideNext(workflow, step('b'), { status: 'skipped' }), { type: 'goto', stepId: 'd' });
    assert.deepEqual(decideNext(workflow, step('a'), { status: 'skipped' }), { type: 'goto', stepId: 'b' });
  });

  test('is a function of its arguments: the same call gives the same decision', () => {
    fc.assert(
      fc.property(fc.constantFrom('a', 'b', 'c', 'd', 'recover'), fc.constantFrom('succeeded', 'skipped', 'failed'), (id, status) => {
        const outcome = status === 'failed' ? { status, error } : { status };
        assert.deepEqual(decideNext(workflow, step(id), outcome as never), decideNext(workflow, step(id), outcome as never));
      }),
    );
  });
});

describe('decideRetry', () => {
  test('retries while attempts remain and the failure is retryable; Retry-After outranks retry_delay', () => {
    fc.assert(
      fc.property(fc.nat(5), fc.nat(10_000), fc.integer({ min: 1, max: 8 }), fc.boolean(), fc.option(fc.nat(60_000), { nil: undefined }), (retries, retryDelayMs, attempt, retryable, retryAfterMs) => {
        const decision = decideRetry({ retries, retryDelayMs }, attempt, { retryable, retryAfterMs });
        if (attempt > retries || !retryable) assert.deepEqual(decision, { type: 'give-up' });
        else assert.deepEqual(decision, { type: 'retry', delayMs: Math.max(retryDelayMs, retryAfterMs ?? 0) });
      }),
    );
  });
});

describe('visitLimit and stopsAfter', () => {
  test('a step may be entered max_visits times; the next entry is a located max-visits error', () => {
    assert.equal(visitLimit(step('recover'), 1), undefined);
    const tooMany = visitLimit(step('recover'), 2);
    assert.equal(tooMany?.code, 'max-visits');
    assert.match(tooMany!.message, /would run a 3rd time, past its `max_visits: 2`/);
    assert.deepEqual(tooMany!.range, step('recover').idRange);
  });

  test('Run to here stops after the named step unless it failed', () => {
    assert.equal(stopsAfter('b', step('b'), { status: 'succeeded' }), true);
    assert.equal(stopsAfter('b', step('b'), { status: 'skipped' }), true);
    assert.equal(stopsAfter('b', step('b'), { status: 'failed', error }), false);
    assert.equal(stopsAfter('b', step('a'), { status: 'succeeded' }), false);
    assert.equal(stopsAfter(undefined, step('a'), { status: 'succeeded' }), false);
  });
});
