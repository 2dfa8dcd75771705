/**
 * Where each step is written: the lines of its list item, with the comment lines
 * directly above it. Edits move and copy these blocks as text, so everything inside
 * a step (comments, quoting, block scalars) survives as the author wrote it.
 */
import { isMap, isScalar, isSeq, parseDocument, type Document, type YAMLMap, type YAMLSeq } from 'yaml';
import { AuthoringError } from './text-edit';

export interface StepBlock {
  id: string;
  /** Start of the first line of the block (its leading comment lines included). */
  start: number;
  /** Just past the newline that ends the item's last line (or the end of the text). */
  end: number;
  /** Column (0-based) of the item's `-`. */
  dashColumn: number;
  /** Column of the item's keys (`id:`), where nested keys line up. */
  keyColumn: number;
  /** The step's mapping, for reading its keys. */
  node: YAMLMap;
}

export interface StepList {
  /** The `parallel` step that holds this list, or undefined for the workflow's `steps:`. */
  parentId?: string;
  blocks: StepBlock[];
  /** The sequence node, for offsets when the list is empty or written in flow style. */
  node: YAMLSeq;
}

export interface StepLayout {
  text: string;
  doc: Document;
  /** Every list of steps: the workflow's first, then each `parallel` step's branches. */
  lists: StepList[];
}

/** Finds every step list in a workflow file. Throws when the file does not parse. */
export function layoutOf(text: string): StepLayout {
  const doc = parseDocument(text, { uniqueKeys: true, logLevel: 'error' });
  if (doc.errors.length > 0) throw new AuthoringError('yaml-syntax', 'the file has YAML syntax errors; fix them before editing steps');
  const lists: StepList[] = [];
  const root = doc.contents;
  if (isMap(root)) {
    const steps = root.get('steps', true);
    if (isSeq(steps)) collectList(text, steps, undefined, lists);
  }
  return { text, doc, lists };
}

function collectList(text: string, seq: YAMLSeq, parentId: string | undefined, lists: StepList[]): void {
  const list: StepList = { parentId, blocks: [], node: seq };
  lists.push(list);
  const nested: { seq: YAMLSeq; id: string }[] = [];
  for (const item of seq.items) {
    if (!isMap(item) || !item.range) continue;
    const idNode = item.get('id', true);
    const id = isScalar(idNode) ? String(idNode.value) : '';
    if (!seq.flow) list.blocks.push(blockOf(text, item, id));
    const parallel = item.get('parallel', true);
    if (isSeq(parallel)) nested.push({ seq: parallel, id });
  }
  // Later blocks' leading comments must not reach into earlier blocks.
  for (let i = 1; i < list.blocks.length; i++) list.blocks[i].start = Math.max(list.blocks[i].start, list.blocks[i - 1].end);
  for (const { seq: inner, id } of nested) collectList(text, inner, id, lists);
}

function blockOf(text: string, item: YAMLMap, id: string): StepBlock {
  const [valueStart, valueEnd] = item.range!;
  let dash = valueStart - 1;
  while (dash >= 0 && text[dash] !== '-') dash--;
  const dashLine = lineStart(text, dash);
  let start = dashLine;
  // Comment lines right above the item belong to it.
  while (start > 0) {
    const previous = lineStart(text, start - 1);
    const line = text.slice(previous, start - 1);
    if (!line.trim().startsWith('#') || indentOf(line) < dash - dashLine) break;
    start = previous;
  }
  let last = valueEnd - 1;
  while (last > valueStart && /\s/.test(text[last])) last--;
  const newline = text.indexOf('\n', last);
  return { id, start, end: newline === -1 ? text.length : newline + 1, dashColumn: dash - dashLine, keyColumn: valueStart - lineStart(text, valueStart), node: item };
}

export function lineStart(text: string, offset: number): number {
  return text.lastIndexOf('\n', offset - 1) + 1;
}

