/**
 * Evals the run panel can show as a results grid: the Test Explorer tells it, through
 * the internal command {@link EVAL_RESULTS_COMMAND}, when a test run starts, each case
 * run's result as it finishes, and the end. The rows (and each row's trace, which the
 * webview asks for by the row's key, never by path) are kept while the window lives,
 * for the few latest evals.
 */
import type { CaseResult } from '../../engine/eval/results';
import { gridRowOf, type EvalGridParams, type EvalGridRow } from '../../shared/eval-grid';

export const EVAL_RESULTS_COMMAND = 'orchestrate.panel.evalResults';

/** What the Test Explorer tells the panel. */
export type EvalFeedEvent =
  | { type: 'start'; id: string; title: string }
  | { type: 'result'; id: string; result: CaseResult }
  | { type: 'end'; id: string };

/** Evals older than the latest few are forgotten: each holds a row per case run. */
const KEPT_EVALS = 3;

export interface KeptEval {
  id: string;
  title: string;
  rows: EvalGridRow[];
  traces: Map<string, string>;
  running: boolean;
  /** Rows not yet posted to the webview. */
  pending: EvalGridRow[];
}

export class EvalResults {
  private readonly evals = new Map<string, KeptEval>();

  /** Applies one feed event; returns the eval it changed. */
  apply(event: EvalFeedEvent): KeptEval | undefined {
    if (event.type === 'start') {
      const kept: KeptEval = { id: event.id, title: event.title, rows: [], traces: new Map(), running: true, pending: [] };
      this.evals.set(event.id, kept);
      while (this.evals.size > KEPT_EVALS) this.evals.delete(this.evals.keys().next().value as string);
      return kept;
    }
    const kept = this.evals.get(event.id);
    if (!kept) return undefined;
    if (event.type === 'end') {
      kept.running = false;
      return kept;
    }
    const row = gridRowOf(event.result);
    kept.rows.push(row);
    kept.pending.push(row);
    if (event.result.trace !== undefined) kept.traces.set(row.key, event.result.trace);
    return kept;
  }

  get(id: string): KeptEval | undefined {
    return this.evals.get(id);
  }

  /** The whole grid so far (what was pending is in it). */
  params(kept: KeptEval): EvalGridParams {
    kept.pending = [];
    return { id: kept.id, title: kept.title, rows: kept.rows, running: kept.running };
  }

  /** The rows not posted yet, taken. */
  takePending(kept: KeptEval): EvalGridRow[] {
    const rows = kept.pending;
    kept.pending = [];
    return rows;
  }
}

/** Whether a value is a feed event (the command can be called by anyone). */
export function isEvalFeedEvent(value: unknown): value is EvalFeedEvent {
  if (typeof value !== 'object' || value === null) return false;
  const event = value as Record<string, unknown>;
  if (typeof event.id !== 'string') return false;
  if (event.type === 'start') return typeof event.title === 'string';
  if (event.type === 'end') return true;
  return event.type === 'result' && typeof event.result === 'object' && event.result !== null;
}
