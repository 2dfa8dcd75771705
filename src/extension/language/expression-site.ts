/**
 * Whether the cursor is inside an expression — a `{{ }}` template or the value of
 * `if`, `check`, `for_each` or `switch` — and what is written before it there. Read
 * from the current line only, so it works on text that has not been analyzed yet.
 */
import { lineInfo, locate, parentPath } from './yaml-context';

export const EXPRESSION_KEYS = new Set(['if', 'check', 'for_each', 'switch']);

export interface ExpressionSite {
  /** The expression's text from its start to the cursor. */
  before: string;
  /** The key whose value holds the expression, when known (`check` puts `output` in scope). */
  field?: string;
  /** A template (`{{ }}`) rather than an expression field. */
  template: boolean;
}

export function expressionSiteAt(text: string, offset: number): ExpressionSite | undefined {
  const { lines, line, column } = locate(text, offset);
  const full = lines[line] ?? '';
  const before = full.slice(0, column);
  const info = lineInfo(full);
  const field = info.key !== undefined && info.colonCol !== undefined && column > info.colonCol ? info.key : undefined;

  const open = before.lastIndexOf('{{');
  if (open !== -1 && before.indexOf('}}', open + 2) === -1) {
    return { before: before.slice(open + 2), field, template: true };
  }
  if (field !== undefined && EXPRESSION_KEYS.has(field) && info.valueCol !== undefined) {
    const value = before.slice(Math.min(info.valueCol, column));
    return { before: value.replace(/^["']/, ''), field, template: false };
  }
  // A line of a block scalar under `if: |` / `check: >-`.
  if (info.key === undefined && !info.skip) {
    const parent = parentPath(lines, line, info.indent);
    if (parent.kind === 'block-scalar' && EXPRESSION_KEYS.has(parent.key)) {
      return { before: before.slice(Math.min(info.indent, column)), field: parent.key, template: false };
    }
  }
  return undefined;
}

export interface Chain {
  /** The dotted names before the one being typed: `steps.outline.` → [steps, outline]. */
  parts: string[];
  /** The name being typed. */
  prefix: string;
}

/** The member chain the cursor is at the end of, or undefined inside a string literal or after `)`/`]`. */
export function chainAt(written: string): Chain | undefined {
  // In a double-quoted YAML scalar an expression's `"` is written `\"`; outside a CEL string `\"` means nothing else.
  const before = written.replace(/\\"/g, '"');
  if (insideString(before)) return undefined;
  let i = before.length;
  const identBack = () => {
    const end = i;
    while (i > 0 && /[A-Za-z0-9_]/.test(before[i - 1])) i--;
    return before.slice(i, end);
  };
  const spacesBack = () => {
    while (i > 0 && (before[i - 1] === ' ' || before[i - 1] === '\t')) i--;
  };
  const prefix = identBack();
  if (/^[0-9]/.test(prefix)) return undefined;
  const parts: string[] = [];
  for (;;) {
    const mark = i;
    spacesBack();
    if (before[i - 1] !== '.') {
      i = mark;
      break;
    }
    i--;
    spacesBack();
    const name = identBack();
    if (!name || /^[0-9]/.test(name)) return undefined;
    parts.unshift(name);
  }
  spacesBack();
  const previous = before[i - 1];
  // `f(x).y` or `a[0].b`: a member of a computed value, which we cannot know.
  if (previous === '.' || (parts.length > 0 && (previous === ')' || previous === ']'))) return undefined;
  return { parts, prefix };
}

function insideString(text: string): boolean {
  let quote: string | undefined;
  for (let i = 0; i < text.length; i++) {
    const ch = text[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") quote = ch;
  }
  return quote !== undefined;
}