function indentOf(line: string): number {
  return line.length - line.trimStart().length;
}

/** The list holding step `id` and its index in it; throws a clear error when there is none. */
export function findStep(layout: StepLayout, id: string): { list: StepList; index: number; block: StepBlock } {
  for (const list of layout.lists) {
    const index = list.blocks.findIndex((block) => block.id === id);
    if (index !== -1) return { list, index, block: list.blocks[index] };
  }
  const flow = layout.lists.find((list) => list.node.flow);
  if (flow) throw new AuthoringError('flow-style', `steps written in flow style (\`[ … ]\`) cannot be edited step by step; write them one per line`);
  throw new AuthoringError('no-such-step', `there is no step \`${id}\``);
}

/** The block text, ending in a newline even when it is the last line of a file without one. */
export function blockText(text: string, block: StepBlock): string {
  const body = text.slice(block.start, block.end);
  return body.endsWith('\n') ? body : `${body}\n`;
}

/** Every step id in the file, nested ones included. */
export function allIds(layout: StepLayout): Set<string> {
  return new Set(layout.lists.flatMap((list) => list.blocks.map((block) => block.id)));
}

/** `base`, or `base_2`, `base_3`… — the first that no step uses. */
export function uniqueId(base: string, taken: Set<string>): string {
  const clean = /^[A-Za-z_][A-Za-z0-9_]*$/.test(base) ? base : `step_${base.replace(/[^A-Za-z0-9_]/g, '_')}`;
  if (!taken.has(clean)) return clean;
  for (let n = 2; ; n++) if (!taken.has(`${clean}_${n}`)) return `${clean}_${n}`;
}

/** Shifts every line of `text` right (positive) or left by `by` columns; blank lines stay blank. */
export function reindent(text: string, by: number): string {
  if (by === 0) return text;
  return text
    .split('\n')
    .map((line) => {
      if (by > 0) return line.length === 0 ? line : ' '.repeat(by) + line;
      return line.slice(Math.min(-by, indentOf(line)));
    })
    .join('\n');
}

/** The blank lines the list puts between its items (empty when items touch), read next to block `index`. */
export function separatorAt(text: string, list: StepList, index: number): string {
  const { blocks } = list;
  const gapOf = (i: number) => text.slice(blocks[i].end, blocks[i + 1].start);
  const gap = index + 1 < blocks.length ? gapOf(index) : index > 0 ? gapOf(index - 1) : '';
  return /^\s*$/.test(gap) ? gap : '';
}

/** The whole lines a `key: value` pair of `map` is written on; undefined when the key is absent. */
export function pairSpan(text: string, map: YAMLMap, key: string): { start: number; end: number; valueStart: number; valueEnd: number } | undefined {
  const pair = map.items.find((item) => isScalar(item.key) && item.key.value === key);
  if (!pair || !isScalar(pair.key) || !pair.key.range) return undefined;
  const value = pair.value as { range?: [number, number, number] } | null;
  const keyStart = pair.key.range[0];
  const valueStart = value?.range?.[0] ?? pair.key.range[1];
  const valueEnd = value?.range?.[1] ?? pair.key.range[1];
  let last = valueEnd - 1;
  while (last > keyStart && /\s/.test(text[last])) last--;
  const newline = text.indexOf('\n', last);
  return { start: lineStart(text, keyStart), end: newline === -1 ? text.length : newline + 1, valueStart, valueEnd };
}

/** The innermost step whose block holds `offset`, with its list; undefined outside every step. */
export function stepAt(layout: StepLayout, offset: number): { list: StepList; index: number; block: StepBlock } | undefined {
  let best: { list: StepList; index: number; block: StepBlock } | undefined;
  for (const list of layout.lists) {
    list.blocks.forEach((block, index) => {
      if (offset >= block.start && offset < block.end && (!best || block.end - block.start < best.block.end - best.block.start)) best = { list, index, block };
    });
  }
  return best;
}
