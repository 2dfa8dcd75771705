import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { parseTests } from '../../../src/engine/eval';
import { loadWorkflow } from '../../../src/engine/load';
import { ROUTER, suiteOf } from './support';

const located = (tests: string) => suiteOf(tests).suite.problems.map((p) => `${p.range.start.line}:${p.range.start.column} ${p.code}: ${p.message}`);
const firstTestLine = ROUTER.split('\n').length + 1;

describe('tests: in a workflow file', () => {
  test('cases, dataset cases, mocks and expectations are read with their lines', () => {
    const { suite } = suiteOf(`  - name: one
    inputs: { message: hi }
    mock: { classify: { category: other } }
    expect:
      - equals: other
        output: category
  - name: rows
    rows: rows.jsonl
    columns: { message: text }
    expect:
      cel: outputs.category == row.expected
`);
    assert.deepEqual(suite.problems, []);
    const [one, rows] = suite.entries;
    assert.equal(one.kind, 'case');
    assert.equal(one.range.start.line, firstTestLine);
    assert.deepEqual(one.kind === 'case' && one.inputs, { message: 'hi' });
    assert.equal(one.mocks.classify.kind, 'object');
    assert.equal(one.expect[0].label, 'equals output category');
    assert.equal(rows.kind, 'dataset');
    assert.equal(rows.kind === 'dataset' && rows.rows, 'rows.jsonl');
    assert.deepEqual(rows.kind === 'dataset' && rows.columns, { message: 'text' });
    assert.equal(rows.expect[0].kind, 'cel');
  });

  test('every mistake is located, with a stable code and words for an author', () => {
    const problems = located(`  - name: a
    inputs: { mesage: hi }
    mock: { route: x, nope: y }
    expekt: []
    expect:
      - equals: 1
        output: categry
      - matches: "(?<=a)b"
        output: reply
      - cel: outputs.category ==
      - cel: nonsense.x == 1
      - path: [classify, nowhere]
      - budget: { latency: soon }
      - judge: fine
        threshold: 7
      - equals: 1
        contains: 1
      - schema: { type: 12 }
  - name: a
  - inputs: {}
`);
    const L = (n: number) => firstTestLine + n;
    assert.deepEqual(
      problems.map((p) => p.replace(/: .*/, '')),
      [
        `${L(1)}:15 test-unknown-input`,
        `${L(2)}:13 test-unknown-step`,
        `${L(2)}:23 test-unknown-step`,
        `${L(3)}:5 test-unknown-key`,
        `${L(6)}:17 test-unknown-output`,
        `${L(7)}:18 test-regex`,
        `${L(9)}:14 test-expression`,
        `${L(10)}:14 test-expression`,
        `${L(11)}:26 test-unknown-step`,
        `${L(12)}:28 test-budget`,
        `${L(14)}:20 test-threshold`,
        `${L(16)}:9 test-shape`,
        `${L(17)}:17 test-schema`,
        `${L(18)}:11 test-duplicate-name`,
        `${L(19)}:5 test-shape`,
      ].map((p) => p),
    );
    const text = problems.join('\n');
    assert.match(text, /the workflow has no input `mesage`; did you mean `message`\?/);
    assert.match(text, /step `route` makes no model call/);
    assert.match(text, /a test case has no key `expekt`; did you mean `expect`\?/);
    assert.match(text, /RE2, which has no lookahead or lookbehind/);
    assert.doesNotMatch(text, /must NOT|no such overload|Unexpected token/);
  });

  test('tests: that is not a list, and a file without tests:', () => {
    const { workflow } = loadWorkflow(ROUTER, 'r.workflow.yaml');
    const notAList = parseTests(`${ROUTER}tests:\n  name: x\n`, 'r.workflow.yaml', workflow);
    assert.deepEqual(notAList.problems.map((p) => p.code), ['test-shape']);
    assert.deepEqual(parseTests(ROUTER, 'r.workflow.yaml', workflow), { file: 'r.workflow.yaml', entries: [], problems: [] });
  });

  test('prototype names as inputs, steps, outputs and case names are plain names', () => {
    const { suite } = suiteOf(`  - name: constructor
    inputs: { __proto__: 1, constructor: 2 }
    mock: { toString: x }
    expect:
      - equals: 1
        output: __proto__
`);
    assert.deepEqual(
      suite.problems.map((p) => p.code),
      ['test-unknown-input', 'test-unknown-input', 'test-unknown-step', 'test-unknown-output'],
    );
    assert.equal(suite.entries[0].name, 'constructor');
    assert.equal(Object.getPrototypeOf(suite.entries[0].kind === 'case' ? suite.entries[0].inputs : {}), Object.prototype);
  });

  test('any YAML under tests: gives problems or cases, never an exception', () => {
    const yamlValue = fc.letrec((tie) => ({
      value: fc.oneof({ depthSize: 'small' }, fc.string(), fc.integer(), fc.boolean(), fc.constant(null), fc.array(tie('value'), { maxLength: 3 }), fc.dictionary(fc.constantFrom('name', 'inputs', 'mock', 'expect', 'rows', 'columns', 'equals', 'path', 'cel', 'budget', 'judge', 'output', 'step', 'field', '__proto__', 'constructor', 'matches', 'schema', 'visits', 'threshold'), tie('value'), { maxKeys: 4 })),
    })).value;
    const { workflow } = loadWorkflow(ROUTER, 'r.workflow.yaml');
    fc.assert(
      fc.property(fc.array(yamlValue, { maxLength: 4 }), (tests) => {
        const text = `${ROUTER}tests: ${JSON.stringify(tests)}\n`;
        const suite = parseTests(text, 'r.workflow.yaml', workflow);
        for (const problem of suite.problems) assert.ok(problem.range.start.line > 0 && problem.message.length > 0);
      }),
      { numRuns: 300 },
    );
  });
});
