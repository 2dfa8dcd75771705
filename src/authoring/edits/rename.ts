/** Renaming step ids inside a piece of text (a copied or moved block), by their occurrences. */
import type { Occurrence } from './references';

/**
 * Returns `text.slice(start, end)` with every step occurrence inside it whose name is
 * a key of `renames` replaced by the new name.
 */
export function renameWithin(text: string, range: { start: number; end: number }, occurrences: Occurrence[], renames: Map<string, string>): string {
  let out = '';
  let at = range.start;
  for (const o of occurrences) {
    if (o.target !== 'step' || o.offset < range.start || o.endOffset > range.end) continue;
    const to = renames.get(o.name);
    if (to === undefined) continue;
    out += text.slice(at, o.offset) + to;
    at = o.endOffset;
  }
  return out + text.slice(at, range.end);
}
