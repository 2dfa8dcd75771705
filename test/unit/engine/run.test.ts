import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { EngineError, RunControl, SimulatedClock, type RunEvent } from '../../../src/engine';
import { MockProvider } from '../../../src/engine/providers/mock';
import { MAX_KEPT_DEPTH, nestsDeeperThan } from '../../../src/engine/depth';
import { load, path, run, ScriptedProvider } from '../../support/engine';

const echo = () => new ScriptedProvider((request) => `reply to ${request.stepId}`);

describe('prompt steps', () => {
  test('run in file order, each templated from the previous output', async () => {
    const workflow = load(`
      name: chain
      inputs:
        topic: { default: rockets }
      model: { provider: scripted, name: m1, temperature: 0.3 }
      workers:
        writer: { system: "You write about {{ inputs.topic }}.", model: { name: m2 } }
      steps:
        - id: a
          prompt: Facts about {{ inputs.topic }}
        - id: b
          worker: writer
          prompt: "Expand: {{ steps.a.output }}"
      outputs:
        final: "{{ steps.b.output }}"
    `);
    const provider = echo();
    const { result, events } = await run(workflow, provider);
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(provider.prompts, ['Facts about rockets', 'Expand: reply to a']);
    assert.equal(provider.requests[1].messages[0].content, 'You write about rockets.');
    assert.equal(provider.requests[1].model, 'm2');
    assert.equal(provider.requests[1].params.temperature, 0.3);
    assert.deepEqual(result.outputs, { final: 'reply to b' });
    assert.deepEqual(
      events.map((e) => e.type),
      ['run.started', 'step.started', 'step.completed', 'step.started', 'step.completed', 'run.completed'],
    );
    const completed = events.find((e) => e.type === 'step.completed' && e.stepId === 'b');
    assert.ok(completed?.type === 'step.completed');
    assert.equal(completed.call?.model, 'm2');
    assert.deepEqual(completed.call?.messages.map((m) => m.role), ['system', 'user']);
    assert.deepEqual(events.map((e) => e.seq), events.map((_, i) => i + 1));
  });

  test('structured output is parsed and validated against output.schema', async () => {
    const workflow = load(`
      name: structured
      model: { provider: scripted }
      steps:
        - id: classify
          prompt: classify
          output:
            schema: { type: object, properties: { category: { type: string, enum: [a, b] } }, required: [category] }
          retries: 1
          retry_delay: 0s
        - id: use
          prompt: "{{ steps.classify.output.category }}"
    `);
    const provider = new ScriptedProvider((r, call) => (r.stepId === 'use' ? 'ok' : call === 1 ? '{"category": "zzz"}' : '{"category": "b"}'));
    const { result, events } = await run(workflow, provider);
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(result.steps.classify.output, { category: 'b' });
    assert.equal(provider.prompts[2], 'b');
    const retry = events.find((e) => e.type === 'step.retrying');
    assert.ok(retry?.type === 'step.retrying');
    assert.equal(retry.error.code, 'schema');
    assert.match(retry.error.message, /output schema/);
  });

  test('streamed deltas become step.delta events', async () => {
    const workflow = load(`
      name: stream
      model: { provider: mock }
      steps:
        - id: a
          prompt: hi
          mock: "one two three"
    `);
    const { events } = await run(workflow, new MockProvider());
    const deltas = events.filter((e) => e.type === 'step.delta').map((e) => (e.type === 'step.delta' ? e.text : ''));
    assert.equal(deltas.join(''), 'one two three');
  });

  test('a model cannot reach prototypes through templates', async () => {
    const workflow = load(`
      name: proto
      model: { provider: scripted }
      steps:
        - id: a
          prompt: hi
          output: { schema: { type: object } }
        - id: b
          set: "{{ steps.a.output.__proto__ }}"
    `);
    const { result } = await run(workflow, new ScriptedProvider(() => '{"x": 1}'));
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'expression');
  });
});

