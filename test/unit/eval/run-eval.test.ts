import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { caseKey, evalJobs, runEval, type CaseResult, type EvalSuite } from '../../../src/engine/eval';
import type { ModelRequest, ModelResponse, ProviderResolver } from '../../../src/engine';
import { suiteOf } from './support';

/** A provider whose calls wait until released, so a test can see how many case runs are in flight. */
function gatedProvider(): { providers: ProviderResolver; waiting: (() => void)[] } {
  const waiting: (() => void)[] = [];
  const provider = {
    id: 'mock',
    complete: async (request: ModelRequest): Promise<ModelResponse> => {
      await new Promise<void>((resolve) => waiting.push(resolve));
      const mock = request.mock ?? 'ok';
      return { text: typeof mock === 'string' ? mock : JSON.stringify(mock), json: typeof mock === 'string' ? undefined : mock };
    },
  };
  return { providers: { resolve: () => provider }, waiting };
}

function datasetSuite(rows: number): EvalSuite {
  const dir = mkdtempSync(path.join(tmpdir(), 'orchestrate-run-eval-'));
  writeFileSync(path.join(dir, 'rows.jsonl'), Array.from({ length: rows }, (_, i) => JSON.stringify({ message: `m${i}` })).join('\n'));
  const { workflow, suite, text } = suiteOf('  - name: rows\n    rows: rows.jsonl\n  - name: one\n');
  return { file: 'router.workflow.yaml', absolute: path.join(dir, 'router.workflow.yaml'), workflow, text, entries: suite.entries };
}

describe('runEval', () => {
  test('never more case runs in flight than the limit, and every job once', async () => {
    await fc.assert(
      fc.asyncProperty(fc.integer({ min: 1, max: 6 }), fc.integer({ min: 0, max: 12 }), fc.integer({ min: 1, max: 2 }), async (limit, rows, repeat) => {
        const { providers, waiting } = gatedProvider();
        let inFlight = 0;
        let most = 0;
        const results: CaseResult[] = [];
        const done = runEval(evalJobs({ suites: [datasetSuite(rows)], repeat }), {
          concurrency: limit,
          providers,
          store: undefined,
          onStart: () => (most = Math.max(most, ++inFlight)),
          onResult: (result) => {
            inFlight--;
            results.push(result);
          },
        });
        // Release calls as they queue up, one at a time, until the eval is done.
        let finished = false;
        void done.then(() => (finished = true));
        while (!finished) {
          await new Promise((resolve) => setImmediate(resolve));
          waiting.shift()?.();
        }
        await done;
        assert.ok(most <= limit, `${most} in flight with a limit of ${limit}`);
        assert.equal(results.length, (rows + 1) * repeat);
        assert.equal(new Set(results.map((r) => r.key)).size, results.length);
      }),
      { numRuns: 15 },
    );
  });

  test('keys already done are skipped (resume), and --filter narrows by name', async () => {
    const suite = datasetSuite(3);
    const skip = new Set([caseKey('router.workflow.yaml', 'rows', 1, 1), caseKey('router.workflow.yaml', 'one', undefined, 1)]);
    const keys: string[] = [];
    for await (const job of evalJobs({ suites: [suite], repeat: 1 }, skip)) keys.push(job.key);
    assert.deepEqual(keys.map((k) => JSON.parse(k).slice(1, 3)), [['rows', 0], ['rows', 2]]);
    const filtered: string[] = [];
    for await (const job of evalJobs({ suites: [suite], repeat: 1, filter: 'ONE' })) filtered.push(job.caseName);
    assert.deepEqual(filtered, ['one']);
  });

  test('case names that look like keys never collide', () => {
    assert.notEqual(caseKey('f', 'x#0', undefined, 1), caseKey('f', 'x', 0, 1));
    assert.notEqual(caseKey('f#x', 'y', undefined, 1), caseKey('f', 'x#y', undefined, 1));
  });
});
