/**
 * `canRead` and `scopeAt`: the one rule for which steps an expression may read, which
 * the analyzer enforces and completion offers. Examples for each clause of the rule, and
 * a property: over generated workflows, the analyzer reports `future-step-ref` exactly
 * where `canRead` says no.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { canRead, checkWorkflow, readableSteps, scopeAt, type Step, type Workflow } from '../../../src/engine/index';

function load(yaml: string): Workflow {
  const result = checkWorkflow(yaml, 'scope.workflow.yaml');
  assert.ok(result.workflow, JSON.stringify(result.problems));
  return result.workflow;
}

function step(workflow: Workflow, id: string): Step {
  const found = workflow.stepsById.get(id);
  assert.ok(found, id);
  return found;
}

const LOOP = `name: Loop
steps:
  - id: write
    prompt: Write.
  - id: fan
    parallel:
      - id: left
        prompt: Left.
      - id: right
        prompt: Right.
  - id: review
    prompt: Review.
    on_failure: write
  - id: route
    switch: steps.review.output
    cases: { again: write }
    default: end
  - id: unwired
    prompt: Not reached.
  - id: tail
    prompt: Tail.
`;

describe('canRead', () => {
  const workflow = load(LOOP);
  const read = (from: string | undefined, target: string, field: 'body' | 'check' | 'fail' | 'if' = 'body') =>
    canRead(workflow, from === undefined ? undefined : step(workflow, from), step(workflow, target), { field }).readable;

  test('a step reads the steps a path leads from, and through a loop the ones after it', () => {
    assert.equal(read('review', 'write'), true);
    assert.equal(read('review', 'left'), true);
    assert.equal(read('write', 'review'), true, '`review` loops back to `write`');
    assert.equal(read('write', 'route'), true, '`route` loops back to `write`');
  });

  test('a step always reads itself: its previous visit, or in check and fail this one', () => {
    for (const field of ['body', 'if', 'check', 'fail'] as const) assert.equal(read('tail', 'tail', field), true, field);
  });

  test('branches of one parallel step never read each other; the parallel step reads them only after they ran', () => {
    assert.equal(read('left', 'right'), false);
    assert.equal(read('left', 'fan'), false);
    assert.equal(read('fan', 'left'), false);
    assert.equal(read('fan', 'left', 'check'), true);
    assert.equal(read('fan', 'left', 'fail'), true);
  });

  test('a step no path reaches reads the steps above it in the file, and no step below', () => {
    assert.equal(read('unwired', 'route'), true);
    assert.equal(read('unwired', 'write'), true);
    assert.equal(read('unwired', 'tail'), false);
    assert.deepEqual(readableSteps(workflow, scopeAt(workflow, step(workflow, 'unwired'), 'body')).map((s) => s.id), ['write', 'fan', 'left', 'right', 'review', 'route', 'unwired']);
  });

  test('outputs and workers read every step', () => {
    assert.equal(read(undefined, 'tail'), true);
  });

  test('the reason says what to do', () => {
    const verdict = canRead(workflow, step(workflow, 'left'), step(workflow, 'right'), { field: 'body' });
    assert.ok(!verdict.readable && verdict.why.includes('same time'));
  });
});

describe('scopeAt', () => {
  const workflow = load(`name: Mapped
inputs:
  topics: { type: array, default: [a] }
steps:
  - id: fan
    for_each: inputs.topics
    parallel:
      - id: inner
        parallel:
          - id: deep
            prompt: "{{ item }}"
  - id: each
    for_each: inputs.topics
    if: size(inputs.topics) > 0
    prompt: "{{ item }}"
    check: output != ""
`);
  test('item and index: in a for_each body and every branch below a mapped parallel, not in its if or for_each', () => {
    assert.equal(scopeAt(workflow, step(workflow, 'deep'), 'body').inMap, true);
    assert.equal(scopeAt(workflow, step(workflow, 'deep'), 'if').inMap, true, 'a branch\'s own `if` runs once per item of its parent');
    assert.equal(scopeAt(workflow, step(workflow, 'each'), 'body').inMap, true);
    assert.equal(scopeAt(workflow, step(workflow, 'each'), 'if').inMap, false);
    assert.equal(scopeAt(workflow, step(workflow, 'each'), 'for_each').inMap, false);
    assert.equal(scopeAt(workflow, step(workflow, 'each'), 'check').hasOutput, true);
    assert.equal(scopeAt(workflow, undefined, 'body').inMap, false);
  });
});

describe('the analyzer and canRead agree', () => {
  // Generated chains of steps with random transitions; each step reads one random step.
  const shape = fc.integer({ min: 2, max: 7 }).chain((n) =>
    fc.record({
      n: fc.constant(n),
      next: fc.array(fc.option(fc.integer({ min: 0, max: n }), { nil: undefined }), { minLength: n, maxLength: n }),
      reads: fc.array(fc.integer({ min: 0, max: n - 1 }), { minLength: n, maxLength: n }),
    }),
  );
  test('future-step-ref is reported exactly where canRead says no, and completion lists what it says yes to', () => {
    fc.assert(
      fc.property(shape, ({ n, next, reads }) => {
        const lines = ['name: Generated', 'steps:'];
        for (let i = 0; i < n; i++) {
          lines.push(`  - id: s${i}`, `    prompt: "{{ steps.s${reads[i]}.output }}"`);
          const to = next[i];
          if (to !== undefined) lines.push(`    next: ${to === n ? 'end' : `s${to}`}`);
        }
        const result = checkWorkflow(lines.join('\n'), 'generated.workflow.yaml');
        const workflow = result.workflow!;
        const reported = new Set(result.problems.filter((p) => p.code === 'future-step-ref').map((p) => p.stepId));
        for (let i = 0; i < n; i++) {
          const verdict = canRead(workflow, step(workflow, `s${i}`), step(workflow, `s${reads[i]}`), { field: 'body' });
          assert.equal(reported.has(`s${i}`), !verdict.readable, `s${i} reads s${reads[i]}`);
          // Completion's list (one backward search) is canRead asked of every step (one forward search each).
          const scope = scopeAt(workflow, step(workflow, `s${i}`), 'body');
          const each = workflow.steps.filter((target) => canRead(workflow, scope.step, target, scope).readable).map((t) => t.id);
          assert.deepEqual(readableSteps(workflow, scope).map((t) => t.id), each);
        }
      }),
      { numRuns: 300 },
    );
  });
});
