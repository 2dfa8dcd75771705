/**
 * The engine's promise across combinations: every execution owns its result, a
 * step reads itself as its previous visit, a rejected reply is never served again,
 * a step's timeout stops everything inside it, a run and its replay agree, and
 * concurrency never changes a result.
 */
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { CacheStore, cachingResolver } from '../../../src/engine/cache';
import { SimulatedClock } from '../../../src/engine/clock';
import { RunControl } from '../../../src/engine/control';
import { loadWorkflow } from '../../../src/engine/load';
import { createResolver } from '../../../src/engine/providers';
import { runWorkflow, type RunOptions } from '../../../src/engine/run';
import { refKey } from '../../../src/engine/state';
import { replayResolver } from '../../../src/engine/trace/replay';
import type { RunEvent, RunResult, Workflow } from '../../../src/engine/types';
import { dedent, ScriptedProvider } from '../../support/engine';
import { randomWorkflow, replyFor, type RandomWorkflow } from '../../support/random-workflow';

/** Loads without the analyzer: these tests are about the runner, whatever the analyzer says of a construct. */
function loadRaw(yaml: string, file = '/w/main.workflow.yaml'): Workflow {
  const { workflow, problems } = loadWorkflow(dedent(yaml), file);
  assert.ok(workflow, problems.map((p) => p.message).join('\n'));
  return workflow;
}

async function runRaw(workflow: Workflow, options: Partial<RunOptions> & Pick<RunOptions, 'providers'>): Promise<{ result: RunResult; events: RunEvent[] }> {
  const events: RunEvent[] = [];
  const result = await runWorkflow(workflow, { ...options, onEvent: (e) => events.push(e) });
  return { result, events };
}

function scripted(reply: (prompt: string) => string | Promise<string>): ScriptedProvider {
  return new ScriptedProvider((r) => reply(r.messages[r.messages.length - 1].content));
}

describe('every execution owns its result', () => {
  test('a for_each over a parallel keeps each item’s branch outputs, with item and index in the branches', async () => {
    const workflow = loadRaw(`
      name: mapped parallel
      model: { provider: scripted, name: m }
      steps:
        - id: fan
          for_each: '["a", "b", "c"]'
          concurrency: 3
          parallel:
            - { id: left, prompt: "left {{ item }} {{ index }}" }
            - { id: right, prompt: "right {{ item }}" }
      outputs:
        all: "{{ steps.fan.output }}"
    `);
    // Replies arrive in reverse order of asking, so a shared table would end up with the wrong item's.
    let pending = 0;
    const provider = scripted(async (prompt) => {
      pending++;
      await new Promise((resolve) => setTimeout(resolve, 10 - pending));
      return `<${prompt}>`;
    });
    const { result, events } = await runRaw(workflow, { providers: createResolver({ scripted: provider }) });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(result.outputs.all, [
      { left: '<left a 0>', right: '<right a>' },
      { left: '<left b 1>', right: '<right b>' },
      { left: '<left c 2>', right: '<right c>' },
    ]);
    const branchKeys = events.filter((e) => e.type === 'step.completed' && e.stepId === 'left').map((e) => refKey(e as RunEvent & { stepId: string; visit: number }));
    assert.deepEqual(new Set(branchKeys), new Set(['fan#1#0/left#1#', 'fan#1#1/left#1#', 'fan#1#2/left#1#']));

    const replayed = await runRaw(workflow, { providers: replayResolver(events) });
    assert.deepEqual(replayed.result.outputs, result.outputs);
  });

  test('a step reads itself as its previous visit: a counter counts, a retry prompt quotes the last answer', async () => {
    const workflow = loadRaw(`
      name: counter
      model: { provider: scripted, name: m }
      steps:
        - id: n
          set: "{{ steps.n.status == 'succeeded' ? steps.n.output + 1 : 1 }}"
          max_visits: 5
        - id: ask
          prompt: "try {{ steps.n.output }}; last answer: {{ steps.ask.status == 'succeeded' ? steps.ask.output : 'none' }}"
          max_visits: 5
        - id: gate
          switch: 'steps.n.output < 3 ? "again" : "done"'
          cases: { again: n, done: end }
      outputs:
        count: "{{ steps.n.output }}"
    `);
    const provider = scripted((prompt) => `answer to (${prompt})`);
    const { result } = await runRaw(workflow, { providers: createResolver({ scripted: provider }) });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.equal(result.outputs.count, 3);
    assert.deepEqual(provider.prompts, [
      'try 1; last answer: none',
      'try 2; last answer: answer to (try 1; last answer: none)',
      'try 3; last answer: answer to (try 2; last answer: answer to (try 1; last answer: none))',
    ]);
  });
});

