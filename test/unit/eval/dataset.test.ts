import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { DatasetError, estimateRows, readRows, rowInputs } from '../../../src/engine/eval';
import { suiteOf } from './support';

const dir = mkdtempSync(path.join(tmpdir(), 'orchestrate-dataset-'));
function file(name: string, text: string): string {
  const full = path.join(dir, name);
  writeFileSync(full, text);
  return full;
}
async function rows(name: string, text: string) {
  const out = [];
  for await (const row of readRows(file(name, text))) out.push(row);
  return out;
}

describe('dataset rows', () => {
  test('jsonl, csv and yaml give the same rows in order', async () => {
    const jsonl = await rows('a.jsonl', '{"text":"hi","expected":"other"}\n\n{"text":"refund","expected":"billing"}\n');
    const csv = await rows('a.csv', '\uFEFFtext,expected\nhi,other\n"refund",billing\n');
    const yaml = await rows('a.yaml', '- { text: hi, expected: other }\n- { text: refund, expected: billing }\n');
    for (const got of [jsonl, csv, yaml]) {
      assert.deepEqual(got.map((r) => [r.index, r.values]), [[0, { text: 'hi', expected: 'other' }], [1, { text: 'refund', expected: 'billing' }]]);
    }
    assert.deepEqual(jsonl.map((r) => r.line), [1, 3]);
    assert.equal(await estimateRows(path.join(dir, 'a.csv')), 2);
  });

  test('a CSV value may hold commas, quotes and newlines', async () => {
    const got = await rows('q.csv', 'text\n"a, ""quoted""\nvalue"\n');
    assert.deepEqual(got[0].values, { text: 'a, "quoted"\nvalue' });
  });

  test('a bad row is an error at its file and line', async () => {
    await assert.rejects(rows('bad.jsonl', '{"a":1}\n{oops\n'), (error: DatasetError) => error instanceof DatasetError && error.line === 2 && /bad\.jsonl:2: this line is not JSON/.test(error.message));
    await assert.rejects(rows('list.jsonl', '[1,2]\n'), /a row is an object of column names/);
    await assert.rejects(rows('bad.csv', 'a,b\n1,2,3\n'), (error: DatasetError) => error instanceof DatasetError && error.line === 2);
    await assert.rejects(rows('x.txt', 'hi'), /a dataset is a .jsonl, .csv or .yaml file/);
  });

  test('columns map to inputs by name or by the mapping; prototype names are columns like any other', () => {
    const { workflow } = suiteOf('  - name: x\n');
    assert.deepEqual(rowInputs(workflow, { text: 'hi', message: 'ignored' }, { message: 'text' }), { message: 'hi' });
    assert.deepEqual(rowInputs(workflow, { message: 'direct' }, {}), { message: 'direct' });
    const hostile = JSON.parse('{"__proto__": "p", "constructor": "c"}') as Record<string, unknown>;
    assert.deepEqual(rowInputs(workflow, hostile, { message: '__proto__' }), { message: 'p' });
    assert.deepEqual(rowInputs(workflow, hostile, {}), {});
  });
});
