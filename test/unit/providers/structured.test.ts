import assert from 'node:assert/strict';
import { test } from 'node:test';
import fc from 'fast-check';
import { BoundedMap } from '../../../src/engine/providers/bounded-map';
import { isProviderError } from '../../../src/engine/providers/errors';
import { exampleOf } from '../../../src/engine/providers/mock';
import { compileSchema, parseReply, validateReply } from '../../../src/engine/providers/structured';

const who = { provider: 'openai', model: 'gpt-4o-mini' };

function mismatch(json: unknown, schema: Record<string, unknown>): string {
  try {
    validateReply({ text: JSON.stringify(json), json }, schema, who);
  } catch (error) {
    assert.ok(isProviderError(error));
    assert.equal(error.code, 'schema');
    assert.equal(error.retryable, true);
    return error.message;
  }
  assert.fail('expected a schema error');
}

test('validateReply returns the value that fits, parsing the text when the provider did not', () => {
  const schema = { type: 'object', properties: { n: { type: 'integer' } }, required: ['n'] };
  assert.deepEqual(validateReply({ text: 'ignored', json: { n: 1 } }, schema, who), { n: 1 });
  assert.deepEqual(validateReply({ text: '```json\n{"n": 2}\n```' }, schema, who), { n: 2 });
  assert.equal(validateReply({ text: 'null', json: null }, { type: 'null' }, who), null, 'a JSON null is a value, not a missing parse');
});

test('mismatches are worded for a workflow author, with where in the reply', () => {
  const schema = {
    type: 'object',
    properties: {
      tags: { type: 'array', items: { type: 'string' }, minItems: 2 },
      level: { enum: ['low', 'high'] },
      score: { type: 'number', minimum: 0, maximum: 1 },
      nested: { type: 'object', properties: { constructor: { type: 'string' } } },
    },
    required: ['tags', 'title'],
    additionalProperties: false,
  };
  const message = mismatch({ tags: ['a', 3], level: 'mid', score: 2, nested: { constructor: 1 }, extra: true }, schema);
  assert.match(message, /^the reply of model `gpt-4o-mini` \(provider `openai`\) does not match the step's output schema: /);
  assert.match(message, /the reply lacks the required field `title`/);
  assert.match(message, /`tags\[1\]` must be a string/);
  assert.match(message, /`level` must be one of "low", "high"/);
  assert.match(message, /`score` must be at most 1/);
  assert.match(message, /; and 1 more$/, 'five at most, then a count');
  assert.match(mismatch({ tags: ['a', 'b'], title: 't', nested: { constructor: 1 } }, schema), /`nested.constructor` must be a string/);
  assert.doesNotMatch(message, /must NOT|NOT have|\/tags\/1/, 'no library wording or JSON pointers');
  assert.match(mismatch([1], { type: 'array', minItems: 2 }), /the reply must have at least 2 items/);
  assert.match(mismatch('', { type: 'string', minLength: 1 }), /the reply must be at least 1 character long/);
});

test('a reply that is not JSON is a schema error carrying the reply; cut off at max_tokens says so', () => {
  assert.throws(
    () => validateReply({ text: '{"a": ', finishReason: 'length' }, { type: 'object' }, who),
    (error) => isProviderError(error) && error.code === 'schema' && error.partialOutput === '{"a": ' && /is not valid JSON.*cut off at max_tokens/.test(error.message),
  );
  assert.throws(() => parseReply('not json', who), (error) => isProviderError(error) && error.code === 'schema');
});

test('compiled schemas are bounded, and a schema compiled again still validates', () => {
  const first = { type: 'object', properties: { k0: { const: 0 } } };
  compileSchema(first);
  for (let i = 1; i <= 450; i++) compileSchema({ type: 'object', properties: { [`k${i}`]: { const: i } } });
  const again = compileSchema(first);
  assert.equal(again({ k0: 0 }), true);
  assert.equal(again({ k0: 1 }), false);
});

test('BoundedMap keeps the most recently used entries and tells what it drops', () => {
  const dropped: string[] = [];
  const map = new BoundedMap<string, number>(2, (key) => dropped.push(key));
  map.set('a', 1).set('b', 2);
  assert.equal(map.get('a'), 1, 'a is now the most recent');
  map.set('c', 3);
  assert.deepEqual(dropped, ['b']);
  assert.equal(map.has('b'), false);
  assert.equal(map.size, 2);
  map.set('a', 10);
  assert.equal(map.size, 2, 'replacing is not adding');
  assert.throws(() => new BoundedMap(0), RangeError);
});

test('property: a BoundedMap agrees with an unbounded LRU model', () => {
  fc.assert(
    fc.property(fc.integer({ min: 1, max: 5 }), fc.array(fc.tuple(fc.boolean(), fc.constantFrom('a', 'b', 'c', 'd', 'e', 'f', 'constructor', '__proto__')), { maxLength: 80 }), (capacity, ops) => {
      const map = new BoundedMap<string, number>(capacity);
      const model: string[] = []; // least recently used first
      ops.forEach(([write, key], i) => {
        const at = model.indexOf(key);
        if (write) {
          map.set(key, i);
          if (at >= 0) model.splice(at, 1);
          model.push(key);
          if (model.length > capacity) model.shift();
        } else {
          const present = map.get(key) !== undefined;
          assert.equal(present, at >= 0);
          if (at >= 0) model.push(...model.splice(at, 1));
        }
        assert.equal(map.size, model.length);
      });
    }),
  );
});

test('prototype names are ordinary keys: Object.prototype never meets `required` or `properties`, and the mock writes them', () => {
  for (const key of ['constructor', 'toString', 'valueOf', 'hasOwnProperty', '__proto__']) {
    const schema = { type: 'object', properties: { [key]: { type: 'string' } }, required: [key] };
    assert.match(mismatch({}, schema), new RegExp(key.replace(/_/g, '_')), `{} lacks ${key}`);
    assert.deepEqual(Object.keys(validateReply({ text: `{"${key}": "x"}` }, schema, who) as object), [key]);
    const example = exampleOf(schema) as Record<string, unknown>;
    assert.ok(Object.hasOwn(example, key), `the mock's example has its own ${key}`);
    assert.doesNotThrow(() => validateReply({ text: JSON.stringify(example), json: example }, schema, who));
  }
});