describe('a reply the run rejected is never served again', () => {
  test('check + on_failure to itself: each visit asks the server, in this run and the next', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'orchestrate-reject-'));
    try {
      const workflow = loadRaw(`
        name: rejected
        model: { provider: scripted, name: m }
        steps:
          - id: guess
            prompt: "guess a number"
            check: 'output == "7"'
            on_failure: guess
            max_visits: 3
      `);
      let calls = 0;
      const provider = scripted(() => String(++calls));
      const providers = () => cachingResolver(createResolver({ scripted: provider }), new CacheStore(path.join(dir, 'cache')), 'reuse');
      const first = await runRaw(workflow, { providers: providers() });
      assert.equal(first.result.status, 'failed');
      assert.equal(first.result.error?.code, 'max-visits');
      assert.equal(calls, 3, 'three visits, three requests at the server');
      await runRaw(workflow, { providers: providers() });
      assert.equal(calls, 6, 'no rejected reply is served to a later run either');
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('an accepted reply is still served from the cache', async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'orchestrate-accept-'));
    try {
      const workflow = loadRaw(`
        name: accepted
        model: { provider: scripted, name: m }
        steps:
          - { id: a, prompt: "hello", check: 'output == "ok"' }
      `);
      let calls = 0;
      const provider = scripted(() => (++calls, 'ok'));
      const providers = () => cachingResolver(createResolver({ scripted: provider }), new CacheStore(path.join(dir, 'cache')), 'reuse');
      await runRaw(workflow, { providers: providers() });
      await runRaw(workflow, { providers: providers() });
      assert.equal(calls, 1);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('timers and cancellation', () => {
  test('a parallel step’s timeout stops its branches: no call after the run ends, no timer left', async () => {
    const clock = new SimulatedClock();
    const workflow = loadRaw(`
      name: slow branches
      model: { provider: scripted, name: m }
      steps:
        - id: fan
          timeout: 5s
          parallel:
            - { id: a, prompt: "a", retries: 3, retry_delay: 1s }
            - { id: b, prompt: "b" }
    `);
    let active = 0;
    let started = 0;
    const provider = new ScriptedProvider(
      (r) =>
        new Promise((resolve, reject) => {
          active++;
          started++;
          // `a` fails fast and retries; `b` waits for a reply that never comes.
          if (r.stepId === 'a') return void clock.sleep(100, r.signal).then(() => reject(Object.assign(new Error('flaky'), { retryable: true })), reject).finally(() => active--);
          r.signal.addEventListener('abort', () => (active--, reject(r.signal.reason)), { once: true });
          void resolve;
        }),
    );
    const events: RunEvent[] = [];
    const running = runWorkflow(workflow, { providers: createResolver({ scripted: provider }), clock, onEvent: (e) => events.push(e) });
    await clock.advance(10_000);
    const result = await running;
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'timeout');
    const end = events.findIndex((e) => e.type === 'run.failed');
    assert.equal(end, events.length - 1, 'the run’s end is its last event');
    const startedAtEnd = started;
    await clock.advance(60_000);
    assert.equal(started, startedAtEnd, 'no branch called the model after the run ended');
    assert.equal(active, 0);
    assert.equal(clock.pending, 0, 'no timer outlives the run');
    const b = events.filter((e) => e.type === 'step.failed' && e.stepId === 'b');
    assert.equal(b.length, 1);
    assert.equal(b[0].type === 'step.failed' && b[0].error.code, 'cancelled');
  });

  test('cancelling at any event of any random workflow ends the run cancelled, with nothing after its end', async () => {
    await fc.assert(
      fc.asyncProperty(randomWorkflow(), fc.nat(60), fc.integer({ min: 1, max: 1000 }), async (generated, cancelAt, seed) => {
        const { main, files } = generated.render();
        const control = new RunControl();
        const events: RunEvent[] = [];
        let active = 0;
        const provider = new ScriptedProvider(async (r) => {
          active++;
          try {
            await new Promise((resolve) => setImmediate(resolve));
            return replyFor(seed, r.messages[r.messages.length - 1].content);
          } finally {
            active--;
          }
        });
        const result = await runWorkflow(loadRaw(main), {
          providers: createResolver({ scripted: provider }),
          control,
          loadWorkflow: loaderFor(files),
          onEvent: (e) => {
            events.push(e);
            if (events.length === cancelAt + 1) control.cancel('test');
          },
        });
        const last = events[events.length - 1];
        assert.ok(last.type === 'run.completed' || last.type === 'run.failed' || last.type === 'run.cancelled');
        if (cancelAt + 1 < events.length) assert.equal(result.status, 'cancelled');
        assert.equal(events.filter((e) => e.type.startsWith('run.') && e.type !== 'run.started' && e.type !== 'run.paused' && e.type !== 'run.resumed').length, 1);
        await new Promise((resolve) => setImmediate(resolve));
        assert.equal(active, 0, 'no call left running');
      }),
      { numRuns: 60 },
    );
  });
});

describe('same replies, same path', () => {
  test('for random nested workflows, a run and its replay give the same outputs and executions', async () => {
    await fc.assert(
      fc.asyncProperty(randomWorkflow(), fc.integer({ min: 1, max: 1_000_000 }), async (generated, seed) => {
        const { main, files } = generated.render();
        const workflow = loadRaw(main);
        const provider = scripted((prompt) => replyFor(seed, prompt));
        const live = await runRaw(workflow, { providers: createResolver({ scripted: provider }), loadWorkflow: loaderFor(files) });
        assert.equal(live.result.status, 'succeeded', `${main}\n${JSON.stringify(live.result.error)}`);
        const replayed = await runRaw(workflow, { providers: replayResolver(live.events), loadWorkflow: loaderFor(files) });
        assert.equal(replayed.result.status, 'succeeded', `${main}\n${JSON.stringify(replayed.result.error)}`);
        assert.deepEqual(replayed.result.outputs, live.result.outputs);
        assert.deepEqual(executions(replayed.events), executions(live.events));
      }),
      { numRuns: 80 },
    );
  });

  test('concurrency settings and reply timing never change results', async () => {
    await fc.assert(
      fc.asyncProperty(randomWorkflow(), fc.integer({ min: 1, max: 1_000_000 }), fc.array(fc.nat(3), { minLength: 1, maxLength: 20 }), async (generated, seed, delays) => {
        const runWith = async (concurrency: number, jitter: boolean) => {
          const { main, files } = generated.render(concurrency);
          let call = 0;
          const provider = scripted(async (prompt) => {
            // Yield a varying number of turns so concurrent calls finish in a different order.
            const turns = jitter ? delays[call++ % delays.length] : 0;
            for (let i = 0; i < turns; i++) await new Promise((resolve) => setImmediate(resolve));
            return replyFor(seed, prompt);
          });
          return runRaw(loadRaw(main), { providers: createResolver({ scripted: provider }), loadWorkflow: loaderFor(files) });
        };
        const serial = await runWith(1, false);
        const wide = await runWith(8, true);
        assert.deepEqual(wide.result.outputs, serial.result.outputs);
        assert.deepEqual(executions(wide.events), executions(serial.events));
      }),
      { numRuns: 60 },
    );
  });
});

/** Each finished execution's output by its key: the path a run took, independent of the order concurrent work finished in. */
function executions(events: RunEvent[]): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const event of events) if (event.type === 'step.completed') out[refKey(event)] = event.output;
  return Object.fromEntries(Object.entries(out).sort(([a], [b]) => a.localeCompare(b)));
}

