/**
 * Expressions end to end: `matches` on RE2, prototype names as data, the number
 * rule, template text of every CEL type, nesting limits and the wording of errors.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { checkWorkflow, resolveInputs, type Expr } from '../../../src/engine';
import {
  cachedExpressionCount,
  celMap,
  compile,
  evaluate,
  ExpressionError,
  fromCel,
  MAX_CACHED_EXPRESSIONS,
  MAX_EXPRESSION_DEPTH,
  renderText,
  toCel,
  typeCheck,
  type Scope,
} from '../../../src/engine/expressions';
import { load, run, ScriptedProvider } from '../../support/engine';

const at = { start: { line: 1, column: 1 }, end: { line: 1, column: 1 }, offset: 0, endOffset: 0 };
const expr = (source: string): Expr => ({ source, range: at });
const scopeOf = (values: { inputs?: Record<string, unknown>; output?: unknown; index?: number }): Scope => ({
  inputs: toCel(values.inputs ?? {}),
  output: toCel(values.output ?? null),
  steps: celMap(),
  workflow: toCel({ name: 'w', file: 'w.workflow.yaml' }),
  run: toCel({ id: 'r' }),
  ...(values.index !== undefined ? { index: BigInt(values.index) } : {}),
});
const value = (source: string, values: Parameters<typeof scopeOf>[0] = {}) => evaluate(expr(source), scopeOf(values));
const text = (source: string, values: Parameters<typeof scopeOf>[0] = {}) =>
  renderText({ source: `{{ ${source} }}`, parts: [{ expr: expr(source) }], range: at }, scopeOf(values));
const failure = (source: string, values: Parameters<typeof scopeOf>[0] = {}): string => {
  try {
    value(source, values);
  } catch (error) {
    assert.ok(error instanceof ExpressionError, `an ExpressionError, not ${String(error)}`);
    return error.message;
  }
  assert.fail(`\`${source}\` should fail`);
};
const problems = (yaml: string) => checkWorkflow(yaml, 'test.workflow.yaml').problems;

/** Words of cel-js or JavaScript that must never reach an author. */
const LIBRARY_TEXT = /no such overload|no matching overload|dyn<|Unsupported type|matchesRe2|No such key|call stack|Exceeded max|Invalid regular expression|Unexpected token|undefined/;

describe('matches() is RE2', () => {
  test('a pattern that backtracks exponentially in JavaScript answers at once', () => {
    // With RegExp this takes about 30 s at 30 characters and doubles with each one.
    assert.equal(value("output.matches('^(a+)+$')", { output: `${'a'.repeat(5000)}!` }), false);
    assert.equal(value("output.matches('^(a|a?)+$')", { output: `${'a'.repeat(5000)}!` }), false);
    assert.equal(value("matches(output, '(x+x+)+y')", { output: 'x'.repeat(5000) }), false);
  });

  test('keeps CEL semantics: unanchored search, RE2 classes and flags', () => {
    assert.equal(value("'hello'.matches('ell')"), true);
    assert.equal(value("'hello'.matches('^ell')"), false);
    assert.equal(value("'Hello'.matches('(?i)^hello$')"), true);
    assert.equal(value("'naïve'.matches('^\\\\pL+$')"), true);
    assert.equal(value("matches('abc', 'b')"), true);
  });

  test('a pattern RE2 cannot compile is a located problem when it is written literally', () => {
    const found = problems(`
name: r
steps:
  - id: a
    prompt: hi
    check: output.matches(r'(a)\\1') || output.matches(r'(?<=x)y') || output.matches('[')
`);
    const regex = found.filter((p) => p.code === 'invalid-regex');
    assert.equal(regex.length, 3, JSON.stringify(found));
    assert.match(regex[0].message, /backreferences/);
    assert.match(regex[1].message, /lookahead or lookbehind/);
    assert.match(regex[2].message, /missing closing \]/);
    assert.equal(regex[0].range.start.column, 27, 'points at the pattern, not the expression');
    for (const p of regex) assert.doesNotMatch(p.message, LIBRARY_TEXT);
  });

  test('a pattern that is not literal fails its step with the same explanation', () => {
    const message = failure('output.matches(inputs.p)', { output: 'aa', inputs: { p: '(a)\\1' } });
    assert.match(message, /RE2, which has no backreferences/);
    assert.doesNotMatch(message, LIBRARY_TEXT);
  });

  test('a dynamic pattern is not flagged by the analyzer', () => {
    const found = problems(`
name: r
inputs: { p: { default: a } }
steps:
  - id: a
    prompt: hi
    check: output.matches(inputs.p)
`);
    assert.deepEqual(found.filter((p) => p.severity === 'error'), []);
  });
});

