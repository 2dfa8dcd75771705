/**
 * Property: two sides that change different steps of the same base (each adds,
 * deletes, edits and moves steps of its own) always merge cleanly, and the result has
 * every step either side kept, with each side's edits, and loads as a workflow.
 */
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import { mergeWorkflows } from '../../../src/authoring/merge';
import { checkWorkflow } from '../../../src/engine';

const POOL = ['a', 'b', 'c', 'd', 'e', 'f', 'constructor', 'toString', '__proto__', 'valueOf'];

interface Side {
  deleted: Set<string>;
  edited: Set<string>;
  added: string[];
  moved: boolean;
}

const render = (ids: string[], edits: Map<string, string>) =>
  `name: Merge property\n# keep\nsteps:\n${ids.map((id) => `  - id: ${id}\n    prompt: ${edits.get(id) ?? `Do ${id}.`}\n`).join('')}outputs:\n  n: "1"\n`;

const scenario = fc
  .shuffledSubarray(POOL, { minLength: 4, maxLength: 6 })
  .chain((base) =>
    fc.record({
      base: fc.constant(base),
      // Each base step belongs to one side at most: the other leaves it alone.
      owner: fc.array(fc.constantFrom('ours', 'theirs', 'none'), { minLength: base.length, maxLength: base.length }),
      action: fc.array(fc.constantFrom('delete', 'edit'), { minLength: base.length, maxLength: base.length }),
      addOurs: fc.subarray(['x1', 'x2']),
      addTheirs: fc.subarray(['y1', 'y2']),
      oursMoves: fc.boolean(),
      at: fc.nat(),
    }),
  );

function side(base: string[], owner: string[], action: string[], me: string, added: string[], moves: boolean, at: number): { ids: string[]; edits: Map<string, string>; info: Side } {
  const info: Side = { deleted: new Set(), edited: new Set(), added, moved: moves };
  const edits = new Map<string, string>();
  base.forEach((id, i) => {
    if (owner[i] !== me) return;
    if (action[i] === 'delete') info.deleted.add(id);
    else {
      info.edited.add(id);
      edits.set(id, `${me} edit of ${id}.`);
    }
  });
  let ids = base.filter((id) => !info.deleted.has(id));
  if (moves && ids.length > 1) ids = [...ids.slice(1), ids[0]];
  const where = at % (ids.length + 1);
  ids = [...ids.slice(0, where), ...added, ...ids.slice(where)];
  return { ids, edits, info };
}

describe('merging sides that touch different steps', () => {
  test('is always clean and keeps everything each side meant', () => {
    fc.assert(
      fc.property(scenario, ({ base, owner, action, addOurs, addTheirs, oursMoves, at }) => {
        const ours = side(base, owner, action, 'ours', addOurs, oursMoves, at);
        const theirs = side(base, owner, action, 'theirs', addTheirs, false, at + 1);
        const result = mergeWorkflows(render(base, new Map()), render(ours.ids, ours.edits), render(theirs.ids, theirs.edits));
        assert.equal(result.conflicts, 0, result.text);
        const { workflow } = checkWorkflow(result.text, 'merged.workflow.yaml');
        const ids = workflow!.steps.map((s) => s.id);
        const expected = new Set([...base.filter((id) => !ours.info.deleted.has(id) && !theirs.info.deleted.has(id)), ...addOurs, ...addTheirs]);
        assert.deepEqual(new Set(ids), expected);
        assert.equal(ids.length, expected.size, 'no step twice');
        for (const s of [ours, theirs]) for (const id of s.info.edited) assert.ok(result.text.includes(`prompt: ${s.edits.get(id)}`), `${id} keeps its edit`);
        assert.ok(result.text.startsWith('name: Merge property\n# keep\nsteps:\n'));
        assert.ok(result.text.endsWith('outputs:\n  n: "1"\n'));
      }),
      { numRuns: 300, seed: 15 },
    );
  });

  test('merging a side with the base gives that side back, byte for byte', () => {
    fc.assert(
      fc.property(scenario, ({ base, owner, action, addOurs, oursMoves, at }) => {
        const ours = side(base, owner, action, 'ours', addOurs, oursMoves, at);
        const baseText = render(base, new Map());
        const oursText = render(ours.ids, ours.edits);
        assert.equal(mergeWorkflows(baseText, oursText, baseText).text, oursText);
        assert.equal(mergeWorkflows(baseText, baseText, oursText).text, oursText);
      }),
      { numRuns: 200, seed: 15 },
    );
  });
});