function loaderFor(files: RandomWorkflow['files']): RunOptions['loadWorkflow'] {
  return async (file) => loadRaw(files[file], `/w/${file}`);
}

describe('names and numbers through every path', () => {
  test('steps named __proto__ and constructor, a mapped parallel around a sub-workflow, and a counter that adds halves', async () => {
    const workflow = loadRaw(`
      name: hostile names
      inputs:
        n: { type: number, default: 2.5 }
      model: { provider: scripted, name: m }
      steps:
        - id: __proto__
          for_each: '[1, 2.5]'
          parallel:
            - id: constructor
              uses: ./sub.workflow.yaml
              with: { toString: "{{ item * inputs.n }}" }
            - { id: hasOwnProperty, set: "{{ index + item }}" }
        - id: count
          set: "{{ steps.count.status == 'succeeded' ? steps.count.output + 0.5 : 1 }}"
          max_visits: 4
        - id: loop
          switch: 'steps.count.output < 2 ? "again" : "done"'
          cases: { again: count, done: end }
      outputs:
        all: "{{ steps.__proto__.output }}"
        count: "{{ steps.count.output }}"
    `);
    const files = { './sub.workflow.yaml': 'name: sub\ninputs:\n  toString: {}\nmodel: { provider: scripted, name: m }\nsteps:\n  - id: valueOf\n    prompt: "sub {{ inputs.toString }}"\noutputs:\n  out: "{{ steps.valueOf.output }}"\n' };
    const provider = scripted((prompt) => `<${prompt}>`);
    const { result, events } = await runRaw(workflow, { providers: createResolver({ scripted: provider }), loadWorkflow: loaderFor(files) });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(result.outputs.all, [
      { constructor: { out: '<sub 2.5>' }, hasOwnProperty: 1 },
      { constructor: { out: '<sub 6.25>' }, hasOwnProperty: 3.5 },
    ]);
    assert.equal(result.outputs.count, 2);
    assert.ok(Object.hasOwn(result.steps, '__proto__') && Object.hasOwn(result.steps, 'constructor/valueOf'), Object.keys(result.steps).join(', '));
    const replayed = await runRaw(workflow, { providers: replayResolver(events), loadWorkflow: loaderFor(files) });
    assert.deepEqual(replayed.result.outputs, result.outputs);
  });
});
