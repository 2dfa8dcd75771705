/**
 * The incremental checker must give exactly what a whole-file check gives, whatever
 * the edit: checked on mutated examples (after warming its cache on the original,
 * as an editor would) and on generated workflows.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join } from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { checkWorkflow, IncrementalChecker, type LoadResult } from '../../../src/engine';
import { mutate, mutation, stringifyOptions, toYaml, workflowObject } from './arbitraries';

const SEED = Number(process.env.FUZZ_SEED ?? 20261121);
const RUNS = Number(process.env.FUZZ_RUNS ?? 1);
const examplesDir = join(__dirname, '../../../examples');
const examples = readdirSync(examplesDir)
  .filter((f) => f.endsWith('.workflow.yaml'))
  .map((f) => readFileSync(join(examplesDir, f), 'utf8'));

/** What a check says, without object identity. */
function summary(result: LoadResult): string {
  const { workflow, problems } = result;
  return JSON.stringify({
    problems: problems.map((p) => [p.code, p.severity, p.message, p.range, p.stepId, p.data]),
    workflow: workflow && { ...workflow, stepsById: [...workflow.stepsById.keys()] },
  });
}

describe('incremental checking', () => {
  test('equals a whole-file check after any edit of an example', () => {
    fc.assert(
      fc.property(fc.nat({ max: examples.length - 1 }), fc.array(mutation, { minLength: 1, maxLength: 3 }), (which, mutations) => {
        const original = examples[which];
        const edited = mutations.reduce(mutate, original);
        const checker = new IncrementalChecker();
        assert.equal(summary(checker.check(original, 'x.workflow.yaml')), summary(checkWorkflow(original, 'x.workflow.yaml')));
        assert.equal(summary(checker.check(edited, 'x.workflow.yaml')), summary(checkWorkflow(edited, 'x.workflow.yaml')));
        // And back again, with pieces reused at their old offsets.
        assert.equal(summary(checker.check(original, 'x.workflow.yaml')), summary(checkWorkflow(original, 'x.workflow.yaml')));
      }),
      { seed: SEED, numRuns: 1500 * RUNS },
    );
  });

  test('equals a whole-file check on generated workflows', () => {
    fc.assert(
      fc.property(workflowObject, stringifyOptions, (value, options) => {
        const text = toYaml(value, options);
        assert.equal(summary(new IncrementalChecker().check(text, 'g.workflow.yaml')), summary(checkWorkflow(text, 'g.workflow.yaml')));
      }),
      { seed: SEED, numRuns: 1000 * RUNS },
    );
  });

  test('reuses unchanged steps: one edit re-parses one step', () => {
    const steps = Array.from({ length: 300 }, (_, i) => `  - id: s${i}\n    prompt: "${i === 0 ? 'start' : `after {{ steps.s${i - 1}.output }}`}"\n`).join('');
    const text = `name: big\nsteps:\n${steps}outputs:\n  last: "{{ steps.s299.output }}"\n`;
    const checker = new IncrementalChecker();
    checker.check(text, 'big.workflow.yaml');
    const edited = text.replace('prompt: "after {{ steps.s149.output }}"', 'prompt: "later {{ steps.s149.output }} and {{ steps.nope.output }}"');
    const result = checker.check(edited, 'big.workflow.yaml');
    assert.equal(summary(result), summary(checkWorkflow(edited, 'big.workflow.yaml')));
    assert.deepEqual(
      result.problems.map((p) => [p.code, p.range.start.line]),
      [['unknown-step-ref', 2 + 150 * 2 + 2]],
    );
  });
});
