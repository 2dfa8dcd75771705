import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { MockError, MockProvider } from '../../../src/engine/providers/mock';
import { MockScript, withMockScript, type MockCall } from '../../../src/engine/providers/mock-script';
import { createResolver } from '../../../src/engine/providers';
import type { ModelRequest, Provider, TemplateValue } from '../../../src/engine/types';

const literal = (value: unknown): TemplateValue => ({ kind: 'literal', value });
const list = (...values: unknown[]): TemplateValue => ({ kind: 'list', items: values.map(literal) });

/** A script whose "rendering" returns literals as they are and records which call asked. */
function scriptOf(mocks: Record<string, TemplateValue>): { script: MockScript; rendered: MockCall[] } {
  const rendered: MockCall[] = [];
  const byId = new Map(Object.entries(mocks));
  const script = new MockScript({
    mockOf: (stepId) => byId.get(stepId),
    render: (entry, call) => {
      rendered.push(call);
      assert.equal(entry.kind, 'literal');
      return entry.kind === 'literal' ? entry.value : undefined;
    },
  });
  return { script, rendered };
}

function request(stepId: string, overrides: Partial<ModelRequest> = {}): ModelRequest {
  return { provider: 'mock', model: 'm', messages: [{ role: 'user', content: 'go' }], params: {}, signal: new AbortController().signal, stepId, attempt: 1, ...overrides };
}

test('a list gives one reply per call, the last repeating; a single value every time', () => {
  const { script } = scriptOf({ review: list('CHANGES', 'APPROVED'), fixed: literal('same') });
  assert.deepEqual([1, 2, 3].map(() => script.take({ stepId: 'review', attempt: 1 })?.reply), ['CHANGES', 'APPROVED', 'APPROVED']);
  assert.deepEqual([1, 2].map(() => script.take({ stepId: 'fixed', attempt: 1 })?.reply), ['same', 'same']);
  assert.equal(script.take({ stepId: 'unscripted', attempt: 1 }), undefined);
  assert.equal(scriptOf({ empty: list() }).script.take({ stepId: 'empty', attempt: 1 }), undefined, 'an empty list scripts nothing');
});

test('each for_each item starts at the first entry', () => {
  const { script } = scriptOf({ map: list('a', 'b') });
  assert.equal(script.take({ stepId: 'map', index: 0, attempt: 1 })?.reply, 'a');
  assert.equal(script.take({ stepId: 'map', index: 1, attempt: 1 })?.reply, 'a');
  assert.equal(script.take({ stepId: 'map', index: 0, attempt: 2 })?.reply, 'b');
  assert.equal(script.take({ stepId: 'map', attempt: 1 })?.reply, 'a', 'the step outside a map counts apart from its items');
});

test('a restored execution used up its entries: the next call gets the one after them', () => {
  const { script } = scriptOf({ review: list('one', 'two', 'three') });
  script.consumed('review', undefined, 2);
  assert.equal(script.take({ stepId: 'review', visit: 2, attempt: 1 })?.reply, 'three');
  script.consumed('unscripted', undefined, 5);
  assert.equal(script.take({ stepId: 'unscripted', attempt: 1 }), undefined);
});

test('the renderer is asked for the call being answered', () => {
  const { script, rendered } = scriptOf({ s: literal('x') });
  script.take({ stepId: 's', visit: 3, index: 2, attempt: 4 });
  assert.deepEqual(rendered, [{ stepId: 's', visit: 3, index: 2, attempt: 4 }]);
});

test('step ids named after prototype members are ordinary ids', () => {
  const { script } = scriptOf(Object.fromEntries([['constructor', list('c1', 'c2')], ['__proto__', literal('p')], ['toString', literal('t')]]));
  assert.equal(script.take({ stepId: 'constructor', attempt: 1 })?.reply, 'c1');
  assert.equal(script.take({ stepId: 'constructor', attempt: 1 })?.reply, 'c2');
  assert.equal(script.take({ stepId: 'toString', attempt: 1 })?.reply, 't');
  assert.equal(script.take({ stepId: '__proto__', attempt: 1 })?.reply, 'p');
  assert.equal(script.take({ stepId: 'hasOwnProperty', attempt: 1 }), undefined);
});

test('property: the n-th call of a (step, item) gets entry min(n, last), however calls interleave', () => {
  fc.assert(
    fc.property(
      fc.array(fc.tuple(fc.constantFrom('a', 'b', 'constructor'), fc.option(fc.nat(3), { nil: undefined })), { maxLength: 60 }),
      fc.integer({ min: 1, max: 4 }),
      (calls, length) => {
        const entries = Array.from({ length }, (_, i) => i);
        const { script } = scriptOf({ a: list(...entries), b: list(...entries), constructor: list(...entries) });
        const seen = new Map<string, number>();
        for (const [stepId, index] of calls) {
          const key = `${stepId}/${index}`;
          const n = seen.get(key) ?? 0;
          seen.set(key, n + 1);
          assert.equal(script.take({ stepId, index, attempt: 1 })?.reply, Math.min(n, length - 1));
        }
      },
    ),
  );
});

test('the mock provider answers with the script bound to the run; real providers never see it', async () => {
  const { script } = scriptOf({ s: list('first', { $error: 'scripted outage' }, { answer: 42 }) });
  const real: Provider = { id: 'real', complete: async (r) => ({ text: `real reply to ${r.stepId}` }) };
  const providers = withMockScript(createResolver({ real }), script);
  const mock = providers.resolve('mock');
  assert.equal(providers.resolve('mock'), mock, 'one bound provider per run');
  assert.equal((await mock.complete(request('s'))).text, 'first');
  await assert.rejects(mock.complete(request('s', { attempt: 2 })), (error) => error instanceof MockError && error.message === 'scripted outage');
  const structured = await mock.complete(request('s', { attempt: 3, outputSchema: { type: 'object' } }));
  assert.deepEqual(structured.json, { answer: 42 });
  assert.equal((await providers.resolve('real').complete(request('s'))).text, 'real reply to s');
  assert.match((await mock.complete(request('other'))).text, /^Mock reply from m for step "other"/, 'a step without mock: gets the default reply');
});

test('two runs rotate apart: each binds its own script', async () => {
  const base = createResolver({});
  const first = withMockScript(base, scriptOf({ s: list('1', '2') }).script).resolve('mock');
  const second = withMockScript(base, scriptOf({ s: list('1', '2') }).script).resolve('mock');
  assert.equal((await first.complete(request('s'))).text, '1');
  assert.equal((await second.complete(request('s'))).text, '1');
  assert.equal((await first.complete(request('s'))).text, '2');
  assert.equal((await new MockProvider().complete(request('s'))).text.startsWith('Mock reply'), true, 'an unbound mock has no script');
});
