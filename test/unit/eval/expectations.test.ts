import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { OpenAIProvider } from '../../../src/engine/providers/openai';
import { createResolver } from '../../../src/engine/providers';
import { startFakeOpenAI } from '../../support/fake-openai-server';
import { runOnly } from './support';

const failures = (outcome: Awaited<ReturnType<typeof runOnly>>) => outcome.expectations.filter((e) => !e.passed).map((e) => e.message);

describe('expectations on a real run (mock provider)', () => {
  test('every kind passes on the run it describes', async () => {
    const outcome = await runOnly(`  - name: billing
    inputs: { message: charged twice }
    expect:
      - equals: billing
        output: category
      - equals: { category: billing, score: 3 }
        step: classify
      - equals: 3
        step: classify
        field: score
      - contains: refund
        output: reply
      - matches: "(?i)WITHIN \\\\d+ DAYS"
        output: reply
      - schema: { type: object, required: [category, reply] }
      - cel: 'outputs.category == "billing" && steps.classify.output.score == 3 && cost < 0.01 && usage.totalTokens > 0 && calls.size() == 2'
      - path: [classify, route, billing]
      - path: { includes: [billing], excludes: [other], visits: { classify: 1, other: 0 } }
      - budget: { tokens: 100000, latency: 1m, cost: 0.5 }
      - judge: The reply promises a refund.
        output: reply
`);
    assert.deepEqual(failures(outcome), []);
    assert.equal(outcome.passed, true);
    assert.deepEqual(outcome.path, ['classify', 'route', 'billing']);
    const judged = outcome.expectations.find((e) => e.kind === 'judge')!;
    assert.equal(judged.score, 1);
    assert.match(judged.reasoning!, /mock judge/);
  });

  test('each kind fails with a message that says what was expected and what happened', async () => {
    const outcome = await runOnly(`  - name: other
    mock: { classify: { category: other } }
    expect:
      - equals: billing
        output: category
      - contains: refund
        output: reply
      - matches: "^We will"
        output: reply
      - schema: { type: object, properties: { score: { type: integer } }, required: [score] }
        step: classify
      - cel: outputs.category == "billing"
      - path: [classify, route, billing]
      - path: { includes: [billing], excludes: [other], visits: { classify: 2 } }
      - budget: { tokens: 1 }
      - judge: The reply promises a refund.
        output: reply
        mock: { score: 0.2, reasoning: There is no refund in it. }
`);
    const messages = failures(outcome);
    assert.equal(outcome.passed, false);
    assert.deepEqual(messages, [
      'output category is "other", expected "billing"',
      'output reply does not contain "refund"; it is "Here is some help."',
      'output reply does not match /^We will/; it is "Here is some help."',
      'step classify does not fit the schema: the value lacks `score`',
      '`outputs.category == "billing"` is false',
      'the run took classify → route → other, expected classify → route → billing',
      'step `billing` did not run; step `other` ran, expected it not to; step `classify` ran once, expected 2 times (the run took classify → route → other)',
      messages[7],
      'the judge scored output reply 0.2, under the threshold 0.7: There is no refund in it.',
    ]);
    assert.match(messages[7]!, /^over budget: it used \d+ tokens, over the 1 allowed$/);
    const equals = outcome.expectations[0];
    assert.equal(equals.expected, 'billing');
    assert.equal(equals.actual, 'other');
    assert.ok(equals.line > 0);
  });

  test('a run that fails fails its case unless the case expects it', async () => {
    const failing = await runOnly(`  - name: boom
    mock: { classify: { $error: the model is down } }
    expect: []
`);
    assert.equal(failing.passed, false);
    assert.match(failures(failing)[0]!, /^the run failed: .*the model is down/);
    const expected = await runOnly(`  - name: boom
    mock: { classify: { $error: the model is down } }
    expect:
      - status: failed
`);
    assert.equal(expected.passed, true);
  });

  test('a CEL expectation that does not give a boolean says so, and one that throws names itself', async () => {
    const outcome = await runOnly(`  - name: odd
    expect:
      - cel: outputs.category
      - cel: outputs.nope == 1
`);
    const [first, second] = failures(outcome);
    assert.equal(first, '`outputs.category` must be true or false, but it gave "billing"');
    assert.match(second!, /^cel outputs\.nope == 1: `outputs\.nope == 1` failed: /);
  });

  test('output names like constructor and __proto__ are data, not the prototype', async () => {
    const outcome = await runOnly(`  - name: hostile
    expect:
      - equals: null
        step: classify
        field: constructor
      - equals: null
        step: classify
        field: __proto__
`);
    assert.deepEqual(failures(outcome), []);
  });

  test('the judge goes through the real openai client: score, threshold, reasoning kept', async () => {
    const fake = await startFakeOpenAI({ apiKey: 'sk-test-judge' });
    try {
      fake.script({ kind: 'reply', content: JSON.stringify({ score: 0.4, reasoning: 'It never mentions a refund.' }) });
      const openai = new OpenAIProvider({ id: 'openai', baseURL: fake.url, apiKey: 'sk-test-judge' });
      // Steps on the mock, the judge (a provider named `judge`) on the loopback server.
      const providers = createResolver({}, { forceMock: true });
      const outcome = await runOnly(
        `  - name: judged
    expect:
      - judge: The reply promises a refund.
        output: reply
        threshold: 0.5
        model: { provider: judge, name: gpt-4o-mini }
`,
        undefined,
        { resolve: (name) => (name === 'judge' ? openai : providers.resolve(name)) },
      );
      assert.equal(fake.calls, 1);
      const judged = outcome.expectations[0];
      assert.equal(judged.passed, false);
      assert.equal(judged.score, 0.4);
      assert.equal(judged.reasoning, 'It never mentions a refund.');
      const request = fake.requests[0];
      assert.match(JSON.stringify(request.body), /The reply promises a refund/);
      assert.match(JSON.stringify(request.body), /json_schema/);
    } finally {
      await fake.close();
    }
  });
});

describe('a case\'s mock replies', () => {
  test('replace the step\'s own mock inside a parallel branch, on the mock provider, without changing the workflow', async () => {
    const { loadWorkflow } = await import('../../../src/engine/load');
    const { withMocks } = await import('../../../src/engine/eval');
    const text = `name: fan
model: { provider: openai, name: gpt-4o-mini }
steps:
  - id: fan
    parallel:
      - { id: left, prompt: left, mock: original }
      - { id: right, prompt: right, mock: kept }
outputs:
  left: "{{ steps.left.output }}"
`;
    const { workflow } = loadWorkflow(text, 'fan.workflow.yaml');
    const mocked = withMocks(workflow!, { left: { kind: 'literal', value: 'replaced' } });
    const left = mocked.stepsById.get('left')!;
    assert.equal(left.kind === 'prompt' && left.model?.provider, 'mock');
    assert.deepEqual(left.mock, { kind: 'literal', value: 'replaced' });
    assert.equal(mocked.steps[0].kind === 'parallel' && mocked.steps[0].branches[0], left, 'the tree and the index agree');
    assert.deepEqual(workflow!.stepsById.get('left')!.mock, { kind: 'literal', value: 'original' }, 'the loaded workflow is unchanged');
    assert.equal(mocked.stepsById.get('right'), workflow!.stepsById.get('right'));
  });
});
