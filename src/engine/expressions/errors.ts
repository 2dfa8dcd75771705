/**
 * The one place where cel-js's errors become an author's words: operators and types
 * as a workflow speaks of them, token names as the characters, limits by their value.
 * No library text reaches a message unreworded, except the parts that quote the
 * author's own expression.
 */
import { EngineError } from '../errors';
import type { ProblemCode, SourceRange } from '../types';
import { MAX_EXPRESSION_DEPTH, MAX_EXPRESSION_NODES, RE2_MATCHES } from './environment';
import { MAX_VALUE_DEPTH } from './values';

/** An error in an expression, located in the workflow file: a run fails the step with code `expression`, never retried. */
export class ExpressionError extends EngineError {
  override name = 'ExpressionError';
  declare readonly range: SourceRange;

  constructor(
    message: string,
    readonly kind: 'syntax' | 'type' | 'evaluation',
    range: SourceRange,
    readonly expression: string,
    /** The problem code the analyzer reports it under. */
    readonly problemCode: ProblemCode = kind === 'type' ? 'expression-type' : 'expression-syntax',
  ) {
    super({ code: 'expression', message, range });
  }
}

/** What a cel-js error carries (its classes are not part of the contract we rely on). */
interface CelErrorLike {
  code?: string;
  summary?: string;
  message: string;
}

const DEPTH_ADVICE = `expressions may nest at most ${MAX_EXPRESSION_DEPTH} levels of operators (a chain \`a + b + c …\` counts one level per operator) — split it across \`set\` steps, or for many conditions use a list, e.g. \`[a, b, c].exists(x, x)\``;

/** An expression nested past MAX_EXPRESSION_DEPTH; without a count when the parser itself ran out of stack. */
export function tooDeep(depth?: number): string {
  return `it nests ${depth === undefined ? 'too deeply' : `${depth} levels deep`}: ${DEPTH_ADVICE}`;
}

/** What a stack overflow while evaluating means: the expression's depth is checked before, so a value is to blame. */
export const VALUE_TOO_DEEP = 'a value it reads is nested too deeply (lists or objects inside each other thousands of levels deep) to be read by an expression';

