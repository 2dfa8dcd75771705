/**
 * Golden files for the loader and analyzer. Each `test/fixtures/load/<name>.workflow.yaml`
 * has a `<name>.expected.json`: the problems `checkWorkflow` reports, in order, with
 * their exact range, code, severity and message.
 *
 * After an intended change, regenerate and review the diff:
 *
 *   UPDATE_GOLDEN=1 node --import tsx --test test/unit/loader/golden.test.ts
 *   git diff test/fixtures/load
 *
 * `code-<code>.workflow.yaml` fixtures exist for every ProblemCode; each must report
 * its code (a regenerated golden file cannot silently lose it).
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { existsSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { join } from 'node:path';
import { CachedWorkflowFiles, checkWorkflow, readTextSync, type Problem } from '../../../src/engine/index';
import { TOOL_PROBLEM_CODES } from '../../../src/authoring/tool-references';
import { PROBLEM_CODES, assertWellFormed } from '../fuzz/invariants';

const FIXTURES = join(__dirname, '../../fixtures/load');
const UPDATE = process.env.UPDATE_GOLDEN === '1';

export interface ExpectedProblem {
  line: number;
  column: number;
  endLine: number;
  endColumn: number;
  code: string;
  severity: string;
  message: string;
}


function expectedOf(problems: Problem[]): ExpectedProblem[] {
  return problems.map((p) => ({
    line: p.range.start.line,
    column: p.range.start.column,
    endLine: p.range.end.line,
    endColumn: p.range.end.column,
    code: p.code,
    severity: p.severity,
    message: p.message,
  }));
}

const fixtures = readdirSync(FIXTURES)
  .filter((name) => name.endsWith('.workflow.yaml'))
  .sort();

describe('loader golden files (test/fixtures/load)', () => {
  for (const name of fixtures) {
    test(name, () => {
      const file = join(FIXTURES, name);
      const text = readFileSync(file, 'utf8');
      // `uses:` paths are read from the file system, relative to the fixture, as the CLI does.
      const result = checkWorkflow(text, file, { files: new CachedWorkflowFiles(readTextSync) });
      assertWellFormed(text, file, result);
      const actual = expectedOf(result.problems);
      const goldenFile = file.replace(/\.workflow\.yaml$/, '.expected.json');
      if (UPDATE || !existsSync(goldenFile)) {
        writeFileSync(goldenFile, `${JSON.stringify(actual, null, 2)}\n`);
        if (!UPDATE) assert.fail(`wrote ${goldenFile}; review it and run again`);
      }
      const expected = JSON.parse(readFileSync(goldenFile, 'utf8')) as ExpectedProblem[];
      assert.deepEqual(actual, expected);

      const code = /^code-(.+)\.workflow\.yaml$/.exec(name)?.[1];
      if (code) assert.ok(actual.some((p) => p.code === code), `${name} reports \`${code}\``);
      if (name.startsWith('valid')) assert.deepEqual(actual, [], 'a valid file has no problems');
    });
  }

  test('there is a code-<code> fixture for every ProblemCode', () => {
    for (const code of PROBLEM_CODES) {
      // Found by the editor against a server's tool list; tested in test/unit/authoring/tool-references.test.ts.
      if (TOOL_PROBLEM_CODES.includes(code)) continue;
      assert.ok(fixtures.includes(`code-${code}.workflow.yaml`), `test/fixtures/load/code-${code}.workflow.yaml exists`);
    }
  });

  test('every golden file has its fixture', () => {
    for (const name of readdirSync(FIXTURES).filter((n) => n.endsWith('.expected.json'))) {
      assert.ok(fixtures.includes(name.replace(/\.expected\.json$/, '.workflow.yaml')), `${name} has a fixture`);
    }
  });
});
