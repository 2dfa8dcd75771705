/** Evaluating expressions and rendering `{{ }}` templates against a scope. */
import type { Expr, Template, TemplateValue } from '../types';
import { compile, short } from './compile';
import type { ScopeVariable } from './environment';
import { explain, ExpressionError } from './errors';
import { describe, fromCel, NonFiniteError, setEntry, stringify } from './values';

/**
 * The names in scope, already as CEL values (see `toCel`): every object a Map, so
 * `steps` keyed by step id is a Map too (a plain object with a step `constructor`
 * is unreadable to cel-js). The runner converts each value once, when it is
 * produced, so evaluating costs the same at step 10,000 as at step 1.
 */
export type Scope = Partial<Record<ScopeVariable, unknown>>;

/** Evaluates an expression; the result comes back as plain JSON-like values. */
export function evaluate(expr: Expr, scope: Scope): unknown {
  return toJson(expr, evaluateRaw(expr, scope));
}

/** The CEL value itself, before it becomes JSON (a template's text keeps an int's every digit). */
function evaluateRaw(expr: Expr, scope: Scope): unknown {
  const program = compile(expr);
  try {
    return program(scope as Record<string, unknown>);
  } catch (error) {
    throw new ExpressionError(`\`${short(expr.source)}\` failed: ${explain(error, 'evaluate')}`, 'evaluation', expr.range, expr.source);
  }
}

function toJson(expr: Expr, value: unknown): unknown {
  try {
    return fromCel(value);
  } catch (error) {
    if (error instanceof NonFiniteError) {
      throw new ExpressionError(`\`${short(expr.source)}\` failed: ${error.message}, which a workflow value cannot hold; check the divisor first`, 'evaluation', expr.range, expr.source);
    }
    throw error;
  }
}

/** Evaluates a condition (`if`, `check`); anything but a boolean is an error. */
export function evaluateCondition(expr: Expr, scope: Scope): boolean {
  const value = evaluate(expr, scope);
  if (typeof value !== 'boolean') {
    throw new ExpressionError(`\`${short(expr.source)}\` must be true or false, but it gave ${describe(value)}`, 'evaluation', expr.range, expr.source);
  }
  return value;
}

/** Renders a template: text with `{{ }}` parts; a lone `{{ expr }}` keeps its value's type. */
export function render(template: Template, scope: Scope): unknown {
  const { parts } = template;
  if (parts.length === 1 && 'expr' in parts[0]) return evaluate(parts[0].expr, scope);
  let out = '';
  for (const part of parts) out += 'text' in part ? part.text : textOf(part.expr, scope);
  return out;
}

function textOf(expr: Expr, scope: Scope): string {
  const value = evaluateRaw(expr, scope);
  return typeof value === 'bigint' ? value.toString() : stringify(toJson(expr, value));
}

/** Renders a template to text, as a prompt needs it. */
export function renderText(template: Template, scope: Scope): string {
  const { parts } = template;
  if (parts.length === 1 && 'expr' in parts[0]) return textOf(parts[0].expr, scope);
  return stringify(render(template, scope));
}

export function renderValue(value: TemplateValue, scope: Scope): unknown {
  switch (value.kind) {
    case 'literal':
      return value.value;
    case 'template':
      return render(value.template, scope);
    case 'list':
      return value.items.map((item) => renderValue(item, scope));
    case 'object': {
      const out: Record<string, unknown> = {};
      for (const [key, item] of Object.entries(value.entries)) setEntry(out, key, renderValue(item, scope));
      return out;
    }
  }
}