describe('prototype names are ordinary data', () => {
  const NAMES = ['constructor', 'toString', 'valueOf', '__proto__', 'hasOwnProperty', 'prototype', 'isPrototypeOf', 'a'];
  const json = fc.letrec((tie) => ({
    value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.double({ noNaN: true, noDefaultInfinity: true }).map((n) => (Object.is(n, -0) ? 0 : n)), fc.boolean(), fc.constant(null), tie('list'), tie('object')),
    list: fc.array(tie('value'), { maxLength: 3 }),
    object: fc.array(fc.tuple(fc.constantFrom(...NAMES), tie('value')), { maxLength: 4 }).map((entries) => {
      const out: Record<string, unknown> = {};
      for (const [key, item] of entries) Object.defineProperty(out, key, { value: item, enumerable: true, writable: true, configurable: true });
      return out;
    }),
  })).value;

  test('any reply survives the trip into CEL and back unchanged', () => {
    fc.assert(
      fc.property(json, (reply) => {
        assert.deepStrictEqual(value('output', { output: reply }), reply);
      }),
      { seed: 9, numRuns: 300 },
    );
  });

  test('each name reads as its value, by field, index and has()', () => {
    const reply: Record<string, unknown> = {};
    for (const name of NAMES) Object.defineProperty(reply, name, { value: `v-${name}`, enumerable: true, writable: true, configurable: true });
    for (const name of NAMES) {
      assert.equal(value(`output['${name}']`, { output: reply }), `v-${name}`);
      assert.equal(value(`has(output.${name === '__proto__' ? 'a' : name})`, { output: reply }), true);
    }
    assert.equal(value('output.constructor + output.toString', { output: reply }), 'v-constructorv-toString');
    assert.equal(value('size(output)', { output: reply }), NAMES.length);
    assert.equal(value("has(output.valueOf)", { output: { a: 1 } }), false, 'an absent name is absent, not inherited');
  });

  test('a map literal with a key the CEL library drops is a located problem', () => {
    const found = problems(`
name: k
steps:
  - id: a
    set: "{{ {'__proto__': 1, 'ok': 2, 'prototype': 3} }}"
`).filter((p) => p.code === 'reserved-key');
    assert.deepEqual(found.map((p) => p.range.start.column), [15, 40]);
  });

  test('inputs named after the prototype receive their values, not functions', async () => {
    const workflow = load(`
      name: p
      inputs:
        toString: { default: t }
        valueOf: { type: number }
        constructor: { type: object }
        hasOwnProperty: { default: h }
      model: { provider: scripted }
      steps:
        - id: a
          set: "{{ inputs.toString + string(inputs.valueOf) + inputs.constructor.constructor + inputs.hasOwnProperty }}"
    `);
    const resolved = resolveInputs(workflow, { valueOf: '2', constructor: '{"constructor":"c"}' });
    assert.deepEqual(resolved.errors, []);
    assert.equal(resolved.values.toString, 't');
    const { result } = await run(workflow, new ScriptedProvider(() => ''), { inputs: { valueOf: '2', constructor: '{"constructor":"c"}' } });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(result.outputs, {});
  });

  test('a number input must be finite, as JSON numbers are', () => {
    const workflow = load(`
      name: n
      inputs:
        x: { type: number }
      steps:
        - id: a
          set: "{{ inputs.x }}"
    `);
    for (const given of ['Infinity', '-Infinity', '1e400', 'NaN', ' ']) assert.equal(resolveInputs(workflow, { x: given }).errors.length, 1, given);
    assert.deepEqual(resolveInputs(workflow, { x: '-0.5e3' }).values.x, -500);
  });

  test('an input not given is missing even when its name is on every object', () => {
    const workflow = load(`
      name: p
      inputs:
        toString: { required: true }
      steps:
        - id: a
          set: "{{ inputs.toString }}"
    `);
    assert.deepEqual(resolveInputs(workflow, {}).missing.map((i) => i.name), ['toString']);
  });

  test('a reply with an own key `constructor` is readable in later steps', async () => {
    const workflow = load(`
      name: p
      model: { provider: scripted }
      steps:
        - id: a
          prompt: give json
          output: { schema: { type: object } }
        - id: b
          set: "{{ steps.a.output.constructor.name + steps.a.output.__proto__ }}"
      outputs:
        b: "{{ steps.b.output }}"
    `);
    const { result } = await run(workflow, new ScriptedProvider(() => '{"constructor": {"name": "c"}, "__proto__": "p"}'));
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.deepEqual(result.outputs, { b: 'cp' });
  });

  test('a step with id `constructor` reads as any other step', async () => {
    const workflow = load(`
      name: p
      steps:
        - id: constructor
          set: built
        - id: b
          set: "{{ steps.constructor.output }}"
      outputs:
        b: "{{ steps.b.output }}"
    `);
    const { result } = await run(workflow, new ScriptedProvider(() => ''));
    assert.deepEqual(result.outputs, { b: 'built' });
  });
});

