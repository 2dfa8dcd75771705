/** The `{{ }}` syntax of templates: where the expressions are inside a string. */

export interface RawTemplatePart {
  text?: string;
  expr?: { source: string; start: number; end: number };
}

/**
 * Splits `a {{ x }} b` into parts. Quotes inside an expression are honoured, so
 * `{{ '}}' }}` and `{{ '{{' }}` (literal braces) work. Offsets are into `source`.
 */
export function splitTemplate(source: string): { parts: RawTemplatePart[]; error?: { message: string; offset: number } } {
  const parts: RawTemplatePart[] = [];
  let cursor = 0;
  while (cursor < source.length) {
    const open = source.indexOf('{{', cursor);
    if (open === -1) break;
    if (open > cursor) parts.push({ text: source.slice(cursor, open) });
    const close = findClose(source, open + 2);
    if (close === -1) {
      return { parts, error: { message: 'this `{{` is never closed: end the expression with `}}`', offset: open } };
    }
    const inner = source.slice(open + 2, close);
    const leading = inner.length - inner.trimStart().length;
    const exprSource = inner.trim();
    if (exprSource === '') {
      return { parts, error: { message: 'empty `{{ }}`: write an expression inside, such as `{{ inputs.topic }}`', offset: open } };
    }
    parts.push({ expr: { source: exprSource, start: open + 2 + leading, end: open + 2 + leading + exprSource.length } });
    cursor = close + 2;
  }
  if (cursor < source.length) parts.push({ text: source.slice(cursor) });
  return { parts };
}

function findClose(source: string, from: number): number {
  let quote: string | undefined;
  for (let i = from; i < source.length; i++) {
    const ch = source[i];
    if (quote) {
      if (ch === '\\') i++;
      else if (ch === quote) quote = undefined;
    } else if (ch === '"' || ch === "'") {
      quote = ch;
    } else if (ch === '}' && source[i + 1] === '}') {
      return i;
    }
  }
  return -1;
}
