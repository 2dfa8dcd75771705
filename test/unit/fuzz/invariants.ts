/**
 * What every result of `checkWorkflow` must satisfy, whatever text it was given:
 * problems point inside the text, with line/column that agree with their offsets,
 * a known code, a severity and a message a person can act on.
 */
import assert from 'node:assert/strict';
import { SourceMap, type LoadResult, type Problem, type ProblemCode } from '../../../src/engine/index';

/** Every `ProblemCode` in src/engine/types.ts. A type-level check below keeps this list complete. */
export const PROBLEM_CODES = [
  'yaml-syntax',
  'schema',
  'duplicate-id',
  'missing-kind',
  'multiple-kinds',
  'unknown-step-ref',
  'unknown-input-ref',
  'unknown-worker',
  'unknown-target',
  'unknown-variable',
  'unknown-step-field',
  'future-step-ref',
  'unreachable-step',
  'expression-syntax',
  'expression-type',
  'expression-too-deep',
  'invalid-regex',
  'reserved-key',
  'template-syntax',
  'invalid-duration',
  'nested-transition',
  'workflow-not-found',
  'reserved-id',
  'misplaced-key',
  'missing-cases',
  'invalid-default',
  'unknown-with-input',
  'missing-with-input',
  'uses-cycle',
  'trigger-invalid',
  'trigger-unknown-key',
  'trigger-webhook-path',
  'trigger-duplicate-path',
  'trigger-secret-env',
  'trigger-cron',
  'trigger-timezone',
  'trigger-unknown-input',
  'trigger-expression',
  'test-shape',
  'test-unknown-key',
  'test-duplicate-name',
  'test-unknown-step',
  'test-unknown-input',
  'test-unknown-output',
  'test-expression',
  'test-regex',
  'test-schema',
  'test-budget',
  'test-threshold',
  'test-unknown-tool',
  'test-tool-conflict',
  'mcp-server-invalid',
  'mcp-server-name',
  'mcp-literal-secret',
  'mcp-approval',
  'unknown-tool-server',
  'unknown-tool',
  'missing-tool-argument',
  'unknown-tool-argument',
  'tool-server-unreachable',
] as const satisfies readonly ProblemCode[];

// Fails to compile when types.ts gains a code this list does not have.
type Missing = Exclude<ProblemCode, (typeof PROBLEM_CODES)[number]>;
const complete: Missing extends never ? true : Missing = true;
void complete;

const KNOWN = new Set<string>(PROBLEM_CODES);
const SEVERITIES = new Set(['error', 'warning', 'info']);

/** Throws (with the offending problem and text) when a problem breaks an invariant. */
export function assertWellFormed(text: string, file: string, result: LoadResult): void {
  assert.ok(Array.isArray(result.problems), 'problems is a list');
  const map = new SourceMap(text);
  for (const problem of result.problems) {
    try {
      assertProblem(problem, text, file, map);
    } catch (error) {
      (error as Error).message += `\nproblem: ${JSON.stringify(problem)}\ntext:\n${text}`;
      throw error;
    }
  }
}

function assertProblem(problem: Problem, text: string, file: string, map: SourceMap): void {
  assert.equal(problem.file, file, 'problem.file is the file checked');
  assert.ok(KNOWN.has(problem.code), `known code (${problem.code})`);
  assert.ok(SEVERITIES.has(problem.severity), `known severity (${problem.severity})`);
  assert.equal(typeof problem.message, 'string');
  assert.ok(problem.message.trim().length > 0, 'non-empty message');
  // A message may quote what the author wrote, but must not leak the engine's own placeholders.
  // (CEL's own type errors can say `type 'undefined'`; those come from cel-js, so they are exempt.)
  const fromCel = problem.code === 'expression-type' || problem.code === 'expression-syntax';
  for (const leak of fromCel ? ['[object Object]'] : ['undefined', '[object Object]', 'NaN']) {
    if (!text.toLowerCase().includes(leak.toLowerCase())) assert.ok(!problem.message.includes(leak), `message leaks \`${leak}\`: ${problem.message}`);
  }
  const { range } = problem;
  assert.ok(Number.isInteger(range.offset) && Number.isInteger(range.endOffset), 'integer offsets');
  assert.ok(range.offset >= 0, 'offset >= 0');
  assert.ok(range.offset <= range.endOffset, 'offset <= endOffset');
  assert.ok(range.endOffset <= text.length, 'endOffset <= text.length');
  assert.ok(range.start.line >= 1 && range.start.column >= 1, 'start line/column >= 1');
  assert.ok(range.end.line >= 1 && range.end.column >= 1, 'end line/column >= 1');
  assert.deepEqual(range.start, map.position(range.offset), 'start agrees with offset');
  assert.deepEqual(range.end, map.position(range.endOffset), 'end agrees with endOffset');
}
