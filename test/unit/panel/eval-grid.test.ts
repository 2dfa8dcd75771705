// The results grid's data: rows from case results, columns from rows (a label twice in
// a row gets a column of its own), totals; the host's store of evals (rows, traces by
// key, the latest few kept); and the protocol's checks of the grid's messages.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import type { CaseResult, ExpectationResult } from '../../../src/engine/eval';
import { EvalResults, isEvalFeedEvent } from '../../../src/extension/panel/eval-results';
import { cellColumns, gridColumns, gridRowOf, gridTotals, OUTPUT_PREVIEW_CHARS } from '../../../src/shared/eval-grid';
import { parseHostMessage, parseUiState, parseWebviewMessage } from '../../../src/shared/protocol';

function expectation(label: string, passed: boolean, message?: string): ExpectationResult {
  return { label, kind: 'equals', passed, line: 1, ...(message ? { message } : {}) };
}

function result(name: string, expectations: ExpectationResult[], extra: Partial<CaseResult> = {}): CaseResult {
  return {
    type: 'case',
    key: JSON.stringify(['w.yaml', name, null, 1]),
    file: 'w.yaml',
    workflow: 'W',
    case: name,
    line: 3,
    repeat: 1,
    inputs: {},
    passed: expectations.every((e) => e.passed),
    runId: `run-${name}`,
    status: 'succeeded',
    outputs: { text: `out of ${name}` },
    path: [],
    expectations,
    tokens: 10,
    costUsd: 0.5,
    durationMs: 7,
    cachedCalls: 0,
    calls: 1,
    ...extra,
  };
}

describe('the eval grid', () => {
  test('a row per case run; its cells in order; one column per label, a repeated label numbered', () => {
    const a = gridRowOf(result('a', [expectation('equals output x', true), expectation('equals output x', false, 'x is 1, expected 2')], { trace: '/t/a.jsonl' }));
    const b = gridRowOf(result('__proto__', [expectation('budget', true), expectation('equals output x', true)], { row: 4 }));
    assert.deepEqual(cellColumns(a), ['equals output x', 'equals output x (2)']);
    assert.deepEqual(gridColumns([a, b]), ['equals output x', 'equals output x (2)', 'budget']);
    assert.equal(a.hasTrace, true);
    assert.equal(b.hasTrace, false);
    assert.equal(b.row, 4);
    assert.equal(a.output, 'out of a');
    assert.deepEqual(a.cells[1], { label: 'equals output x', passed: false, message: 'x is 1, expected 2' });
    assert.deepEqual(gridTotals([a, b]), { runs: 2, passed: 1, failed: 1, tokens: 20, costUsd: 1 });
  });

  test('the output preview: one output as it is, several as JSON, none: the error; cut to the preview size', () => {
    assert.equal(gridRowOf(result('a', [], { outputs: { a: 1, b: 'two' } })).output, '{"a":1,"b":"two"}');
    assert.equal(gridRowOf(result('a', [], { outputs: {}, error: 'the run failed' })).output, 'the run failed');
    const long = gridRowOf(result('a', [], { outputs: { text: 'x'.repeat(5000) } })).output;
    assert.equal(long.length, OUTPUT_PREVIEW_CHARS);
    assert.ok(long.endsWith('…'));
  });

  test('property: every cell of every row has exactly one column, whatever the labels', () => {
    const label = fc.oneof(fc.constantFrom('constructor', '__proto__', 'toString', 'x (2)', 'x'), fc.string({ maxLength: 6 }));
    fc.assert(
      fc.property(fc.array(fc.array(label, { maxLength: 5 }), { maxLength: 6 }), (labelsPerRow) => {
        const rows = labelsPerRow.map((labels, i) => gridRowOf(result(`c${i}`, labels.map((l) => expectation(l, true)))));
        const columns = gridColumns(rows);
        assert.equal(new Set(columns).size, columns.length);
        for (const row of rows) {
          const own = cellColumns(row);
          assert.equal(new Set(own).size, own.length, JSON.stringify(own));
          for (const column of own) assert.ok(columns.includes(column));
        }
      }),
    );
  });
});

describe('the host\'s evals', () => {
  test('rows and traces by key; pending rows are taken once; the latest three evals are kept', () => {
    const evals = new EvalResults();
    const kept = evals.apply({ type: 'start', id: 'e1', title: 'Tests' })!;
    evals.apply({ type: 'result', id: 'e1', result: result('a', [], { trace: '/t/a.jsonl' }) });
    evals.apply({ type: 'result', id: 'e1', result: result('b', []) });
    assert.equal(kept.traces.get(JSON.stringify(['w.yaml', 'a', null, 1])), '/t/a.jsonl');
    assert.equal(kept.traces.size, 1);
    assert.deepEqual(evals.takePending(kept).map((r) => r.case), ['a', 'b']);
    assert.deepEqual(evals.takePending(kept), []);
    evals.apply({ type: 'end', id: 'e1' });
    assert.deepEqual({ ...evals.params(kept), rows: kept.rows.length }, { id: 'e1', title: 'Tests', rows: 2, running: false });
    assert.equal(evals.apply({ type: 'result', id: 'unknown', result: result('c', []) }), undefined);
    for (const id of ['e2', 'e3', 'e4']) evals.apply({ type: 'start', id, title: id });
    assert.equal(evals.get('e1'), undefined);
    assert.ok(evals.get('e4'));
  });

  test('the internal command takes only well-formed events', () => {
    assert.equal(isEvalFeedEvent({ type: 'start', id: 'e', title: 't' }), true);
    assert.equal(isEvalFeedEvent({ type: 'result', id: 'e', result: {} }), true);
    for (const bad of [undefined, null, 'start', { type: 'start', id: 'e' }, { type: 'result', id: 'e' }, { type: 'end' }, { type: 'other', id: 'e' }]) assert.equal(isEvalFeedEvent(bad), false, JSON.stringify(bad));
  });
});

describe('the grid in the protocol', () => {
  test('the webview may ask to open a row by key and to go back; nothing else of the kind', () => {
    assert.ok(parseWebviewMessage({ type: 'command', method: 'eval/open', params: { id: 'e', key: '["a"]' } }));
    assert.ok(parseWebviewMessage({ type: 'command', method: 'eval/back', params: { id: 'e' } }));
    assert.equal(parseWebviewMessage({ type: 'command', method: 'eval/open', params: { id: 'e', key: 3 } }), undefined);
    assert.equal(parseWebviewMessage({ type: 'command', method: 'eval/open', params: { id: 'e', key: 'x'.repeat(100_001) } }), undefined);
    assert.equal(parseWebviewMessage({ type: 'command', method: 'eval/back', params: {} }), undefined);
    assert.ok(parseHostMessage({ type: 'notification', method: 'eval/show', params: { id: 'e', title: 't', rows: [], running: true } }));
    assert.ok(parseHostMessage({ type: 'notification', method: 'eval/rows', params: { id: 'e', rows: [], running: false } }));
  });

  test('an eval is a source the UI state may name', () => {
    assert.deepEqual(parseUiState({ source: { kind: 'eval', id: 'e1' } }).source, { kind: 'eval', id: 'e1' });
    assert.equal(parseUiState({ source: { kind: 'eval', id: 3 } }).source, undefined);
  });
});
