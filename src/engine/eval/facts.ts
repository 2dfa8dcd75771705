/**
 * What a finished run is, for expectations: read from the one run state through its
 * selectors (docs/architecture.md, "One run state"), never from a fold of its own.
 */
import { executionRows, stepResult, type ExecutionRow } from '../state/selectors';
import type { RunState, ToolCallState } from '../state/run-state';
import type { ErrorInfo, StepResult, Usage } from '../types';

/** One execution of a step outside any `for_each` item, in the order the run started them. */
export interface PathEntry {
  stepId: string;
  visit: number;
  status: string;
  /** The enclosing execution, for a branch or a sub-workflow's step. */
  parent?: string;
}

export interface ModelCallFact {
  stepId: string;
  visit: number;
  index?: number;
  provider: string;
  model: string;
  usage?: Usage;
  costUsd?: number;
  cached: boolean;
}

/** One tool call the run made or tried (a denied call too: its status says so). */
export interface ToolCallFact {
  /** `server.tool`. */
  name: string;
  server: string;
  tool: string;
  /** The arguments as recorded; when `argsTruncated`, the start of their JSON text. */
  args: unknown;
  argsTruncated: boolean;
  status: ToolCallState['status'];
  stepId: string;
  visit: number;
  index?: number;
  /** The structured result when the tool gave one, else its text; null when it gave none. */
  result: unknown;
  error?: string;
}

export interface RunFacts {
  status: RunState['status'];
  error?: ErrorInfo;
  inputs: Record<string, unknown>;
  outputs: Record<string, unknown>;
  steps: Record<string, StepResult>;
  /** Every execution but `for_each` items, skipped ones included (their status says so). */
  path: PathEntry[];
  calls: ModelCallFact[];
  /** Every tool call, in the order they started (calls that start together: in the order of their steps). */
  tools: ToolCallFact[];
  usage: Usage;
  /** Dollars; 0 when no call reported a price (the mock, cache hits). */
  costUsd: number;
  durationMs: number;
}

export function runFacts(state: RunState): RunFacts {
  const steps: Record<string, StepResult> = Object.create(null) as Record<string, StepResult>;
  for (const id of state.order) steps[id] = stepResult(state.steps[id]);
  const path: PathEntry[] = [];
  const calls: ModelCallFact[] = [];
  const tools: { fact: ToolCallFact; startedAt: number }[] = [];
  for (const row of executionRows(state)) {
    for (const call of row.tools ?? []) tools.push({ fact: toolCallFact(call, row), startedAt: call.startedAt });
    if (row.index === undefined) path.push({ stepId: row.stepId, visit: row.visit, status: row.status, ...(row.parent !== undefined ? { parent: row.parent } : {}) });
    const call = row.call;
    if (call && 'latencyMs' in call) {
      calls.push({ stepId: row.stepId, visit: row.visit, ...(row.index !== undefined ? { index: row.index } : {}), provider: call.provider, model: call.model, usage: call.usage, costUsd: call.costUsd, cached: call.cache?.hit === true });
    }
  }
  return {
    status: state.status,
    error: state.error,
    inputs: state.inputs,
    outputs: state.outputs ?? {},
    steps,
    path,
    calls,
    // A stable sort: rows come in the order their executions started.
    tools: tools.sort((a, b) => a.startedAt - b.startedAt).map((entry) => entry.fact),
    usage: state.totals.usage,
    costUsd: state.totals.costUsd ?? 0,
    durationMs: state.durationMs ?? 0,
  };
}

function toolCallFact(call: ToolCallState, row: ExecutionRow): ToolCallFact {
  const fact: ToolCallFact = {
    name: `${call.server}.${call.tool}`,
    server: call.server,
    tool: call.tool,
    args: call.arguments?.value ?? null,
    argsTruncated: call.arguments?.truncated === true,
    status: call.status,
    stepId: row.stepId,
    visit: row.visit,
    result: call.result ? (call.result.structuredContent ?? call.result.text) : null,
  };
  if (row.index !== undefined) fact.index = row.index;
  if (call.error) fact.error = call.error.message;
  return fact;
}

/** The top-level steps that ran (not skipped), in order, a step once per visit. */
export function topLevelPath(facts: RunFacts): string[] {
  return facts.path.filter((entry) => entry.parent === undefined && entry.status !== 'skipped').map((entry) => entry.stepId);
}

/** How many times each step ran (not skipped), at any depth. */
export function visitCounts(facts: RunFacts): Map<string, number> {
  const counts = new Map<string, number>();
  for (const entry of facts.path) if (entry.status !== 'skipped') counts.set(entry.stepId, (counts.get(entry.stepId) ?? 0) + 1);
  return counts;
}
