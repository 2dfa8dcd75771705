/**
 * `reduceRun(state, event)`: the run state after one more event. Pure and
 * incremental: the state given is never changed, unchanged steps keep their object
 * identity (a renderer can skip them by reference), and a batch copies each step it
 * touches once, not once per event. Folding a stream in one batch or event by event
 * gives the same state.
 *
 * An owner that never shares intermediate states (the runner, the CLI, a server's
 * run) folds with a {@link RunStateBuilder} instead: the same code, in place, so a
 * 10,000-step run does not copy its step table once per event.
 */
import type { ModelCallRecord, RunEvent, Usage } from '../types';
import { isActive, isRunEnded, refKey, ZERO_USAGE, type AttemptState, type ExecutionState, type ItemState, type RunState, type StepState } from './run-state';
import { foldToolCall, settleToolCalls } from './tool-calls';

/** Folds one event. Prefer {@link reduceEvents} for a batch: it copies each changed step once. */
export function reduceRun(state: RunState, event: RunEvent): RunState {
  return reduceEvents(state, [event]);
}

/** Folds a batch of events, in order, into a new state. `state` is left as it was. */
export function reduceEvents(state: RunState, events: readonly RunEvent[]): RunState {
  if (events.length === 0) return state;
  const draft = new Draft(state, false);
  for (const event of events) draft.apply(event);
  return draft.state;
}

/**
 * A trace that stops without an end event (the process was killed): the run is
 * interrupted, and nothing in it is running any more.
 */
export function markInterrupted(state: RunState): RunState {
  if (isRunEnded(state) || state.status === 'interrupted') return state;
  const draft = new Draft(state, false);
  draft.interrupt();
  return draft.state;
}

/** Owns one run state and folds events into it in place. `state` is the live object. */
export class RunStateBuilder {
  private readonly draft: Draft;

  constructor(initial: RunState) {
    this.draft = new Draft(initial, true);
  }

  get state(): RunState {
    return this.draft.state;
  }

  apply(event: RunEvent): void {
    this.draft.apply(event);
  }

  interrupt(): void {
    this.draft.interrupt();
  }
}

function addUsage(a: Usage, b: Usage | undefined): Usage {
  if (!b) return a;
  return { inputTokens: a.inputTokens + b.inputTokens, outputTokens: a.outputTokens + b.outputTokens, totalTokens: a.totalTokens + b.totalTokens };
}

function addCost(a: number | undefined, b: number | undefined): number | undefined {
  return b === undefined ? a : (a ?? 0) + b;
}

function own<T>(record: Record<string, T>, key: string): T | undefined {
  return Object.hasOwn(record, key) ? record[key] : undefined;
}

type StepEvent = Extract<RunEvent, { stepId: string }>;

/**
 * Copy-on-write over one state: the run object is copied once, each step touched
 * by the batch once (with its executions array and the touched execution/item).
 * In place (`inPlace`), nothing is copied.
 */
class Draft {
  readonly state: RunState;
  private stepsCopied: boolean;
  private orderCopied: boolean;
  private readonly touched = new Set<string>();
  /** Executions and items already copied in this batch, so later events mutate them in place. */
  private readonly fresh = new WeakSet<object>();

  constructor(
    previous: RunState,
    private readonly inPlace: boolean,
  ) {
    this.state = inPlace ? previous : { ...previous };
    this.stepsCopied = inPlace;
    this.orderCopied = inPlace;
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
        if (event.nextStepId !== undefined) s.pausedBefore = event.nextStepId;
        else delete s.pausedBefore;
        return;
      case 'run.resumed':
        delete s.pausedBefore;
        s.status = s.held ? 'paused' : 'running';
        return;
      case 'step.held': {
        const { type: _type, runId: _runId, seq: _seq, time, ...ref } = event;
        const key = refKey(ref);
        this.step(ref.stepId);
        s.held = [...(s.held ?? []).filter((h) => h.key !== key), { ...ref, key, since: time }];
        if (s.status === 'running') s.status = 'paused';
        return;
      }
      case 'step.released': {
        const key = refKey(event);
        const held = (s.held ?? []).filter((h) => h.key !== key);
        if (held.length > 0) s.held = held;
        else {
          delete s.held;
          if (s.status === 'paused' && s.pausedBefore === undefined) s.status = 'running';
        }
        return;
      }
      case 'run.completed':
      case 'run.failed':
      case 'run.cancelled':
        if (s.pausedBefore !== undefined) delete s.pausedBefore;
        if (s.held !== undefined) delete s.held;
        s.status = event.type === 'run.completed' ? 'succeeded' : event.type === 'run.failed' ? 'failed' : 'cancelled';
        s.durationMs = event.durationMs;
        // The run's own totals are authoritative: they leave out restored steps and count what the engine counted.
        s.totals = { ...s.totals, usage: { ...event.usage } };
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
    delete this.state.pausedBefore;
    delete this.state.held;
    this.state.status = 'interrupted';
    this.settleRunning();
  }

