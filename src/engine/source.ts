import type { Position, SourceRange } from './types';

/** Turns character offsets of one file into 1-based line/column ranges. */
export class SourceMap {
  private readonly lineStarts: number[] = [0];

  constructor(readonly text: string) {
    for (let i = text.indexOf('\n'); i !== -1; i = text.indexOf('\n', i + 1)) this.lineStarts.push(i + 1);
  }

  position(offset: number): Position {
    const clamped = Math.max(0, Math.min(offset, this.text.length));
    let low = 0;
    let high = this.lineStarts.length - 1;
    while (low < high) {
      const mid = (low + high + 1) >> 1;
      if (this.lineStarts[mid] <= clamped) low = mid;
      else high = mid - 1;
    }
    return { line: low + 1, column: clamped - this.lineStarts[low] + 1 };
  }

  range(offset: number, endOffset: number = offset): SourceRange {
    const start = Math.max(0, Math.min(offset, this.text.length));
    const end = Math.max(start, Math.min(endOffset, this.text.length));
    return { start: this.position(start), end: this.position(end), offset: start, endOffset: end };
  }
}

/** YAML's one-letter escapes in double-quoted scalars, by the letter after `\`. */
const ESCAPES: Record<string, string> = {
  '0': '\0', a: '\x07', b: '\b', t: '\t', '\t': '\t', n: '\n', v: '\v', f: '\f', r: '\r', e: '\x1b',
  ' ': ' ', '"': '"', '/': '/', '\\': '\\', N: '\u0085', _: '\u00a0', L: '\u2028', P: '\u2029',
};
const HEX_LENGTHS: Record<string, number> = { x: 2, u: 4, U: 8 };

/**
 * Where each character of a scalar's value is written in its raw text: `raw` is the
 * file's text of the scalar node (quotes, block header and indentation included) and
 * `value` what YAML made of it. The result has one offset into `raw` per character of
 * `value`, and one more for its end; undefined when the two cannot be lined up (an
 * alias, a tag the value was converted by). Works by walking both texts: every
 * character of the value other than white space is written in the raw text in order,
 * except for escapes (`\n`, `\u00e9`, `''`), which are decoded as they are met; white
 * space in the raw text that folding or indentation removed is skipped.
 */
export function scalarOffsets(value: string, raw: string, type: string | undefined): number[] | undefined {
  const offsets: number[] = [];
  const doubleQuoted = type === 'QUOTE_DOUBLE';
  const singleQuoted = type === 'QUOTE_SINGLE';
  let at = 0;
  if (doubleQuoted || singleQuoted) at = 1;
  else if (type === 'BLOCK_LITERAL' || type === 'BLOCK_FOLDED') {
    // The header (`|`, `>-`, `|2`, a comment) is not part of the value.
    const newline = raw.indexOf('\n');
    at = newline === -1 ? raw.length : newline + 1;
  }
  const isSpace = (ch: string | undefined) => ch !== undefined && /\s/.test(ch);
  /** The length of the white space token at `at`: a space, tab or line break, or an escape that writes one. */
  const spaceToken = (from: number): number => {
    if (isSpace(raw[from])) return 1;
    if (!doubleQuoted || raw[from] !== '\\') return 0;
    const letter = raw[from + 1];
    if (letter === '\n' || letter === '\r') return 2;
    const hex = HEX_LENGTHS[letter];
    if (hex !== undefined) return isSpace(String.fromCodePoint(parseInt(raw.slice(from + 2, from + 2 + hex), 16) || 0x21)) ? 2 + hex : 0;
    return isSpace(ESCAPES[letter]) ? 2 : 0;
  };
  for (let i = 0; i < value.length; ) {
    const ch = value[i];
    if (isSpace(ch)) {
      // A run of white space: folding, indentation and escapes change it, so the run in
      // the value is lined up with the whole run in the text; what follows is exact again.
      let end = i;
      while (end < value.length && isSpace(value[end])) end++;
      const runStart = at;
      for (let length = spaceToken(at); length > 0; length = spaceToken(at)) at += length;
      if (at === runStart) return undefined;
      for (let k = i; k < end; k++) offsets.push(Math.min(runStart + (k - i), at - 1));
      i = end;
      continue;
    }
    if (at >= raw.length) return undefined;
    if (doubleQuoted && raw[at] === '\\') {
      const letter = raw[at + 1];
      if (letter === '\n' || letter === '\r') {
        // An escaped line break joins the lines without a space.
        at += 2;
        continue;
      }
      const hex = HEX_LENGTHS[letter];
      if (hex !== undefined) {
        const decoded = String.fromCodePoint(parseInt(raw.slice(at + 2, at + 2 + hex), 16));
        if (!value.startsWith(decoded, i)) return undefined;
        for (let k = 0; k < decoded.length; k++) offsets.push(at);
        i += decoded.length;
        at += 2 + hex;
        continue;
      }
      if (ESCAPES[letter] !== ch) return undefined;
      offsets.push(at);
      i++;
      at += 2;
      continue;
    }
    if (singleQuoted && ch === "'" && raw[at] === "'" && raw[at + 1] === "'") {
      offsets.push(at);
      i++;
      at += 2;
      continue;
    }
    if (raw[at] === ch) {
      offsets.push(at);
      i++;
      at++;
      continue;
    }
    // White space the value does not have: indentation, or a line break folded away.
    const skip = spaceToken(at);
    if (skip === 0) return undefined;
    at += skip;
  }
  offsets.push(at);
  return offsets;
}
