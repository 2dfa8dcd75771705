/**
 * The run panel's results grid of an eval: one row per case run (a test case, or a
 * dataset row, once per repeat), one column per expectation. Rows are made on the
 * host from each case run's result; columns are derived from the rows where they are
 * shown, so rows can stream in without the host keeping a table.
 */
import type { CaseResult } from '../engine/eval/results';

/** How one expectation went on one case run. */
export interface EvalGridCell {
  label: string;
  passed: boolean;
  /** Why it failed, in words (model output may be quoted in it: text, never markup). */
  message?: string;
  /** A judge's score, 0–1. */
  score?: number;
}

export interface EvalGridRow {
  /** The case run's key (file, case, row, repeat): what the webview asks to open. */
  key: string;
  file: string;
  case: string;
  /** 0-based dataset row. */
  row?: number;
  repeat: number;
  passed: boolean;
  status: string;
  cells: EvalGridCell[];
  tokens: number;
  costUsd: number;
  durationMs: number;
  /** The host has the run's trace and can open it. */
  hasTrace: boolean;
  /** What the run gave, as text (markdown, rendered sanitized like a step's output), cut to a preview. */
  output: string;
}

export interface EvalGridParams {
  /** Names this eval; `eval/rows` for another id are stale and dropped. */
  id: string;
  title: string;
  rows: EvalGridRow[];
  /** More rows are coming. */
  running: boolean;
}

export interface EvalRowsParams {
  id: string;
  rows: EvalGridRow[];
  running: boolean;
}

/** Enough of an output to recognise it in a row; the whole is in the run. */
export const OUTPUT_PREVIEW_CHARS = 400;

/** The grid row of a case run's result. */
export function gridRowOf(result: CaseResult): EvalGridRow {
  const row: EvalGridRow = {
    key: result.key,
    file: result.file,
    case: result.case,
    repeat: result.repeat,
    passed: result.passed,
    status: result.status,
    cells: result.expectations.map((e) => ({ label: e.label, passed: e.passed, ...(e.message !== undefined ? { message: e.message } : {}), ...(e.score !== undefined ? { score: e.score } : {}) })),
    tokens: result.tokens,
    costUsd: result.costUsd,
    durationMs: result.durationMs,
    hasTrace: result.trace !== undefined,
    output: preview(result.outputs, result.error),
  };
  if (result.row !== undefined) row.row = result.row;
  return row;
}

function preview(outputs: Record<string, unknown>, error: string | undefined): string {
  const values = Object.values(outputs);
  const value = values.length === 1 ? values[0] : values.length === 0 ? (error ?? '') : outputs;
  const text = typeof value === 'string' ? value : (JSON.stringify(value) ?? '');
  return text.length > OUTPUT_PREVIEW_CHARS ? `${text.slice(0, OUTPUT_PREVIEW_CHARS - 1)}…` : text;
}

/**
 * The columns: every expectation label in the order rows first show it; a label a row
 * has twice becomes `label (2)`, so each cell has one column.
 */
export function gridColumns(rows: readonly EvalGridRow[]): string[] {
  const columns: string[] = [];
  const seen = new Set<string>();
  for (const row of rows) {
    for (const column of cellColumns(row)) {
      if (seen.has(column)) continue;
      seen.add(column);
      columns.push(column);
    }
  }
  return columns;
}

/** Each cell's column name, in the row's order, each its own (even beside a label written `x (2)`). */
export function cellColumns(row: EvalGridRow): string[] {
  const used = new Set<string>();
  return row.cells.map((cell) => {
    let column = cell.label;
    for (let n = 2; used.has(column); n++) column = `${cell.label} (${n})`;
    used.add(column);
    return column;
  });
}

/** A row's name in the grid: the case, its dataset row, its repeat. */
export function gridRowName(row: EvalGridRow, repeats: boolean): string {
  return `${row.case}${row.row !== undefined ? ` · row ${row.row + 1}` : ''}${repeats ? ` · #${row.repeat}` : ''}`;
}

export interface EvalGridTotals {
  runs: number;
  passed: number;
  failed: number;
  tokens: number;
  costUsd: number;
}

export function gridTotals(rows: readonly EvalGridRow[]): EvalGridTotals {
  const totals: EvalGridTotals = { runs: 0, passed: 0, failed: 0, tokens: 0, costUsd: 0 };
  for (const row of rows) {
    totals.runs++;
    totals[row.passed ? 'passed' : 'failed']++;
    totals.tokens += row.tokens;
    totals.costUsd += row.costUsd;
  }
  return totals;
}
