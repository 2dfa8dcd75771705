/**
 * Checks expectations against a finished run's facts. Each failure says, in an
 * author's words, what was expected and what the run did, with both sides as text
 * for a diff.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { formatDuration } from '../duration';
import { stringify } from '../expressions';
import { regexMatches } from '../expressions/regex';
import type { ProviderResolver, Workflow } from '../types';
import { evaluateExpectation, renderExpected, scopeOf, type ExpectationScope } from './cel';
import { topLevelPath, visitCounts, type RunFacts } from './facts';
import { judge } from './judge';
import { subjectLabel } from './labels';
import { checkTrajectory } from './trajectory';
import type { Expectation, ExpectationResult, Subject } from './types';

export interface CheckContext {
  workflow: Workflow;
  providers: ProviderResolver;
  signal: AbortSignal;
  /** The dataset row, for `row.<column>` in expected values and expressions. */
  row?: Record<string, unknown>;
  /** Names judge calls: `judge:<case>`. */
  caseName: string;
}

/** Every expectation, in order; a run that did not succeed fails unless one expects `status: failed`. */
export async function checkExpectations(expectations: readonly Expectation[], facts: RunFacts, context: CheckContext): Promise<ExpectationResult[]> {
  const scope = scopeOf(facts, context.row);
  const results: ExpectationResult[] = [];
  if (!expectations.some((e) => e.kind === 'status') && facts.status !== 'succeeded') {
    results.push({ label: 'status succeeded', kind: 'status', passed: false, message: `the run ${facts.status}${facts.error ? `: ${facts.error.message}` : ''}`, expected: 'succeeded', actual: facts.status, line: 0 });
  }
  for (const expectation of expectations) {
    let result: Omit<ExpectationResult, 'label' | 'kind' | 'line'>;
    try {
      result = await check(expectation, facts, scope, context);
    } catch (error) {
      result = { passed: false, message: `${expectation.label}: ${(error as Error).message}` };
    }
    results.push({ label: expectation.label, kind: expectation.kind, line: expectation.range.start.line, ...result });
  }
  return results;
}

type Outcome = Omit<ExpectationResult, 'label' | 'kind' | 'line'>;

async function check(expectation: Expectation, facts: RunFacts, scope: ExpectationScope, context: CheckContext): Promise<Outcome> {
  switch (expectation.kind) {
    case 'equals': {
      const actual = subjectValue(expectation.subject, facts);
      const expected = renderExpected(expectation.value, scope);
      if (deepEqual(actual, expected)) return { passed: true };
      return { passed: false, message: `${subjectLabel(expectation.subject)} is ${shown(actual)}, expected ${shown(expected)}`, expected: asText(expected), actual: asText(actual) };
    }
    case 'contains': {
      const actual = asText(subjectValue(expectation.subject, facts));
      const expected = String(renderExpected(expectation.value, scope));
      if (actual.includes(expected)) return { passed: true };
      return { passed: false, message: `${subjectLabel(expectation.subject)} does not contain ${JSON.stringify(expected)}; it is ${shown(actual)}`, expected, actual };
    }
    case 'matches': {
      const actual = asText(subjectValue(expectation.subject, facts));
      if (regexMatches(actual, expectation.pattern)) return { passed: true };
      return { passed: false, message: `${subjectLabel(expectation.subject)} does not match /${expectation.pattern}/; it is ${shown(actual)}`, expected: `/${expectation.pattern}/`, actual };
    }
    case 'schema': {
      const actual = subjectValue(expectation.subject, facts);
      const validate = schemaValidator(expectation.schema);
      if (validate(actual)) return { passed: true };
      const why = (validate.errors ?? []).slice(0, 3).map(describeSchemaError).join('; ');
      return { passed: false, message: `${subjectLabel(expectation.subject)} does not fit the schema: ${why}`, expected: JSON.stringify(expectation.schema, null, 2), actual: asText(actual) };
    }
    case 'cel': {
      const value = evaluateExpectation(expectation.expr, scope);
      if (value === true) return { passed: true };
      if (value === false) return { passed: false, message: `\`${expectation.expr.source}\` is false`, expected: 'true', actual: 'false' };
      return { passed: false, message: `\`${expectation.expr.source}\` must be true or false, but it gave ${shown(value)}` };
    }
    case 'status':
      if (facts.status === expectation.status) return { passed: true };
      return { passed: false, message: `the run ${facts.status}${facts.error ? ` (${facts.error.message})` : ''}, expected it to have ${expectation.status}`, expected: expectation.status, actual: facts.status };
    case 'path':
      return checkPath(expectation, facts);
    case 'tools':
      return checkTrajectory(expectation, facts.tools, scope);
    case 'budget': {
      const over: string[] = [];
      if (expectation.latencyMs !== undefined && facts.durationMs > expectation.latencyMs) over.push(`it took ${formatDuration(facts.durationMs)}, over the ${formatDuration(expectation.latencyMs)} allowed`);
      if (expectation.tokens !== undefined && facts.usage.totalTokens > expectation.tokens) over.push(`it used ${facts.usage.totalTokens} tokens, over the ${expectation.tokens} allowed`);
      if (expectation.costUsd !== undefined && facts.costUsd > expectation.costUsd) over.push(`it cost $${facts.costUsd.toFixed(4)}, over the $${expectation.costUsd} allowed`);
      return over.length === 0 ? { passed: true } : { passed: false, message: `over budget: ${over.join('; ')}` };
    }
    case 'judge': {
      const text = asText(subjectValue(expectation.subject, facts));
      const verdict = await judge({ rubric: expectation.rubric, text, model: expectation.model, mock: expectation.mock, label: `judge:${context.caseName}` }, context.providers, context.workflow, context.signal);
      const passed = verdict.score >= expectation.threshold;
      const outcome: Outcome = { passed, score: verdict.score, reasoning: verdict.reasoning };
      if (!passed) {
        outcome.message = `the judge scored ${subjectLabel(expectation.subject)} ${verdict.score}, under the threshold ${expectation.threshold}: ${verdict.reasoning}`;
        outcome.expected = expectation.rubric;
        outcome.actual = text;
      }
      return outcome;
    }
  }
}

