/**
 * Two runs step by step: what each sent and got, the tokens and the cost, and
 * which of those changed. Pure, over two {@link RunViewModel}s, so the compare
 * mode of the panel and the tests share it. Line diffs are computed on demand
 * ({@link diffLines}): a 1,000-step comparison shows its table at once and diffs
 * only the step a person opens.
 */
import type { StepStatus, StepViewModel, RunViewModel } from './run-view-model';
import { executionCall, latestExecution } from './run-view-model';

export interface CompareSideStep {
  status: StepStatus;
  visits: number;
  attempts: number;
  model?: string;
  system?: string;
  prompt?: string;
  /** The output as text (JSON for structured outputs), absent when there is none. */
  output?: string;
  error?: string;
  tokens: number;
  costUsd?: number;
  latencyMs?: number;
  durationMs?: number;
  cacheHit?: boolean;
}

export interface CompareRow {
  stepId: string;
  name?: string;
  depth: number;
  left?: CompareSideStep;
  right?: CompareSideStep;
  changed: { status: boolean; prompt: boolean; output: boolean; model: boolean };
  /** right − left; undefined when a side did not run the step. */
  tokensDelta?: number;
  costDelta?: number;
}

export interface RunComparison {
  rows: CompareRow[];
  totals: {
    left: { tokens: number; costUsd?: number; durationMs?: number };
    right: { tokens: number; costUsd?: number; durationMs?: number };
  };
  /** Rows with any change. */
  changedCount: number;
}

/** Text of an output as compared and copied: strings as they are, anything else as indented JSON. */
export function outputText(output: unknown): string {
  if (typeof output === 'string') return output;
  if (output === undefined) return '';
  try {
    return JSON.stringify(output, null, 2) ?? String(output);
  } catch {
    return String(output);
  }
}

function side(step: StepViewModel | undefined): CompareSideStep | undefined {
  if (!step || step.status === 'pending') return undefined;
  const execution = latestExecution(step);
  const out: CompareSideStep = { status: step.status, visits: step.visits, attempts: step.attempts, tokens: step.usage.totalTokens };
  if (step.costUsd !== undefined) out.costUsd = step.costUsd;
  if (!execution) return out;
  // A map's calls are per item; the first item's call stands for the step's model and prompt.
  const call = executionCall(execution);
  if (call) {
    out.model = `${call.provider}/${call.model}`;
    if (call.system !== undefined) out.system = call.system;
    if (call.prompt !== undefined) out.prompt = call.prompt;
    out.latencyMs = call.latencyMs;
    if (call.cacheHit !== undefined) out.cacheHit = call.cacheHit;
  }
  if (execution.hasOutput) out.output = outputText(execution.output);
  if (execution.error) out.error = execution.error.message;
  if (execution.durationMs !== undefined) out.durationMs = execution.durationMs;
  return out;
}

/** Rows in the left run's order, with steps only the right run has placed after the step they follow there. */
function mergedOrder(left: RunViewModel, right: RunViewModel): string[] {
  const order = [...left.order];
  const seen = new Set(order);
  let insertAt = 0;
  for (const id of right.order) {
    if (seen.has(id)) {
      insertAt = order.indexOf(id) + 1;
      continue;
    }
    order.splice(insertAt, 0, id);
    seen.add(id);
    insertAt++;
  }
  return order;
}

export function compareRuns(left: RunViewModel, right: RunViewModel): RunComparison {
  const rows: CompareRow[] = [];
  let changedCount = 0;
  for (const stepId of mergedOrder(left, right)) {
    const l = side(left.steps[stepId]);
    const r = side(right.steps[stepId]);
    const model = left.steps[stepId] ?? right.steps[stepId];
    const row: CompareRow = {
      stepId,
      depth: model.depth,
      changed: {
        status: l?.status !== r?.status,
        prompt: (l?.prompt ?? '') !== (r?.prompt ?? '') || (l?.system ?? '') !== (r?.system ?? ''),
        output: (l?.output ?? '') !== (r?.output ?? ''),
        model: l?.model !== r?.model && l?.model !== undefined && r?.model !== undefined,
      },
    };
    const name = model.name;
    if (name !== undefined) row.name = name;
    if (l) row.left = l;
    if (r) row.right = r;
    if (l && r) {
      row.tokensDelta = r.tokens - l.tokens;
      if (l.costUsd !== undefined || r.costUsd !== undefined) row.costDelta = (r.costUsd ?? 0) - (l.costUsd ?? 0);
    }
    if (!l && !r) continue;
    if (Object.values(row.changed).some(Boolean)) changedCount++;
    rows.push(row);
  }
  const total = (run: RunViewModel) => {
    const t: { tokens: number; costUsd?: number; durationMs?: number } = { tokens: run.totals.usage.totalTokens };
    if (run.totals.costUsd !== undefined) t.costUsd = run.totals.costUsd;
    if (run.durationMs !== undefined) t.durationMs = run.durationMs;
    return t;
  };
  return { rows, totals: { left: total(left), right: total(right) }, changedCount };
}

export type DiffOp = 'same' | 'del' | 'add';
export interface DiffLine {
  op: DiffOp;
  text: string;
}

/** Above this many lines each (after the common head and tail), the middle is shown as replaced rather than aligned. */
const MAX_ALIGNED_LINES = 2000;

/** A line diff: the common head and tail, and the middle aligned by longest common subsequence. */
export function diffLines(a: string, b: string): DiffLine[] {
  const left = a === '' ? [] : a.split('\n');
  const right = b === '' ? [] : b.split('\n');
  let head = 0;
  while (head < left.length && head < right.length && left[head] === right[head]) head++;
  let tail = 0;
  while (tail < left.length - head && tail < right.length - head && left[left.length - 1 - tail] === right[right.length - 1 - tail]) tail++;
  const out: DiffLine[] = left.slice(0, head).map((text) => ({ op: 'same', text }));
  const l = left.slice(head, left.length - tail);
  const r = right.slice(head, right.length - tail);
  if (l.length > MAX_ALIGNED_LINES || r.length > MAX_ALIGNED_LINES) {
    out.push(...l.map((text): DiffLine => ({ op: 'del', text })), ...r.map((text): DiffLine => ({ op: 'add', text })));
  } else {
    out.push(...lcsDiff(l, r));
  }
  out.push(...left.slice(left.length - tail).map((text): DiffLine => ({ op: 'same', text })));
  return out;
}

function lcsDiff(l: string[], r: string[]): DiffLine[] {
  const n = l.length;
  const m = r.length;
  // lengths[i][j]: LCS of l[i..] and r[j..], in one flat array.
  const width = m + 1;
  const lengths = new Uint32Array((n + 1) * width);
  for (let i = n - 1; i >= 0; i--) {
    for (let j = m - 1; j >= 0; j--) {
      lengths[i * width + j] = l[i] === r[j] ? lengths[(i + 1) * width + j + 1] + 1 : Math.max(lengths[(i + 1) * width + j], lengths[i * width + j + 1]);
    }
  }
  const out: DiffLine[] = [];
  let i = 0;
  let j = 0;
  while (i < n && j < m) {
    if (l[i] === r[j]) {
      out.push({ op: 'same', text: l[i] });
      i++;
      j++;
    } else if (lengths[(i + 1) * width + j] >= lengths[i * width + j + 1]) {
      out.push({ op: 'del', text: l[i++] });
    } else {
      out.push({ op: 'add', text: r[j++] });
    }
  }
  while (i < n) out.push({ op: 'del', text: l[i++] });
  while (j < m) out.push({ op: 'add', text: r[j++] });
  return out;
}
