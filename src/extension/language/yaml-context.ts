/**
 * Where in the YAML structure a cursor is, read from indentation rather than from a
 * parse: while a person types, the document is usually not valid YAML (`    pro` alone
 * on a line is an error), yet completion must still know it is inside a step. Block
 * mappings and sequences are followed exactly; a flow mapping on the cursor's own line
 * (`model: { temperature: 0, | }`) is understood one level deep; anything stranger
 * (multi-line flow collections) gives `unknown`, which offers nothing rather than
 * something wrong.
 */
import type { PathSegment } from './schema';

export interface LineInfo {
  /** Column of the first non-space character. */
  indent: number;
  /** Columns of the `- ` sequence markers at the start of the line. */
  dashes: number[];
  /** Column where the content after the markers starts. */
  keyCol: number;
  key?: string;
  /** Column of the key's `:`, when the line has a key. */
  colonCol?: number;
  /** Column where the key's value starts (after `: `), when the line has a key. */
  valueCol?: number;
  /** The value written after the key, trimmed, without a trailing comment. */
  value?: string;
  /** Blank, a comment, or a document marker: lines the structure skips. */
  skip: boolean;
}

const KEY = /^("[^"]*"|'[^']*'|[^\s#'"{[\]}:,-][^\s:#]*?|-[^\s:#]+?)[ \t]*:(?=[ \t]|$)/;

export function lineInfo(line: string): LineInfo {
  let i = 0;
  while (line[i] === ' ') i++;
  const indent = i;
  const dashes: number[] = [];
  while (line[i] === '-' && (i + 1 === line.length || line[i + 1] === ' ')) {
    dashes.push(i);
    i++;
    while (line[i] === ' ') i++;
  }
  const rest = line.slice(i);
  const trimmed = rest.trim();
  const skip = dashes.length === 0 && (trimmed === '' || trimmed.startsWith('#') || trimmed === '---' || trimmed === '...');
  const info: LineInfo = { indent, dashes, keyCol: i, skip };
  const match = KEY.exec(rest);
  if (match) {
    info.key = unquote(match[1]);
    info.colonCol = i + match[0].length - 1;
    let valueCol = i + match[0].length;
    while (line[valueCol] === ' ' || line[valueCol] === '\t') valueCol++;
    info.valueCol = valueCol;
    info.value = stripComment(line.slice(valueCol)).trim();
  }
  return info;
}

function unquote(key: string): string {
  return /^(["']).*\1$/.test(key) ? key.slice(1, -1) : key;
}

function stripComment(value: string): string {
  // A `#` starts a comment only after whitespace and outside quotes.
  let quote: string | undefined;
  for (let i = 0; i < value.length; i++) {
    const ch = value[i];
    if (quote) {
      if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '#' && (i === 0 || /\s/.test(value[i - 1]))) return value.slice(0, i);
  }
  return value;
}

/** `|`, `>-`, `|+2`…, optionally after an anchor or tag. */
export function isBlockScalarHeader(value: string | undefined): boolean {
  return value !== undefined && /^(?:[&!]\S+\s+)*[|>][-+0-9]*$/.test(value);
}

/** Nothing but an anchor or a tag: the value is the nested block below. */
function isEmptyValue(value: string | undefined): boolean {
  return value === undefined || value === '' || /^(?:[&!]\S+\s*)+$/.test(value);
}

export type ParentResult = { kind: 'path'; path: PathSegment[] } | { kind: 'block-scalar'; path: PathSegment[]; key: string } | { kind: 'unknown' };

/**
 * The path of the mapping whose keys start at column `col` on line `lineNo`, from the
 * lines above. `dashes` are the sequence markers on line `lineNo` itself, left of `col`.
 * List indexes are given as 0: the schema has one item type per list, and callers that
 * need the actual step find it by offset in the workflow model.
 */
export function parentPath(lines: readonly string[], lineNo: number, col: number, dashes: readonly number[] = []): ParentResult {
  const path: PathSegment[] = [];
  let target = col;
  for (let d = dashes.length - 1; d >= 0; d--) {
    if (dashes[d] >= target) continue;
    path.unshift(0);
    target = dashes[d];
  }
  for (let l = lineNo - 1; l >= 0 && target > 0; l--) {
    const info = lineInfo(lines[l]);
    if (info.skip || info.indent >= target) continue;
    if (info.key !== undefined && info.keyCol < target) {
      if (isBlockScalarHeader(info.value)) return path.length === 0 ? { kind: 'block-scalar', path: parentKeys(lines, l, info), key: info.key } : { kind: 'unknown' };
      if (!isEmptyValue(info.value)) return { kind: 'unknown' };
      path.unshift(info.key);
      target = info.keyCol;
    } else if (info.keyCol < target || info.dashes.length === 0) {
      // A scalar (or a list item scalar) left of us: we are inside a multi-line scalar.
      return { kind: 'unknown' };
    }
    for (let d = info.dashes.length - 1; d >= 0; d--) {
      if (info.dashes[d] >= target) continue;
      path.unshift(0);
      target = info.dashes[d];
    }
  }
  return { kind: 'path', path };
}

function parentKeys(lines: readonly string[], lineNo: number, info: LineInfo): PathSegment[] {
  const parent = parentPath(lines, lineNo, info.keyCol, info.dashes);
  return parent.kind === 'path' ? [...parent.path, info.key!] : [info.key!];
}

/** The keys of the block mapping whose keys are at column `col` and which holds line `lineNo`. */
export function siblingKeys(lines: readonly string[], lineNo: number, col: number): string[] {
  const keys: string[] = [];
  const at = (l: number): 'stop' | 'skip' | 'key' | 'stop-after' => {
    const info = lineInfo(lines[l]);
    if (info.skip) return 'skip';
    if (info.keyCol === col && info.key !== undefined) {
      keys.push(info.key);
      // A line whose markers are left of `col` opens this mapping (`- id: a`): nothing above it belongs.
      return info.dashes.some((d) => d < col) ? 'stop-after' : 'key';
    }
    return info.indent < col ? 'stop' : 'skip';
  };
  const here = lineInfo(lines[lineNo]);
  if (!(here.dashes.some((d) => d < col))) {
    for (let l = lineNo - 1; l >= 0; l--) {
      const verdict = at(l);
      if (verdict === 'stop' || verdict === 'stop-after') break;
    }
  }
  for (let l = lineNo + 1; l < lines.length; l++) {
    const info = lineInfo(lines[l]);
    // The next item of the enclosing list starts a new mapping.
    if (!info.skip && info.dashes.some((d) => d < col)) break;
    if (at(l) === 'stop') break;
  }
  return keys;
}

export type YamlContext =
  | {
      kind: 'key';
      /** Path of the mapping the key goes into. */
      path: PathSegment[];
      /** The part of the key typed so far, and where it starts (an offset in the text). */
      prefix: string;
      prefixStart: number;
      /** Keys the mapping already has. */
      siblings: string[];
      /** True when the key is typed on a line with text after the cursor already being a key (`pro|mpt: x`). */
      hasColon: boolean;
    }
  | {
      kind: 'value';
      /** Path of the mapping that holds `key`. */
      path: PathSegment[];
      key: string;
      prefix: string;
      prefixStart: number;
      /** The cursor is right after the `:`: a value needs a space before it. */
      needsSpace?: boolean;
    }
  | { kind: 'block-scalar'; path: PathSegment[]; key: string }
  | { kind: 'unknown' };

/** Splits text into lines and finds the line and column of an offset. */
export function locate(text: string, offset: number): { lines: string[]; line: number; column: number; lineStart: number } {
  const lines = text.split(/\r?\n/);
  let lineStart = 0;
  let line = 0;
  for (; line < lines.length - 1; line++) {
    const next = text.indexOf('\n', lineStart);
    if (next === -1 || next >= offset) break;
    lineStart = next + 1;
  }
  return { lines, line, column: offset - lineStart, lineStart };
}

/** What is being written at `offset`: a key of some mapping, the value of a key, or text in a block scalar. */
export function yamlContextAt(text: string, offset: number): YamlContext {
  const { lines, line, column, lineStart } = locate(text, offset);
  const full = lines[line] ?? '';
  const before = full.slice(0, column);
  if (/(^|\s)#/.test(stripQuotedParts(before))) return { kind: 'unknown' };
  const info = lineInfo(full);

  // Inside a flow mapping opened on this line: `model: { temperature: 0, |` or `- { id: a, |`.
  // Only a value that starts with `{` is a flow mapping: braces inside a plain scalar
  // (`prompt: Use {{ x }}`) are text.
  const flowStart =
    info.key !== undefined && info.valueCol !== undefined && /^[{[]/.test(full.slice(info.valueCol))
      ? info.valueCol
      : info.key === undefined && /^[{[]/.test(full.slice(info.keyCol))
        ? info.keyCol
        : undefined;
  if (flowStart !== undefined && column > flowStart) {
    const flow = flowContext(before.slice(flowStart));
    if (!flow) return { kind: 'unknown' };
    const parent = parentPath(lines, line, info.keyCol, info.dashes);
    if (parent.kind !== 'path') return { kind: 'unknown' };
    const path = [...parent.path, ...(info.key !== undefined && flowStart === info.valueCol ? [info.key] : []), ...flow.path];
    const prefixStart = lineStart + column - flow.prefix.length;
    if (flow.key !== undefined) return { kind: 'value', path, key: flow.key, prefix: flow.prefix, prefixStart };
    return { kind: 'key', path, prefix: flow.prefix, prefixStart, siblings: flow.siblings, hasColon: false };
  }

  if (info.key !== undefined && info.colonCol !== undefined && column > info.colonCol) {
    const parent = parentPath(lines, line, info.keyCol, info.dashes);
    if (parent.kind !== 'path') return parent.kind === 'block-scalar' ? { kind: 'unknown' } : parent;
    const typed = before.slice(info.colonCol + 1);
    const prefix = /[^\s"'[,]*$/.exec(typed)?.[0] ?? '';
    return { kind: 'value', path: parent.path, key: info.key, prefix, prefixStart: lineStart + column - prefix.length, needsSpace: typed === '' };
  }

  // A key being typed: only a word (maybe after `- ` markers) before the cursor.
  const typed = before.slice(Math.min(info.keyCol, before.length));
  if (!/^[A-Za-z_][\w-]*$|^$/.test(typed) || before.length < info.keyCol) {
    if (before.trim() === '') {
      // The cursor sits in the indentation of a line: the key goes where the cursor is.
      const parent = parentPath(lines, line, column, []);
      return keyContext(parent, lines, line, column, '', lineStart + column, false);
    }
    return { kind: 'unknown' };
  }
  const col = info.keyCol;
  const parent = parentPath(lines, line, col, info.dashes);
  return keyContext(parent, lines, line, col, typed, lineStart + col, info.key !== undefined);
}

function keyContext(parent: ParentResult, lines: string[], line: number, col: number, prefix: string, prefixStart: number, hasColon: boolean): YamlContext {
  if (parent.kind === 'unknown') return parent;
  if (parent.kind === 'block-scalar') return { kind: 'block-scalar', path: parent.path, key: parent.key };
  const siblings = siblingKeys(lines, line, col).filter((key) => key !== prefix);
  return { kind: 'key', path: parent.path, prefix, prefixStart, siblings, hasColon };
}

/** Replaces quoted parts with spaces so a `#` inside quotes is not taken for a comment. */
function stripQuotedParts(text: string): string {
  return text.replace(/"(?:[^"\\]|\\.)*"?|'[^']*'?/g, (m) => ' '.repeat(m.length));
}

/**
 * For text before the cursor with an unclosed `{` on the line: the path inside the flow
 * collections, the keys already written in the innermost mapping, and whether the
 * cursor is at a key or after `key:`.
 */
function flowContext(before: string): { path: PathSegment[]; key?: string; prefix: string; siblings: string[] } | undefined {
  const stack: { open: string; keys: string[]; key?: string; segmentStart: number }[] = [];
  const path: PathSegment[] = [];
  let quote: string | undefined;
  for (let i = 0; i < before.length; i++) {
    const ch = before[i];
    if (quote) {
      if (ch === quote) quote = undefined;
      continue;
    }
    if (ch === '"' || ch === "'") quote = ch;
    else if (ch === '{' || ch === '[') {
      const top = stack[stack.length - 1];
      if (top) path.push(top.open === '{' ? (top.key ?? '') : 0);
      stack.push({ open: ch, keys: [], segmentStart: i + 1 });
    } else if (ch === '}' || ch === ']') {
      stack.pop();
      path.pop();
      const top = stack[stack.length - 1];
      if (top) top.key = undefined;
    } else if (ch === ',' && stack.length > 0) {
      const top = stack[stack.length - 1];
      top.key = undefined;
      top.segmentStart = i + 1;
    } else if (ch === ':' && stack.length > 0 && (before[i + 1] === ' ' || i + 1 === before.length)) {
      const top = stack[stack.length - 1];
      if (top.open === '{') {
        top.key = before.slice(top.segmentStart, i).trim().replace(/^["']|["']$/g, '');
        top.keys.push(top.key);
        top.segmentStart = i + 1;
      }
    }
  }
  const top = stack[stack.length - 1];
  if (!top || quote) return undefined;
  if (top.open !== '{') return undefined;
  const segment = before.slice(top.segmentStart);
  const prefix = /[\w-]*$/.exec(segment)?.[0] ?? '';
  if (top.key !== undefined) return { path, key: top.key, prefix, siblings: top.keys };
  if (segment.trim() !== prefix) return undefined;
  return { path, prefix, siblings: top.keys };
}

/**
 * The path to the key under the cursor, for hover: the line's key (or the flow key
 * under the cursor). Undefined when the cursor is not on a key.
 */
export function keyPathAt(text: string, offset: number): { path: PathSegment[]; start: number; end: number } | undefined {
  const { lines, line, column, lineStart } = locate(text, offset);
  const full = lines[line] ?? '';
  const info = lineInfo(full);
  if (info.key === undefined) return undefined;
  const parent = parentPath(lines, line, info.keyCol, info.dashes);
  if (parent.kind !== 'path') return undefined;
  const keyEnd = info.keyCol + rawKeyLength(full, info.keyCol);
  if (column >= info.keyCol && column <= keyEnd) return { path: [...parent.path, info.key], start: lineStart + info.keyCol, end: lineStart + keyEnd };
  // A key inside a flow mapping on this line.
  const word = wordAt(full, column);
  if (!word || full[word.end] !== ':' || info.valueCol === undefined || column < info.valueCol) return undefined;
  if (!/^[{[]/.test(full.slice(info.valueCol))) return undefined;
  const flow = flowContext(full.slice(info.valueCol, word.start));
  if (!flow || flow.key !== undefined) return undefined;
  return { path: [...parent.path, info.key, ...flow.path, word.text], start: lineStart + word.start, end: lineStart + word.end };
}

function rawKeyLength(line: string, keyCol: number): number {
  const match = KEY.exec(line.slice(keyCol));
  return match ? match[1].length : 0;
}

export function wordAt(line: string, column: number): { text: string; start: number; end: number } | undefined {
  let start = column;
  let end = column;
  while (start > 0 && /[\w-]/.test(line[start - 1])) start--;
  while (end < line.length && /[\w-]/.test(line[end])) end++;
  return end > start ? { text: line.slice(start, end), start, end } : undefined;
}
