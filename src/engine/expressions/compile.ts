/**
 * Parsing and checking expressions. Every expression is parsed once per distinct
 * source into a bounded cache (the editor re-analyses on each keystroke, so an
 * unbounded one grows for as long as the editor is open), with its nesting checked
 * before anything recurses over it.
 */
import type { Environment, ParseResult } from '@marcbachmann/cel-js';
import { LRUCache } from 'lru-cache';
import type { Expr } from '../types';
import { depthOf, droppedKeys, environment, literalPatterns, MAX_EXPRESSION_DEPTH, mixTernaryNumbers, useRe2 } from './environment';
import { explain, ExpressionError, tooDeep } from './errors';
import { patternProblem } from './regex';

/**
 * Distinct expression sources kept parsed. A 2,000-step workflow has about that many
 * distinct expressions; the bound leaves room for it and for the variants the editor
 * sees while a person types, and stays a few megabytes.
 */
export const MAX_CACHED_EXPRESSIONS = 5_000;

export type Compiled = { program: ParseResult } | { error: string; code: 'expression-syntax' | 'expression-too-deep' };

const compiled = new LRUCache<string, Compiled>({ max: MAX_CACHED_EXPRESSIONS });

/** How many parsed expressions the cache holds now (for tests of its bound). */
export function cachedExpressionCount(): number {
  return compiled.size;
}

/** Parses (once per distinct source) and returns the CEL program; throws ExpressionError. */
export function compile(expr: Expr): ParseResult {
  let entry = compiled.get(expr.source);
  if (!entry) {
    entry = parseIn(environment, expr.source);
    compiled.set(expr.source, entry);
  }
  if ('error' in entry) throw new ExpressionError(`invalid expression \`${short(expr.source)}\`: ${entry.error}`, 'syntax', expr.range, expr.source, entry.code);
  return entry.program;
}

/** Parses `source` in `env` (the engine's, or one cloned from it), checks its nesting and points `matches` at RE2. */
export function parseIn(env: Environment, source: string): Compiled {
  let program: ParseResult;
  try {
    program = env.parse(source);
  } catch (error) {
    const tooDeepToParse = error instanceof RangeError;
    return { error: explain(error), code: tooDeepToParse ? 'expression-too-deep' : 'expression-syntax' };
  }
  const depth = depthOf(program.ast);
  if (depth > MAX_EXPRESSION_DEPTH) return { error: tooDeep(depth), code: 'expression-too-deep' };
  useRe2(program.ast);
  mixTernaryNumbers(program.ast);
  return { program };
}

/** Type-checks an expression; returns the problem's message or undefined. */
export function typeCheck(expr: Expr): string | undefined {
  try {
    const result = compile(expr).check();
    return result.valid ? undefined : explain(result.error);
  } catch (error) {
    if (error instanceof ExpressionError) return error.message;
    return explain(error);
  }
}

/** A problem found in an expression without running it, located by offsets into its source. */
export interface ExpressionProblem {
  code: 'invalid-regex' | 'reserved-key';
  message: string;
  start: number;
  end: number;
}

/**
 * Problems beyond syntax and types that can be found before a run: a `matches`
 * pattern written literally that RE2 cannot compile, and a map literal with a key
 * cel-js leaves out. Expects an expression that compiles.
 */
export function expressionProblems(expr: Expr): ExpressionProblem[] {
  let program: ParseResult;
  try {
    program = compile(expr);
  } catch {
    return [];
  }
  const problems: ExpressionProblem[] = [];
  for (const { pattern, start, end } of literalPatterns(program.ast)) {
    const message = patternProblem(pattern);
    if (message) problems.push({ code: 'invalid-regex', message, start, end });
  }
  for (const { key, start, end } of droppedKeys(program.ast)) {
    problems.push({ code: 'reserved-key', message: `an object written in an expression cannot have the key \`${key}\` (it would be left out); build it in YAML under \`set:\` instead, where every key is kept`, start, end });
  }
  return problems;
}

/** An expression shown inside a message: long ones are cut, since the location points at them anyway. */
export function short(source: string): string {
  return source.length > 80 ? `${source.slice(0, 80)}…` : source;
}