  private applyStep(event: StepEvent): void {
    const s = this.state;
    const step = this.step(event.stepId);
    if (s.pausedBefore === step.id && event.type === 'step.started') delete s.pausedBefore;
    const execution = this.execution(step, event);
    const target: AttemptState = event.index === undefined ? execution : this.item(execution, event.index, event.seq);
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
        if (event.request) target.call = event.request;
        // A retry keeps the execution's start: elapsed covers every attempt.
        if (target.startedAt === undefined) target.startedAt = event.time;
        break;
      }
      case 'step.delta':
        // A delta of an attempt already given up on (it raced the retry) would corrupt the next attempt's text.
        if (event.attempt === target.attempt) target.streamed += event.text;
        return;
      case 'step.completed':
        target.status = 'succeeded';
        target.attempt = event.attempt;
        target.hasOutput = true;
        target.output = event.output;
        target.durationMs = event.durationMs;
        if (target.error !== undefined) delete target.error;
        if (target.startedAt === undefined) target.startedAt = event.time - event.durationMs;
        if (event.call) target.call = event.call;
        if (event.restored && event.index === undefined) execution.restored = true;
        if (event.call && !event.restored) this.countCall(step, event.call);
        break;
      case 'step.failed':
        target.status = event.error.code === 'cancelled' ? 'cancelled' : 'failed';
        target.attempt = event.attempt;
        target.error = event.error;
        target.durationMs = event.durationMs;
        if (event.partialOutput !== undefined) target.partialOutput = event.partialOutput;
        if (event.call) {
          target.call = event.call;
          this.countCall(step, event.call);
        }
        break;
      case 'step.retrying': {
        target.status = 'retrying';
        target.attempt = event.attempt;
        const retry = { attempt: event.attempt, error: event.error, delayMs: event.delayMs, ...(event.partialOutput !== undefined ? { partialOutput: event.partialOutput } : {}) };
        target.retries = [...target.retries, retry];
        if (event.call) {
          target.call = event.call;
          this.countCall(step, event.call);
        }
        break;
      }
      case 'step.skipped':
        target.status = 'skipped';
        if (event.index === undefined) execution.skipReason = event.reason;
        target.durationMs = 0;
        break;
      case 'tool.started':
      case 'tool.completed':
      case 'tool.failed':
        // A call counts once: when it starts, or when it was refused before it could.
        if (event.type === 'tool.started' || !target.tools?.some((call) => call.callId === event.callId)) step.toolCalls = (step.toolCalls ?? 0) + 1;
        target.tools = foldToolCall(target.tools, event, target.attempt);
        return;
    }
    this.recompute(step, execution);
  }

  /** The step's status and counters follow its latest execution. */
  private recompute(step: StepState, execution: ExecutionState): void {
    if (step.executions[step.executions.length - 1] !== execution) return;
    step.visits = Math.max(step.visits, execution.visit);
    step.attempts = execution.attempt;
    step.status = execution.status;
  }

  private countCall(step: StepState, call: ModelCallRecord): void {
    step.usage = this.added(step.usage, call.usage);
    step.costUsd = addCost(step.costUsd, call.costUsd);
    step.calls++;
    const totals = this.inPlace ? this.state.totals : { ...this.state.totals };
    totals.usage = this.added(totals.usage, call.usage);
    const cost = addCost(totals.costUsd, call.costUsd);
    if (cost !== undefined) totals.costUsd = cost;
    totals.calls++;
    if (call.cache?.hit) totals.cacheHits++;
    this.state.totals = totals;
  }

  /** `a + b`: a new object when sharing, added in place when the state is owned (no garbage per call). */
  private added(a: Usage, b: Usage | undefined): Usage {
    if (!b) return a;
    if (!this.inPlace || a === ZERO_USAGE) return addUsage(a, b);
    a.inputTokens += b.inputTokens;
    a.outputTokens += b.outputTokens;
    a.totalTokens += b.totalTokens;
    return a;
  }

  /**
   * When a run ends nothing runs any more. The engine reports each execution it
   * aborts, but a trace cut short by a crash does not: what was in flight was cancelled.
   */
  private settleRunning(): void {
    for (const id of this.state.order) {
      const current = this.state.steps[id];
      if (!current.executions.some((e) => isActive(e.status) || e.items.some((i) => isActive(i.status)))) continue;
      const step = this.step(id);
      for (let at = 0; at < step.executions.length; at++) {
        const before = step.executions[at];
        if (!isActive(before.status) && !before.items.some((i) => isActive(i.status))) continue;
        const execution = this.executionAt(step, at);
        for (const item of execution.items) {
          if (!isActive(item.status)) continue;
          const settled = this.item(execution, item.index);
          settled.status = 'cancelled';
          const tools = settleToolCalls(settled.tools);
          if (tools) settled.tools = tools;
        }
        if (isActive(execution.status)) {
          execution.status = 'cancelled';
          const tools = settleToolCalls(execution.tools);
          if (tools) execution.tools = tools;
        }
        this.recompute(step, execution);
      }
    }
  }

  private step(id: string): StepState {
    const s = this.state;
    if (!this.stepsCopied) {
      s.steps = Object.assign(Object.create(null) as Record<string, StepState>, s.steps);
      this.stepsCopied = true;
    }
    let step = own(s.steps, id);
    if (!step) {
      step = { id, depth: 0, forEach: false, inWorkflow: false, status: 'pending', visits: 0, attempts: 0, executions: [], usage: ZERO_USAGE, calls: 0 };
      if (!this.orderCopied) {
        s.order = [...s.order];
        this.orderCopied = true;
      }
      // A sub-workflow's step (`review/draft`) is listed under the `uses:` step that ran it.
      const parentId = id.includes('/') ? id.slice(0, id.lastIndexOf('/')) : undefined;
      const parent = parentId === undefined ? undefined : own(s.steps, parentId);
      if (parent && parentId !== undefined) {
        step.parentId = parentId;
        step.depth = parent.depth + 1;
        let at = s.order.indexOf(parentId) + 1;
        while (at < s.order.length && s.order[at].startsWith(`${parentId}/`)) at++;
        s.order.splice(at, 0, id);
      } else {
        s.order.push(id);
      }
      s.steps[id] = step;
      this.touched.add(id);
      return step;
    }
    if (!this.inPlace && !this.touched.has(id)) {
      step = { ...step, executions: [...step.executions] };
      s.steps[id] = step;
      this.touched.add(id);
    }
    return step;
  }

  /** The execution an event belongs to (same parent and visit), created when it starts. */
  private execution(step: StepState, event: StepEvent): ExecutionState {
    const list = step.executions;
    // The latest is the usual one; search backwards so long loops stay cheap.
    for (let at = list.length - 1; at >= 0; at--) {
      const candidate = list[at];
      if (candidate.visit === event.visit && candidate.parent === event.parent) return this.executionAt(step, at);
    }
    const created: ExecutionState = { visit: event.visit, seq: event.seq, status: 'running', attempt: 0, streamed: '', hasOutput: false, retries: [], items: [] };
    if (event.parent !== undefined) created.parent = event.parent;
    this.fresh.add(created);
    list.push(created);
    return created;
  }

  private executionAt(step: StepState, at: number): ExecutionState {
    let execution = step.executions[at];
    if (!this.inPlace && !this.fresh.has(execution)) {
      execution = { ...execution, items: [...execution.items] };
      this.fresh.add(execution);
      step.executions[at] = execution;
    }
    return execution;
  }

  private item(execution: ExecutionState, index: number, seq = 0): ItemState {
    let lo = 0;
    let hi = execution.items.length;
    while (lo < hi) {
      const mid = (lo + hi) >> 1;
      if (execution.items[mid].index < index) lo = mid + 1;
      else hi = mid;
    }
    let item = execution.items[lo];
    if (item?.index !== index) {
      item = { index, seq, status: 'running', attempt: 0, streamed: '', hasOutput: false, retries: [] };
      this.fresh.add(item);
      execution.items.splice(lo, 0, item);
      return item;
    }
    if (!this.inPlace && !this.fresh.has(item)) {
      item = { ...item };
      this.fresh.add(item);
      execution.items[lo] = item;
    }
    return item;
  }
}


