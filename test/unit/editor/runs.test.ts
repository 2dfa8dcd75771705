// How editor runs are planned (*Run step*, *Run from here* and their seeds) and the limit
// on model calls in flight: the pure parts of src/extension/runs.
import assert from 'node:assert/strict';
import { describe, it } from 'node:test';
import { runWorkflow, type ModelRequest, type StepResult } from '../../../src/engine';
import { createResolver } from '../../../src/engine/providers';
import { parseWorkflow } from '../../../src/extension/language/parsed';
import { limitConcurrency } from '../../../src/extension/runs/concurrency';
import { planRun, upstreamReads } from '../../../src/extension/runs/plan';

const WORKFLOW = `name: Plan
steps:
  - id: a
    prompt: A
  - id: b
    prompt: "B after {{ steps.a.output }}"
  - id: group
    parallel:
      - id: c
        prompt: "C after {{ steps.b.output }}"
      - id: d
        prompt: D
  - id: e
    prompt: "E after {{ steps.c.output }} and {{ steps.a.output }}"
`;

const model = parseWorkflow(WORKFLOW, '/tmp/plan.workflow.yaml');
const done = (output: unknown): StepResult => ({ status: 'succeeded', output, attempts: 1, visits: 1 });

describe('run plans', () => {
  it('knows what a step and the steps after it read from before', () => {
    assert.deepEqual([...upstreamReads(model, new Set(['e']))].sort(), ['a', 'c']);
    assert.deepEqual([...upstreamReads(model, new Set(['group']))], ['b'], 'a parallel step reads what its branches read');
    assert.deepEqual([...upstreamReads(model, new Set(['group', 'e']))].sort(), ['a', 'b']);
  });

  it('runs a step alone when the results it reads exist', () => {
    const seed = { a: done('A!'), b: done('B!'), c: done('C!') };
    assert.deepEqual(planRun(model, 'run-step', 'e', seed), { stepping: false, startAt: 'e', stopAfter: 'e', seed });
  });

  it('runs from the start, stopping after the step, when some are missing', () => {
    const plan = planRun(model, 'run-step', 'e', { a: done('A!') });
    assert.equal(plan.startAt, undefined);
    assert.equal(plan.stopAfter, 'e');
    assert.match(plan.note!, /no earlier result for `c`/);
  });

  it('starts at a step with the seed for Run from here, and plans the other modes', () => {
    const seed = { a: done('A!'), b: done('B!') };
    assert.deepEqual(planRun(model, 'run-from-here', 'group', seed), { stepping: false, startAt: 'group', stopAfter: undefined, seed });
    assert.equal(planRun(model, 'run-from-here', 'group', { a: done('A!') }).startAt, undefined);
    assert.deepEqual(planRun(model, 'run-to-here', 'b', {}), { stepping: false, stopAfter: 'b' });
    assert.deepEqual(planRun(model, 'step-through', undefined, {}), { stepping: true });
  });

  it('gives the runner what it needs to run one step from the seed', async () => {
    const seed = { a: done('A!'), b: done('B!'), c: done('C!') };
    const plan = planRun(model, 'run-step', 'e', seed);
    const prompts: string[] = [];
    const provider = { id: 'mock', complete: async (request: ModelRequest) => (prompts.push(request.messages.at(-1)!.content), { text: 'ok' }) };
    const result = await runWorkflow(model.workflow!, { providers: createResolver({ mock: provider }, { forceMock: true }), startAt: plan.startAt, stopAfter: plan.stopAfter, seed: plan.seed });
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(prompts, ['E after C! and A!']);
  });
});

describe('concurrency limit', () => {
  it('keeps at most N model calls in flight, and lets a cancelled wait go', async () => {
    let active = 0;
    let peak = 0;
    const releases: (() => void)[] = [];
    const inner = {
      id: 'slow',
      complete: async () => {
        active++;
        peak = Math.max(peak, active);
        await new Promise<void>((resolve) => releases.push(resolve));
        active--;
        return { text: 'ok' };
      },
    };
    const limited = limitConcurrency({ resolve: () => inner }, 2).resolve('slow');
    const request = (signal: AbortSignal) => ({ provider: 'slow', model: 'm', messages: [], params: {}, signal, stepId: 's', attempt: 1 });
    const never = new AbortController();
    const calls = [1, 2, 3].map(() => limited.complete(request(never.signal)));
    const cancelled = new AbortController();
    const waiting = limited.complete(request(cancelled.signal));
    await new Promise((resolve) => setImmediate(resolve));
    assert.equal(active, 2);
    cancelled.abort(new Error('stop'));
    await assert.rejects(waiting, /stop/);
    while (releases.length > 0 || active > 0) {
      releases.shift()?.();
      await new Promise((resolve) => setImmediate(resolve));
    }
    await Promise.all(calls);
    assert.equal(peak, 2);
  });
});
