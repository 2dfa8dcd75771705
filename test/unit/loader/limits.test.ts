/**
 * Hostile sizes: an expression deeper than the call stack and durations past what a
 * timer can hold are located problems, never a crash or a timer that fires at once.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import fc from 'fast-check';
import { checkWorkflow, parseDuration } from '../../../src/engine/index';
import { MAX_DURATION_MS } from '../../../src/engine/duration';

describe('limits', () => {
  test('a flat chain of 5,000 terms is a located expression-syntax problem', () => {
    const chain = Array.from({ length: 5000 }, (_, i) => `inputs.a${i % 2}`).join(' + ');
    const text = `name: Chain\ninputs:\n  a0: { default: 1 }\n  a1: { default: 1 }\nsteps:\n  - id: s\n    if: ${chain} > 0\n    set: 1\n`;
    const { problems } = checkWorkflow(text, 'chain.workflow.yaml');
    assert.deepEqual(problems.map((p) => [p.code, p.range.start.line]), [['expression-syntax', 7]]);
    assert.doesNotMatch(problems[0].message, /call stack/);
  });

  test('a duration is accepted up to 576h and rejected, at its value, above', () => {
    assert.equal(MAX_DURATION_MS, 576 * 3_600_000);
    assert.ok(MAX_DURATION_MS < 2 ** 31 - 1, 'within what a timer holds');
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 2 ** 40 }), fc.constantFrom('timeout', 'retry_delay'), (ms, key) => {
        const text = `name: D\nsteps:\n  - id: s\n    prompt: p\n    retries: 1\n    ${key}: ${ms}ms\n`;
        const result = checkWorkflow(text, 'd.workflow.yaml');
        const problems = result.problems.filter((p) => p.code === 'invalid-duration');
        assert.equal(problems.length, ms > MAX_DURATION_MS ? 1 : 0, `${ms}ms`);
        if (problems.length) assert.equal(text.slice(problems[0].range.offset, problems[0].range.endOffset), `${ms}ms`);
        const step = result.workflow!.steps[0];
        const value = key === 'timeout' ? step.timeoutMs : step.retryDelayMs;
        assert.ok(value === undefined || value <= MAX_DURATION_MS, 'never a value past the limit');
        assert.equal(parseDuration(`${ms}ms`), ms);
      }),
      { numRuns: 200 },
    );
  });
});
