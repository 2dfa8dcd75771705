/**
 * Reads of the run state that more than one face needs. A face that needs a new
 * read adds a selector here rather than folding events itself.
 */
import { allSteps } from '../graph';
import type { StepRef, StepResult, Workflow } from '../types';
import { isActive, refKey, type AttemptState, type ExecutionState, type HeldExecution, type RunState, type StepInfo, type StepState } from './run-state';

/** A record of results by step id: no prototype, so ids like `__proto__` or `constructor` are keys like any other. */
function resultRecord(): Record<string, StepResult> {
  return Object.create(null) as Record<string, StepResult>;
}

function setResult(results: Record<string, StepResult>, id: string, result: StepResult): void {
  Object.defineProperty(results, id, { value: result, enumerable: true, writable: true, configurable: true });
}

const infos = new WeakMap<Workflow, readonly StepInfo[]>();

/** What the workflow says of each step, nested ones after their parent, in file order (computed once per workflow). */
export function stepInfosOf(workflow: Workflow): readonly StepInfo[] {
  let known = infos.get(workflow);
  if (!known) infos.set(workflow, (known = computeStepInfos(workflow)));
  return known;
}

function computeStepInfos(workflow: Workflow): StepInfo[] {
  const depthOf = new Map<string, number>();
  return allSteps(workflow.steps).map((step) => {
    const depth = step.parentId === undefined ? 0 : (depthOf.get(step.parentId) ?? 0) + 1;
    depthOf.set(step.id, depth);
    const info: StepInfo = { id: step.id, kind: step.kind, depth, line: step.idRange.start.line, forEach: step.forEach !== undefined };
    if (step.name !== undefined) info.name = step.name;
    if (step.parentId !== undefined) info.parentId = step.parentId;
    return info;
  });
}

/** A step's own-property lookup: step ids like `constructor` are data, not the prototype's. */
export function stepOf(state: RunState, id: string): StepState | undefined {
  return Object.hasOwn(state.steps, id) ? state.steps[id] : undefined;
}

/** The execution a step is at: its latest. */
export function latestExecution(step: StepState): ExecutionState | undefined {
  return step.executions[step.executions.length - 1];
}

/** The latest execution that finished (succeeded, failed or skipped), for results. */
export function lastFinished(step: StepState): ExecutionState | undefined {
  for (let at = step.executions.length - 1; at >= 0; at--) {
    const execution = step.executions[at];
    if (!isActive(execution.status)) return execution;
  }
  return undefined;
}

/** A step as `steps.<id>` and `RunResult.steps` give it: its latest execution. */
export function stepResult(step: StepState): StepResult {
  const execution = latestExecution(step);
  if (!execution) return { status: 'pending', output: null, attempts: 0, visits: 0 };
  const status = execution.status === 'retrying' ? 'running' : execution.status === 'cancelled' ? 'failed' : execution.status;
  const result: StepResult = { status, output: execution.status === 'succeeded' ? (execution.output ?? null) : null, attempts: execution.attempt, visits: step.visits };
  if (execution.startedAt !== undefined) result.startedAt = execution.startedAt;
  if (execution.durationMs !== undefined) result.durationMs = execution.durationMs;
  if (execution.error !== undefined) result.error = execution.error;
  if (step.calls > 0) result.usage = step.usage;
  if (step.costUsd !== undefined) result.costUsd = step.costUsd;
  return result;
}

/** Every step's result, by id. */
export function stepResults(state: RunState): Record<string, StepResult> {
  const results = resultRecord();
  for (const id of state.order) setResult(results, id, stepResult(state.steps[id]));
  return results;
}

/**
 * The steps that succeeded in this run, as `seed` for *Run step* and *Run from here*:
 * a `for_each` step by its whole list, not its items.
 */
export function succeededResults(state: RunState): Record<string, StepResult> {
  const results = resultRecord();
  for (const id of state.order) {
    const execution = lastFinished(state.steps[id]);
    if (execution?.status === 'succeeded' && execution.hasOutput) {
      setResult(results, id, { status: 'succeeded', output: execution.output, attempts: execution.attempt, visits: execution.visit, durationMs: execution.durationMs, ...(state.steps[id].calls > 0 ? { usage: state.steps[id].usage } : {}), ...(state.steps[id].costUsd !== undefined ? { costUsd: state.steps[id].costUsd } : {}) });
    }
  }
  return results;
}

/** One execution or item, flattened, as the CLI's trace view and the restorer list them. */
export interface ExecutionRow extends AttemptState {
  stepId: string;
  visit: number;
  index?: number;
  parent?: string;
  kind?: StepState['kind'];
  name?: string;
  restored?: boolean;
  skipReason?: string;
  /** The execution's `refKey`. */
  key: string;
  seq: number;
}

/** Every execution and `for_each` item in the order they started. */
export function executionRows(state: RunState): ExecutionRow[] {
  const rows: ExecutionRow[] = [];
  for (const id of state.order) {
    const step = state.steps[id];
    for (const execution of step.executions) {
      const { items, ...own } = execution;
      const base = { stepId: id, kind: step.kind, name: step.name, visit: execution.visit, parent: execution.parent };
      // A `for_each` step's own row carries its list; its items follow it.
      if (execution.attempt > 0 || execution.hasOutput || items.length === 0) rows.push({ ...own, ...base, key: refKey({ stepId: id, visit: execution.visit, parent: execution.parent }) });
      for (const item of items) rows.push({ ...item, ...base, index: item.index, key: refKey({ stepId: id, visit: execution.visit, index: item.index, parent: execution.parent }) });
    }
  }
  return rows.sort((a, b) => a.seq - b.seq);
}

/** The step the run is at: the first one in flight. */
export function activeStepIds(state: RunState): string[] {
  return state.order.filter((id) => isActive(state.steps[id].status));
}

/** One execution or `for_each` item by its `StepRef` (a debugger's frame), or undefined before it started. */
export function executionAt(state: RunState, ref: StepRef): AttemptState | undefined {
  const step = stepOf(state, ref.stepId);
  const execution = step?.executions.find((e) => e.visit === ref.visit && e.parent === ref.parent);
  if (!execution || ref.index === undefined) return execution;
  return execution.items.find((item) => item.index === ref.index);
}

/**
 * Where a debugger holds the run at `stepId`: a hold on the step itself, or (`within`)
 * on anything inside it — a branch of a `parallel`, a sub-workflow's step under its
 * `uses:` step (`review/draft` under `review`). The latest hold when there are several.
 */
export function holdAt(state: RunState, stepId: string, within = false): HeldExecution | undefined {
  const held = state.held;
  if (!held) return undefined;
  for (let at = held.length - 1; at >= 0; at--) {
    const hold = held[at];
    if (hold.stepId === stepId || (within && isInside(state, hold.stepId, stepId))) return hold;
  }
  return undefined;
}

function isInside(state: RunState, id: string, outer: string): boolean {
  if (id.startsWith(`${outer}/`)) return true;
  for (let at = stepOf(state, id)?.parentId, depth = 0; at !== undefined && depth < 1000; at = stepOf(state, at)?.parentId, depth++) if (at === outer) return true;
  return false;
}
