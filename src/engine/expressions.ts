/**
 * CEL expressions and `{{ }}` templates. CEL is side-effect free and always
 * terminates, blocks prototype access, and gives type errors before a run; the
 * engine never uses `eval` or `new Function`.
 */
import { Environment, type ASTNode, type ParseResult } from '@marcbachmann/cel-js';
import { EngineError } from './errors';
import type { Expr, SourceRange, Template, TemplateValue } from './types';

/** The names an expression may use; which of them are in scope depends on where it is written. */
export const SCOPE_VARIABLES = ['inputs', 'steps', 'item', 'index', 'output', 'workflow', 'run'] as const;
export type ScopeVariable = (typeof SCOPE_VARIABLES)[number];

const environment = new Environment({ unlistedVariablesAreDyn: false, homogeneousAggregateLiterals: false })
  .registerVariable('inputs', 'map')
  .registerVariable('steps', 'map')
  .registerVariable('item', 'dyn')
  .registerVariable('index', 'int')
  .registerVariable('output', 'dyn')
  .registerVariable('workflow', 'map')
  .registerVariable('run', 'map');

/** An error in an expression, located in the workflow file. */
export class ExpressionError extends EngineError {
  override name = 'ExpressionError';
  declare readonly range: SourceRange;

  constructor(
    message: string,
    readonly kind: 'syntax' | 'type' | 'evaluation',
    range: SourceRange,
    readonly expression: string,
  ) {
    super({ code: 'expression', message, range });
  }
}

const compiled = new Map<string, ParseResult>();

/** Parses (once per distinct source) and returns the CEL program; throws ExpressionError. */
export function compile(expr: Expr): ParseResult {
  let program = compiled.get(expr.source);
  if (!program) {
    try {
      program = environment.parse(expr.source);
    } catch (error) {
      throw new ExpressionError(`invalid expression \`${expr.source}\`: ${plain(summary(error))}`, 'syntax', expr.range, expr.source);
    }
    compiled.set(expr.source, program);
  }
  return program;
}

/** Type-checks an expression; returns the problem's message or undefined. */
export function typeCheck(expr: Expr): string | undefined {
  const result = compile(expr).check();
  return result.valid ? undefined : plain(summary(result.error));
}

/**
 * The names in scope, already as CEL values (see `toCel`). The runner converts each
 * value once, when it is produced, so evaluating costs the same at step 10,000 as at step 1.
 */
export type Scope = Partial<Record<ScopeVariable, unknown>>;

/** Evaluates an expression; the result comes back as plain JSON-like values. */
export function evaluate(expr: Expr, scope: Scope): unknown {
  const program = compile(expr);
  try {
    return fromCel(program(scope as Record<string, unknown>));
  } catch (error) {
    throw new ExpressionError(`\`${expr.source}\` failed: ${summary(error)}`, 'evaluation', expr.range, expr.source);
  }
}

/** Evaluates a condition (`if`, `check`); anything but a boolean is an error. */
export function evaluateCondition(expr: Expr, scope: Scope): boolean {
  const value = evaluate(expr, scope);
  if (typeof value !== 'boolean') {
    throw new ExpressionError(
      `\`${expr.source}\` must be true or false, but it gave ${describe(value)}`,
      'evaluation',
      expr.range,
      expr.source,
    );
  }
  return value;
}

/** Renders a template: text with `{{ }}` parts; a lone `{{ expr }}` keeps its value's type. */
export function render(template: Template, scope: Scope): unknown {
  const { parts } = template;
  if (parts.length === 1 && 'expr' in parts[0]) return evaluate(parts[0].expr, scope);
  let out = '';
  for (const part of parts) out += 'text' in part ? part.text : stringify(evaluate(part.expr, scope));
  return out;
}

