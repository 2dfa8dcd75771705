/**
 * The one run state: folding is pure and order-of-batching free, and every face's
 * projection of a run agrees with it — the runner's result, the lenses, the panel,
 * the CLI's trace view — for random runs that succeed, fail and get cancelled.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { RunControl } from '../../../src/engine/control';
import { loadWorkflow } from '../../../src/engine/load';
import { createResolver } from '../../../src/engine/providers';
import { runWorkflow } from '../../../src/engine/run';
import { initialRunState, latestExecution, reduceEvents, reduceRun, RunStateBuilder, stepInfosOf, stepResult, type RunState } from '../../../src/engine/state';
import { runView } from '../../../src/engine/trace/view';
import type { RunEvent, RunResult, Workflow } from '../../../src/engine/types';
import { layeredStatus } from '../../../src/extension/language/status';
import { runViewModelOf } from '../../../src/shared/run-view-model';
import { outlineOf } from '../../../src/shared/workflow-outline';
import { ScriptedProvider } from '../../support/engine';
import { randomWorkflow, replyFor } from '../../support/random-workflow';

interface RandomRun {
  workflow: Workflow;
  events: RunEvent[];
  result: RunResult;
}

/** A random nested workflow, run with replies that sometimes fail, cancelled at a random event or not at all. */
const randomRun = fc.tuple(randomWorkflow(), fc.integer({ min: 1, max: 1_000_000 }), fc.option(fc.nat(40)), fc.integer({ min: 0, max: 4 })).map(([generated, seed, cancelAt, failEvery]) => ({ generated, seed, cancelAt, failEvery }));

async function play({ generated, seed, cancelAt, failEvery }: fc.Arbitrary<unknown> extends never ? never : Awaited<ReturnType<typeof randomRun.generate>>['value']): Promise<RandomRun> {
  const { main, files } = generated.render();
  const load = (text: string, file: string) => loadWorkflow(text, file).workflow!;
  const workflow = load(main, '/w/main.workflow.yaml');
  const control = new RunControl();
  const events: RunEvent[] = [];
  const provider = new ScriptedProvider(async (r) => {
    await new Promise((resolve) => setImmediate(resolve));
    const reply = replyFor(seed, r.messages[r.messages.length - 1].content);
    if (failEvery > 0 && parseInt(reply.slice(-2), 36) % (failEvery + 2) === 0) throw Object.assign(new Error(`server says no to ${reply}`), { retryable: false });
    return reply;
  });
  const result = await runWorkflow(workflow, {
    providers: createResolver({ scripted: provider }),
    control,
    loadWorkflow: async (file) => load(files[file], `/w/${file}`),
    onEvent: (e) => {
      events.push(e);
      if (cancelAt !== null && events.length === cancelAt + 1) control.cancel('test');
    },
  });
  return { workflow, events, result };
}

function fresh(workflow: Workflow): RunState {
  return initialRunState(workflow, stepInfosOf(workflow));
}

describe('reduceRun', () => {
  test('folding in one batch, event by event, in random chunks or in place gives the same state, and never changes its input', async () => {
    await fc.assert(
      fc.asyncProperty(randomRun, fc.array(fc.integer({ min: 1, max: 7 }), { minLength: 1, maxLength: 10 }), async (input, chunks) => {
        const { workflow, events } = await play(input);
        const start = fresh(workflow);
        const snapshot = JSON.stringify(start);
        const batch = reduceEvents(start, events);
        const oneByOne = events.reduce(reduceRun, start);
        let chunked = start;
        for (let at = 0, c = 0; at < events.length; c++) {
          const size = chunks[c % chunks.length];
          chunked = reduceEvents(chunked, events.slice(at, at + size));
          at += size;
        }
        const builder = new RunStateBuilder(fresh(workflow));
        for (const event of events) builder.apply(event);
        assert.deepEqual(oneByOne, batch);
        assert.deepEqual(chunked, batch);
        assert.deepEqual(builder.state, batch);
        assert.equal(JSON.stringify(start), snapshot, 'the state given is left as it was');
      }),
      { numRuns: 50 },
    );
  });

  test('every face agrees with the reducer: the runner’s result, the lenses, the panel, the trace view', async () => {
    await fc.assert(
      fc.asyncProperty(randomRun, async (input) => {
        const { workflow, events, result } = await play(input);
        const state = reduceEvents(fresh(workflow), events);
        const lenses = layeredStatus([state]);
        const panel = runViewModelOf(outlineOf(workflow), events);
        const trace = runView({ file: 't.jsonl', started: events[0] as Extract<RunEvent, { type: 'run.started' }>, end: events[events.length - 1] as never, events, warnings: [] });
        assert.equal(trace.status, result.status);
        assert.equal(panel.status, result.status);
        for (const id of state.order) {
          const step = state.steps[id];
          const latest = latestExecution(step);
          assert.deepEqual(stepResult(step), result.steps[id], `RunResult.steps.${id}`);
          assert.equal(panel.steps[id].status, step.status, `panel ${id}`);
          assert.equal(lenses.steps.get(id)?.state, latest?.status, `lens ${id}`);
          const rows = trace.steps.filter((row) => row.stepId === id && row.index === undefined);
          if (latest) {
            const row = rows.find((r) => r.visit === latest.visit && r.parent === latest.parent)!;
            assert.equal(row.status === 'running' ? 'retrying' : row.status, latest.status === 'running' ? 'retrying' : latest.status, `trace view ${id}`);
          }
          // Nothing is in flight once the run has ended: the one word for what was cut off is `cancelled`.
          assert.ok(step.status !== 'running' && step.status !== 'retrying', `${id} still ${step.status}`);
        }
      }),
      { numRuns: 60 },
    );
  });
});
