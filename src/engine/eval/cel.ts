/**
 * CEL for expectations: the engine's own environment (its number rule, `matches` on
 * RE2, its messages), cloned and given the names of a finished run — `outputs`,
 * `steps`, `usage`, `cost`, `calls`, `tools`, `path`, `inputs`, `run`, and a dataset's
 * `row`; a `tools:` expectation's `where:` sees one tool call as `call` besides them.
 */
import type { Environment, ParseResult } from '@marcbachmann/cel-js';
import { LRUCache } from 'lru-cache';
import { celMap, fromCel, splitTemplate, stringify, toCel } from '../expressions';
import { parseIn, type Compiled } from '../expressions/compile';
import { environment } from '../expressions/environment';
import { explain } from '../expressions/errors';
import type { Expr } from '../types';
import { topLevelPath, type RunFacts, type ToolCallFact } from './facts';

export const EXPECTATION_VARIABLES = ['outputs', 'steps', 'inputs', 'usage', 'cost', 'calls', 'tools', 'path', 'row', 'run', 'call'] as const;

// `steps`, `inputs` and `run` are the engine's names already; the rest are a finished run's.
const expectations = environment
  .clone()
  .registerVariable('outputs', 'map')
  .registerVariable('usage', 'map')
  .registerVariable('cost', 'double')
  .registerVariable('calls', 'list')
  .registerVariable('tools', 'list')
  .registerVariable('path', 'list')
  .registerVariable('row', 'map');

/** Where a predicate is written: a whole run's expectation, or a `where:` over one tool call. */
export type ExpressionSite = 'run' | 'call';

const ENVIRONMENTS: Record<ExpressionSite, Environment> = { run: expectations, call: expectations.clone().registerVariable('call', 'map') };

/** Expectations are few and repeat per row: a small bound only stops growth. */
const compiled = new LRUCache<string, Compiled>({ max: 1000 });

function compileExpectation(source: string, site: ExpressionSite): ParseResult {
  const key = `${site}:${source}`;
  let entry = compiled.get(key);
  if (!entry) {
    entry = parseIn(ENVIRONMENTS[site], source);
    compiled.set(key, entry);
  }
  if ('error' in entry) throw new Error(entry.error);
  return entry.program;
}

/** Why `source` cannot be an expectation (syntax, unknown names, types), or undefined. */
export function expectationSyntaxError(source: string, site: ExpressionSite = 'run'): string | undefined {
  try {
    const checked = compileExpectation(source, site).check();
    return checked.valid ? undefined : explain(checked.error);
  } catch (error) {
    return error instanceof Error ? error.message : String(error);
  }
}

export type ExpectationScope = Partial<Record<(typeof EXPECTATION_VARIABLES)[number], unknown>>;

/** The scope an expectation sees for a finished run, as CEL values. */
export function scopeOf(facts: RunFacts, row: Record<string, unknown> | undefined): ExpectationScope {
  const steps = celMap(
    Object.entries(facts.steps).map(([id, result]) => [
      id,
      celMap([
        ['status', result.status],
        ['output', toCel(result.output ?? null)],
        // Counts are CEL ints, as `steps.<id>.visits` is in a workflow's own expressions.
        ['visits', BigInt(result.visits)],
        ['attempts', BigInt(result.attempts)],
        ['durationMs', result.durationMs ?? 0],
      ]),
    ]),
  );
  return {
    outputs: toCel(facts.outputs),
    steps,
    inputs: toCel(facts.inputs),
    usage: toCel(facts.usage),
    cost: facts.costUsd,
    calls: toCel(facts.calls.map((call) => ({ step: call.stepId, provider: call.provider, model: call.model, tokens: call.usage?.totalTokens ?? 0, cached: call.cached }))),
    tools: toCel(facts.tools.map(toolCallValue)),
    path: topLevelPath(facts),
    row: toCel(row ?? {}),
    run: toCel({ status: facts.status, durationMs: facts.durationMs, error: facts.error?.message ?? null }),
  };
}

/** A tool call as `tools` lists it and `call` names it: plain JSON. */
export function toolCallValue(call: ToolCallFact): Record<string, unknown> {
  return { name: call.name, server: call.server, tool: call.tool, args: call.args, status: call.status, step: call.stepId, result: call.result, error: call.error ?? null };
}

/** Evaluates an expectation's expression; throws with a message for the author. */
export function evaluateExpectation(expr: Pick<Expr, 'source'>, scope: ExpectationScope, site: ExpressionSite = 'run'): unknown {
  const program = compileExpectation(expr.source, site);
  try {
    return fromCel(program(scope as Record<string, unknown>));
  } catch (error) {
    throw new Error(`\`${expr.source}\` failed: ${explain(error, 'evaluate')}`);
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
