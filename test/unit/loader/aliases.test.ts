/**
 * Aliases: ordinary reuse of an anchor, however often, is allowed; only an expansion
 * that is really explosive (by expanded size) is rejected, and located at an alias.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { checkWorkflow } from '../../../src/engine/index';
import { MAX_EXPANDED_NODES } from '../../../src/engine/aliases';

function withSteps(head: string, steps: string[]): string {
  return `name: Aliases\n${head}steps:\n${steps.join('')}`;
}

describe('aliases', () => {
  test('one anchor used 5,000 times is ordinary reuse', () => {
    const steps = Array.from({ length: 5000 }, (_, i) => `  - id: s${i}\n    prompt: p\n    model: *m\n`);
    const result = checkWorkflow(withSteps('model: &m { provider: mock, temperature: 0 }\n', steps), 'reuse.workflow.yaml');
    assert.deepEqual(result.problems, []);
    assert.equal(result.workflow?.steps.length, 5000);
  });

  test('aliases of aliases are allowed while the expansion stays small', () => {
    const head = 'x: &a [1, 2, 3, 4, 5, 6, 7, 8, 9, 10]\ny: &b [*a, *a, *a, *a, *a, *a, *a, *a, *a, *a]\nz: &c [*b, *b, *b, *b, *b, *b, *b, *b, *b, *b]\n';
    const result = checkWorkflow(withSteps(head, ['  - id: s\n    prompt: p\n']), 'nested.workflow.yaml');
    assert.ok(result.problems.every((p) => p.code !== 'yaml-syntax'), 'a thousand values is not a bomb');
  });

  test('an expansion past the limit is rejected at an alias, with no library text', () => {
    const levels = Math.ceil(Math.log10(MAX_EXPANDED_NODES)) + 1;
    let head = 'l0: &l0 [x, x, x, x, x, x, x, x, x, x]\n';
    for (let i = 1; i <= levels; i++) head += `l${i}: &l${i} [${Array(10).fill(`*l${i - 1}`).join(', ')}]\n`;
    const text = withSteps(head, ['  - id: s\n    prompt: p\n']);
    const result = checkWorkflow(text, 'bomb.workflow.yaml');
    assert.equal(result.problems.length, 1);
    const [problem] = result.problems;
    assert.equal(problem.code, 'yaml-syntax');
    assert.match(text.slice(problem.range.offset, problem.range.endOffset), /^\*l\d+$/);
    assert.doesNotMatch(problem.message, /Excessive|resource exhaustion/);
  });

  test('deep nesting under an anchor does not overflow the stack', () => {
    const depth = 3000;
    const head = `deep: &d ${'['.repeat(depth)}x${']'.repeat(depth)}\nagain: *d\n`;
    const result = checkWorkflow(withSteps(head, ['  - id: s\n    prompt: p\n']), 'deep.workflow.yaml');
    assert.ok(Array.isArray(result.problems));
  });
});
