/**
 * Step edits against golden files: each edit's result is compared with
 * test/fixtures/authoring/golden/<case>.yaml (UPDATE_GOLDEN=1 rewrites them), text
 * outside the edited ranges is unchanged byte for byte, applying the inverse edits
 * (what the editor's undo does) gives back the original, and the result is clean.
 */
import assert from 'node:assert/strict';
import { existsSync, mkdirSync, readFileSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { addStep, applyEdits, AuthoringError, duplicateStep, extractSteps, inlineStep, moveStep, moveStepOnto, moveStepTo, removeStep, type EditResult, type TextEdit } from '../../../src/authoring/edits';
import { checkWorkflow, formatProblem } from '../../../src/engine';

const fixtures = path.resolve(__dirname, '../../fixtures/authoring');
const read = (name: string) => readFileSync(path.join(fixtures, name), 'utf8');
const fileOf = (name: string) => path.join(fixtures, name);

interface Case {
  name: string;
  fixture: string;
  edit: (text: string, file: string) => EditResult;
  /** Problems the result may have (by code); none by default. */
  allow?: string[];
}

const cases: Case[] = [
  { name: 'move-up', fixture: 'pipeline.workflow.yaml', edit: (t) => moveStep(t, 'polish', 'up'), allow: ['future-step-ref'] },
  { name: 'move-down-keeps-gaps', fixture: 'review-loop.workflow.yaml', edit: (t) => moveStep(t, 'research', 'down'), allow: ['future-step-ref'] },
  { name: 'move-to-carries-comments', fixture: 'pipeline.workflow.yaml', edit: (t) => moveStepTo(t, 'write', 0), allow: ['future-step-ref'] },
  { name: 'move-last-without-newline', fixture: 'no-newline.workflow.yaml', edit: (t) => moveStep(t, 'b', 'up'), allow: ['future-step-ref'] },
  { name: 'move-branch', fixture: 'parallel.workflow.yaml', edit: (t) => moveStep(t, 'right', 'up') },
  { name: 'drop-onto-a-later-row', fixture: 'pipeline.workflow.yaml', edit: (t) => moveStepOnto(t, 'outline', 'headline'), allow: ['future-step-ref'] },
  { name: 'duplicate', fixture: 'review-loop.workflow.yaml', edit: (t, f) => duplicateStep(t, f, 'draft') },
  { name: 'duplicate-parallel-renames-branches', fixture: 'parallel.workflow.yaml', edit: (t, f) => duplicateStep(t, f, 'split'), allow: ['unreachable-step'] },
  { name: 'duplicate-last-without-newline', fixture: 'no-newline.workflow.yaml', edit: (t, f) => duplicateStep(t, f, 'b') },
  { name: 'remove-flag', fixture: 'pipeline.workflow.yaml', edit: (t, f) => removeStep(t, f, 'write', 'flag'), allow: ['unknown-step-ref'] },
  { name: 'remove-rewire', fixture: 'pipeline.workflow.yaml', edit: (t, f) => removeStep(t, f, 'polish', 'rewire') },
  { name: 'remove-rewire-loop', fixture: 'review-loop.workflow.yaml', edit: (t, f) => removeStep(t, f, 'review', 'rewire'), allow: ['unknown-step-ref'] },
  { name: 'remove-last-without-newline', fixture: 'no-newline.workflow.yaml', edit: (t, f) => removeStep(t, f, 'b', 'flag') },
  { name: 'add-prompt-after-cursor', fixture: 'pipeline.workflow.yaml', edit: (t) => addStep(t, { kind: 'prompt', at: t.indexOf('Polish:') }) },
  { name: 'add-switch-first', fixture: 'review-loop.workflow.yaml', edit: (t) => addStep(t, { kind: 'switch', at: 0, id: 'route' }) },
  { name: 'add-in-branch', fixture: 'parallel.workflow.yaml', edit: (t) => addStep(t, { kind: 'set', at: t.indexOf('Left side') }) },
  { name: 'add-to-end-without-newline', fixture: 'no-newline.workflow.yaml', edit: (t) => addStep(t, { kind: 'input', at: t.length }) },
  { name: 'extract', fixture: 'pipeline.workflow.yaml', edit: (t, f) => extractSteps(t, f, { from: 'write', to: 'polish', id: 'writing', path: './writing.workflow.yaml' }) },
  { name: 'extract-hands-the-last-next-to-the-caller', fixture: 'pipeline.workflow.yaml', edit: (t, f) => extractSteps(t, f, { from: 'polish', to: 'headline', path: './finish.workflow.yaml' }) },
  { name: 'inline', fixture: 'calls-sub.workflow.yaml', edit: (t, f) => inlineStep(t, f, 'short', { file: fileOf('sub/summarize.workflow.yaml'), text: read('sub/summarize.workflow.yaml') }) },
];

/** The edits that undo `edits` on the result, as an editor's undo stack computes them. */
function inverse(original: string, edits: TextEdit[]): TextEdit[] {
  let shift = 0;
  return [...edits]
    .sort((a, b) => a.offset - b.offset)
    .map((edit) => {
      const offset = edit.offset + shift;
      shift += edit.newText.length - (edit.endOffset - edit.offset);
      return { offset, endOffset: offset + edit.newText.length, newText: original.slice(edit.offset, edit.endOffset) };
    });
}

function golden(name: string, actual: string): void {
  const file = path.join(fixtures, 'golden', `${name}.yaml`);
  if (process.env.UPDATE_GOLDEN || !existsSync(file)) {
    mkdirSync(path.dirname(file), { recursive: true });
    writeFileSync(file, actual);
  }
  assert.equal(actual, readFileSync(file, 'utf8'), `${name}: differs from ${file}`);
}

describe('step edits against golden files', () => {
  for (const c of cases) {
    test(c.name, () => {
      const before = read(c.fixture);
      const file = fileOf(c.fixture);
      const result = c.edit(before, file);
      const after = applyEdits(before, result.edits);
      golden(c.name, after);
      for (const extra of result.newFiles) golden(`${c.name}.${path.basename(extra.path, '.yaml')}`, extra.text);

      const first = Math.min(...result.edits.map((e) => e.offset));
      const last = Math.max(...result.edits.map((e) => e.endOffset));
      assert.equal(after.slice(0, first), before.slice(0, first), 'text before the first edit is unchanged');
      assert.equal(after.slice(after.length - (before.length - last)), before.slice(last), 'text after the last edit is unchanged');
      assert.equal(applyEdits(after, inverse(before, result.edits)), before, 'undo gives back the original');

      const problems = checkWorkflow(after, file).problems.filter((p) => p.severity === 'error' && !(c.allow ?? []).includes(p.code));
      assert.deepEqual(problems.map(formatProblem), []);
      for (const extra of result.newFiles) assert.deepEqual(checkWorkflow(extra.text, extra.path).problems.map(formatProblem), []);
    });
  }
});

describe('step edits refuse clearly', () => {
  const pipeline = read('pipeline.workflow.yaml');
  const file = fileOf('pipeline.workflow.yaml');
  const refuses = (fn: () => unknown, code: string, message: RegExp) =>
    assert.throws(fn, (error: unknown) => error instanceof AuthoringError && error.code === code && message.test(error.message));

  test('moving past either end names the end', () => {
    refuses(() => moveStep(pipeline, 'outline', 'up'), 'cannot-move', /`outline` is already the first step/);
    refuses(() => moveStep(pipeline, 'done', 'down'), 'cannot-move', /`done` is already the last step/);
  });
  test('an unknown id, including prototype names, is reported as such', () => {
    for (const id of ['nope', 'constructor', '__proto__', 'toString']) refuses(() => moveStep(pipeline, id, 'up'), 'no-such-step', new RegExp(`no step \`${id}\``));
  });
  test('a drop onto a row of another list is refused', () => {
    refuses(() => moveStepOnto(read('parallel.workflow.yaml'), 'left', 'join'), 'not-siblings', /not in the same list/);
  });
  test('the only step cannot be removed', () => {
    refuses(() => removeStep('name: x\nsteps:\n  - id: a\n    prompt: hi\n', 'x.workflow.yaml', 'a', 'flag'), 'last-step', /only step/);
  });
  test('a run that jumps outside cannot be extracted', () => {
    const loop = read('review-loop.workflow.yaml');
    refuses(() => extractSteps(loop, fileOf('review-loop.workflow.yaml'), { from: 'review', to: 'verdict', path: './x.workflow.yaml' }), 'jumps-out', /`verdict` goes to `publish`/);
  });
  test('a step that is not a sub-workflow call cannot be inlined', () => {
    refuses(() => inlineStep(pipeline, file, 'write', { file: 'x', text: 'name: x\nsteps: [{id: a, prompt: b}]\n' }), 'not-a-uses-step', /`write` does not run a sub-workflow/);
  });
  test('steps in flow style are refused, not mangled', () => {
    refuses(() => moveStep('name: x\nsteps: [{ id: a, prompt: b }, { id: c, prompt: d }]\n', 'c', 'up'), 'flow-style', /flow style/);
  });
  test('a file with YAML errors is refused', () => {
    refuses(() => moveStep('name: x\nsteps:\n  - id: a\n   prompt: "open\n', 'a', 'up'), 'yaml-syntax', /syntax errors/);
  });
});

describe('extract then inline', () => {
  test('gives back a workflow that runs the same steps', () => {
    const before = read('pipeline.workflow.yaml');
    const file = fileOf('pipeline.workflow.yaml');
    const extracted = extractSteps(before, file, { from: 'write', to: 'polish', id: 'writing', path: './writing.workflow.yaml' });
    const middle = applyEdits(before, extracted.edits);
    const inlined = inlineStep(middle, file, 'writing', { file: 'writing.workflow.yaml', text: extracted.newFiles[0].text });
    const after = applyEdits(middle, inlined.edits);
    assert.deepEqual(checkWorkflow(after, file).problems.map(formatProblem), []);
    const ids = checkWorkflow(after, file).workflow!.steps.map((s) => s.id);
    assert.deepEqual(ids, ['outline', 'write', 'polish', 'writing', 'headline', 'done']);
  });

  test('inlining says which of the sub-workflow’s workers and defaults did not come along', () => {
    const caller = 'name: c\nsteps:\n  - id: s\n    uses: ./w.workflow.yaml\n';
    const sub = 'name: w\nmodel: { temperature: 0 }\nworkers:\n  critic: { system: Be harsh. }\nsteps:\n  - id: judge\n    worker: critic\n    prompt: Judge.\n';
    const result = inlineStep(caller, 'c.workflow.yaml', 's', { file: 'w.workflow.yaml', text: sub });
    assert.ok(result.notes.includes("copy worker `critic` from w.workflow.yaml into this file's `workers:`"), result.notes.join('\n'));
    assert.ok(result.notes.some((note) => note.includes('`model:` defaults')));
  });

  test('inlining with literal inputs computes them in one set step first', () => {
    const caller = 'name: c\nsteps:\n  - id: s\n    uses: ./sub/summarize.workflow.yaml\n    with: { text: "Some words" }\n  - id: after\n    set: "{{ steps.s.output.summary }}"\n';
    const result = inlineStep(caller, 'c.workflow.yaml', 's', { file: 'sub/summarize.workflow.yaml', text: read('sub/summarize.workflow.yaml') });
    const after = applyEdits(caller, result.edits);
    assert.match(after, /- id: s_with\n {4}set:\n {6}text: Some words\n {6}style: brief\n/);
    assert.match(after, /steps\.s_with\.output\.style/);
    assert.deepEqual(checkWorkflow(after, 'c.workflow.yaml').problems.map(formatProblem), []);
  });
});
