/**
 * Property: on any clean workflow (random steps reading earlier ones, comments,
 * blank lines, either indentation style, with or without a final newline; ids include
 * prototype names), every edit leaves text outside its ranges untouched and the result
 * loads and analyzes cleanly — except for the problems an edit is documented to cause
 * (a move may put a reader before what it reads; removing the first step leaves its
 * readers dangling).
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { addStep, applyEdits, duplicateStep, extractSteps, inlineStep, moveStepTo, removeStep, STEP_KINDS, type EditResult } from '../../../src/authoring/edits';
import { checkWorkflow, formatProblem } from '../../../src/engine';

const IDS = ['a', 'b', 'draft', 'review', 'constructor', 'toString', '__proto__', 'valueOf', 'x_1', 'hasOwnProperty'];
const FILE = '/virtual/prop.workflow.yaml';

interface Shape {
  ids: string[];
  reads: number[][];
  dash: number;
  gaps: boolean[];
  comments: boolean[];
  finalNewline: boolean;
  sets: boolean[];
}

const shape: fc.Arbitrary<Shape> = fc
  .integer({ min: 2, max: 6 })
  .chain((n) =>
    fc.record({
      ids: fc.shuffledSubarray(IDS, { minLength: n, maxLength: n }),
      reads: fc.tuple(...Array.from({ length: n }, (_, i) => fc.subarray(Array.from({ length: i }, (_, j) => j)))),
      dash: fc.constantFrom(0, 2, 4),
      gaps: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      comments: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
      finalNewline: fc.boolean(),
      sets: fc.array(fc.boolean(), { minLength: n, maxLength: n }),
    }),
  );

function render(s: Shape): string {
  const pad = ' '.repeat(s.dash);
  const key = ' '.repeat(s.dash + 2);
  const steps = s.ids.map((id, i) => {
    const reads = s.reads[i].map((j) => `{{ steps.${s.ids[j]}.output }}`).join(' and ');
    const lines = [];
    if (s.comments[i]) lines.push(`${pad}# about ${id}: keep me`);
    lines.push(`${pad}- id: ${id}   # id comment`);
    lines.push(s.sets[i] ? `${key}set: "${reads || 'plain'}"` : `${key}prompt: |\n${key}  Work on ${reads || '{{ inputs.topic }}'}\n${key}  # not a comment: inside the block`);
    return lines.join('\n') + '\n' + (s.gaps[i] ? '\n' : '');
  });
  const text = `# header comment\nname: Property\ninputs:\n  topic: { default: x }   # trailing\nsteps:\n${steps.join('')}outputs:\n  last: "{{ steps.${s.ids[s.ids.length - 1]}.output }}"\n`;
  return s.finalNewline ? text : text.trimEnd();
}

function errors(text: string, file = FILE): string[] {
  return checkWorkflow(text, file)
    .problems.filter((p) => p.severity === 'error')
    .map(formatProblem);
}

/** Applies the edit and checks the bytes outside every edited range are the original's. */
function apply(before: string, result: EditResult): string {
  const after = applyEdits(before, result.edits);
  const first = Math.min(...result.edits.map((e) => e.offset));
  const last = Math.max(...result.edits.map((e) => e.endOffset));
  assert.equal(after.slice(0, first), before.slice(0, first));
  assert.equal(after.slice(after.length - (before.length - last)), before.slice(last));
  return after;
}

const RUNS = { numRuns: 150, seed: 15 };

describe('every edit on a clean workflow', () => {
  test('the generated workflows are clean to begin with', () => {
    fc.assert(fc.property(shape, (s) => assert.deepEqual(errors(render(s)), [])), RUNS);
  });

  test('duplicate keeps it clean', () => {
    fc.assert(
      fc.property(shape, fc.nat(), (s, pick) => {
        const text = render(s);
        const after = apply(text, duplicateStep(text, FILE, s.ids[pick % s.ids.length]));
        assert.deepEqual(errors(after), []);
      }),
      RUNS,
    );
  });

  test('add of every kind at any offset keeps it clean', () => {
    fc.assert(
      fc.property(shape, fc.constantFrom(...STEP_KINDS.filter((k) => k !== 'workflow')), fc.nat(), (s, kind, at) => {
        const text = render(s);
        const after = apply(text, addStep(text, { kind, at: at % (text.length + 1) }));
        assert.deepEqual(errors(after), []);
      }),
      RUNS,
    );
  });

  test('move anywhere leaves only reads-before-writes to fix', () => {
    fc.assert(
      fc.property(shape, fc.nat(), fc.nat(), (s, pick, to) => {
        const text = render(s);
        const id = s.ids[pick % s.ids.length];
        const target = to % s.ids.length;
        const result = moveStepTo(text, id, target);
        const after = result.edits.length ? apply(text, result) : text;
        assert.deepEqual(errors(after).filter((e) => !e.includes('future-step-ref')), []);
        const moved = checkWorkflow(after, FILE).workflow!.steps.map((step) => step.id);
        assert.equal(moved[target], id);
        assert.deepEqual([...moved].sort(), [...s.ids].sort());
      }),
      RUNS,
    );
  });

  test('remove with rewire keeps it clean unless the first step goes', () => {
    fc.assert(
      fc.property(shape, fc.nat(), (s, pick) => {
        const text = render(s);
        const index = pick % s.ids.length;
        const after = apply(text, removeStep(text, FILE, s.ids[index], 'rewire'));
        const left = errors(after);
        if (index === 0) assert.deepEqual(left.filter((e) => !e.includes('unknown-step-ref')), []);
        else assert.deepEqual(left, []);
      }),
      RUNS,
    );
  });

  test('extract of any run, and inlining it back, keep both files clean', () => {
    fc.assert(
      fc.property(shape, fc.nat(), fc.nat(), (s, a, b) => {
        const text = render(s);
        const [i, j] = [a % s.ids.length, b % s.ids.length].sort((x, y) => x - y);
        const extracted = extractSteps(text, FILE, { from: s.ids[i], to: s.ids[j], path: './part.workflow.yaml' });
        const middle = apply(text, extracted);
        assert.deepEqual(errors(middle), []);
        const sub = extracted.newFiles[0];
        assert.deepEqual(errors(sub.text, sub.path), []);
        const newId = checkWorkflow(middle, FILE).workflow!.steps[i].id;
        const after = apply(middle, inlineStep(middle, FILE, newId, { file: sub.path, text: sub.text }));
        assert.deepEqual(errors(after), []);
      }),
      RUNS,
    );
  });
});
