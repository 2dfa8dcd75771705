/**
 * What the server knows of each run: its events in order (numbered from 1, the SSE
 * event ids) and the state folded from them, with listeners for live streams.
 * Both modes feed it: the embedded runner directly, the queue from Redis.
 */
import type { RunEvent } from '../engine';
import { initialRunState, RunStateBuilder, type StepInfo } from '../engine/state';
import { isEnded, servedRunState, type ServedRunState } from './run-state';

export type RunListener = (event: RunEvent, number: number) => void;

export class RunRecord {
  readonly events: RunEvent[] = [];
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
    if (this.ended) for (const resolve of this.endWaiters.splice(0)) resolve();
    return true;
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
