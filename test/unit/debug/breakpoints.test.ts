import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { hitMatches, placeBreakpoints, stepAtLine } from '../../../src/debug/breakpoints';
import { dedent, load } from '../../support/engine';

const TEXT = dedent(`
  name: lines
  inputs:
    topic: { default: x }
  steps:
    - id: constructor
      set: a

    - id: toString
      parallel:
        - id: left
          set: "{{ steps.constructor.output }}"
        - id: right
          set: r
    - id: last
      set: z
`);
const workflow = load(TEXT);
const lineOf = (id: string) => TEXT.split('\n').findIndex((line) => line.trim() === `- id: ${id}`) + 1;

describe('breakpoints on workflow lines', () => {
  test('a line in a step is that step; in a branch, the branch; between steps, the next one', () => {
    assert.equal(stepAtLine(workflow, lineOf('constructor'))?.id, 'constructor');
    assert.equal(stepAtLine(workflow, lineOf('constructor') + 1)?.id, 'constructor');
    assert.equal(stepAtLine(workflow, lineOf('toString') - 1)?.id, 'toString', 'the blank line before a step');
    assert.equal(stepAtLine(workflow, lineOf('left') + 1)?.id, 'left');
    assert.equal(stepAtLine(workflow, lineOf('right'))?.id, 'right');
    assert.equal(stepAtLine(workflow, lineOf('last') + 1)?.id, 'last');
    assert.equal(stepAtLine(workflow, 1), undefined);
    assert.equal(stepAtLine(workflow, 3), undefined);
  });

  test('every line of the file places a breakpoint that is verified to a step id line or says why not', () => {
    const lines = TEXT.split('\n').length;
    let id = 0;
    fc.assert(
      fc.property(fc.integer({ min: -5, max: lines + 5 }), fc.option(fc.string(), { nil: undefined }), (line, hitCondition) => {
        const [placed] = placeBreakpoints([{ line, hitCondition }], workflow, undefined, () => ++id);
        if (placed.verified) {
          assert.ok(placed.stepId !== undefined && workflow.stepsById.get(placed.stepId)?.idRange.start.line === placed.line);
        } else {
          assert.ok(placed.message && !/undefined|\[object/.test(placed.message), placed.message);
        }
      }),
    );
  });

  test('an unreadable file leaves every breakpoint unverified, with the reason', () => {
    const [placed] = placeBreakpoints([{ line: 3 }], undefined, 'the file has problems: bad YAML', () => 1);
    assert.equal(placed.verified, false);
    assert.equal(placed.message, 'the file has problems: bad YAML');
  });

  test('hit conditions: a number is that hit, >= from it, % every n-th', () => {
    fc.assert(
      fc.property(fc.integer({ min: 1, max: 50 }), fc.integer({ min: 1, max: 200 }), (n, hits) => {
        assert.equal(hitMatches(String(n), hits), hits === n);
        assert.equal(hitMatches(`== ${n}`, hits), hits === n);
        assert.equal(hitMatches(`>= ${n}`, hits), hits >= n);
        assert.equal(hitMatches(`>${n}`, hits), hits > n);
        assert.equal(hitMatches(`% ${n}`, hits), hits % n === 0);
      }),
    );
    assert.equal(hitMatches('% 0', 3), false);
    assert.equal(hitMatches('often', 3), false);
    const [bad] = placeBreakpoints([{ line: lineOf('last'), hitCondition: 'often' }], workflow, undefined, () => 1);
    assert.equal(bad.verified, false);
    assert.match(bad.message ?? '', /hit count `often`/);
  });
});
