/**
 * The run panel's state as a pure function of a run's events (architecture.md,
 * rule 3): `applyEvents(state, events)` returns the next state and never touches
 * the one it was given. The webview folds every batch it receives through it; the
 * host and the tests fold traces through the same code, so a live run and its
 * trace read back show the same thing.
 *
 * Unchanged steps keep their object identity from one state to the next, so the
 * renderer can skip them by reference; changed ones are copied once per batch,
 * not once per event, which keeps a frame of 20 streaming steps cheap.
 */
import type { ChatMessage, ErrorInfo, ModelCallRecord, ModelParams, ModelRequestRecord, RunEvent, StepKind, Usage } from '../engine/types';
import type { OutlineStep, WorkflowOutline } from './workflow-outline';

/** How a step stands, as the step list and the graph colour it. */
export type StepStatus = 'pending' | 'running' | 'done' | 'skipped' | 'failed' | 'retrying' | 'paused';
/** How one execution (a visit, or one `for_each` item) stands. */
export type ExecutionStatus = 'running' | 'done' | 'skipped' | 'failed' | 'retrying';
/** `idle`: nothing has happened yet; `interrupted`: a trace with no end (killed, or still being written). */
export type RunStatus = 'idle' | 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

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

/** The error of an attempt that was retried. */
export interface RetryView {
  attempt: number;
  error: ErrorInfo;
  delayMs: number;
  partialOutput?: string;
}

/** One run of a step's body: the step itself, or one item of a `for_each`. */
export interface AttemptView {
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
  call?: CallView;
  error?: ErrorInfo;
  retries: RetryView[];
  /** Text received before the failure of the last attempt (a broken stream). */
  partialOutput?: string;
}

export interface ItemView extends AttemptView {
  index: number;
}

export interface ExecutionView extends AttemptView {
  /** 1-based: which time the run entered the step. */
  visit: number;
  restored?: boolean;
  skipReason?: string;
  /** `for_each` items in index order (only the ones that started). */
  items: ItemView[];
}

export interface StepViewModel {
  id: string;
  name?: string;
  kind?: StepKind;
  parentId?: string;
  depth: number;
  /** 1-based line of the step's `id:`, when the workflow is known. */
  line?: number;
  forEach: boolean;
  /** False for a step the events name but the outline does not (the workflow changed since the run). */
  inWorkflow: boolean;
  status: StepStatus;
  /** The status to go back to when the run resumes; set while `status` is `paused`. */
  statusBeforePause?: StepStatus;
  visits: number;
  /** Attempts of the latest execution. */
  attempts: number;
  /** One entry per visit, oldest first; the last is the one shown by default. */
  executions: ExecutionView[];
  /** Summed over every call the step made (visits, items, retries). */
  usage: Usage;
  costUsd?: number;
  calls: number;
}

export interface RunTotals {
  usage: Usage;
  /** Absent while no call has reported a cost. */
  costUsd?: number;
  calls: number;
  cacheHits: number;
}

export interface RunViewModel {
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
  inputs: Record<string, unknown>;
  outputs?: Record<string, unknown>;
  error?: ErrorInfo;
  cancelReason?: string;
  resumedFrom?: string;
  startAt?: string;
  stopAfter?: string;
  steps: Record<string, StepViewModel>;
  /** Step ids in display order: the outline's order, then steps only the events know, as they appear. */
  order: string[];
  totals: RunTotals;
  /** Events folded so far (deltas coalesced by the host count once). */
  eventCount: number;
  lastSeq: number;
}

const ZERO_USAGE: Usage = Object.freeze({ inputTokens: 0, outputTokens: 0, totalTokens: 0 }) as Usage;

/** The state before any event: every step of the outline pending. */
export function initialRunViewModel(outline: WorkflowOutline): RunViewModel {
  const steps: Record<string, StepViewModel> = {};
  const order: string[] = [];
  for (const step of outline.steps) {
    if (steps[step.id]) continue;
    steps[step.id] = stepFromOutline(step);
    order.push(step.id);
  }
  return {
    workflow: { name: outline.name, file: outline.file },
    status: 'idle',
    inputs: {},
    steps,
    order,
    totals: { usage: ZERO_USAGE, calls: 0, cacheHits: 0 },
    eventCount: 0,
    lastSeq: 0,
  };
}