describe('numbers: every JSON number is a CEL double, and ints mix with it', () => {
  const finite = fc.double({ noNaN: true, noDefaultInfinity: true, min: -1e12, max: 1e12 });

  test('ordinary arithmetic on an input works for whole and fractional values alike', () => {
    fc.assert(
      fc.property(fc.oneof(finite, fc.integer({ min: -1e6, max: 1e6 })), (x) => {
        const inputs = { x };
        assert.equal(value('inputs.x * 2', { inputs }), x * 2);
        assert.equal(value('inputs.x / 2', { inputs }), x / 2);
        assert.equal(value('inputs.x + 1', { inputs }), x + 1);
        assert.equal(value('1 - inputs.x', { inputs }), 1 - x);
        assert.equal(value('inputs.x / 2.0', { inputs }), x / 2);
        assert.equal(value('inputs.x > 1', { inputs }), x > 1);
        assert.equal(value('inputs.x == inputs.x', { inputs }), true);
        assert.equal(value('inputs.x * index', { inputs, index: 3 }), x * 3);
        assert.equal(value('inputs.x % 2', { inputs }), x % 2);
      }),
      { seed: 3, numRuns: 200 },
    );
  });

  test('whole numbers from JSON compare equal to int literals, sizes and indexes', () => {
    assert.equal(value('inputs.n == 2', { inputs: { n: 2 } }), true);
    assert.equal(value('index == inputs.n', { inputs: { n: 2 }, index: 2 }), true);
    assert.equal(value('size(output) == output[0]', { output: [1] }), true);
    assert.equal(value('output[inputs.i]', { output: ['a', 'b'], inputs: { i: 1 } }), 'b');
    assert.equal(value('size(output) * 1.5', { output: [1, 2] }), 3);
    assert.equal(value('inputs.n in [1, 2, 3]', { inputs: { n: 2 } }), true);
  });

  test('int with int stays CEL int arithmetic (whole-number division)', () => {
    assert.equal(value('7 / 2'), 3);
    assert.equal(value('index / 2', { index: 7 }), 3);
    assert.equal(value('double(index) / 2', { index: 7 }), 3.5);
  });

  test('huge, negative-zero and non-finite numbers', () => {
    assert.equal(value('inputs.x * 2', { inputs: { x: 2 ** 60 } }), 2 ** 61);
    assert.equal(value('inputs.x', { inputs: { x: -0 } }), -0);
    assert.equal(text('inputs.x', { inputs: { x: -0 } }), '0');
    assert.equal(value('inputs.x * 1', { inputs: { x: 1e308 } }), 1e308);
    assert.match(failure('inputs.x * 10', { inputs: { x: 1e308 } }), /infinity/);
    assert.match(failure('0.0 / 0.0'), /not a number \(NaN\)/);
    assert.match(failure('1 / 0'), /division by zero/);
    assert.match(failure('9223372036854775807 + 1'), /too large for a whole number/);
    assert.equal(value('inputs.x / 0.0 > 1', { inputs: { x: 1 } }), true, 'infinity inside an expression is fine; only results must be JSON');
  });

  test('functions that take a whole number say how to pass one', () => {
    const message = failure("'abc'.substring(inputs.n)", { inputs: { n: 1 } });
    assert.match(message, /int\(x\)/);
    assert.equal(value("'abc'.substring(int(inputs.n))", { inputs: { n: 1 } }), 'bc');
  });
});

describe('template text', () => {
  test('every CEL type renders as a person reads it', () => {
    assert.equal(text('uint(3)'), '3');
    assert.equal(text("timestamp('2024-01-02T03:04:05Z')"), '2024-01-02T03:04:05Z');
    assert.equal(text("timestamp('2024-01-02T03:04:05.250Z')"), '2024-01-02T03:04:05.250Z');
    assert.equal(text("duration('90s')"), '90s');
    assert.equal(text("duration('1.5h')"), '5400s');
    assert.equal(text('type(1)'), 'int');
    assert.equal(text("b'hi'"), 'hi');
    assert.equal(text('2.0'), '2');
    assert.equal(text('2.5'), '2.5');
    assert.equal(text('9223372036854775807'), '9223372036854775807', 'an int keeps every digit in text');
    assert.equal(text('[1, 2.5]'), '[\n  1,\n  2.5\n]');
    assert.deepEqual(value("{'t': duration('2m'), 'u': uint(1)}"), { t: '120s', u: 1 });
  });
});

