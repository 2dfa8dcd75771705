/**
 * The result of every authoring edit: replacements of ranges of the original text.
 * Only the ranges an edit names change, so comments and formatting elsewhere in the
 * file stay byte for byte; the editor turns them into one undoable workspace edit.
 */

/** Replace `text[offset, endOffset)` with `newText` (offsets into the text the edit was computed on). */
export interface TextEdit {
  offset: number;
  endOffset: number;
  newText: string;
}

/** A new file an edit creates (extract writes the sub-workflow), with its path relative to the edited file. */
export interface NewFile {
  path: string;
  text: string;
}

export interface EditResult {
  edits: TextEdit[];
  /** Other files to create, e.g. the sub-workflow an extract writes. */
  newFiles: NewFile[];
  /** What the person should know: references left dangling, ids renamed. */
  notes: string[];
  /** Where to put the cursor afterwards, as an offset into the text after the edits. */
  focus?: number;
}

/** Why an edit cannot be made, with a stable code and a message for a workflow author. */
export class AuthoringError extends Error {
  constructor(
    readonly code: string,
    message: string,
  ) {
    super(message);
    this.name = 'AuthoringError';
  }
}

/** Applies non-overlapping edits (in any order) to the text they were computed on. */
export function applyEdits(text: string, edits: readonly TextEdit[]): string {
  const sorted = [...edits].sort((a, b) => a.offset - b.offset || a.endOffset - b.endOffset);
  let out = '';
  let at = 0;
  for (const edit of sorted) {
    if (edit.offset < at) throw new Error(`overlapping edits at offset ${edit.offset}`);
    out += text.slice(at, edit.offset) + edit.newText;
    at = edit.endOffset;
  }
  return out + text.slice(at);
}

/** Drops edits that fall inside a range another edit replaces wholesale. */
export function withoutEditsInside(edits: TextEdit[], range: { offset: number; endOffset: number }): TextEdit[] {
  return edits.filter((edit) => edit.endOffset <= range.offset || edit.offset >= range.endOffset);
}

/** Where `offset` of the original text ends up once `edits` are applied (it must not be inside one). */
export function offsetAfter(edits: readonly TextEdit[], offset: number): number {
  let shift = 0;
  for (const edit of edits) if (edit.endOffset <= offset) shift += edit.newText.length - (edit.endOffset - edit.offset);
  return offset + shift;
}
