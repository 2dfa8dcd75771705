/**
 * Go to definition, find references and rename for step ids (and inputs), over the
 * occurrence index of one analysis. Pure: offsets in, offsets out.
 */
import { occurrenceAt, type Occurrence } from './occurrences';
import type { ParsedWorkflow } from './parsed';

export interface Span {
  offset: number;
  endOffset: number;
}

const ID = /^[A-Za-z_][A-Za-z0-9_]*$/;

export function definitionAt(model: ParsedWorkflow, offset: number): Span | undefined {
  const at = occurrenceAt(model.occurrences, offset);
  if (!at) return undefined;
  return model.occurrences.find((o) => o.target === at.target && o.name === at.name && o.role === 'definition');
}

/** Every occurrence of the name under the cursor; with `includeDeclaration` false, the definition is left out. */
export function referencesAt(model: ParsedWorkflow, offset: number, includeDeclaration: boolean): Occurrence[] {
  const at = occurrenceAt(model.occurrences, offset);
  if (!at) return [];
  return model.occurrences.filter((o) => o.target === at.target && o.name === at.name && (includeDeclaration || o.role !== 'definition'));
}

/** The name a rename would change, or why it cannot. */
export function prepareRename(model: ParsedWorkflow, offset: number): { span: Span; name: string } | { error: string } {
  const at = occurrenceAt(model.occurrences, offset);
  if (!at || at.target !== 'step') return { error: 'Put the cursor on a step id, or on a step named in `steps.<id>` or a transition, to rename it.' };
  if (!model.workflow?.stepsById.has(at.name)) return { error: `There is no step \`${at.name}\` to rename.` };
  return { span: at, name: at.name };
}

export interface RenameEdit extends Span {
  newText: string;
}

/** The edits that rename the step under the cursor everywhere in the file. */
export function renameEdits(model: ParsedWorkflow, offset: number, newName: string): RenameEdit[] | { error: string } {
  const prepared = prepareRename(model, offset);
  if ('error' in prepared) return prepared;
  if (!ID.test(newName)) return { error: `\`${newName}\` is not a valid step id: use letters, digits and \`_\`, starting with a letter or \`_\`.` };
  if (newName === 'end' || newName === 'fail') return { error: `\`${newName}\` is reserved for transitions; choose another id.` };
  if (newName !== prepared.name && model.workflow?.stepsById.has(newName)) return { error: `A step \`${newName}\` already exists.` };
  return model.occurrences
    .filter((o) => o.target === 'step' && o.name === prepared.name)
    .map((o) => ({ offset: o.offset, endOffset: o.endOffset, newText: newName }));
}
