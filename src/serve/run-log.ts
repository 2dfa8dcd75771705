/**
 * What the server knows of each run: its events in order (numbered from 1, the SSE
 * event ids) and the state folded from them, with listeners for live streams.
 * Both modes feed it: the embedded runner directly, the queue from Redis.
 */
import type { RunEvent } from '../engine';
import { initialRunState, RunStateBuilder, type RunState, type StepInfo } from '../engine/state';
import { isEnded, servedRunState, type ServedRunState } from './run-state';

export type RunListener = (event: RunEvent, number: number) => void;

/**
 * Where a stream stands: after event `event` and, when deltas are followed, after
 * the `delta`-th `step.delta` that came after that event. Its text form is the SSE id:
 * `5` for the fifth event, `5.3` for the third delta after it.
 */
export interface StreamPosition {
  event: number;
  delta: number;
}

/** Told each event, with its SSE id. */
export type StreamListener = (event: RunEvent, id: string) => void;

export function parsePosition(text: string | undefined): StreamPosition {
  const match = /^(\d{1,9})(?:\.(\d{1,9}))?$/.exec(text ?? '');
  return match ? { event: Number(match[1]), delta: Number(match[2] ?? 0) } : { event: 0, delta: 0 };
}

export class RunRecord {
  readonly events: RunEvent[] = [];
  /** The `step.delta` events that came after each event number (0: before the first); kept apart so the numbering of events stays 1, 2, 3… */
  private readonly deltas = new Map<number, RunEvent[]>();
  private readonly streamListeners = new Set<{ deltas: boolean; listener: StreamListener }>();
  readonly createdAt: number;
  /** The engine's run state, folded in place by its reducer. */
  private readonly builder: RunStateBuilder;
  private readonly listeners = new Set<RunListener>();
  private readonly endWaiters: (() => void)[] = [];

  constructor(
    readonly id: string,
    readonly workflow: string,
    createdAt: number,
    /** The workflow's steps, so the ones not reached yet are listed as pending. */
    steps: readonly StepInfo[] = [],
  ) {
    this.builder = new RunStateBuilder(initialRunState({ name: workflow, file: workflow }, steps));
    this.createdAt = createdAt;
  }

  /** The engine's run state itself (what `orchestrate test` checks expectations against). */
  get runState(): RunState {
    return this.builder.state;
  }

  /** The state as the API serves it. */
  get state(): ServedRunState {
    return servedRunState(this.id, this.workflow, this.builder.state);
  }

  /** Adds the event numbered `number` (1-based); a number already seen is ignored, so a replay after a reconnect is harmless. */
  add(event: RunEvent, number = this.events.length + 1): boolean {
    if (number !== this.events.length + 1) return false;
    this.events.push(event);
    // A run re-delivered after its worker died starts again: what the dead delivery left in flight was interrupted.
    if (event.type === 'run.started' && this.builder.state.status !== 'idle' && !isEnded(this.builder.state)) this.builder.interrupt();
    this.builder.apply(event);
    for (const listener of this.listeners) listener(event, number);
    for (const { listener } of this.streamListeners) listener(event, String(number));
    if (this.ended) for (const resolve of this.endWaiters.splice(0)) resolve();
    return true;
  }

  /**
   * Adds a `step.delta`, the `index`-th (1-based) after event number `after`; anything
   * out of that order is ignored (a replay after a reconnect, or a delta whose event
   * has not arrived yet).
   */
  addDelta(event: RunEvent, after = this.events.length, index = (this.deltas.get(after)?.length ?? 0) + 1): boolean {
    if (after !== this.events.length || this.ended) return false;
    const list = this.deltas.get(after) ?? [];
    if (index !== list.length + 1) return false;
    list.push(event);
    this.deltas.set(after, list);
    const id = `${after}.${index}`;
    for (const { deltas, listener } of this.streamListeners) if (deltas) listener(event, id);
    return true;
  }

  /** The deltas after event number `after`, for tests and tools. */
  deltasAfter(after: number): readonly RunEvent[] {
    return this.deltas.get(after) ?? [];
  }

  /**
   * Calls `listener` with every event after `from` (and, when `deltas`, every
   * `step.delta` in its place among them), then live ones; returns the unsubscribe.
   */
  stream(from: StreamPosition, deltas: boolean, listener: StreamListener): () => void {
    const replayDeltas = (after: number, skip: number) => {
      if (!deltas) return;
      const list = this.deltas.get(after) ?? [];
      for (let k = skip; k < list.length; k++) listener(list[k], `${after}.${k + 1}`);
    };
    const start = Math.max(0, from.event);
    replayDeltas(start, from.delta);
    for (let i = start; i < this.events.length; i++) {
      listener(this.events[i], String(i + 1));
      replayDeltas(i + 1, 0);
    }
    const entry = { deltas, listener };
    this.streamListeners.add(entry);
    return () => this.streamListeners.delete(entry);
  }

  get ended(): boolean {
    return isEnded(this.builder.state);
  }

  /** Calls `listener` with every event after `after`, then live ones; returns the unsubscribe. */
  subscribe(after: number, listener: RunListener): () => void {
    for (let i = Math.max(0, after); i < this.events.length; i++) listener(this.events[i], i + 1);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** A run read back from a trace that has no end: it was killed (or another process is still writing it). */
  markInterrupted(): void {
    if (!this.ended) this.builder.interrupt();
  }

  /** Resolves when the run has ended. */
  whenEnded(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => this.endWaiters.push(resolve));
  }
}

/** Ended runs kept in memory beyond this many are dropped, oldest first; they are read back from their traces (or Redis) when asked for. */
const KEPT_ENDED_RUNS = 2000;

export class RunLog {
  private readonly runs = new Map<string, RunRecord>();

  create(id: string, workflow: string, createdAt: number, steps: readonly StepInfo[] = []): RunRecord {
    const record = new RunRecord(id, workflow, createdAt, steps);
    this.runs.set(id, record);
    if (this.runs.size > KEPT_ENDED_RUNS) this.forgetOldEnded();
    return record;
  }

  private forgetOldEnded(): void {
    const ended = [...this.runs.values()].filter((record) => record.ended).sort((a, b) => a.createdAt - b.createdAt);
    for (const record of ended.slice(0, Math.max(0, this.runs.size - KEPT_ENDED_RUNS))) this.runs.delete(record.id);
  }

  get(id: string): RunRecord | undefined {
    return this.runs.get(id);
  }

  /** Newest first. */
  list(): RunRecord[] {
    return [...this.runs.values()].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  }
}
