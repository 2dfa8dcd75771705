/**
 * The run panel's state: the engine's run state (src/engine/state), folded by the
 * engine's own reducer, started from the workflow's outline so steps that have not
 * run yet are listed. The webview folds every batch it receives through it; the host
 * and the tests fold traces through the same code, so a live run, its trace read
 * back, the lenses and the CLI show the same thing.
 *
 * What is the panel's own is only how a model call is shown ({@link callView}) and
 * the clock arithmetic of a view that ticks.
 */
import { initialRunState, reduceEvents, type RunState, type StepState, type ExecutionState, type StepStatus as EngineStepStatus } from '../engine/state';
import type { ChatMessage, ModelCallRecord, ModelParams, ModelRequestRecord, RunEvent, Usage } from '../engine/types';
import type { WorkflowOutline } from './workflow-outline';

export type { RunStatus, ExecutionStatus, ExecutionState as ExecutionView, ItemState as ItemView, AttemptState as AttemptView, RetryRecord as RetryView, ToolCallState as ToolCallView } from '../engine/state';
export { applyEvents, markInterrupted, isRunEnded, latestExecution, activeStepIds };
import { isRunEnded, latestExecution, activeStepIds, markInterrupted, reduceEvents as applyEvents } from '../engine/state';

export type RunViewModel = RunState;
export type StepViewModel = StepState;
/** How a step stands in the step list and the graph: the engine's status, or `paused` for the step the run waits before. */
export type StepStatus = EngineStepStatus | 'paused';

/** A model call as the panel shows it: everything sent and received that a person debugging needs. */
export interface CallView {
  provider: string;
  model: string;
  params: ModelParams;
  /** The messages exactly as sent. */
  messages: ChatMessage[];
  /** The system message as sent, when there was one. */
  system?: string;
  /** The last user message as sent: the step's rendered prompt. */
  prompt?: string;
  outputSchema?: Record<string, unknown>;
  usage?: Usage;
  costUsd?: number;
  /** Absent while the call is in flight. */
  latencyMs?: number;
  finishReason?: string;
  /** `undefined` when the call did not go through the cache. */
  cacheHit?: boolean;
}

/** The state before any event: every step of the outline pending. */
export function initialRunViewModel(outline: WorkflowOutline): RunViewModel {
  return initialRunState(outline, outline.steps);
}

/** Folds a whole run from scratch. */
export function runViewModelOf(outline: WorkflowOutline, events: readonly RunEvent[]): RunViewModel {
  return reduceEvents(initialRunViewModel(outline), events);
}

/** A step's status as the panel colours it. */
export function displayStatus(state: RunViewModel, step: StepViewModel): StepStatus {
  return state.pausedBefore === step.id && state.status === 'paused' ? 'paused' : step.status;
}

/** A running step's time so far, or a finished one's duration, in ms. */
export function elapsedMs(execution: { status: string; startedAt?: number; durationMs?: number }, now: number): number | undefined {
  if (execution.status === 'running' || execution.status === 'retrying') {
    return execution.startedAt === undefined ? undefined : Math.max(0, now - execution.startedAt);
  }
  return execution.durationMs;
}

/** The run's time so far, or its final duration. */
export function runElapsedMs(state: RunViewModel, now: number): number | undefined {
  if (state.durationMs !== undefined) return state.durationMs;
  if (state.startedAt === undefined) return undefined;
  return state.status === 'running' || state.status === 'paused' ? Math.max(0, now - state.startedAt) : (state.lastEventAt ?? state.startedAt) - state.startedAt;
}

/** The panel's view of a call record: the system message and the prompt pulled out of the messages. */
export function callView(record: ModelCallRecord | ModelRequestRecord): CallView {
  // A request (a call still in flight) has no reply fields yet.
  const call: Partial<ModelCallRecord> & ModelRequestRecord = record;
  const view: CallView = { provider: call.provider, model: call.model, params: call.params, messages: call.messages };
  if (call.latencyMs !== undefined) view.latencyMs = call.latencyMs;
  const system = call.messages.find((m) => m.role === 'system');
  if (system) view.system = system.content;
  const prompt = [...call.messages].reverse().find((m) => m.role === 'user');
  if (prompt) view.prompt = prompt.content;
  if (call.outputSchema !== undefined) view.outputSchema = call.outputSchema;
  if (call.usage !== undefined) view.usage = call.usage;
  if (call.costUsd !== undefined) view.costUsd = call.costUsd;
  if (call.finishReason !== undefined) view.finishReason = call.finishReason;
  if (call.cache !== undefined) view.cacheHit = call.cache.hit;
  return view;
}

/** The call an execution shows: its own, or (for a `for_each`) its first item's. */
export function executionCall(execution: ExecutionState): CallView | undefined {
  const record = execution.call ?? execution.items.find((i) => i.call)?.call;
  return record ? callView(record) : undefined;
}
