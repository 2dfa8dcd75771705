/**
 * CEL for expectations: the engine's language (cel-js, its value conversions), over
 * what a finished run is rather than what a running step sees — `outputs`, `steps`,
 * `usage`, `cost`, `calls`, `path`, `inputs`, `run`, and a dataset's `row`.
 */
import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import { fromCel, splitTemplate, stringify, toCel } from '../expressions';
import type { Expr } from '../types';
import { topLevelPath, type RunFacts } from './facts';

export const EXPECTATION_VARIABLES = ['outputs', 'steps', 'inputs', 'usage', 'cost', 'calls', 'path', 'row', 'run'] as const;

const environment = new Environment({ unlistedVariablesAreDyn: false, homogeneousAggregateLiterals: false })
  .registerVariable('outputs', 'map')
  .registerVariable('steps', 'map')
  .registerVariable('inputs', 'map')
  .registerVariable('usage', 'map')
  .registerVariable('cost', 'double')
  .registerVariable('calls', 'list')
  .registerVariable('path', 'list')
  .registerVariable('row', 'map')
  .registerVariable('run', 'map');

const compiled = new Map<string, ParseResult>();

/** Parses once per distinct source; throws with the parser's first line. */
export function compileExpectation(source: string): ParseResult {
  let program = compiled.get(source);
  if (!program) {
    program = environment.parse(source);
    compiled.set(source, program);
  }
  return program;
}

/** Why `source` cannot be an expectation (syntax or unknown names), or undefined. */
export function expectationSyntaxError(source: string): string | undefined {
  try {
    const checked = compileExpectation(source).check();
    return checked.valid ? undefined : plain(firstLine(checked.error));
  } catch (error) {
    return plain(firstLine(error));
  }
}

export type ExpectationScope = Partial<Record<(typeof EXPECTATION_VARIABLES)[number], unknown>>;

/** The scope an expectation sees for a finished run, as CEL values. */
export function scopeOf(facts: RunFacts, row: Record<string, unknown> | undefined): ExpectationScope {
  const steps: Record<string, unknown> = {};
  for (const [id, result] of Object.entries(facts.steps)) {
    Object.defineProperty(steps, id, {
      value: toCel({ status: result.status, output: result.output ?? null, visits: result.visits, attempts: result.attempts, durationMs: result.durationMs ?? 0 }),
      enumerable: true,
    });
  }
  return {
    outputs: toCel(facts.outputs),
    steps,
    inputs: toCel(facts.inputs),
    usage: toCel(facts.usage),
    // A double, always: `cost < 0.01` must type-check when the run cost nothing.
    cost: facts.costUsd + 0,
    calls: toCel(facts.calls.map((call) => ({ step: call.stepId, provider: call.provider, model: call.model, tokens: call.usage?.totalTokens ?? 0, cached: call.cached }))),
    path: topLevelPath(facts),
    row: toCel(row ?? {}),
    run: toCel({ status: facts.status, durationMs: facts.durationMs, error: facts.error?.message ?? null }),
  };
}

/** Evaluates an expectation's expression; throws with a message for the author. */
export function evaluateExpectation(expr: Pick<Expr, 'source'>, scope: ExpectationScope): unknown {
  const program = compileExpectation(expr.source);
  try {
    return fromCel(program(scope as Record<string, unknown>));
  } catch (error) {
    throw new Error(`\`${expr.source}\` failed: ${firstLine(error)}`);
  }
}

/**
 * An expected value may name the row: `equals: "{{ row.answer }}"`. A value that is
 * exactly one `{{ }}` keeps its type; other strings render as text; anything else is as written.
 */
export function renderExpected(value: unknown, scope: ExpectationScope): unknown {
  if (typeof value !== 'string' || !value.includes('{{')) return value;
  const { parts, error } = splitTemplate(value);
  if (error) throw new Error(error.message);
  if (parts.length === 1 && parts[0].expr) return evaluateExpectation(parts[0].expr, scope);
  return parts.map((part) => (part.text !== undefined ? part.text : stringify(evaluateExpectation(part.expr!, scope)))).join('');
}

/** cel-js's words in an author's: what is missing or unknown, not the parser's token names. */
function plain(message: string): string {
  return message
    .replace(/^Unexpected token: EOF$/, 'it ends too early; something is missing at the end')
    .replace(/^Unexpected token: (\w+)$/, (_, token: string) => `${token.toLowerCase()} is not expected here`)
    .replace(/^Unknown variable: (\S+)$/, (_, name: string) => `there is no \`${name}\` here`)
    .replace(/^no such overload: (\S+) (\S+) (\S+)$/, (_, l: string, op: string, r: string) => `\`${op}\` does not work on ${l} and ${r}`)
    .replace(/^found no matching overload for '(.+)'$/, (_, call: string) => `there is no \`${call}\`; check the function's name and the types of its arguments`);
}

function firstLine(error: unknown): string {
  if (error && typeof error === 'object' && 'summary' in error && typeof error.summary === 'string') return error.summary;
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