/** A cel-js error (parse, check or evaluation) in an author's words. */
export function explain(error: unknown, stage: 'compile' | 'evaluate' = 'compile'): string {
  if (error instanceof RangeError && /call stack/i.test(error.message)) return stage === 'evaluate' ? VALUE_TOO_DEEP : tooDeep();
  const cel = asCelError(error);
  const text = cel.summary ?? cel.message.split('\n')[0];
  const ternary = /Ternary branches must have the same type, got '([^']+)' and '([^']+)'/.exec(text);
  if (ternary) return `the two results of \`? :\` must be of one type, but one is ${ternary[1]} and the other ${ternary[2]}: make them alike, e.g. \`string(…)\` or \`double(…)\``;
  switch (cel.code) {
    case 'unexpected_token':
    case 'parse_error':
      return syntax(text);
    case 'unexpected_character':
      return text.replace(/^Unexpected character: '?(.*?)'?$/, (_, ch: string) => `the character \`${ch}\` cannot appear here`);
    case 'unterminated_string':
    case 'unterminated_triple_quoted_string':
      return 'a quoted string is never closed: end it with the same quote it starts with';
    case 'newline_in_string':
      return "a line break inside '…' or \"…\": use `\\n`, or triple quotes for text over several lines";
    case 'invalid_escape_sequence':
    case 'invalid_hex_escape':
    case 'invalid_octal_escape':
    case 'octal_escape_out_of_range':
    case 'invalid_unicode_escape':
    case 'invalid_unicode_surrogate':
    case 'bytes_unicode_escape':
      return escapeProblem(text);
    case 'reserved_identifier':
      return text.replace(/^Reserved identifier: (.*)$/, (_, name: string) => `\`${name}\` is a reserved word in expressions and cannot be used as a name`);
    case 'invalid_number':
    case 'invalid_exponent':
      return reword(text);
    case 'limit_exceeded':
      return limit(text);
    case 'no_such_overload':
      return overload(text);
    case 'no_matching_overload':
      return call(text);
    case 'no_such_key':
      return text.replace(/^No such key: (?:index out of bounds, index (\S+) .*|(.*))$/, (_, index: string | undefined, key = '') => {
        if (index !== undefined) return `there is no item at position ${index} of the list (positions start at 0)`;
        const guard = /^[A-Za-z_]\w*$/.test(key) ? `; guard with \`has(x.${key})\`` : '';
        return `there is no field \`${key}\` in this object${guard}`;
      });
    case 'index_out_of_bounds':
    case 'index_out_of_range': {
      const index = /index (-?\d+)/.exec(text)?.[1];
      return index !== undefined ? `there is no item at position ${index} of the list (positions start at 0)` : 'the position is outside the list or text';
    }
    case 'invalid_index_type':
      return text.replace(/^List index must be int, got '(.*)'$/, (_, type: string) => `a list position must be a whole number, not ${typeName(type)}`);
    case 'cannot_index_type':
      return text.replace(/^Cannot index type '(.*)'$/, (_, type: string) => `${typeName(type)} has no fields or positions to read with \`.\` or \`[ ]\``);
    case 'unknown_variable':
      return text.replace(/^Unknown variable: (.*)$/, (_, name: string) => `unknown name \`${name}\``);
    case 'division_by_zero':
      return 'division by zero (a whole-number division; divide numbers with a fraction, e.g. `x / 2.0`, to get infinity instead)';
    case 'modulo_by_zero':
      return '`%` by zero';
    case 'numeric_overflow':
      return 'the result is too large for a whole number (CEL ints range over ±9,223,372,036,854,775,807); use a number with a fraction, e.g. `double(x)`';
    case 'invalid_regular_expression':
      return text;
    case 'unsupported_type':
      return /NestedTooDeep/.test(text) ? `a value it reads is nested more than ${MAX_VALUE_DEPTH} levels deep, deeper than expressions read` : 'a value here cannot be used in expressions';
    case 'invalid_comparison_type':
      return 'these values cannot be compared';
    case 'field_type_mismatch':
    case 'list_item_type_mismatch':
      return text.replace(/'(\w[\w<>, ]*)'/g, (_, type: string) => typeName(type));
    default:
      return reword(text);
  }
}

/** Messages cel-js gives under many codes (conversions, macros, time zones), by their text. */
const REWORDED: [RegExp, (...groups: string[]) => string][] = [
  [/^Expected \w+, got \w+$/, (whole) => syntax(whole)],
  [/^(\w+)\(\) (?:type|conversion) error: (?:invalid string value "(.*)"|.*)$/, (_, fn, value) => `\`${fn}()\` cannot convert ${value !== undefined ? `\`${value}\`` : 'this value'}${fn === 'bool' ? "; it takes 'true' or 'false'" : ''}`],
  [/^Invalid duration string: (.*)$/, (_, value) => `\`${value}\` is not a duration; write for example \`duration('90s')\`, \`'1.5h'\` or \`'200ms'\``],
  [/^timestamp\(\) requires .*$/, () => "`timestamp()` takes RFC 3339 text such as `'2024-05-01T10:00:00Z'`"],
  [/^Invalid time zone specified: (.*)$/, (_, zone) => `\`${zone}\` is not a time zone; use a name such as \`'Europe/Paris'\` or \`'UTC'\``],
  [/^string\.join\(\): .*$/, () => '`join` needs a list of text; convert the items first, e.g. `list.map(x, string(x)).join(", ")`'],
  [/^(\w+)\(var, [\w, ]+\) invalid (?:predicate )?iteration variable$/, (_, macro) => `the first argument of \`${macro}\` must be a name for each item, e.g. \`list.${macro}(x, …)\``],
  [/^(\w+)\(var, [\w, ]+\) (?:filter )?predicate must return bool(?:, got '(.*)')?$/, (_, macro, type) => `the condition in \`${macro}\` must be true or false${type ? `, not ${typeName(type)}` : ''}`],
  [/^has\(\) invalid argument$/, () => '`has()` takes a field, e.g. `has(output.name)`'],
  [/^Invalid (?:hex integer|number|integer|exponent):?\s*(.*)$/, (_, value) => (value ? `\`${value}\` is not a valid number` : 'a number here is not valid')],
  [/^Optional value is not present$/, () => 'the optional value is empty; use `.orValue(default)`'],
];

function reword(text: string): string {
  for (const [pattern, words] of REWORDED) {
    const match = pattern.exec(text);
    if (match) return words(...match.map((group) => group as string));
  }
  return rename(text);
}

function asCelError(error: unknown): CelErrorLike {
  if (error && typeof error === 'object' && 'message' in error && typeof error.message === 'string') {
    const { code, summary } = error as { code?: unknown; summary?: unknown };
    return { message: error.message, code: typeof code === 'string' ? code : undefined, summary: typeof summary === 'string' ? summary : undefined };
  }
  return { message: String(error) };
}

const TOKENS: Record<string, string> = {
  EOF: 'the end', NUMBER: 'a number', STRING: 'a string', BOOLEAN: '`true`/`false`', NULL: '`null`', IDENTIFIER: 'a name', BYTES: 'bytes',
  PLUS: '`+`', MINUS: '`-`', MULTIPLY: '`*`', DIVIDE: '`/`', MODULO: '`%`', EQ: '`==`', NE: '`!=`', LT: '`<`', LE: '`<=`', GT: '`>`', GE: '`>=`',
  AND: '`&&`', OR: '`||`', NOT: '`!`', IN: '`in`', LPAREN: '`(`', RPAREN: '`)`', LBRACKET: '`[`', RBRACKET: '`]`', LBRACE: '`{`', RBRACE: '`}`',
  DOT: '`.`', COMMA: '`,`', COLON: '`:`', QUESTION: '`?`',
};

