/**
 * The one definition of a run's state (docs/architecture.md, "One run state"). Every
 * face — the runner itself, the CodeLens status, the hover, the run panel, the CLI's
 * progress and trace view, resume, *Run step* seeding, the runs view, the HTTP API —
 * reads a run through this state or a selector over it, never through a fold of its own.
 *
 * The state is plain JSON-safe data, so the webview can hold it too.
 */
import type { CappedValue, ToolResultRecord } from '../tools/events';
import type { ErrorInfo, HoldPoint, ModelCallRecord, ModelRequestRecord, StepKind, StepRef, Usage } from '../types';

/**
 * How one execution stands. `cancelled`: it was in flight when it or its run was
 * stopped (cancel, a timeout around it, a sibling's failure, a crash) — the one word
 * every face uses for a step that did not get to finish.
 */
export type ExecutionStatus = 'running' | 'retrying' | 'succeeded' | 'failed' | 'skipped' | 'cancelled';

/** How a step stands: its latest execution's status, or `pending` before it ran. */
export type StepStatus = 'pending' | ExecutionStatus;

/** `idle`: nothing has happened yet; `interrupted`: a trace with no end (killed, or still being written). */
export type RunStatus = 'idle' | 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/** The error of an attempt that was retried. */
export interface RetryRecord {
  attempt: number;
  error: ErrorInfo;
  delayMs: number;
  partialOutput?: string;
}

/**
 * One tool call of an execution. `error`: the tool reported failure (the call worked);
 * `failed`: the call could not be made (denied, unknown tool, server down, timeout);
 * `cancelled`: it was in flight when the run or step stopped.
 */
export interface ToolCallState {
  callId: string;
  server: string;
  tool: string;
  /** The attempt that made it. */
  attempt: number;
  /** The prompt's tool-loop turn, for calls a model asked for. */
  turn?: number;
  status: 'running' | 'succeeded' | 'error' | 'failed' | 'cancelled';
  arguments?: CappedValue;
  approvedBy?: string;
  result?: ToolResultRecord;
  error?: ErrorInfo;
  startedAt: number;
  latencyMs?: number;
}

/** One run of a step's body: a visit, or one item of a `for_each`. */
export interface AttemptState {
  status: ExecutionStatus;
  /** The attempt in progress or the last one made (1 unless retried). */
  attempt: number;
  startedAt?: number;
  durationMs?: number;
  /** Text streamed by the current attempt so far. */
  streamed: string;
  /** Whether `output` is set (an output can be `null`). */
  hasOutput: boolean;
  output?: unknown;
  /** The request while the call is in flight; the full record once it answered. */
  call?: ModelCallRecord | ModelRequestRecord;
  error?: ErrorInfo;
  retries: RetryRecord[];
  /** Text received before the failure of the last attempt (a broken stream). */
  partialOutput?: string;
  /** Tool calls of every attempt, in the order they were made (absent until the first). */
  tools?: ToolCallState[];
}

export interface ItemState extends AttemptState {
  index: number;
  /** The event sequence number that started it. */
  seq: number;
}

export interface ExecutionState extends AttemptState {
  /** 1-based: which time the run entered the step (within `parent`). */
  visit: number;
  /** The enclosing execution (`refKey` of a `parallel` step's execution or item), for branches. */
  parent?: string;
  /** The event sequence number that started it: executions sort by it. */
  seq: number;
  restored?: boolean;
  skipReason?: string;
  /** `for_each` items in index order (only the ones that started). */
  items: ItemState[];
}

/** What the workflow says of a step, so a step that has not run yet can be listed. */
export interface StepInfo {
  id: string;
  name?: string;
  kind?: StepKind;
  /** The `parallel` step this one is a branch of. */
  parentId?: string;
  /** 0 for top-level steps, 1 for a branch of a top-level `parallel`, … */
  depth: number;
  /** 1-based line of the step's `id:`, when the workflow is known. */
  line?: number;
  forEach: boolean;
}

export interface StepState extends StepInfo {
  /** False for a step the events name but the workflow does not (it changed since the run). */
  inWorkflow: boolean;
  status: StepStatus;
  visits: number;
  /** Attempts of the latest execution. */
  attempts: number;
  /** Every execution in the order they started; the last is the step's current one. */
  executions: ExecutionState[];
  /** Summed over every call the step made (visits, items, retries); restored calls excluded. */
  usage: Usage;
  costUsd?: number;
  calls: number;
  /** Tool calls made, over every execution (recorded answers included; denied calls too). */
  toolCalls?: number;
}

/** An execution a debugger holds (`step.held` until `step.released`). */
export interface HeldExecution extends StepRef {
  /** `refKey` of the execution. */
  key: string;
  at: HoldPoint;
  /** The run clock's time the hold began. */
  since: number;
}

export interface RunTotals {
  usage: Usage;
  /** Absent while no call has reported a cost. */
  costUsd?: number;
  calls: number;
  cacheHits: number;
}

export interface RunState {
  runId?: string;
  workflow: { name: string; file: string };
  status: RunStatus;
  startedAt?: number;
  /** Time of the last event seen, from the run's clock. */
  lastEventAt?: number;
  /** Final duration, once the run has ended. */
  durationMs?: number;
  /** The step the run waits before, while paused. */
  pausedBefore?: string;
  /** Executions a debugger holds now, in the order it stopped them (absent when none): the run is `paused` while any is. */
  held?: HeldExecution[];
  inputs: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  error?: ErrorInfo;
  cancelReason?: string;
  resumedFrom?: string;
  startAt?: string;
  stopAfter?: string;
  steps: Record<string, StepState>;
  /** Step ids in display order: the workflow's order, then steps only the events know, as they appear. */
  order: string[];
  totals: RunTotals;
  /** Events folded so far. */
  eventCount: number;
  lastSeq: number;
}

export const ZERO_USAGE: Usage = Object.freeze({ inputTokens: 0, outputTokens: 0, totalTokens: 0 }) as Usage;

/** `stepId#visit#index`, prefixed by the enclosing execution: one execution, the key resume and replay match on. */
export function refKey(ref: StepRef): string {
  const own = `${ref.stepId}#${ref.visit}#${ref.index ?? ''}`;
  return ref.parent === undefined ? own : `${ref.parent}/${own}`;
}

/** The state before any event: every step the workflow declares, pending. */
export function initialRunState(workflow: { name: string; file: string }, steps: readonly StepInfo[] = []): RunState {
  const byId: Record<string, StepState> = Object.create(null) as Record<string, StepState>;
  const order: string[] = [];
  for (const info of steps) {
    if (Object.hasOwn(byId, info.id)) continue;
    const step: StepState = { id: info.id, depth: info.depth, forEach: info.forEach, inWorkflow: true, status: 'pending', visits: 0, attempts: 0, executions: [], usage: ZERO_USAGE, calls: 0 };
    if (info.name !== undefined) step.name = info.name;
    if (info.kind !== undefined) step.kind = info.kind;
    if (info.parentId !== undefined) step.parentId = info.parentId;
    if (info.line !== undefined) step.line = info.line;
    byId[info.id] = step;
    order.push(info.id);
  }
  return { workflow: { ...workflow }, status: 'idle', inputs: {}, steps: byId, order, totals: { usage: ZERO_USAGE, calls: 0, cacheHits: 0 }, eventCount: 0, lastSeq: 0 };
}

export function isRunEnded(state: Pick<RunState, 'status'>): boolean {
  return state.status === 'succeeded' || state.status === 'failed' || state.status === 'cancelled';
}

export function isActive(status: StepStatus | ExecutionStatus): boolean {
  return status === 'running' || status === 'retrying';
}
