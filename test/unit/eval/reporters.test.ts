import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { XMLParser, XMLValidator } from 'fast-xml-parser';
import { report, SummaryBuilder, type CaseResult } from '../../../src/engine/eval';

function result(name: string, message: string, passed: boolean): CaseResult {
  return {
    type: 'case', key: JSON.stringify(['f', name, null, 1]), file: 'f.workflow.yaml', workflow: `W ${name}`, case: name, line: 3, repeat: 1, inputs: {},
    passed, runId: 'r', status: 'succeeded', outputs: { x: message }, path: [], tokens: 1, costUsd: 0, durationMs: 5, cachedCalls: 0, calls: 1,
    expectations: passed ? [] : [{ label: 'equals', kind: 'equals', passed: false, message, expected: message, actual: `${message}!`, line: 4 }],
  };
}

describe('reporters', () => {
  test('JUnit stays well-formed XML whatever the model and the author wrote', () => {
    fc.assert(
      fc.property(fc.string({ unit: 'binary', maxLength: 40 }), fc.string({ unit: 'binary', maxLength: 40 }), (name, message) => {
        const results = [result(name, message, false), result(`${name}2`, message, true)];
        const summary = new SummaryBuilder();
        results.forEach((r) => summary.add(r));
        const xml = report('junit', { summary: summary.summary(), results });
        assert.equal(XMLValidator.validate(xml), true, xml);
        const parsed = new XMLParser({ ignoreAttributes: false, attributeNamePrefix: '' }).parse(xml);
        assert.equal(parsed.testsuites.failures, '1');
      }),
      { numRuns: 200 },
    );
  });

  test('markdown escapes table cells', () => {
    const results = [result('a|b', 'x\ny', false)];
    const summary = new SummaryBuilder();
    summary.add(results[0]);
    const text = report('markdown', { summary: summary.summary(), results });
    assert.match(text, /\| W a\\\|b \| a\\\|b \| 0\/1 \(0%\)/);
    assert.match(text, /- x y/);
  });
});
