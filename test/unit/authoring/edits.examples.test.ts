/**
 * Every edit on every step of every example: the result still parses and passes the
 * schema, duplicate adds no problem, and nothing outside the edited ranges changes.
 */
import assert from 'node:assert/strict';
import { readdirSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { addStep, applyEdits, AuthoringError, duplicateStep, extractSteps, inlineStep, layoutOf, moveStepTo, removeStep, STEP_KINDS, type EditResult } from '../../../src/authoring/edits';
import { checkWorkflow, formatProblem, type Problem } from '../../../src/engine';

const examples = path.resolve(__dirname, '../../../examples');
const files = readdirSync(examples).filter((f) => f.endsWith('.workflow.yaml'));
/** Problems about the file's shape, which no step edit may cause. */
const STRUCTURAL = new Set(['yaml-syntax', 'schema', 'duplicate-id', 'missing-kind', 'multiple-kinds']);

const key = (p: Problem) => `${p.code}: ${p.message}`;

function check(before: string, result: EditResult, file: string, allowNew: (p: Problem) => boolean): void {
  const after = applyEdits(before, result.edits);
  const first = Math.min(...result.edits.map((e) => e.offset));
  const last = Math.max(...result.edits.map((e) => e.endOffset));
  assert.equal(after.slice(0, first), before.slice(0, first));
  assert.equal(after.slice(after.length - (before.length - last)), before.slice(last));
  const old = new Set(checkWorkflow(before, file).problems.map(key));
  const added = checkWorkflow(after, file).problems.filter((p) => p.severity === 'error' && !old.has(key(p)));
  // A test case's `mock:` of a step that was removed or moved out is a reference flagged like the others.
  assert.deepEqual(added.filter((p) => STRUCTURAL.has(p.code) || (!allowNew(p) && p.code !== 'test-unknown-step')).map(formatProblem), []);
}

describe('edits on the examples', () => {
  for (const name of files) {
    test(name, () => {
      const file = path.join(examples, name);
      const text = readFileSync(file, 'utf8');
      const layout = layoutOf(text);
      for (const list of layout.lists) {
        list.blocks.forEach((block, index) => {
          const duplicated = duplicateStep(text, file, block.id);
          // A copy of a step that always jumps is unreachable, so what it reads "cannot have run": the note says so.
          const unreached = duplicated.notes.some((note) => note.includes('is not reached yet'));
          check(text, duplicated, file, (p) => unreached && p.code === 'future-step-ref');
          for (const kind of STEP_KINDS.filter((k) => k !== 'workflow' && !(list.parentId && k === 'switch'))) check(text, addStep(text, { kind, at: block.start }), file, () => false);
          for (const to of [0, list.blocks.length - 1]) if (to !== index) check(text, moveStepTo(text, block.id, to), file, (p) => p.code === 'future-step-ref');
          if (list.blocks.length > 1) {
            check(text, removeStep(text, file, block.id, 'flag'), file, (p) => p.code === 'unknown-step-ref' || p.code === 'unknown-target' || p.code === 'future-step-ref');
            check(text, removeStep(text, file, block.id, 'rewire'), file, (p) => p.code === 'unknown-step-ref' || p.code === 'future-step-ref');
          }
        });
      }
      // Extract each top-level step on its own (where it has no jumps out), then inline it back.
      for (const block of layout.lists[0].blocks) {
        let extracted: EditResult;
        try {
          extracted = extractSteps(text, file, { from: block.id, to: block.id, path: './part.workflow.yaml' });
        } catch (error) {
          assert.ok(error instanceof AuthoringError, String(error));
          continue;
        }
        const loops = extracted.notes.length > 1;
        check(text, extracted, file, (p) => loops && p.code === 'future-step-ref');
        const middle = applyEdits(text, extracted.edits);
        const newId = checkWorkflow(middle, file).workflow!.steps.find((s) => s.kind === 'workflow' && s.uses.path === './part.workflow.yaml')!.id;
        const inlined = inlineStep(middle, file, newId, { file: 'part.workflow.yaml', text: extracted.newFiles[0].text });
        check(middle, inlined, file, () => false);
      }
    });
  }
});