function syntax(text: string): string {
  const token = (name: string) => TOKENS[name] ?? name;
  return text
    .replace(/^Unexpected token: EOF$/, 'it ends too early; something is missing at the end')
    .replace(/^Unexpected token: (\w+)$/, (_, t: string) => `${token(t)} is not expected here`)
    .replace(/^Expected (\w+), got (\w+)$/, (_, a: string, b: string) => `expected ${token(a)} but found ${token(b)}`);
}

function escapeProblem(text: string): string {
  const escape = /(\\\S*)$/.exec(text)?.[1];
  const raw = "use a raw string for a pattern, such as `r'\\d+'`";
  return escape ? `\`${escape}\` is not an escape a quoted string knows: write \`\\${escape}\` for a backslash, or ${raw}` : `a quoted string has an escape it does not know: ${raw}`;
}

function limit(text: string): string {
  const match = /^Exceeded (\w+) \((\d+)\)/.exec(text);
  switch (match?.[1]) {
    case 'maxAstNodes':
      return `it is too long: an expression may have at most ${MAX_EXPRESSION_NODES.toLocaleString('en-US')} parts — split it across \`set\` steps`;
    case 'maxDepth':
      return `it nests too deeply: parentheses, lists, calls and \`? :\` may nest at most ${match[2]} levels`;
    case 'maxListElements':
      return `a list written in an expression may have at most ${match[2]} items`;
    case 'maxMapEntries':
      return `an object written in an expression may have at most ${match[2]} entries`;
    case 'maxCallArguments':
      return `a function call may have at most ${match[2]} arguments`;
    default:
      return 'it is too large';
  }
}

const OPERATORS: Record<string, string> = { '+': 'add', '-': 'subtract', '*': 'multiply', '/': 'divide', '%': 'take the remainder of', '<': 'compare', '<=': 'compare', '>': 'compare', '>=': 'compare', '==': 'compare', '!=': 'compare', in: 'look for' };

/** `no such overload: dyn<double> * int` → which operator, which types, what to do. */
function overload(text: string): string {
  const binary = /^no such overload: (.+?) (==|!=|<=|>=|<|>|\+|-|\*|\/|%|in) (.+)$/.exec(text);
  if (binary) {
    const [, left, op, right] = binary;
    const verb = OPERATORS[op] ?? 'combine';
    const text = [left, right].some((t) => stripDyn(t) === 'string');
    const hint = op === 'in' ? ' (the right side must be a list or an object)' : text && op === '+' ? '; convert with `string(x)` to join text' : '';
    return `\`${op}\` cannot ${verb} ${typeName(left)} and ${typeName(right)}${hint}`;
  }
  const unary = /^no such overload: ([-!])(\S+)$/.exec(text);
  if (unary) return `\`${unary[1]}\` cannot apply to ${typeName(unary[2])}`;
  return rename(text);
}

/** `found no matching overload for 'string.substring(double)'` → the call as written and what it takes. */
function call(text: string): string {
  const match = /^found no matching overload for '(?:([\w.<>, ]+?)\.)?(\w+)\((.*)\)'$/.exec(text);
  if (!match) return rename(text);
  const [, receiver, name, args] = match;
  const shown = name === RE2_MATCHES ? 'matches' : name;
  const types = args ? args.split(/,\s*/).map(typeName) : [];
  const on = receiver ? ` on ${typeName(receiver)}` : '';
  const hint = types.some((t) => t.startsWith('a number')) ? '; where a whole number is expected write `int(x)`' : '; check the function name and what it is given';
  return `\`${shown}\`${on} does not take ${types.length ? types.join(', ') : 'no arguments'}${hint}`;
}

function stripDyn(type: string): string {
  return type.replace(/^dyn<(.*)>$/, '$1');
}

/** A CEL type as a workflow speaks of it. */
export function typeName(type: string): string {
  const t = stripDyn(type);
  if (t.startsWith('list')) return 'a list';
  if (t.startsWith('map')) return 'an object';
  switch (t) {
    case 'int':
      return 'a whole number (int)';
    case 'uint':
      return 'an unsigned whole number (uint)';
    case 'double':
      return 'a number (double)';
    case 'string':
      return 'text (string)';
    case 'bool':
      return 'true/false (bool)';
    case 'null':
    case 'null_type':
      return 'null';
    case 'bytes':
      return 'bytes';
    case 'dyn':
      return 'a value';
    case 'google.protobuf.Timestamp':
      return 'a timestamp';
    case 'google.protobuf.Duration':
      return 'a duration';
    default:
      return `\`${t}\``;
  }
}

function rename(text: string): string {
  return text.replaceAll(RE2_MATCHES, 'matches');
}
