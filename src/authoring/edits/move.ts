/**
 * Moving a step within its list: up, down, or to any index (drag and drop). The
 * blocks trade places; the blank lines between them stay where they were.
 */
import { blockText, findStep, layoutOf, type StepList } from './step-blocks';
import { AuthoringError, type EditResult } from './text-edit';

export type Direction = 'up' | 'down';

export function moveStep(text: string, id: string, direction: Direction): EditResult {
  const layout = layoutOf(text);
  const { index } = findStep(layout, id);
  const to = direction === 'up' ? index - 1 : index + 1;
  return moveStepTo(text, id, to);
}

/** Moves step `id` so that it ends up at `toIndex` among its siblings. */
export function moveStepTo(text: string, id: string, toIndex: number): EditResult {
  const layout = layoutOf(text);
  const { list, index } = findStep(layout, id);
  if (!Number.isInteger(toIndex) || toIndex < 0 || toIndex >= list.blocks.length) {
    const where = toIndex < 0 ? 'first' : 'last';
    throw new AuthoringError('cannot-move', `\`${id}\` is already the ${where} step${list.parentId ? ` of \`${list.parentId}\`` : ''}`);
  }
  if (toIndex === index) return { edits: [], newFiles: [], notes: [] };
  const order = list.blocks.map((_, i) => i);
  order.splice(index, 1);
  order.splice(toIndex, 0, index);
  return reorder(text, list, order, toIndex);
}

/** Rewrites the span from the first to the last block whose position changes. */
function reorder(text: string, list: StepList, order: number[], focusIndex: number): EditResult {
  let first = 0;
  while (order[first] === first) first++;
  let last = order.length - 1;
  while (order[last] === last) last--;
  const { blocks } = list;
  const start = blocks[first].start;
  const end = blocks[last].end;
  let newText = '';
  let focus = start;
  for (let i = first; i <= last; i++) {
    if (i === focusIndex) focus = start + newText.length;
    newText += blockText(text, blocks[order[i]]);
    if (i < last) newText += text.slice(blocks[i].end, blocks[i + 1].start);
  }
  // The file did not end in a newline: neither does the rewritten span.
  if (end === text.length && !text.endsWith('\n')) newText = newText.slice(0, -1);
  return { edits: [{ offset: start, endOffset: end, newText }], newFiles: [], notes: [], focus };
}

/** Moves step `id` to where its sibling `toId` is (drag and drop onto a row): after it when moving down, before it when moving up. */
export function moveStepOnto(text: string, id: string, toId: string): EditResult {
  const layout = layoutOf(text);
  const { list } = findStep(layout, id);
  const toIndex = list.blocks.findIndex((block) => block.id === toId);
  if (toIndex === -1) throw new AuthoringError('not-siblings', `\`${id}\` and \`${toId}\` are not in the same list of steps; drag a step within its own list`);
  return moveStepTo(text, id, toIndex);
}
