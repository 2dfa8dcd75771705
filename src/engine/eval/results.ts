/**
 * What an eval records: a header naming what was run, one line per finished case
 * run (a test case, or one row, once per repeat), and a summary at the end. The
 * same records feed the reporters, resume and `--compare`.
 */
import type { CaseOutcome } from './run-case';

export const EVAL_RECORD_VERSION = 1;

/** What the eval was asked to run, so `--resume` can run the rest of it. */
export interface EvalHeader {
  type: 'eval';
  v: number;
  id: string;
  startedAt: number;
  files: string[];
  data?: string;
  columns?: Record<string, string>;
  repeat: number;
  filter?: string;
  mock: boolean;
}

export interface CaseResult extends CaseOutcome {
  type: 'case';
  /** `[file, case, row, repeat]` as JSON: one case run's identity across resumes and compares. */
  key: string;
  file: string;
  workflow: string;
  case: string;
  /** The 1-based line of the case's `name:` in the workflow file (0 for `--data` rows without a `tests:` entry). */
  line: number;
  row?: number;
  /** 1-based. */
  repeat: number;
  inputs: Record<string, unknown>;
}

export interface EvalEnd {
  type: 'eval.end';
  endedAt: number;
  summary: EvalSummary;
}

export type EvalRecord = EvalHeader | CaseResult | EvalEnd;

/** Totals of one case across its rows and repeats. */
export interface CaseSummary {
  file: string;
  workflow: string;
  case: string;
  line: number;
  runs: number;
  passed: number;
  failed: number;
  tokens: number;
  costUsd: number;
  durationMs: number;
}

export interface EvalSummary {
  runs: number;
  passed: number;
  failed: number;
  tokens: number;
  costUsd: number;
  cachedCalls: number;
  calls: number;
  cases: CaseSummary[];
}

/** JSON of the parts, so no case name can make two case runs share a key. */
export function caseKey(file: string, caseName: string, row: number | undefined, repeat: number): string {
  return JSON.stringify([file, caseName, row ?? null, repeat]);
}

/** Sums results as they come, in constant memory per case (not per row). */
export class SummaryBuilder {
  private readonly byCase = new Map<string, CaseSummary>();
  readonly totals = { runs: 0, passed: 0, failed: 0, tokens: 0, costUsd: 0, cachedCalls: 0, calls: 0 };

  add(result: CaseResult): void {
    const id = `${result.file}#${result.case}`;
    let summary = this.byCase.get(id);
    if (!summary) {
      summary = { file: result.file, workflow: result.workflow, case: result.case, line: result.line, runs: 0, passed: 0, failed: 0, tokens: 0, costUsd: 0, durationMs: 0 };
      this.byCase.set(id, summary);
    }
    summary.runs++;
    summary[result.passed ? 'passed' : 'failed']++;
    summary.tokens += result.tokens;
    summary.costUsd += result.costUsd;
    summary.durationMs += result.durationMs;
    this.totals.runs++;
    this.totals[result.passed ? 'passed' : 'failed']++;
    this.totals.tokens += result.tokens;
    this.totals.costUsd += result.costUsd;
    this.totals.cachedCalls += result.cachedCalls;
    this.totals.calls += result.calls;
  }

  summary(): EvalSummary {
    return { ...this.totals, cases: [...this.byCase.values()].sort((a, b) => a.file.localeCompare(b.file) || a.line - b.line || a.case.localeCompare(b.case)) };
  }
}
