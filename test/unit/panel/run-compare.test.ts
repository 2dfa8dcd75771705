import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { MockProvider } from '../../../src/engine/providers/mock';
import { compareRuns, diffLines, outputText } from '../../../src/shared/run-compare';
import { runViewModelOf } from '../../../src/shared/run-view-model';
import { outlineOf } from '../../../src/shared/workflow-outline';
import { load, run } from '../../support/engine';

const yaml = (second: string) => `
  name: pair
  model: { provider: mock, name: m }
  steps:
    - { id: a, prompt: "same prompt", mock: "same output" }
    - { id: b, prompt: "${second}", mock: "line 1\\nline ${second}\\nline 3" }
`;

describe('compare two runs', () => {
  test('marks the steps whose prompt or output changed, with token deltas', async () => {
    const w1 = load(yaml('two'));
    const w2 = load(yaml('deux'));
    const left = runViewModelOf(outlineOf(w1), (await run(w1, new MockProvider())).events);
    const right = runViewModelOf(outlineOf(w2), (await run(w2, new MockProvider())).events);
    const comparison = compareRuns(left, right);
    assert.deepEqual(comparison.rows.map((r) => r.stepId), ['a', 'b']);
    const [a, b] = comparison.rows;
    assert.deepEqual(a.changed, { status: false, prompt: false, output: false, model: false });
    assert.equal(a.tokensDelta, 0);
    assert.equal(b.changed.prompt, true);
    assert.equal(b.changed.output, true);
    assert.equal(b.left?.prompt, 'two');
    assert.equal(b.right?.prompt, 'deux');
    assert.equal(b.left?.model, 'mock/m');
    assert.equal(comparison.changedCount, 1);
    assert.equal(comparison.totals.left.tokens, left.totals.usage.totalTokens);
    assert.equal(typeof b.tokensDelta, 'number');
  });

  test('a step only one run has is a row with one side, placed where it ran', () => {
    const outline = (ids: string[]) => ({ name: 'w', file: 'f', steps: ids.map((id, i) => ({ id, kind: 'set' as const, depth: 0, line: i + 1, forEach: false })), edges: [] });
    const events = (ids: string[]) => [
      { runId: 'r', time: 0, seq: 1, type: 'run.started' as const, schemaVersion: 1, workflow: { name: 'w', file: 'f' }, inputs: {} },
      ...ids.map((id, i) => ({ runId: 'r', time: 1, seq: i + 2, type: 'step.completed' as const, stepId: id, visit: 1, attempt: 1, output: id, durationMs: 0 })),
    ];
    const left = runViewModelOf(outline(['a', 'c']), events(['a', 'c']));
    const right = runViewModelOf(outline(['a', 'b', 'c']), events(['a', 'b', 'c']));
    const rows = compareRuns(left, right).rows;
    assert.deepEqual(rows.map((r) => r.stepId), ['a', 'b', 'c']);
    assert.equal(rows[1].left, undefined);
    assert.equal(rows[1].right?.output, 'b');
    assert.equal(rows[1].changed.status, true);
  });
});

describe('line diff', () => {
  test('aligns common lines and marks what was removed and added', () => {
    assert.deepEqual(diffLines('a\nb\nc', 'a\nB\nc\nd'), [
      { op: 'same', text: 'a' },
      { op: 'del', text: 'b' },
      { op: 'add', text: 'B' },
      { op: 'same', text: 'c' },
      { op: 'add', text: 'd' },
    ]);
    assert.deepEqual(diffLines('', 'x'), [{ op: 'add', text: 'x' }]);
    assert.deepEqual(diffLines('same', 'same'), [{ op: 'same', text: 'same' }]);
  });

  test('the diff always rebuilds both texts', () => {
    const a = 'one\ntwo\nthree\nfour\nfive';
    const b = 'zero\none\nthree\nfour!\nfive\nsix';
    const diff = diffLines(a, b);
    assert.equal(diff.filter((d) => d.op !== 'add').map((d) => d.text).join('\n'), a);
    assert.equal(diff.filter((d) => d.op !== 'del').map((d) => d.text).join('\n'), b);
  });

  test('outputs are compared as text: strings as they are, values as indented JSON', () => {
    assert.equal(outputText('x'), 'x');
    assert.equal(outputText({ a: 1 }), '{\n  "a": 1\n}');
    assert.equal(outputText(undefined), '');
  });
});
