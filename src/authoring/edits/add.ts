/**
 * Adding a step of a kind: a snippet with a unique id, placed after the step the
 * cursor is in (or first, when the cursor is above every step), indented like its
 * siblings.
 */
import { isMap } from 'yaml';
import { allIds, layoutOf, separatorAt, uniqueId, type StepBlock, type StepList } from './step-blocks';
import { AuthoringError, type EditResult } from './text-edit';

export const STEP_KINDS = ['prompt', 'set', 'input', 'switch', 'parallel', 'workflow'] as const;
export type AddableKind = (typeof STEP_KINDS)[number];

/** What each kind's snippet says: a valid step with placeholder text to overwrite. */
function snippet(kind: AddableKind, id: string, taken: Set<string>, next: string): string[] {
  switch (kind) {
    case 'prompt':
      return [`id: ${id}`, 'prompt: Describe what this step should write.'];
    case 'set':
      return [`id: ${id}`, 'set: Replace this value.'];
    case 'input':
      return [`id: ${id}`, 'input: What should happen next?'];
    case 'switch':
      // Goes on to the step that follows, so the steps after it stay reachable until cases are written.
      return [`id: ${id}`, `switch: '"continue"'`, 'cases:', `  continue: ${next}`];
    case 'parallel': {
      const a = uniqueId(`${id}_a`, taken);
      taken.add(a);
      const b = uniqueId(`${id}_b`, taken);
      return [`id: ${id}`, 'parallel:', `  - id: ${a}`, '    prompt: The first branch.', `  - id: ${b}`, '    prompt: The second branch.'];
    }
    case 'workflow':
      return [`id: ${id}`, 'uses: ./other.workflow.yaml', 'with: {}'];
  }
}

export interface AddOptions {
  kind: AddableKind;
  /** The cursor: the new step goes after the step containing it (or first when above every step). */
  at?: number;
  /** The id to start from; made unique. Defaults to the kind's name. */
  id?: string;
}

export function addStep(text: string, options: AddOptions): EditResult {
  if (!STEP_KINDS.includes(options.kind)) throw new AuthoringError('unknown-kind', `a step's kind is one of ${STEP_KINDS.join(', ')}, not \`${String(options.kind)}\``);
  const layout = layoutOf(text);
  const taken = allIds(layout);
  const id = uniqueId(options.id ?? options.kind, taken);
  taken.add(id);
  const top = layout.lists[0];
  if (!top || top.blocks.length === 0) return appendStepsKey(text, snippet(options.kind, id, taken, 'end'), top);
  const { list, after } = placement(layout.lists, options.at ?? text.length);
  if (list.parentId && options.kind === 'switch') throw new AuthoringError('switch-in-parallel', `a branch of \`${list.parentId}\` runs alongside the others and cannot jump; add the switch after \`${list.parentId}\``);
  const lines = snippet(options.kind, id, taken, list.blocks[after + 1]?.id ?? 'end');
  const model: StepBlock = list.blocks[Math.max(0, after)];
  const body = lines.map((line, i) => (i === 0 ? `${' '.repeat(model.dashColumn)}-${' '.repeat(model.keyColumn - model.dashColumn - 1)}${line}` : `${' '.repeat(model.keyColumn)}${line}`)).join('\n') + '\n';
  const separator = separatorAt(text, list, Math.max(0, after));
  if (after === -1) {
    const offset = list.blocks[0].start;
    const newText = body + separator;
    return { edits: [{ offset, endOffset: offset, newText }], newFiles: [], notes: [], focus: offset + newText.indexOf(id) };
  }
  const offset = list.blocks[after].end;
  const newText = offset === text.length && !text.endsWith('\n') ? `\n${separator}${body.slice(0, -1)}` : separator + body;
  return { edits: [{ offset, endOffset: offset, newText }], newFiles: [], notes: [], focus: offset + newText.indexOf(id) };
}

/** The innermost list with a block containing `at`, and the index to insert after (-1: first). */
function placement(lists: StepList[], at: number): { list: StepList; after: number } {
  let best: { list: StepList; after: number; size: number } | undefined;
  for (const list of lists) {
    list.blocks.forEach((block, index) => {
      if (at >= block.start && at < block.end && (!best || block.end - block.start < best.size)) best = { list, after: index, size: block.end - block.start };
    });
  }
  if (best) return best;
  const top = lists[0];
  if (at < top.blocks[0].start) return { list: top, after: -1 };
  let after = 0;
  top.blocks.forEach((block, index) => {
    if (block.start <= at) after = index;
  });
  return { list: top, after };
}

function appendStepsKey(text: string, lines: string[], list: StepList | undefined): EditResult {
  const item = lines.map((line, i) => `${i === 0 ? '  - ' : '    '}${line}`).join('\n') + '\n';
  if (list && list.node.range) {
    // `steps: []` → replace the empty flow list with a block list on the next lines.
    const [start, end] = list.node.range;
    const newText = `\n${item.replace(/\n$/, '')}`;
    const offset = start - (text[start - 1] === ' ' ? 1 : 0);
    return { edits: [{ offset, endOffset: end, newText }], newFiles: [], notes: [], focus: offset + newText.indexOf('id: ') + 4 };
  }
  const prefix = text.length === 0 || text.endsWith('\n') ? '' : '\n';
  const doc = layoutOf(text).doc;
  if (!isMap(doc.contents) && doc.contents !== null) throw new AuthoringError('not-a-workflow', 'the file is not a YAML mapping');
  const newText = `${prefix}steps:\n${item}`;
  return { edits: [{ offset: text.length, endOffset: text.length, newText }], newFiles: [], notes: [], focus: text.length + newText.indexOf('id: ') + 4 };
}
