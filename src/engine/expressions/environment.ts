/**
 * The CEL environment every workflow expression runs in: the names in scope, the
 * number rule (docs/language.md, "Numbers") and `matches()` on RE2.
 */
import { Environment, EvaluationError, type ASTNode } from '@marcbachmann/cel-js';
import { PatternError, regexMatches } from './regex';

/** The names an expression may use; which of them are in scope depends on where it is written. */
export const SCOPE_VARIABLES = ['inputs', 'steps', 'item', 'index', 'output', 'workflow', 'run'] as const;
export type ScopeVariable = (typeof SCOPE_VARIABLES)[number];

/**
 * How deeply an expression's operators may nest. Checking and evaluating recurse once
 * per level; about 2,600 levels exhaust a thread's default stack (measured with cel-js
 * 8 on Node 20, less where the caller already uses stack), so 500 keeps a wide margin
 * while no hand-written expression comes near it.
 */
export const MAX_EXPRESSION_DEPTH = 500;

/** The most parts (names, literals, operators) one expression may have. */
export const MAX_EXPRESSION_NODES = 10_000;

/** The name `matches` is rewritten to, so the RE2 version replaces cel-js's built-in one. */
export const RE2_MATCHES = 'matchesRe2';

export const environment = new Environment({
  unlistedVariablesAreDyn: false,
  homogeneousAggregateLiterals: false,
  limits: { maxAstNodes: MAX_EXPRESSION_NODES },
})
  .registerVariable('inputs', 'map')
  .registerVariable('steps', 'map')
  .registerVariable('item', 'dyn')
  .registerVariable('index', 'int')
  .registerVariable('output', 'dyn')
  .registerVariable('workflow', 'map')
  .registerVariable('run', 'map');

// ─── Numbers ─────────────────────────────────────────────────────────────────
// JSON numbers are CEL doubles; CEL ints come from literals, `size()`, `index` and
// `attempts`. Mixing the two gives a double, so `inputs.x * 2` works for 2 and 2.5.

const ARITHMETIC: Record<'+' | '-' | '*' | '/', (a: number, b: number) => number> = {
  '+': (a, b) => a + b,
  '-': (a, b) => a - b,
  '*': (a, b) => a * b,
  '/': (a, b) => a / b,
};

for (const [op, apply] of Object.entries(ARITHMETIC)) {
  environment.registerOperator(`int ${op} double: double`, (a: bigint, b: number) => apply(Number(a), b));
  environment.registerOperator(`double ${op} int: double`, (a: number, b: bigint) => apply(a, Number(b)));
}

/** CEL has `%` only on ints; on numbers it is the remainder with the dividend's sign, as `int % int` is. */
function remainder(a: number, b: number): number {
  if (b === 0) throw new EvaluationError({ code: 'modulo_by_zero', message: 'modulo by zero' });
  return a % b;
}
environment.registerOperator('double % double: double', remainder);
environment.registerOperator('int % double: double', (a: bigint, b: number) => remainder(Number(a), b));
environment.registerOperator('double % int: double', (a: number, b: bigint) => remainder(a, Number(b)));
environment.registerOperator('int == double', (a: bigint, b: number) => Number(a) === b);

// ─── matches() on RE2 ────────────────────────────────────────────────────────

function matches(text: string, pattern: string): boolean {
  try {
    return regexMatches(text, pattern);
  } catch (error) {
    if (error instanceof PatternError) throw new EvaluationError({ code: 'invalid_regular_expression', message: error.message });
    throw error;
  }
}
environment.registerFunction(`string.${RE2_MATCHES}(string): bool`, matches);
environment.registerFunction(`${RE2_MATCHES}(string, string): bool`, matches);

/**
 * cel-js's built-in `matches` uses JavaScript's backtracking RegExp and cannot be
 * replaced through its registry, so each parsed call is pointed at the RE2 function.
 * Runs once per parse, before the first check or evaluation binds the call.
 */
