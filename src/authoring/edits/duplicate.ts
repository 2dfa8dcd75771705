/**
 * Duplicating a step: the copy goes right after the original with a fresh id (and
 * fresh ids for its nested steps). References inside the copy to itself point at the
 * copy; references to other steps keep pointing where they did.
 */
import { loadForEdit } from './references';
import { renameWithin } from './rename';
import { allIds, findStep, layoutOf, separatorAt, uniqueId } from './step-blocks';
import type { EditResult } from './text-edit';

export function duplicateStep(text: string, file: string, id: string): EditResult {
  const layout = layoutOf(text);
  const { list, index, block } = findStep(layout, id);
  const { occurrences } = loadForEdit(text, file);
  const taken = allIds(layout);
  const renames = new Map<string, string>();
  for (const o of occurrences) {
    if (o.target !== 'step' || o.role !== 'definition' || o.offset < block.start || o.endOffset > block.end) continue;
    const fresh = uniqueId(`${o.name}_copy`, taken);
    taken.add(fresh);
    renames.set(o.name, fresh);
  }
  let copy = separatorAt(text, list, index) + renameWithin(text, block, occurrences, renames);
  if (!copy.endsWith('\n')) copy += '\n';
  // The original ends a file without a final newline: the copy starts on a new line and ends the same way.
  if (block.end === text.length && !text.endsWith('\n')) copy = `\n${copy.slice(0, -1)}`;
  const copyId = renames.get(id) ?? id;
  const notes = [...renames].map(([from, to]) => `the copy of \`${from}\` is \`${to}\``);
  // The copy sits right after the original: a step that always jumps never falls through to it.
  const jumps = ['switch', 'next', 'on_success', 'end', 'fail'].filter((key) => block.node.has(key));
  if (jumps.length > 0) notes.push(`\`${copyId}\` is not reached yet: \`${id}\` always goes elsewhere (\`${jumps[0]}:\`); point a transition at the copy`);
  return { edits: [{ offset: block.end, endOffset: block.end, newText: copy }], newFiles: [], notes, focus: block.end + copy.indexOf(copyId) };
}