describe('limits', () => {
  const chain = (n: number, term: string, op: string) => Array(n).fill(term).join(` ${op} `);

  for (const [name, source] of [
    ['a 2,000-term sum', chain(2000, 'inputs.n', '+')],
    ['a 2,000-term `||`', chain(2000, 'inputs.b', '||')],
    ['20,000 negations', `${'!'.repeat(20000)}true`],
    ['20,000 minus signs', `${'-'.repeat(20000)}1`],
    ['deep parentheses', `${'('.repeat(2000)}1${')'.repeat(2000)}`],
  ] as const) {
    test(`${name} is a located problem naming the limit`, () => {
      const found = problems(`name: d\ninputs: { n: { default: 1 }, b: { default: true } }\nsteps:\n  - id: a\n    set: "{{ ${source} }}"\n`);
      const problem = found.find((p) => p.code === 'expression-too-deep' || p.code === 'expression-syntax');
      assert.ok(problem, JSON.stringify(found.map((p) => p.code)));
      assert.match(problem.message, /at most \d+ levels/);
      assert.equal(problem.range.start.line, 5);
      assert.doesNotMatch(problem.message, LIBRARY_TEXT);
    });
  }

  test('a chain within the limit checks and evaluates', () => {
    const source = chain(MAX_EXPRESSION_DEPTH - 10, 'inputs.n', '+');
    assert.equal(typeCheck(expr(source)), undefined);
    assert.equal(value(source, { inputs: { n: 1 } }), MAX_EXPRESSION_DEPTH - 10);
  });

  test('a reply nested 100,000 levels deep converts, and reading it is a worded error', () => {
    const deep = JSON.parse(`${'['.repeat(100_000)}${']'.repeat(100_000)}`) as unknown;
    assert.ok(Array.isArray(fromCel(toCel(deep))));
    const message = failure('size(output)', { output: deep });
    assert.match(message, /nested more than 500 levels deep/);
    assert.doesNotMatch(message, LIBRARY_TEXT);
    assert.equal(value('size(output)', { output: JSON.parse(`${'['.repeat(200)}${']'.repeat(200)}`) as unknown }), 1);
    const past = JSON.parse(`${'{"a":'.repeat(600)}1${'}'.repeat(600)}`) as unknown;
    assert.deepStrictEqual(value('output', { output: past }), past, 'a value passed through whole is kept whole');
  });

  test('the compiled-expression cache stays bounded', () => {
    for (let i = 0; i < MAX_CACHED_EXPRESSIONS + 50; i++) compile(expr(`inputs.n + ${i}`));
    assert.ok(cachedExpressionCount() <= MAX_CACHED_EXPRESSIONS);
  });
});

describe('errors are worded for an author', () => {
  const cases: [string, Parameters<typeof scopeOf>[0], RegExp][] = [
    ["inputs.x * 'a'", { inputs: { x: 2.5 } }, /`\*` cannot multiply a value and text \(string\)/],
    ["2.5 * 'a'", {}, /`\*` cannot multiply a number \(double\) and text \(string\)/],
    ["1 + 'a'", {}, /`\+` cannot add a whole number \(int\) and text \(string\); convert with `string\(x\)`/],
    ['-output', { output: 'a' }, /`-` cannot apply to text/],
    ['output.missing', { output: { a: 1 } }, /there is no field `missing`/],
    ['output[5]', { output: [1] }, /no item at position 5/],
    ['output.size(1, 2)', { output: 'a' }, /`size`.* does not take/],
    ['output.matches(1)', { output: 'a' }, /`matches` on text \(string\) does not take a whole number/],
    ['int(output)', { output: 'x' }, /./],
  ];
  for (const [source, values, expected] of cases) {
    test(source, () => {
      const message = failure(source, values);
      assert.match(message, expected);
      assert.doesNotMatch(message, LIBRARY_TEXT);
    });
  }

  test('type errors found before a run use the same words', () => {
    for (const source of ["1 + 'a'", 'index * true', "'a'.matches(1)", 'size(1)']) {
      const message = typeCheck(expr(source));
      assert.ok(message, source);
      assert.doesNotMatch(message, LIBRARY_TEXT, source);
    }
  });
});

describe('the number rule in ? :', () => {
  const at = { start: { line: 1, column: 1 }, end: { line: 1, column: 1 }, offset: 0, endOffset: 0 };
  test('a whole-number literal facing a fractional branch is a number like it; ints alone stay ints; other mixes are worded for an author', () => {
    assert.equal(typeCheck({ source: 'true ? 1.5 : 1', range: at }), undefined);
    assert.equal(evaluate({ source: 'false ? 1.5 : 1', range: at }, {}), 1);
    assert.equal(evaluate({ source: '(false ? 1.5 : 1) + 0.5', range: at }, {}), 1.5);
    assert.equal(evaluate({ source: 'true ? size([1, 2]) : 0', range: at }, {}), 2);
    assert.match(typeCheck({ source: "true ? 'a' : 1", range: at })!, /the two results of `\? :` must be of one type, but one is string and the other int/);
  });
});
