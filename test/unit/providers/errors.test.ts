import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { EngineError, isEngineError, isRetryable, partialOf, retryAfterOf, toErrorInfo } from '../../../src/engine/errors';
import { ExpressionError } from '../../../src/engine/expressions';
import { MockError } from '../../../src/engine/providers/mock';
import { ProviderError, RETRYABLE, isProviderError } from '../../../src/engine/providers/errors';
import { createResolver } from '../../../src/engine/providers';
import { ReplayError } from '../../../src/engine/trace/replay';
import type { SourceRange } from '../../../src/engine/types';

const range: SourceRange = { start: { line: 3, column: 5 }, end: { line: 3, column: 9 }, offset: 20, endOffset: 24 };

test('an unknown error is internal and never retried: a provider bug must not be sent again', () => {
  for (const thrown of [new Error('boom'), new TypeError('x is undefined'), Object.assign(new Error('looks retryable'), { code: 'server', retryable: true }), 'a string', 42, null, undefined, { retryable: true }]) {
    assert.equal(isRetryable(thrown), false, String(thrown));
    assert.equal(toErrorInfo(thrown).code, 'internal');
    assert.equal(retryAfterOf(thrown), 0);
    assert.equal(partialOf(thrown), undefined);
  }
});

test('duck-typed look-alikes are not engine errors', () => {
  assert.equal(isEngineError({ code: 'server', retryable: true, info: {} }), false, 'not an Error');
  assert.equal(isEngineError(Object.assign(new Error('x'), { code: 'server', retryable: true })), false, 'no info');
});

test('an EngineError carries its code, verdict, wait and partial output; not retryable unless it says so', () => {
  const plain = new EngineError({ code: 'workflow', message: 'cannot load' });
  assert.equal(plain.retryable, false);
  assert.deepEqual(toErrorInfo(plain, 'step1'), { code: 'workflow', message: 'cannot load', stepId: 'step1' });

  const error = new EngineError({ code: 'rate-limit', message: 'slow down', retryable: true, retryAfterMs: 1_500, partialOutput: 'half', stepId: 'a', range });
  assert.ok(isRetryable(error));
  assert.equal(retryAfterOf(error), 1_500);
  assert.equal(partialOf(error), 'half');
  assert.deepEqual(toErrorInfo(error, 'other'), { code: 'rate-limit', message: 'slow down', stepId: 'a', range }, 'its own step wins');
  assert.ok(!JSON.stringify(error).includes('"info"'), 'info is not serialised twice');
});

test('errors from every layer are engine errors with their own codes', () => {
  const provider = new ProviderError({ code: 'server', provider: 'openai', model: 'm', message: 'down' });
  assert.ok(isEngineError(provider) && isProviderError(provider));
  assert.equal(provider.retryable, RETRYABLE.server);
  assert.equal(toErrorInfo(provider).code, 'server');

  const expression = new ExpressionError('no such field', 'evaluation', range, 'steps.x.y');
  assert.ok(isEngineError(expression));
  assert.equal(expression.retryable, false);
  assert.deepEqual(toErrorInfo(expression, 's'), { code: 'expression', message: 'no such field', stepId: 's', range });
  assert.equal(expression.range, range);

  const mock = new MockError('scripted failure');
  assert.equal(toErrorInfo(mock).code, 'mock-error');
  assert.ok(isRetryable(mock), 'a scripted failure is there to try retries');

  const replay = new ReplayError('replay-missing', 'not recorded');
  assert.equal(toErrorInfo(replay).code, 'replay-missing');
  assert.equal(isRetryable(replay), false);

  assert.throws(
    () => createResolver({}).resolve('nope'),
    (error) => isEngineError(error) && error.code === 'unknown-provider' && !error.retryable,
  );
});

test('one code for a reply off its schema: schema (invalid-output is gone)', () => {
  assert.equal(RETRYABLE.schema, true);
  assert.ok(!('invalid-output' in RETRYABLE));
});

test('an engine error from another copy of the module (another bundle) is still recognised', () => {
  const foreign = Object.assign(new Error('from the other bundle'), { name: 'ProviderError', code: 'timeout', retryable: true, info: { code: 'timeout', message: 'from the other bundle' } });
  assert.ok(isEngineError(foreign));
  assert.ok(isProviderError(foreign));
  assert.ok(isRetryable(foreign));
});

test('causes of unknown errors are kept, as internal', () => {
  const inner = new EngineError({ code: 'network', message: 'ECONNRESET', retryable: true });
  const outer = new Error('wrapped', { cause: inner });
  assert.deepEqual(toErrorInfo(outer, 's'), { code: 'internal', message: 'wrapped', stepId: 's', cause: { code: 'network', message: 'ECONNRESET' } });
});

test('property: whatever is thrown, toErrorInfo gives a code and a message, and only an EngineError is retried', () => {
  fc.assert(
    fc.property(fc.anything({ withBigInt: true, withNullPrototype: true, withObjectString: true }), (thrown) => {
      const info = toErrorInfo(thrown);
      assert.equal(typeof info.code, 'string');
      assert.equal(typeof info.message, 'string');
      assert.equal(isRetryable(thrown), false);
      assert.equal(retryAfterOf(thrown), 0);
    }),
  );
});
