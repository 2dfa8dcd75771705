/**
 * Two evals side by side: per case run (same file, case, row and repeat), what
 * passed before and fails now (a regression), the reverse (an improvement), and
 * whose outputs changed.
 */
import { asText, deepEqual } from './expect';
import type { CaseResult } from './results';

export interface CaseChange {
  key: string;
  workflow: string;
  case: string;
  row?: number;
  repeat: number;
  kind: 'regression' | 'improvement' | 'changed';
  before: { passed: boolean; outputs: string; failures: string[] };
  after: { passed: boolean; outputs: string; failures: string[] };
}

export interface EvalComparison {
  regressions: CaseChange[];
  improvements: CaseChange[];
  /** Same verdict, different outputs. */
  changed: CaseChange[];
  /** Case runs in only one of the two. */
  onlyBefore: string[];
  onlyAfter: string[];
  unchanged: number;
}

export function compareEvals(before: readonly CaseResult[], after: readonly CaseResult[]): EvalComparison {
  const earlier = new Map(before.map((result) => [result.key, result]));
  const comparison: EvalComparison = { regressions: [], improvements: [], changed: [], onlyBefore: [], onlyAfter: [], unchanged: 0 };
  const seen = new Set<string>();
  for (const now of after) {
    const then = earlier.get(now.key);
    if (!then) {
      comparison.onlyAfter.push(now.key);
      continue;
    }
    seen.add(now.key);
    const sameOutputs = deepEqual(then.outputs, now.outputs);
    const kind = then.passed && !now.passed ? 'regression' : !then.passed && now.passed ? 'improvement' : sameOutputs ? undefined : 'changed';
    if (!kind) {
      comparison.unchanged++;
      continue;
    }
    const change: CaseChange = { key: now.key, workflow: now.workflow, case: now.case, repeat: now.repeat, kind, before: side(then), after: side(now), ...(now.row !== undefined ? { row: now.row } : {}) };
    (kind === 'regression' ? comparison.regressions : kind === 'improvement' ? comparison.improvements : comparison.changed).push(change);
  }
  for (const key of earlier.keys()) if (!seen.has(key)) comparison.onlyBefore.push(key);
  return comparison;
}

function side(result: CaseResult): CaseChange['before'] {
  return { passed: result.passed, outputs: asText(result.outputs), failures: result.expectations.filter((e) => !e.passed).map((e) => e.message ?? e.label) };
}