function checkPath(expectation: Extract<Expectation, { kind: 'path' }>, facts: RunFacts): Outcome {
  const taken = topLevelPath(facts);
  const counts = visitCounts(facts);
  const route = taken.length === 0 ? '(no step)' : taken.join(' → ');
  if (expectation.exact && (expectation.exact.length !== taken.length || expectation.exact.some((id, i) => taken[i] !== id))) {
    return { passed: false, message: `the run took ${route}, expected ${expectation.exact.join(' → ') || '(no step)'}`, expected: expectation.exact.join('\n'), actual: taken.join('\n') };
  }
  const problems: string[] = [];
  for (const id of expectation.includes ?? []) if (!counts.has(id)) problems.push(`step \`${id}\` did not run`);
  for (const id of expectation.excludes ?? []) if (counts.has(id)) problems.push(`step \`${id}\` ran, expected it not to`);
  for (const [id, visits] of Object.entries(expectation.visits ?? {})) {
    const ran = counts.get(id) ?? 0;
    if (ran !== visits) problems.push(`step \`${id}\` ran ${times(ran)}, expected ${times(visits)}`);
  }
  return problems.length === 0 ? { passed: true } : { passed: false, message: `${problems.join('; ')} (the run took ${route})` };
}

/** The value an expectation looks at; `undefined` never: a missing value is null. */
export function subjectValue(subject: Subject, facts: RunFacts): unknown {
  let value: unknown;
  if (subject.kind === 'outputs') value = facts.outputs;
  else if (subject.kind === 'output') value = own(facts.outputs, subject.name!);
  else value = own(facts.steps, subject.name!) === null ? null : facts.steps[subject.name!].output;
  for (const part of subject.field ?? []) value = value !== null && typeof value === 'object' ? own(value as Record<string, unknown>, part) : null;
  return value ?? null;
}

function own(record: Record<string, unknown>, key: string): unknown {
  return Object.hasOwn(record, key) ? record[key] : null;
}

const validators = new WeakMap<object, ValidateFunction>();
// ownProperties: `required: [constructor]` must not be met by Object.prototype's `constructor`.
const ajv = new Ajv({ allErrors: true, strict: false, ownProperties: true });

function schemaValidator(schema: Record<string, unknown>): ValidateFunction {
  let validate = validators.get(schema);
  if (!validate) {
    validate = ajv.compile(schema);
    validators.set(schema, validate);
  }
  return validate;
}

/** An ajv error in an author's words, located by its path inside the value. */
function describeSchemaError(error: ErrorObject): string {
  const where = error.instancePath === '' ? 'the value' : `\`${error.instancePath.slice(1).replace(/\//g, '.')}\``;
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'type':
      return `${where} should be ${String(params.type)}`;
    case 'required':
      return `${where} lacks \`${String(params.missingProperty)}\``;
    case 'enum':
      return `${where} should be one of ${(params.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `${where} should be ${JSON.stringify(params.allowedValue)}`;
    case 'additionalProperties':
      return `${where} has \`${String(params.additionalProperty)}\`, which the schema does not allow`;
    case 'minItems':
    case 'maxItems':
      return `${where} should have ${error.keyword === 'minItems' ? 'at least' : 'at most'} ${String(params.limit)} items`;
    case 'minLength':
    case 'maxLength':
      return `${where} should be ${error.keyword === 'minLength' ? 'at least' : 'at most'} ${String(params.limit)} characters long`;
    case 'minimum':
    case 'maximum':
    case 'exclusiveMinimum':
    case 'exclusiveMaximum':
      return `${where} should be ${String(params.comparison)} ${String(params.limit)}`;
    case 'pattern':
      return `${where} should match /${String(params.pattern)}/`;
    default:
      return `${where} breaks the schema's \`${error.keyword}\``;
  }
}

export function deepEqual(a: unknown, b: unknown): boolean {
  if (a === b) return true;
  if (typeof a !== typeof b || a === null || b === null || typeof a !== 'object') return false;
  if (Array.isArray(a) !== Array.isArray(b)) return false;
  if (Array.isArray(a)) return a.length === (b as unknown[]).length && a.every((item, i) => deepEqual(item, (b as unknown[])[i]));
  const x = a as Record<string, unknown>;
  const y = b as Record<string, unknown>;
  const left = Object.keys(x);
  return left.length === Object.keys(y).length && left.every((key) => Object.hasOwn(y, key) && deepEqual(x[key], y[key]));
}

/** A value as text: strings as they are, anything else as JSON. */
export function asText(value: unknown): string {
  return typeof value === 'string' ? value : value === null || value === undefined ? 'null' : stringify(value);
}

function shown(value: unknown): string {
  const text = JSON.stringify(value) ?? 'null';
  return text.length > 120 ? `${text.slice(0, 119)}…` : text;
}

function times(n: number): string {
  return n === 1 ? 'once' : `${n} times`;
}
