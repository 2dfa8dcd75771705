/**
 * The places a step id is written (its definition, transitions, `steps.<id>` in
 * expressions and templates), from the same scanner the editor's rename uses.
 */
import { loadWorkflow, type Workflow } from '../../engine';
import { collectOccurrences, type Occurrence } from '../../extension/language/occurrences';
import { AuthoringError } from './text-edit';

export type { Occurrence };

export interface Loaded {
  workflow: Workflow;
  occurrences: Occurrence[];
}

/** Loads the workflow and lists every occurrence of step ids and input names. */
export function loadForEdit(text: string, file: string): Loaded {
  const { workflow } = loadWorkflow(text, file);
  if (!workflow) throw new AuthoringError('not-a-workflow', 'the file is not a workflow (a YAML mapping with `steps:`)');
  return { workflow, occurrences: collectOccurrences(text, workflow) };
}

/** Occurrences of step `id` other than definitions. */
export function referencesTo(occurrences: Occurrence[], id: string): Occurrence[] {
  return occurrences.filter((o) => o.target === 'step' && o.name === id && o.role !== 'definition');
}

export function inside(o: { offset: number; endOffset: number }, range: { start: number; end: number }): boolean {
  return o.offset >= range.start && o.endOffset <= range.end;
}

/** The whole `steps.<id>[.<field>]` or `inputs.<name>` an expression occurrence is part of. */
export function referenceSpan(text: string, o: Occurrence): { offset: number; endOffset: number } {
  let start = o.offset - 1;
  while (start > 0 && /[\s.]/.test(text[start])) start--;
  const root = o.target === 'step' ? 'steps' : 'inputs';
  const offset = start + 1 - root.length;
  let endOffset = o.endOffset;
  if (o.field !== undefined) {
    const after = /^\s*\.\s*/.exec(text.slice(o.endOffset, o.endOffset + 40));
    if (after) endOffset = o.endOffset + after[0].length + o.field.length;
  }
  return { offset, endOffset };
}
