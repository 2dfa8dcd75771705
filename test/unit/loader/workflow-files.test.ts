/**
 * The analyzer's port onto `uses:` files: answered from memory, read once, in the
 * background when the reader is asynchronous (the editor), with a call to check again.
 */
import { describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { CachedWorkflowFiles, checkWorkflow, type Problem } from '../../../src/engine/index';

const MAIN = '/w/main.workflow.yaml';
const SUB = `name: Sub
inputs:
  text: { required: true }
  style: { default: plain }
steps:
  - id: s
    prompt: "{{ inputs.text }}"
`;
const USES = `name: Main
steps:
  - id: call
    uses: sub.workflow.yaml
    with:
      txt: hi
`;

function codes(problems: Problem[]): string[] {
  return problems.map((p) => p.code);
}

describe('CachedWorkflowFiles', () => {
  test('a synchronous reader answers at once, and each file is read once', () => {
    const reads: string[] = [];
    const files = new CachedWorkflowFiles((file) => {
      reads.push(file);
      return file === '/w/sub.workflow.yaml' ? SUB : undefined;
    });
    const first = checkWorkflow(USES, MAIN, { files });
    assert.deepEqual(codes(first.problems), ['missing-with-input', 'unknown-with-input']);
    checkWorkflow(USES, MAIN, { files });
    assert.deepEqual(reads, ['/w/sub.workflow.yaml']);
    files.forget('/w/sub.workflow.yaml');
    checkWorkflow(USES, MAIN, { files });
    assert.equal(reads.length, 2, 'read again once forgotten');
  });

  test('an asynchronous reader: nothing is reported until the file is known, then onChange asks for a new check', async () => {
    let changed: string | undefined;
    let files!: CachedWorkflowFiles;
    const known = new Promise<void>((resolve) => {
      files = new CachedWorkflowFiles(
        async (file) => (file.endsWith('sub.workflow.yaml') ? SUB : undefined),
        (file) => {
          changed = file;
          resolve();
        },
      );
    });
    assert.deepEqual(codes(checkWorkflow(USES, MAIN, { files }).problems), [], 'not known yet: no guess');
    await known;
    assert.equal(changed, '/w/sub.workflow.yaml');
    assert.deepEqual(codes(checkWorkflow(USES, MAIN, { files }).problems), ['missing-with-input', 'unknown-with-input']);
  });

  test('a missing file, a reader that throws, and a file that is not a workflow', () => {
    const files = new CachedWorkflowFiles((file) => {
      if (file.includes('throws')) throw new Error('EACCES');
      return file.includes('broken') ? 'steps: [' : undefined;
    });
    const text = (path: string) => `name: M\nsteps:\n  - id: a\n    uses: ${path}\n    with: { anything: 1 }\n`;
    assert.deepEqual(codes(checkWorkflow(text('gone.yaml'), MAIN, { files }).problems), ['workflow-not-found']);
    assert.deepEqual(codes(checkWorkflow(text('throws.yaml'), MAIN, { files }).problems), ['workflow-not-found']);
    assert.deepEqual(codes(checkWorkflow(text('broken.yaml'), MAIN, { files }).problems), [], 'its inputs are unknown: `with:` is not judged');
  });

  test('a cycle through several files is found at the uses: that starts it; one that does not come back is not', () => {
    const tree: Record<string, string> = {
      '/w/a.yaml': 'name: A\nsteps:\n  - id: b\n    uses: sub/b.yaml\n',
      '/w/sub/b.yaml': 'name: B\nsteps:\n  - id: c\n    uses: ../c.yaml\n',
      '/w/c.yaml': 'name: C\nsteps:\n  - id: a\n    uses: a.yaml\n  - id: c\n    uses: c.yaml\n',
    };
    const files = new CachedWorkflowFiles((file) => tree[file]);
    const a = checkWorkflow(tree['/w/a.yaml'], '/w/a.yaml', { files });
    assert.deepEqual(codes(a.problems), ['uses-cycle']);
    assert.match(a.problems[0].message, /`sub\/b\.yaml` uses `c\.yaml`, which uses this file again/);
    const c = checkWorkflow(tree['/w/c.yaml'], '/w/c.yaml', { files });
    assert.deepEqual(codes(c.problems), ['uses-cycle', 'uses-cycle']);
    assert.match(c.problems[1].message, /is this file itself/);
    const d = checkWorkflow('name: D\nsteps:\n  - id: a\n    uses: a.yaml\n', '/w/d.yaml', { files });
    assert.deepEqual(codes(d.problems), [], 'd uses a cycle but is not on it');
  });
});
