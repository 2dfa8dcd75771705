/**
 * A three-way merge of workflow files by step id rather than by line. Steps added on
 * either side are kept; a step changed on one side takes that change; a step changed
 * on both sides is merged line by line inside the step, with conflict markers inside
 * that step only where the changes overlap; a reordering on one side is kept, and
 * steps the other side added land after the step they followed there. Everything
 * outside the top-level step list (name, inputs, outputs…) is merged line by line.
 */
import { diff3Merge } from 'node-diff3';
import { blockText, layoutOf, separatorAt, type StepLayout } from './edits/step-blocks';

export interface MergeResult {
  text: string;
  /** How many conflict regions the text has (0: a clean merge). */
  conflicts: number;
  /** What the merge decided that a person may want to check. */
  notes: string[];
}

export interface MergeLabels {
  ours: string;
  theirs: string;
}

interface Split {
  head: string;
  ids: string[];
  steps: Map<string, string>;
  tail: string;
  separator: string;
}

export function mergeWorkflows(base: string, ours: string, theirs: string, labels: MergeLabels = { ours: 'ours', theirs: 'theirs' }): MergeResult {
  const [b, o, t] = [split(base), split(ours), split(theirs)];
  // Not three workflows with block step lists: fall back to a line merge of the whole file.
  if (!b || !o || !t) {
    const merged = mergeLines(base, ours, theirs, labels);
    return { ...merged, notes: ['merged line by line: one of the versions has no step list to merge by step'] };
  }
  const notes: string[] = [];
  let conflicts = 0;
  const head = mergeLines(b.head, o.head, t.head, labels);
  const tail = mergeLines(b.tail, o.tail, t.tail, labels);
  conflicts += head.conflicts + tail.conflicts;

  const steps = new Map<string, string>();
  for (const id of new Set([...o.ids, ...t.ids, ...b.ids])) {
    const [inBase, inOurs, inTheirs] = [b.steps.get(id), o.steps.get(id), t.steps.get(id)];
    if (inOurs === inTheirs) {
      if (inOurs !== undefined) steps.set(id, inOurs);
    } else if (inOurs === inBase) {
      if (inTheirs !== undefined) steps.set(id, inTheirs);
    } else if (inTheirs === inBase) {
      if (inOurs !== undefined) steps.set(id, inOurs);
    } else if (inOurs === undefined || inTheirs === undefined) {
      // Deleted on one side, changed on the other: the person decides.
      conflicts++;
      const kept = (inOurs ?? inTheirs)!;
      const who = inOurs === undefined ? labels.ours : labels.theirs;
      steps.set(id, inOurs === undefined ? markers('', kept, labels, `deleted \`${id}\``, '') : markers(kept, '', labels, '', `deleted \`${id}\``));
      notes.push(`\`${id}\`: deleted in ${who}, changed in the other`);
    } else {
      const merged = mergeLines(inBase ?? '', inOurs, inTheirs, labels);
      conflicts += merged.conflicts;
      steps.set(id, merged.text);
      if (merged.conflicts > 0) notes.push(`\`${id}\`: changed on both sides`);
    }
  }
  const order = mergeOrder(b.ids, o.ids, t.ids, notes).filter((id) => steps.has(id));
  const body = order.map((id) => steps.get(id)!).join(o.separator);
  return { text: head.text + body + tail.text, conflicts, notes };
}

function split(text: string): Split | undefined {
  let layout: StepLayout;
  try {
    layout = layoutOf(text);
  } catch {
    return undefined;
  }
  const list = layout.lists[0];
  if (!list || list.blocks.length === 0 || list.node.flow) return undefined;
  const ids = list.blocks.map((block) => block.id);
  if (new Set(ids).size !== ids.length || ids.includes('')) return undefined;
  const first = list.blocks[0];
  const last = list.blocks[list.blocks.length - 1];
  return {
    head: text.slice(0, first.start),
    ids,
    // Comment lines in the gap before a step (a section heading) travel with it.
    steps: new Map(list.blocks.map((block, i) => [block.id, (i === 0 ? '' : text.slice(list.blocks[i - 1].end, block.start).replace(/^(?:[ \t]*\n)+/, '')) + blockText(text, block)])),
    tail: text.slice(last.end),
    separator: separatorAt(text, list, 0),
  };
}

/**
 * The side that reordered the steps they share with the base gives the order (ours
 * when both did); each step only the other side has goes after the step it follows there.
 */
function mergeOrder(base: string[], ours: string[], theirs: string[], notes: string[]): string[] {
  const shared = (list: string[], other: string[]) => list.filter((id) => other.includes(id));
  const oursMoved = shared(ours, base).join() !== shared(base, ours).join();
  const theirsMoved = shared(theirs, base).join() !== shared(base, theirs).join();
  if (oursMoved && theirsMoved && shared(ours, theirs).join() !== shared(theirs, ours).join()) notes.push('both sides reordered the steps: our order is kept');
  const [primary, secondary] = theirsMoved && !oursMoved ? [theirs, ours] : [ours, theirs];
  // Steps only the other side has (added there, or deleted here) go after the step they follow there;
  // the caller drops the ones the merge deleted.
  const order = [...primary];
  for (const [i, id] of secondary.entries()) {
    if (order.includes(id)) continue;
    const before = secondary.slice(0, i).reverse().find((previous) => order.includes(previous));
    order.splice(before === undefined ? 0 : order.indexOf(before) + 1, 0, id);
  }
  return order;
}

/** A line-level three-way merge; overlapping changes get conflict markers. */
function mergeLines(base: string, ours: string, theirs: string, labels: MergeLabels): { text: string; conflicts: number } {
  if (ours === theirs || theirs === base) return { text: ours, conflicts: 0 };
  if (ours === base) return { text: theirs, conflicts: 0 };
  const lines = (text: string) => text.split(/(?<=\n)/);
  let text = '';
  let conflicts = 0;
  for (const region of diff3Merge(lines(ours), lines(base), lines(theirs), { excludeFalseConflicts: true })) {
    if (region.ok) text += region.ok.join('');
    else if (region.conflict) {
      conflicts++;
      text += markers(region.conflict.a.join(''), region.conflict.b.join(''), labels, '', '');
    }
  }
  return { text, conflicts };
}

function markers(ours: string, theirs: string, labels: MergeLabels, oursNote: string, theirsNote: string): string {
  const line = (text: string) => (text === '' || text.endsWith('\n') ? text : `${text}\n`);
  const note = (text: string) => (text ? ` (${text})` : '');
  return `<<<<<<< ${labels.ours}${note(oursNote)}\n${line(ours)}=======\n${line(theirs)}>>>>>>> ${labels.theirs}${note(theirsNote)}\n`;
}