/** Renders a template to text, as a prompt needs it. */
export function renderText(template: Template, scope: Scope): string {
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

/** A string value is inserted as is; any other value as readable JSON; nothing as nothing. */
export function stringify(value: unknown): string {
  if (typeof value === 'string') return value;
  if (value === null || value === undefined) return '';
  return JSON.stringify(value, null, 2);
}

// ─── Template syntax ─────────────────────────────────────────────────────────

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

// ─── Walking expressions ─────────────────────────────────────────────────────

/** A `steps.<id>[.<field>]`, `inputs.<name>` or bare variable use inside an expression. */
export interface Reference {
  variable: string;
  /** `steps.<member>` / `inputs.<member>` */
  member?: string;
  /** `steps.<id>.<field>` */
  field?: string;
  /** Offsets into the expression source. */
  start: number;
  end: number;
  memberStart?: number;
  memberEnd?: number;
  fieldStart?: number;
  fieldEnd?: number;
}

/** Lists the variables an expression reads, with the members it selects. */
export function references(expr: Expr): Reference[] {
  const found: Reference[] = [];
  const bound = new Set<string>();
  visit(compile(expr).ast, bound, found, expr.source);
  return found;
}

function visit(node: ASTNode, bound: Set<string>, found: Reference[], source: string): void {
  switch (node.op) {
    case 'id':
      if (!bound.has(node.args)) found.push({ variable: node.args, start: node.range.start, end: node.range.end });
      return;
    case '.':
    case '.?': {
      const [target, member] = node.args;
      const chain = selectChain(node);
      if (chain && !bound.has(chain.root.args)) {
        const ref: Reference = { variable: chain.root.args, start: node.range.start, end: node.range.end };
        const [first, second] = chain.members;
        if (first !== undefined) {
          ref.member = first;
          const at = memberOffset(source, chain.root.range.end, first);
          ref.memberStart = at;
          ref.memberEnd = at + first.length;
        }
        if (second !== undefined && ref.memberEnd !== undefined) {
          ref.field = second;
          const at = memberOffset(source, ref.memberEnd, second);
          ref.fieldStart = at;
          ref.fieldEnd = at + second.length;
        }
        found.push(ref);
        return;
      }
      void member;
      visit(target, bound, found, source);
      return;
    }
    case 'rcall': {
      const [name, target, args] = node.args;
      // Comprehension macros (`list.map(x, x * 2)`) bind their first argument.
      if (MACROS.has(name) && args.length >= 2 && args[0].op === 'id') {
        visit(target, bound, found, source);
        const inner = new Set(bound).add(args[0].args);
        for (const arg of args.slice(1)) visit(arg, inner, found, source);
        return;
      }
      visit(target, bound, found, source);
      for (const arg of args) visit(arg, bound, found, source);
      return;
    }
    case 'call':
      for (const arg of node.args[1]) visit(arg, bound, found, source);
      return;
    case 'value':
      return;
    case 'list':
      for (const item of node.args) visit(item, bound, found, source);
      return;
    case 'map':
      for (const [key, value] of node.args) {
        visit(key, bound, found, source);
        visit(value, bound, found, source);
      }
      return;
    case '?:':
      for (const arg of node.args) visit(arg, bound, found, source);
      return;
    case '!_':
    case '-_':
      visit(node.args, bound, found, source);
      return;
    default:
      for (const arg of node.args as ASTNode[]) visit(arg, bound, found, source);
  }
}

const MACROS = new Set(['map', 'filter', 'all', 'exists', 'exists_one', 'existsOne', 'sortBy', 'transformList', 'transformMap']);

/** For `a.b.c`, the root identifier `a` and the member names `[b, c]`; undefined when the root is not an identifier. */
function selectChain(node: ASTNode): { root: Extract<ASTNode, { op: 'id' }>; members: string[] } | undefined {
  const members: string[] = [];
  let current: ASTNode = node;
  while (current.op === '.' || current.op === '.?') {
    members.unshift(current.args[1]);
    current = current.args[0];
  }
  return current.op === 'id' ? { root: current, members } : undefined;
}

function memberOffset(source: string, from: number, member: string): number {
  const at = source.indexOf(member, from);
  return at === -1 ? from : at;
}

// ─── Values between JSON and CEL ─────────────────────────────────────────────

/**
 * Sets an own property even when the key is `__proto__`: plain assignment would
 * replace the object's prototype and the entry would silently vanish.
 */
export function setEntry(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

/** CEL integers are BigInt: whole numbers from JSON become BigInt so `x * 2` and `index == 0` work. */
export function toCel(value: unknown): unknown {
  if (typeof value === 'number') return Number.isSafeInteger(value) ? BigInt(value) : value;
  if (Array.isArray(value)) return value.map(toCel);
  if (value !== null && typeof value === 'object') {
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) setEntry(out, key, toCel(item));
    return out;
  }
  return value;
}

export function fromCel(value: unknown): unknown {
  if (typeof value === 'bigint') return Number(value);
  if (Array.isArray(value)) return value.map(fromCel);
  if (value instanceof Map) return Object.fromEntries([...value].map(([k, v]) => [String(k), fromCel(v)]));
  if (value instanceof Uint8Array) return new TextDecoder().decode(value);
  if (value !== null && typeof value === 'object') {
    if (typeof (value as { hasValue?: unknown }).hasValue === 'function') {
      const optional = value as { hasValue(): boolean; value(): unknown };
      return optional.hasValue() ? fromCel(optional.value()) : null;
    }
    const out: Record<string, unknown> = {};
    for (const [key, item] of Object.entries(value)) setEntry(out, key, fromCel(item));
    return out;
  }
  return value;
}

export function describe(value: unknown): string {
  if (value === null || value === undefined) return 'null';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? value.slice(0, 40) + '…' : value)}`;
  if (Array.isArray(value)) return `a list of ${value.length}`;
  if (typeof value === 'object') return 'an object';
  return `${typeof value} ${String(value)}`;
}

const TOKENS: Record<string, string> = {
  EOF: 'the end', NUMBER: 'a number', STRING: 'a string', BOOLEAN: '`true`/`false`', NULL: '`null`', IDENTIFIER: 'a name', BYTES: 'bytes',
  PLUS: '`+`', MINUS: '`-`', MULTIPLY: '`*`', DIVIDE: '`/`', MODULO: '`%`', EQ: '`==`', NE: '`!=`', LT: '`<`', LE: '`<=`', GT: '`>`', GE: '`>=`',
  AND: '`&&`', OR: '`||`', NOT: '`!`', IN: '`in`', LPAREN: '`(`', RPAREN: '`)`', LBRACKET: '`[`', RBRACKET: '`]`', LBRACE: '`{`', RBRACE: '`}`',
  DOT: '`.`', COMMA: '`,`', COLON: '`:`', QUESTION: '`?`',
};

/** cel-js's parser and checker messages in an author's words: token names become the characters, overloads become what does not work. */
function plain(message: string): string {
  const token = (name: string) => TOKENS[name] ?? name;
  return message
    .replace(/^Unexpected token: EOF$/, 'it ends too early; something is missing at the end')
    .replace(/^Unexpected token: (\w+)$/, (_, t: string) => `${token(t)} is not expected here`)
    .replace(/^Expected (\w+), got (\w+)$/, (_, a: string, b: string) => `expected ${token(a)} but found ${token(b)}`)
    .replace(/^no such overload: (\S+) (\S+) (\S+)$/, (_, l: string, op: string, r: string) => `\`${op}\` does not work on ${l} and ${r}`)
    .replace(/^found no matching overload for '(.+)'$/, (_, call: string) => `there is no \`${call}\`; check the function's name and the types of its arguments`);
}

/** The first line of a cel-js error, without its caret drawing. */
function summary(error: unknown): string {
  if (error && typeof error === 'object' && 'summary' in error && typeof error.summary === 'string') return error.summary;
  const message = error instanceof Error ? error.message : String(error);
  return message.split('\n')[0];
}
