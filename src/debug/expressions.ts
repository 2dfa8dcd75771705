/**
 * What a person types into the debugger (a condition, the Debug Console, Watch, a log
 * message) as the engine's expressions and templates, located nowhere in a file.
 */
import { splitTemplate } from '../engine/expressions';
import type { Expr, SourceRange, Template, TemplatePart } from '../engine/types';

const NOWHERE: SourceRange = { start: { line: 1, column: 1 }, end: { line: 1, column: 1 }, offset: 0, endOffset: 0 };

export function expressionAt(source: string): Expr {
  return { source: source.trim(), range: NOWHERE };
}

/** A log message as a template: text with `{{ }}` parts. Throws for an unclosed `{{`. */
export function templateAt(source: string): Template {
  const split = splitTemplate(source);
  if (split.error) throw new Error(split.error.message);
  const parts: TemplatePart[] = split.parts.map((part) => (part.expr ? { expr: { source: part.expr.source, range: NOWHERE } } : { text: part.text ?? '' }));
  return { source, parts, range: NOWHERE };
}