function stepFromOutline(step: OutlineStep): StepViewModel {
  const view: StepViewModel = {
    id: step.id,
    kind: step.kind,
    depth: step.depth,
    line: step.line,
    forEach: step.forEach,
    inWorkflow: true,
    status: 'pending',
    visits: 0,
    attempts: 0,
    executions: [],
    usage: ZERO_USAGE,
    calls: 0,
  };
  if (step.name !== undefined) view.name = step.name;
  if (step.parentId !== undefined) view.parentId = step.parentId;
  return view;
}

/** Folds one event. Prefer {@link applyEvents} for a batch: it copies each changed step once. */
export function applyEvent(state: RunViewModel, event: RunEvent): RunViewModel {
  return applyEvents(state, [event]);
}

/** Folds a batch of events, in order, into a new state. `state` is left as it was. */
export function applyEvents(state: RunViewModel, events: readonly RunEvent[]): RunViewModel {
  if (events.length === 0) return state;
  const draft = new Draft(state);
  for (const event of events) draft.apply(event);
  return draft.finish();
}

/** Folds a whole run from scratch. */
export function runViewModelOf(outline: WorkflowOutline, events: readonly RunEvent[]): RunViewModel {
  return applyEvents(initialRunViewModel(outline), events);
}

/**
 * A trace that stops without an end event (the process was killed): the run is
 * interrupted, and nothing in it is running any more.
 */
export function markInterrupted(state: RunViewModel): RunViewModel {
  if (isRunEnded(state) || state.status === 'interrupted') return state;
  const draft = new Draft(state);
  draft.interrupt();
  return draft.finish();
}

