/**
 * Every workflow in examples/ (and examples/lib/) checks clean: no errors and no
 * warnings, with `uses:` paths checked against the file system as the CLI does.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import { join, relative } from 'node:path';
import { CachedWorkflowFiles, checkWorkflow, formatProblem, readTextSync } from '../../../src/engine/index';

const EXAMPLES = join(__dirname, '../../../examples');

function workflowFiles(dir: string): string[] {
  return readdirSync(dir, { withFileTypes: true }).flatMap((entry) => {
    const path = join(dir, entry.name);
    if (entry.isDirectory()) return workflowFiles(path);
    return /\.workflow\.ya?ml$/.test(entry.name) ? [path] : [];
  });
}

const files = workflowFiles(EXAMPLES).sort();

describe('examples/ check clean', () => {
  test('there are examples to check', () => {
    assert.ok(files.length >= 5, `found ${files.length} example workflows`);
  });

  for (const file of files) {
    test(relative(EXAMPLES, file), () => {
      const result = checkWorkflow(readFileSync(file, 'utf8'), file, { files: new CachedWorkflowFiles(readTextSync) });
      assert.deepEqual(result.problems.map(formatProblem), []);
      assert.ok(result.workflow && result.workflow.steps.length > 0);
    });
  }
});