export function useRe2(root: ASTNode): void {
  forEachNode(root, (node) => {
    if (node.op === 'rcall' && node.args[0] === 'matches' && node.args[2].length === 1) node.args[0] = RE2_MATCHES;
    else if (node.op === 'call' && node.args[0] === 'matches' && node.args[1].length === 2) node.args[0] = RE2_MATCHES;
  });
}

/**
 * The number rule for `?:`: CEL wants both branches of one type, so `x > 0 ? x * 0.5 : 1`
 * would fail for an author who sees one kind of number. A whole-number literal facing a
 * branch that holds a fractional literal (so is a double) is made a double too. A branch
 * of ints alone (`size(x) : 0`) is left an int.
 */
export function mixTernaryNumbers(root: ASTNode): void {
  forEachNode(root, (node) => {
    if (node.op !== '?:') return;
    const [, yes, no] = node.args as ASTNode[];
    for (const [literal, other] of [
      [yes, no],
      [no, yes],
    ]) {
      if (literal.op === 'value' && typeof literal.args === 'bigint' && holdsDouble(other)) (literal as { args: unknown }).args = Number(literal.args);
    }
  });
}

function holdsDouble(root: ASTNode): boolean {
  let found = false;
  forEachNode(root, (node) => {
    if (node.op === 'value' && typeof node.args === 'number') found = true;
  });
  return found;
}

/** The literal patterns of `matches` calls, with their offsets in the expression. */
export function literalPatterns(root: ASTNode): { pattern: string; start: number; end: number }[] {
  const found: { pattern: string; start: number; end: number }[] = [];
  forEachNode(root, (node) => {
    const pattern = node.op === 'rcall' && node.args[0] === RE2_MATCHES ? node.args[2][0] : node.op === 'call' && node.args[0] === RE2_MATCHES ? node.args[1][1] : undefined;
    if (pattern?.op === 'value' && typeof pattern.args === 'string') found.push({ pattern: pattern.args, start: pattern.range.start, end: pattern.range.end });
  });
  return found;
}

/** Keys cel-js leaves out of a map literal (to keep its plain objects safe); a workflow says so instead. */
const DROPPED_KEYS = new Set(['constructor', '__proto__', 'prototype']);

/** The literal keys of map literals that cel-js would drop, with their offsets. */
export function droppedKeys(root: ASTNode): { key: string; start: number; end: number }[] {
  const found: { key: string; start: number; end: number }[] = [];
  forEachNode(root, (node) => {
    if (node.op !== 'map') return;
    for (const [key] of node.args) {
      if (key.op === 'value' && typeof key.args === 'string' && DROPPED_KEYS.has(key.args)) found.push({ key: key.args, start: key.range.start, end: key.range.end });
    }
  });
  return found;
}

// ─── Walking the tree without recursion ──────────────────────────────────────

function isNode(value: unknown): value is ASTNode {
  return typeof value === 'object' && value !== null && 'op' in value && 'args' in value;
}

/** The nodes directly under `node`, whatever its operator (lists, maps and calls hold arrays). */
function children(node: ASTNode): ASTNode[] {
  if (node.op === 'value' || node.op === 'id') return [];
  const out: ASTNode[] = [];
  const pending: unknown[] = [node.args];
  while (pending.length > 0) {
    const value = pending.pop();
    if (isNode(value)) out.push(value);
    else if (Array.isArray(value)) pending.push(...(value as unknown[]));
  }
  return out;
}

/** Visits every node; iterative, so a tree of any depth is safe to walk. */
export function forEachNode(root: ASTNode, visit: (node: ASTNode) => void): void {
  const pending = [root];
  while (pending.length > 0) {
    const node = pending.pop()!;
    visit(node);
    pending.push(...children(node));
  }
}

/** How many levels the tree nests (a lone name is 1; `a + b + c` is 3). */
export function depthOf(root: ASTNode): number {
  let deepest = 0;
  const pending: [ASTNode, number][] = [[root, 1]];
  while (pending.length > 0) {
    const [node, depth] = pending.pop()!;
    if (depth > deepest) deepest = depth;
    for (const child of children(node)) pending.push([child, depth + 1]);
  }
  return deepest;
}