/** A running step's time so far, or a finished one's duration, in ms. */
export function elapsedMs(execution: { status: ExecutionStatus; startedAt?: number; durationMs?: number }, now: number): number | undefined {
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

/** The execution the panel shows by default: the latest visit. */
export function latestExecution(step: StepViewModel): ExecutionView | undefined {
  return step.executions[step.executions.length - 1];
}

/** Steps that are running now, in display order. */
export function activeStepIds(state: RunViewModel): string[] {
  return state.order.filter((id) => {
    const status = state.steps[id].status;
    return status === 'running' || status === 'retrying';
  });
}

export function isRunEnded(state: RunViewModel): boolean {
  return state.status === 'succeeded' || state.status === 'failed' || state.status === 'cancelled';
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

function addUsage(a: Usage, b: Usage | undefined): Usage {
  if (!b) return a;
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens, totalTokens: a.totalTokens + b.totalTokens };
}

function addCost(a: number | undefined, b: number | undefined): number | undefined {
  if (b === undefined) return a;
  return (a ?? 0) + b;
}

type StepEvent = Extract<RunEvent, { stepId: string }>;

/**
 * Copy-on-write over one state: the run object is copied once, each step touched
 * by the batch once (with its executions array and the touched execution/item).
 */
class Draft {
  private readonly state: RunViewModel;
  private stepsCopied = false;
  private orderCopied = false;
  private readonly touched = new Set<string>();
  /** Executions and items already copied in this batch, so later events mutate them in place. */
  private readonly fresh = new WeakSet<object>();

  constructor(previous: RunViewModel) {
    this.state = { ...previous };
  }

  finish(): RunViewModel {
    return this.state;
  }

  apply(event: RunEvent): void {
    const s = this.state;
    s.eventCount++;
    if (event.seq > s.lastSeq) s.lastSeq = event.seq;
    s.lastEventAt = event.time;
    switch (event.type) {
      case 'run.started':
        s.runId = event.runId;
        s.workflow = { ...event.workflow };
        s.status = 'running';
        s.startedAt = event.time;
        s.inputs = event.inputs;
        if (event.resumedFrom !== undefined) s.resumedFrom = event.resumedFrom;
        if (event.startAt !== undefined) s.startAt = event.startAt;
        if (event.stopAfter !== undefined) s.stopAfter = event.stopAfter;
        return;
      case 'run.paused':
        s.status = 'paused';
        this.unpause();
        if (event.nextStepId !== undefined) {
          s.pausedBefore = event.nextStepId;
          const step = this.step(event.nextStepId);
          step.statusBeforePause = step.status;
          step.status = 'paused';
        }
        return;
      case 'run.resumed':
        this.unpause();
        s.status = 'running';
        return;
      case 'run.completed':
      case 'run.failed':
      case 'run.cancelled':
        this.unpause();
        s.status = event.type === 'run.completed' ? 'succeeded' : event.type === 'run.failed' ? 'failed' : 'cancelled';
        s.durationMs = event.durationMs;
        // The run's own totals are authoritative: they leave out restored steps and count what the engine counted.
        s.totals = { ...s.totals, usage: event.usage };
        if (event.costUsd !== undefined) s.totals.costUsd = event.costUsd;
        if (event.type === 'run.completed') s.outputs = event.outputs;
        else if (event.type === 'run.failed') s.error = event.error;
        else {
          s.cancelReason = event.reason;
          s.error = { code: 'cancelled', message: event.reason };
        }
        this.settleRunning();
        return;
      default:
        this.applyStep(event);
    }
  }

  interrupt(): void {
    this.unpause();
    this.state.status = 'interrupted';
    this.settleRunning();
  }

  private applyStep(event: StepEvent): void {
    const step = this.step(event.stepId);
    if (step.status === 'paused') {
      // The step the run was paused before has started: the pause is over.
      delete step.statusBeforePause;
      if (this.state.pausedBefore === step.id) delete this.state.pausedBefore;
    }
    const execution = this.execution(step, event.visit, event.type === 'step.started' && event.index === undefined);
    const target: AttemptView = event.index === undefined ? execution : this.item(execution, event.index);
    switch (event.type) {
      case 'step.started': {
        if (event.name !== undefined && step.name === undefined) step.name = event.name;
        if (step.kind === undefined) step.kind = event.kind;
        if (event.attempt > 1 || target.status === 'retrying') {
          target.streamed = '';
          delete target.partialOutput;
        }
        target.status = 'running';
        target.attempt = event.attempt;
        // The prompt as sent, readable while the reply streams; the result's call replaces it.
        if (event.request) target.call = callView(event.request);
        // A retry keeps the execution's start: elapsed covers every attempt.
        if (target.startedAt === undefined) target.startedAt = event.time;
        break;
      }
      case 'step.delta':
        // A delta of an attempt already given up on (it raced the retry) would corrupt the next attempt's text.
        if (event.attempt === target.attempt) target.streamed += event.text;
        return;
      case 'step.completed':
        target.status = 'done';
        target.attempt = event.attempt;
        target.hasOutput = true;
        target.output = event.output;
        target.durationMs = event.durationMs;
        if (target.startedAt === undefined) target.startedAt = event.time - event.durationMs;
        if (event.call) target.call = callView(event.call);
        if (event.restored && event.index === undefined) execution.restored = true;
        if (event.call && !event.restored) this.countCall(step, event.call);
        break;
      case 'step.failed':
        target.status = 'failed';
        target.attempt = event.attempt;
        target.error = event.error;
        target.durationMs = event.durationMs;
        if (event.partialOutput !== undefined) target.partialOutput = event.partialOutput;
        if (event.call) {
          target.call = callView(event.call);
          this.countCall(step, event.call);
        }
        break;
      case 'step.retrying': {
        target.status = 'retrying';
        target.attempt = event.attempt;
        const retry: RetryView = { attempt: event.attempt, error: event.error, delayMs: event.delayMs };
        if (event.partialOutput !== undefined) retry.partialOutput = event.partialOutput;
        target.retries = [...target.retries, retry];
        if (event.call) {
          target.call = callView(event.call);
          this.countCall(step, event.call);
        }
        break;
      }
      case 'step.skipped':
        target.status = 'skipped';
        if (event.index === undefined) execution.skipReason = event.reason;
        target.durationMs = 0;
        break;
    }
    this.recompute(step, execution);
  }

  /** The step's status and counters follow its latest execution. */
  private recompute(step: StepViewModel, execution: ExecutionView): void {
    const latest = step.executions[step.executions.length - 1];
    if (latest !== execution) return;
    step.visits = Math.max(step.visits, execution.visit);
    step.attempts = execution.attempt;
    if (step.status !== 'paused') step.status = execution.status;
  }

  private countCall(step: StepViewModel, call: ModelCallRecord): void {
    step.usage = addUsage(step.usage, call.usage);
    step.costUsd = addCost(step.costUsd, call.costUsd);
    step.calls++;
    const totals = { ...this.state.totals };
    totals.usage = addUsage(totals.usage, call.usage);
    const cost = addCost(totals.costUsd, call.costUsd);
    if (cost !== undefined) totals.costUsd = cost;
    totals.calls++;
    if (call.cache?.hit) totals.cacheHits++;
    this.state.totals = totals;
  }

  private unpause(): void {
    const s = this.state;
    if (s.pausedBefore === undefined) return;
    const step = this.step(s.pausedBefore);
    if (step.status === 'paused') {
      step.status = step.statusBeforePause ?? 'pending';
      delete step.statusBeforePause;
    }
    delete s.pausedBefore;
  }

  /**
   * When a run ends nothing runs any more. The engine reports each step it aborts,
   * but a trace cut short by a crash may not: what was in flight then ended as failed.
   */
  private settleRunning(): void {
    for (const id of this.state.order) {
      const current = this.state.steps[id];
      if (current.status !== 'running' && current.status !== 'retrying') continue;
      const step = this.step(id);
      const execution = this.execution(step, step.visits, false);
      for (const item of execution.items) if (item.status === 'running' || item.status === 'retrying') this.item(execution, item.index).status = 'failed';
      if (execution.status === 'running' || execution.status === 'retrying') execution.status = 'failed';
      this.recompute(step, execution);
    }
  }

  private step(id: string): StepViewModel {
    const s = this.state;
    if (!this.stepsCopied) {
      s.steps = { ...s.steps };
      this.stepsCopied = true;
    }
    let step = s.steps[id];
    if (!step) {
      step = { id, depth: 0, forEach: false, inWorkflow: false, status: 'pending', visits: 0, attempts: 0, executions: [], usage: ZERO_USAGE, calls: 0 };
      s.steps[id] = step;
      if (!this.orderCopied) {
        s.order = [...s.order];
        this.orderCopied = true;
      }
      s.order.push(id);
      this.touched.add(id);
      return step;
    }
    if (!this.touched.has(id)) {
      step = { ...step, executions: [...step.executions] };
      s.steps[id] = step;
      this.touched.add(id);
    }
    return step;
  }

  /** The execution for `visit`, copied for this batch; a new visit starts a new one. */
  private execution(step: StepViewModel, visit: number, starting: boolean): ExecutionView {
    const at = step.executions.findIndex((e) => e.visit === visit);
    if (at === -1) {
      const created: ExecutionView = { visit, status: 'running', attempt: starting ? 1 : 0, streamed: '', hasOutput: false, retries: [], items: [] };
      this.fresh.add(created);
      // Visits arrive in order, but keep the list sorted should a trace say otherwise.
      step.executions.push(created);
      step.executions.sort((a, b) => a.visit - b.visit);
      return created;
    }
    let execution = step.executions[at];
    if (!this.fresh.has(execution)) {
      execution = { ...execution, items: [...execution.items] };
      this.fresh.add(execution);
      step.executions[at] = execution;
    }
    return execution;
  }

  private item(execution: ExecutionView, index: number): ItemView {
    let lo = 0;
    let hi = execution.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (execution.items[mid].index < index) lo = mid + 1;
      else hi = mid;
    }
    let item = execution.items[lo];
    if (item?.index !== index) {
      item = { index, status: 'running', attempt: 0, streamed: '', hasOutput: false, retries: [] };
      this.fresh.add(item);
      execution.items.splice(lo, 0, item);
      return item;
    }
    if (!this.fresh.has(item)) {
      item = { ...item };
      this.fresh.add(item);
      execution.items[lo] = item;
    }
    return item;
  }
}