describe('control keys', () => {
  test('if: false skips the step and records it', async () => {
    const workflow = load(`
      name: skip
      inputs: { go: { type: boolean, default: false } }
      model: { provider: scripted }
      steps:
        - id: a
          if: inputs.go
          prompt: never
        - id: b
          prompt: "a was {{ steps.a.status }}"
    `);
    const provider = echo();
    const { result, events } = await run(workflow, provider);
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(provider.prompts, ['a was skipped']);
    assert.equal(result.steps.a.status, 'skipped');
    assert.ok(events.some((e) => e.type === 'step.skipped' && e.stepId === 'a'));
  });

  test('check failing retries, then the run fails when retries are exhausted', async () => {
    const workflow = load(`
      name: check
      model: { provider: scripted }
      steps:
        - id: a
          prompt: say yes
          check: output.contains("yes")
          retries: 2
          retry_delay: 5s
    `);
    const clock = new SimulatedClock();
    const provider = new ScriptedProvider(() => 'no');
    const pending = run(workflow, provider, { clock });
    await clock.advance(5000);
    await clock.advance(5000);
    const { result, events } = await pending;
    assert.equal(result.status, 'failed');
    assert.equal(provider.requests.length, 3);
    assert.equal(result.error?.code, 'check');
    assert.equal(events.filter((e) => e.type === 'step.retrying').length, 2);
    assert.deepEqual(events.filter((e) => e.type === 'step.retrying').map((e) => (e.type === 'step.retrying' ? e.delayMs : 0)), [5000, 5000]);
    assert.equal(clock.now(), 10000);
  });

  test('retries wait retry_delay on the clock before the next attempt', async () => {
    const workflow = load(`
      name: retry
      model: { provider: scripted }
      steps:
        - id: a
          prompt: x
          retries: 1
          retry_delay: 2s
    `);
    const clock = new SimulatedClock();
    const provider = new ScriptedProvider((_, call) => {
      if (call === 1) throw new EngineError({ code: 'server', message: 'server error', retryable: true });
      return 'fine';
    });
    const pending = run(workflow, provider, { clock });
    await clock.advance(1999);
    assert.equal(provider.requests.length, 1);
    await clock.advance(1);
    const { result } = await pending;
    assert.equal(result.status, 'succeeded');
    assert.equal(result.steps.a.attempts, 2);
  });

  test('errors marked not retryable are not retried', async () => {
    const workflow = load(`
      name: noretry
      model: { provider: scripted }
      steps:
        - { id: a, prompt: x, retries: 3, retry_delay: 0s }
    `);
    const provider = new ScriptedProvider(() => {
      throw new EngineError({ code: 'auth', message: 'the key was rejected', retryable: false });
    });
    const { result } = await run(workflow, provider);
    assert.equal(provider.requests.length, 1);
    assert.equal(result.error?.code, 'auth');
    assert.match(result.error!.message, /step `a` \(scripted\/gpt-4o-mini\): the key was rejected/);
  });

  test('timeout aborts the attempt on the simulated clock and reaches the provider signal', async () => {
    const workflow = load(`
      name: timeout
      model: { provider: scripted }
      steps:
        - { id: slow, prompt: x, timeout: 30s }
    `);
    const clock = new SimulatedClock();
    let aborted = false;
    const provider = new ScriptedProvider(
      (request) =>
        new Promise((_, reject) => {
          request.signal.addEventListener('abort', () => {
            aborted = true;
            reject(request.signal.reason);
          });
        }),
    );
    const pending = run(workflow, provider, { clock });
    await clock.advance(29_999);
    assert.equal(aborted, false);
    await clock.advance(1);
    const { result } = await pending;
    assert.equal(aborted, true);
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'timeout');
    assert.match(result.error!.message, /timeout` of 30s/);
  });

  test('on_failure routes to a recovery step; end finishes successfully', async () => {
    const workflow = load(`
      name: recover
      model: { provider: scripted }
      steps:
        - id: risky
          prompt: x
          on_failure: fallback
        - id: normal
          prompt: y
          end: true
        - id: fallback
          set: recovered
    `);
    const provider = new ScriptedProvider(() => {
      throw Object.assign(new Error('boom'), { retryable: false });
    });
    const { result, events } = await run(workflow, provider);
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(path(events, ['step.completed', 'step.failed']), ['risky', 'fallback']);
    assert.equal(result.steps.fallback.output, 'recovered');
    assert.equal(result.steps.normal.status, 'pending');
  });

  test('next jumps; next: end stops; on_success wins over next', async () => {
    const workflow = load(`
      name: jumps
      steps:
        - { id: a, set: 1, next: c }
        - { id: b, set: 2 }
        - { id: c, set: 3, on_success: e, next: d }
        - { id: d, set: 4 }
        - { id: e, set: 5, next: end }
        - { id: f, set: 6 }
    `);
    const { events, result } = await run(workflow, echo());
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(path(events), ['a', 'c', 'e']);
  });

  test('fail: fails the run with its rendered message', async () => {
    const workflow = load(`
      name: failing
      inputs: { reason: { default: quota } }
      steps:
        - { id: a, set: 1, next: stop }
        - { id: b, set: 2 }
        - id: stop
          fail: "gave up because of {{ inputs.reason }}"
    `);
    const { result } = await run(workflow, echo());
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'fail');
    assert.equal(result.error?.message, 'gave up because of quota');
    assert.equal(result.error?.stepId, 'stop');
  });

  test('a loop hitting max_visits fails the run naming the loop', async () => {
    const workflow = load(`
      name: loop
      model: { provider: scripted }
      steps:
        - id: write
          prompt: draft
          max_visits: 3
        - id: review
          prompt: "review {{ steps.write.output }}"
          max_visits: 3
        - id: gate
          switch: 'steps.review.output == "APPROVED" ? "yes" : "no"'
          cases: { "yes": end, "no": write }
    `);
    const provider = new ScriptedProvider(() => 'needs work');
    const { result, events } = await run(workflow, provider);
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'max-visits');
    assert.match(result.error!.message, /step `write` would run a 4th time, past its `max_visits: 3`/);
    assert.equal(events.filter((e) => e.type === 'step.completed' && e.stepId === 'write').length, 3);
  });

  test('a review loop converges, and visits are counted in events', async () => {
    const workflow = load(`
      name: review-loop
      model: { provider: mock }
      steps:
        - id: code
          prompt: "write code; feedback: {{ steps.review.status == 'succeeded' ? steps.review.output : 'none' }}"
        - id: review
          prompt: "review {{ steps.code.output }}"
          mock: [CHANGES, CHANGES, APPROVED]
        - id: gate
          switch: 'steps.review.output == "APPROVED"'
          cases: { "true": end, "false": code }
    `);
    const { result, events } = await run(workflow, new MockProvider());
    assert.equal(result.status, 'succeeded');
    const reviews = events.filter((e) => e.type === 'step.completed' && e.stepId === 'review');
    assert.deepEqual(reviews.map((e) => (e.type === 'step.completed' ? [e.visit, e.output] : [])), [[1, 'CHANGES'], [2, 'CHANGES'], [3, 'APPROVED']]);
    assert.equal(result.steps.code.visits, 3);
  });
});

describe('step kinds', () => {
  test('set computes values with no model call and keeps types for a lone expression', async () => {
    const workflow = load(`
      name: set
      inputs: { n: { type: number, default: 4 } }
      steps:
        - id: numbers
          set: "{{ [1, 2, inputs.n] }}"
        - id: doubled
          set: "{{ steps.numbers.output.map(x, x * 2) }}"
        - id: text
          set: "total {{ size(steps.doubled.output) }}: {{ steps.doubled.output }}"
        - id: object
          set: { count: "{{ size(steps.numbers.output) }}", label: fixed, nested: ["{{ inputs.n + 1 }}"] }
    `);
    const { result } = await run(workflow, echo());
    assert.deepEqual(result.steps.numbers.output, [1, 2, 4]);
    assert.deepEqual(result.steps.doubled.output, [2, 4, 8]);
    assert.equal(result.steps.text.output, 'total 3: [\n  2,\n  4,\n  8\n]');
    assert.deepEqual(result.steps.object.output, { count: 3, label: 'fixed', nested: [5] });
  });

  test('switch jumps to the matching case, then the default, and fails with neither', async () => {
    const yaml = (value: string, withDefault: boolean) => `
      name: router
      steps:
        - id: route
          switch: '"${value}"'
          cases:
            billing: billing
            tech: tech
          ${withDefault ? 'default: general' : ''}
        - { id: billing, set: b, end: true }
        - { id: tech, set: t, end: true }
        - { id: general, set: g }
    `;
    assert.deepEqual(path((await run(load(yaml('tech', true)), echo())).events), ['route', 'tech']);
    assert.deepEqual(path((await run(load(yaml('other', true)), echo())).events), ['route', 'general']);
    const { result } = await run(load(yaml('other', false)), echo());
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'switch');
    assert.match(result.error!.message, /no case matches .* add a case or a `default:`/);
  });

  test('for_each runs items at most `concurrency` at a time and keeps input order', async () => {
    const workflow = load(`
      name: map
      model: { provider: scripted }
      steps:
        - id: items
          set: "{{ ['a', 'b', 'c', 'd', 'e'] }}"
        - id: each
          for_each: steps.items.output
          concurrency: 2
          prompt: "item {{ index }}: {{ item }}"
        - id: after
          set: "{{ steps.each.output }}"
    `);
    const clock = new SimulatedClock();
    let running = 0;
    let peak = 0;
    const provider = new ScriptedProvider(async (request) => {
      running++;
      peak = Math.max(peak, running);
      // Later items finish sooner, so order must come from the index, not completion.
      await clock.sleep(100 - request.messages[0].content.length, request.signal);
      running--;
      return request.messages[0].content.toUpperCase();
    });
    const pending = run(workflow, provider, { clock });
    for (let i = 0; i < 10; i++) await clock.advance(100);
    const { result, events } = await pending;
    assert.equal(result.status, 'succeeded');
    assert.equal(peak, 2);
    assert.deepEqual(result.steps.each.output, ['ITEM 0: A', 'ITEM 1: B', 'ITEM 2: C', 'ITEM 3: D', 'ITEM 4: E']);
    assert.deepEqual(result.steps.after.output, result.steps.each.output);
    assert.equal(events.filter((e) => e.type === 'step.completed' && e.stepId === 'each' && e.index !== undefined).length, 5);
  });

  test('for_each over something that is not a list fails clearly', async () => {
    const workflow = load(`
      name: badmap
      steps:
        - { id: x, set: hello }
        - { id: each, for_each: steps.x.output, set: "{{ item }}" }
    `);
    const { result } = await run(workflow, echo());
    assert.equal(result.status, 'failed');
    assert.match(result.error!.message, /must give a list, but it gave the string "hello"/);
  });

  test('a failing for_each item fails the step after the others finish', async () => {
    const workflow = load(`
      name: mapfail
      model: { provider: scripted }
      steps:
        - id: each
          for_each: "[1, 2, 3]"
          prompt: "{{ item }}"
    `);
    const provider = new ScriptedProvider((r) => {
      if (r.messages[0].content === '2') throw Object.assign(new Error('bad item'), { retryable: false });
      return 'ok';
    });
    const { result } = await run(workflow, provider);
    assert.equal(result.status, 'failed');
    assert.equal(provider.requests.length, 3);
    assert.match(result.error!.message, /1 of 3 items failed; item 2: .*bad item/);
  });

  test('parallel runs branches together; each is addressable by id', async () => {
    const workflow = load(`
      name: par
      model: { provider: scripted }
      steps:
        - id: both
          parallel:
            - { id: left, prompt: L }
            - { id: right, prompt: R }
        - id: merge
          prompt: "{{ steps.left.output }} + {{ steps.right.output }} / {{ steps.both.output.left }}"
    `);
    const clock = new SimulatedClock();
    let concurrent = 0;
    let peak = 0;
    const provider = new ScriptedProvider(async (r) => {
      concurrent++;
      peak = Math.max(peak, concurrent);
      if (r.stepId !== 'merge') await clock.sleep(50, r.signal);
      concurrent--;
      return r.messages[0].content.toLowerCase();
    });
    const pending = run(workflow, provider, { clock });
    await clock.advance(50);
    const { result } = await pending;
    assert.equal(result.status, 'succeeded');
    assert.equal(peak, 2);
    assert.equal(clock.now(), 50);
    assert.deepEqual(result.steps.both.output, { left: 'l', right: 'r' });
    assert.equal(provider.prompts.at(-1), 'l + r / l');
  });

  test('input steps take --input answers, ask the person, fall back to the default, or fail clearly', async () => {
    const yaml = `
      name: ask
      steps:
        - id: choice
          input: Which way?
          choices: [left, right]
        - id: echo
          set: "went {{ steps.choice.output }}"
    `;
    const workflow = load(yaml);
    assert.equal((await run(workflow, echo(), { inputs: { choice: 'left' } })).result.steps.echo.output, 'went left');
    const asked: string[] = [];
    const viaAsk = await run(workflow, echo(), { ask: async (q) => (asked.push(q.question), 'right') });
    assert.equal(viaAsk.result.steps.echo.output, 'went right');
    assert.deepEqual(asked, ['Which way?']);
    const invalid = await run(workflow, echo(), { inputs: { choice: 'up' } });
    assert.equal(invalid.result.status, 'failed');
    assert.match(invalid.result.error!.message, /one of `left`, `right`/);
    const headless = await run(workflow, echo());
    assert.equal(headless.result.status, 'failed');
    assert.match(headless.result.error!.message, /pass --input choice=VALUE/);
    const withDefault = load(yaml.replace('choices: [left, right]', 'default: right'));
    assert.equal((await run(withDefault, echo())).result.steps.echo.output, 'went right');
  });

  test('workflow steps run a sub-workflow with inputs and take its outputs', async () => {
    const child = load(
      `
      name: child
      inputs: { text: { required: true } }
      steps:
        - { id: up, set: "{{ inputs.text + '!' }}" }
      outputs: { shout: "{{ steps.up.output }}" }
    `,
      'child.workflow.yaml',
    );
    const parent = load(`
      name: parent
      steps:
        - id: sub
          uses: ./child.workflow.yaml
          with: { text: hey }
        - { id: after, set: "{{ steps.sub.output.shout }}" }
    `);
    const loaded: string[] = [];
    const { result } = await run(parent, echo(), { loadWorkflow: async (p) => (loaded.push(p), child) });
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(loaded, ['./child.workflow.yaml']);
    assert.equal(result.steps.after.output, 'hey!');
  });

  test('a sub-workflow that uses itself is stopped', async () => {
    const self = load(`
      name: self
      steps:
        - { id: again, uses: ./self.workflow.yaml }
    `);
    const { result } = await run(self, echo(), { loadWorkflow: async () => self });
    assert.equal(result.status, 'failed');
    assert.match(result.error!.message, /nest deeper than/);
  });
});

describe('inputs', () => {
  test('a missing required input fails with a message naming it', async () => {
    const workflow = load(`
      name: needs
      inputs: { audience: { required: true, description: Who reads it? } }
      steps:
        - { id: a, set: "{{ inputs.audience }}" }
    `);
    const { result } = await run(workflow, echo());
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'input');
    assert.match(result.error!.message, /input `audience` is required: pass --input audience=VALUE/);
  });

  test('string values are converted to the declared type', async () => {
    const workflow = load(`
      name: typed
      inputs:
        n: { type: number, required: true }
        flag: { type: boolean, required: true }
        list: { type: array, required: true }
      steps:
        - { id: a, set: "{{ inputs.n * 2 }} {{ inputs.flag }} {{ size(inputs.list) }}" }
    `);
    const { result } = await run(workflow, echo(), { inputs: { n: '21', flag: 'yes', list: '["x","y"]' } });
    assert.equal(result.steps.a.output, '42 true 2');
  });
});

describe('cooperative control', () => {
  const threeSteps = `
    name: three
    model: { provider: scripted }
    steps:
      - { id: a, prompt: a }
      - { id: b, prompt: b }
      - { id: c, prompt: c }
  `;

  test('step-through pauses before each step until told to go on', async () => {
    const control = new RunControl({ stepping: true });
    const events: RunEvent[] = [];
    const provider = echo();
    const waitFor = async (predicate: () => boolean) => {
      for (let i = 0; i < 1000 && !predicate(); i++) await new Promise((r) => setImmediate(r));
      assert.ok(predicate());
    };
    const pending = run(load(threeSteps), provider, { control, onEvent: (e) => events.push(e) });
    await waitFor(() => events.some((e) => e.type === 'run.paused'));
    assert.equal(provider.requests.length, 0);
    control.step();
    await waitFor(() => events.filter((e) => e.type === 'run.paused').length === 2);
    assert.equal(provider.requests.length, 1);
    const paused = events.filter((e) => e.type === 'run.paused').at(-1);
    assert.ok(paused?.type === 'run.paused' && paused.nextStepId === 'b');
    control.resume();
    const { result } = await pending;
    assert.equal(result.status, 'succeeded');
    assert.equal(provider.requests.length, 3);
  });

  test('pause takes effect at the next step boundary; resume continues', async () => {
    const control = new RunControl();
    const events: RunEvent[] = [];
    const provider = new ScriptedProvider((r) => {
      if (r.stepId === 'a') control.pause();
      return 'x';
    });
    const pending = run(load(threeSteps), provider, { control, onEvent: (e) => events.push(e) });
    for (let i = 0; i < 50; i++) await new Promise((r) => setImmediate(r));
    assert.equal(provider.requests.length, 1);
    assert.ok(events.some((e) => e.type === 'run.paused'));
    control.resume();
    const { result, events: all } = await pending;
    assert.equal(result.status, 'succeeded');
    assert.ok(all.some((e) => e.type === 'run.resumed'));
  });

  test('cancel mid-step aborts the provider request and ends the run as cancelled', async () => {
    const control = new RunControl();
    let signalled = false;
    const provider = new ScriptedProvider(
      (r) =>
        new Promise((_, reject) => {
          r.signal.addEventListener('abort', () => {
            signalled = true;
            reject(r.signal.reason);
          });
          setImmediate(() => control.cancel('stopped in test'));
        }),
    );
    const { result, events } = await run(load(threeSteps), provider, { control });
    assert.equal(signalled, true);
    assert.equal(result.status, 'cancelled');
    assert.equal(provider.requests.length, 1);
    assert.equal(events.at(-1)?.type, 'run.cancelled');
    const failed = events.find((e) => e.type === 'step.failed');
    assert.ok(failed?.type === 'step.failed' && failed.error.code === 'cancelled');
  });

  test('cancel while paused ends the run', async () => {
    const control = new RunControl({ stepping: true });
    const pending = run(load(threeSteps), echo(), { control });
    await new Promise((r) => setImmediate(r));
    control.cancel();
    const { result } = await pending;
    assert.equal(result.status, 'cancelled');
  });
});

describe('partial runs', () => {
  const chain = `
    name: partial
    model: { provider: scripted }
    steps:
      - { id: a, prompt: a }
      - { id: b, prompt: "b after {{ steps.a.output }}" }
      - { id: c, prompt: "c after {{ steps.b.output }}" }
  `;

  test('stopAfter runs up to a step (Run to here)', async () => {
    const provider = echo();
    const { result } = await run(load(chain), provider, { stopAfter: 'b' });
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(provider.requests.map((r) => r.stepId), ['a', 'b']);
  });

  test('startAt + seed runs from a step with earlier results (Run from here / Run step)', async () => {
    const provider = echo();
    const seed = { a: { status: 'succeeded' as const, output: 'OLD A', attempts: 1, visits: 1 } };
    const { result } = await run(load(chain), provider, { startAt: 'b', stopAfter: 'b', seed });
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(provider.prompts, ['b after OLD A']);
  });

  test('restore replays finished executions with no model call', async () => {
    const provider = echo();
    const restore = { take: (ref: { stepId: string; visit: number }) => (ref.stepId === 'a' ? { output: 'RESTORED', attempts: 1 } : undefined) };
    const { result, events } = await run(load(chain), provider, { restore });
    assert.equal(result.status, 'succeeded');
    assert.deepEqual(provider.requests.map((r) => r.stepId), ['b', 'c']);
    assert.equal(provider.prompts[0], 'b after RESTORED');
    assert.ok(events.some((e) => e.type === 'step.completed' && e.stepId === 'a' && e.restored));
  });
});

describe('mock provider', () => {
  test('is deterministic, schema-valid for structured steps, and scripted by mock:', async () => {
    const workflow = load(`
      name: mocky
      model: { provider: mock }
      steps:
        - id: free
          prompt: Tell me about owls
        - id: structured
          prompt: list
          output:
            schema:
              type: object
              properties: { items: { type: array, items: { type: string }, minItems: 2 }, score: { type: integer, minimum: 3 } }
              required: [items, score]
        - id: scripted
          for_each: steps.structured.output.items
          prompt: x
          mock: "post about {{ item }}"
        - id: fails_then_works
          prompt: y
          retries: 1
          retry_delay: 0s
          mock: [{ $error: simulated outage }, recovered]
    `);
    const first = await run(workflow, new MockProvider());
    const second = await run(workflow, new MockProvider());
    assert.equal(first.result.status, 'succeeded');
    assert.equal(first.result.steps.free.output, second.result.steps.free.output);
    assert.match(String(first.result.steps.free.output), /Tell me about owls/);
    const structured = first.result.steps.structured.output as { items: string[]; score: number };
    assert.ok(structured.items.length >= 2 && structured.score >= 3);
    assert.deepEqual(first.result.steps.scripted.output, structured.items.map((i) => `post about ${i}`));
    assert.equal(first.result.steps.fails_then_works.output, 'recovered');
    assert.equal(first.result.steps.fails_then_works.attempts, 2);
  });

  test('streams over its configured delay on the clock', async () => {
    const workflow = load(`
      name: slow
      model: { provider: mock }
      steps:
        - { id: a, prompt: x, mock: "a b c d" }
    `);
    const clock = new SimulatedClock();
    const pending = run(workflow, new MockProvider({ delayMs: 400, clock }), { clock });
    await clock.advance(399);
    await clock.advance(1);
    const { result } = await pending;
    assert.equal(result.status, 'succeeded');
    assert.equal(result.durationMs, 400);
  });
});

describe('provider hints', () => {
  test("a server's Retry-After outranks retry_delay", async () => {
    const workflow = load(`
      name: retry-after
      model: { provider: scripted }
      steps:
        - { id: a, prompt: x, retries: 1, retry_delay: 1s }
    `);
    const clock = new SimulatedClock();
    const provider = new ScriptedProvider((_, call) => {
      if (call === 1) throw new EngineError({ code: 'rate-limit', message: 'rate limited', retryable: true, retryAfterMs: 7000 });
      return 'ok';
    });
    const pending = run(workflow, provider, { clock });
    await clock.advance(6999);
    assert.equal(provider.requests.length, 1);
    await clock.advance(1);
    const { result, events } = await pending;
    assert.equal(result.status, 'succeeded');
    const retry = events.find((e) => e.type === 'step.retrying');
    assert.ok(retry?.type === 'step.retrying' && retry.delayMs === 7000);
  });
});

describe('hostile keys', () => {
  test('a `__proto__` key in set:, with: and outputs: stays an ordinary entry', async () => {
    const workflow = load(`
      name: proto-keys
      steps:
        - id: a
          set: { __proto__: { polluted: true }, plain: 1 }
      outputs:
        __proto__: "{{ steps.a.output }}"
    `);
    const { result } = await run(workflow, echo());
    assert.equal(result.status, 'succeeded');
    const output = result.steps.a.output as Record<string, unknown>;
    assert.deepEqual(Object.keys(output), ['__proto__', 'plain']);
    assert.equal(Object.getPrototypeOf(output), Object.prototype);
    assert.ok(Object.hasOwn(result.outputs, '__proto__'));
    assert.equal(({} as Record<string, unknown>).polluted, undefined);
  });
});

describe('step.started', () => {
  test('carries the rendered request of a model call; a prompt that fails to render fails after starting', async () => {
    const workflow = load(`
      name: started
      model: { provider: scripted, name: m1, temperature: 0.2 }
      steps:
        - { id: a, prompt: "Hello {{ workflow.name }}", system: Be brief. }
        - { id: b, prompt: "{{ steps.a.output.missing.deeper }}" }
    `);
    const { events, result } = await run(workflow, echo());
    const startedA = events.find((e) => e.type === 'step.started' && e.stepId === 'a');
    assert.ok(startedA?.type === 'step.started');
    assert.deepEqual(startedA.request, {
      provider: 'scripted',
      model: 'm1',
      params: { temperature: 0.2 },
      messages: [
        { role: 'system', content: 'Be brief.' },
        { role: 'user', content: 'Hello started' },
      ],
    });
    assert.equal(result.status, 'failed');
    assert.deepEqual(path(events, ['step.started', 'step.failed']), ['a', 'b', 'b']);
    const startedB = events.find((e) => e.type === 'step.started' && e.stepId === 'b');
    assert.ok(startedB?.type === 'step.started' && startedB.request === undefined);
  });
});

describe('values nested too deep to keep', () => {
  const nested = (levels: number) => `${'['.repeat(levels)}${']'.repeat(levels)}`;

  test('a reply nested past the limit fails its step with a worded error; one at the limit is kept and every event writes as JSON', async () => {
    const workflow = load(`
      name: deep
      model: { provider: scripted, name: m }
      steps:
        - id: items
          set: "{{ [1, 2] }}"
        - id: each
          for_each: steps.items.output
          parallel:
            - id: kept
              prompt: "kept {{ item }}"
              output: { schema: { type: array } }
            - id: plain
              prompt: "plain {{ item }}"
        - id: broken
          prompt: too deep
          output: { schema: { type: array } }
          retries: 1
    `);
    const provider = new ScriptedProvider((request) => (request.stepId === 'broken' ? nested(MAX_KEPT_DEPTH + 1) : request.stepId === 'kept' ? nested(MAX_KEPT_DEPTH) : 'ok'));
    const { result, events } = await run(workflow, provider);
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'value-too-deep');
    assert.match(result.error?.message ?? '', /output of step `broken` nests lists or objects more than 1,000 levels deep/);
    // A model may answer differently: the reply counts as a retryable failure.
    assert.equal(provider.requests.filter((r) => r.stepId === 'broken').length, 2);
    for (const event of events) assert.doesNotThrow(() => JSON.stringify(event), event.type);
    assert.equal(result.steps.each?.status, 'succeeded');
  });

  test('inputs nested past the limit fail the run before it records them, as an object or as JSON text', async () => {
    const workflow = load(`
      name: deep-input
      inputs:
        x: { type: array }
      steps:
        - id: a
          set: "{{ inputs.x }}"
    `);
    const deep = JSON.parse(nested(5000)) as unknown;
    for (const given of [deep, nested(5000)]) {
      const { result, events } = await run(workflow, echo(), { inputs: { x: given } });
      assert.equal(result.status, 'failed');
      assert.equal(result.error?.code, 'value-too-deep');
      assert.match(result.error?.message ?? '', /an input nests/);
      for (const event of events) assert.doesNotThrow(() => JSON.stringify(event), event.type);
    }
  });

  test('nestsDeeperThan counts levels of lists and objects without recursion', () => {
    assert.equal(nestsDeeperThan(JSON.parse(nested(3))), false);
    assert.equal(nestsDeeperThan(JSON.parse(nested(3)), 2), true);
    assert.equal(nestsDeeperThan({ a: [{ b: 1 }] }, 3), false);
    assert.equal(nestsDeeperThan({ a: [{ b: {} }] }, 3), true);
    assert.equal(nestsDeeperThan('[[[['), false);
    assert.equal(nestsDeeperThan(JSON.parse(nested(200_000))), true);
  });
});
