/**
 * Removing a step. References to it elsewhere are either left for the analyzer to
 * flag (`flag`) or rewired (`rewire`): transitions to it go to the step after it,
 * and `steps.<id>` in expressions reads the step before it instead.
 */
import { findStep, layoutOf } from './step-blocks';
import { loadForEdit, referencesTo, inside } from './references';
import { AuthoringError, offsetAfter, type EditResult, type TextEdit } from './text-edit';

export type RemoveMode = 'flag' | 'rewire';

export function removeStep(text: string, file: string, id: string, mode: RemoveMode): EditResult {
  const layout = layoutOf(text);
  const { list, index, block } = findStep(layout, id);
  if (list.blocks.length === 1) {
    throw new AuthoringError('last-step', list.parentId ? `\`${id}\` is the only branch of \`${list.parentId}\`; remove \`${list.parentId}\` instead` : `\`${id}\` is the only step; a workflow needs at least one`);
  }
  const { occurrences } = loadForEdit(text, file);
  const successor = list.blocks[index + 1]?.id ?? (list.parentId ? undefined : 'end');
  // The block goes with the blank lines that separate it from its neighbour.
  const next = list.blocks[index + 1];
  const previous = list.blocks[index - 1];
  const removed = next ? { offset: block.start, endOffset: next.start } : { offset: previous.end, endOffset: block.end };
  // The last block of a file without a final newline: the newline before it goes instead.
  if (!next && block.end === text.length && !text.endsWith('\n')) removed.offset = Math.max(previous.end - 1, 0);
  const edits: TextEdit[] = [{ ...removed, newText: '' }];
  const notes: string[] = [];
  // Control goes on to the step after it; data comes from the step before it, whose
  // output the removed step was most likely working on.
  const predecessor = list.blocks[index - 1]?.id;
  for (const reference of referencesTo(occurrences, id)) {
    if (inside(reference, block)) continue;
    const line = lineOf(text, reference.offset);
    const to = reference.role === 'transition' ? successor : predecessor;
    if (mode === 'rewire' && to !== undefined && reference.inStep?.id !== to) {
      edits.push({ offset: reference.offset, endOffset: reference.endOffset, newText: to });
      notes.push(`line ${line}: \`${id}\` → \`${to}\``);
    } else {
      notes.push(`line ${line}: still refers to the removed step \`${id}\``);
    }
  }
  return { edits, newFiles: [], notes, focus: offsetAfter(edits.slice(1), edits[0].offset) };
}

function lineOf(text: string, offset: number): number {
  let line = 1;
  for (let i = 0; i < offset; i++) if (text.charCodeAt(i) === 10) line++;
  return line;
}
