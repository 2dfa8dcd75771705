// The full JSON Schema of `tests:` that docs/evaluation.md gives maintainers is a schema
// ajv compiles, and it accepts the page's own examples and rejects a malformed `tools:`.
import assert from 'node:assert/strict';
import { readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import Ajv from 'ajv';
import { parse } from 'yaml';

const ROOT = path.resolve(__dirname, '../../..');
const DOC = readFileSync(path.join(ROOT, 'docs/evaluation.md'), 'utf8');
const WORKFLOW_SCHEMA = JSON.parse(readFileSync(path.join(ROOT, 'schemas/workflow.schema.json'), 'utf8')) as { definitions: Record<string, unknown> };

function snippet(): { tests: unknown; definitions: Record<string, unknown> } {
  const start = DOC.indexOf('```json\n') + '```json\n'.length;
  return JSON.parse(DOC.slice(start, DOC.indexOf('```', start))) as { tests: unknown; definitions: Record<string, unknown> };
}

function validator() {
  const { tests, definitions } = snippet();
  return new Ajv({ strict: false }).compile({ definitions: { ...WORKFLOW_SCHEMA.definitions, ...definitions }, ...(tests as object) });
}

/** The YAML examples of the page that hold an `expect:` list. */
function examples(): unknown[] {
  return [...DOC.matchAll(/```yaml\n([\s\S]*?)```/g)].map((m) => parse(m[1]) as Record<string, unknown>).flatMap((doc) => (Array.isArray(doc?.tests) ? [doc.tests] : doc?.expect ? [[{ name: 'x', expect: doc.expect }]] : []));
}

describe('docs/evaluation.md: the schema of tests:', () => {
  test('compiles, and accepts every example on the page', () => {
    const validate = validator();
    const all = examples();
    assert.ok(all.length >= 3, 'the page has examples');
    for (const tests of all) assert.ok(validate(tests), JSON.stringify(validate.errors));
  });

  test('rejects a malformed tools: expectation', () => {
    const validate = validator();
    for (const tools of [{ order: 'sideways', calls: [] }, {}, [{ args: {} }], { counts: { 'files.a': -1 } }, { nope: 1 }]) {
      assert.equal(validate([{ name: 'x', expect: [{ tools }] }]), false, JSON.stringify(tools));
    }
  });
});
