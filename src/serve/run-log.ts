/**
 * What the server knows of each run: its events in order (numbered from 1, the SSE
 * event ids) and the state folded from them, with listeners for live streams.
 * Both modes feed it: the embedded runner directly, the queue from Redis.
 */
import type { RunEvent } from '../engine';
import { foldRunEvent, isEnded, queuedRunState, type ServedRunState } from './run-state';

export type RunListener = (event: RunEvent, number: number) => void;

export class RunRecord {
  readonly events: RunEvent[] = [];
  state: ServedRunState;
  readonly createdAt: number;
  private readonly listeners = new Set<RunListener>();
  private readonly endWaiters: (() => void)[] = [];

  constructor(
    readonly id: string,
    readonly workflow: string,
    createdAt: number,
  ) {
    this.state = queuedRunState(id, workflow);
    this.createdAt = createdAt;
  }

  /** Adds the event numbered `number` (1-based); a number already seen is ignored, so a replay after a reconnect is harmless. */
  add(event: RunEvent, number = this.events.length + 1): boolean {
    if (number !== this.events.length + 1) return false;
    this.events.push(event);
    this.state = foldRunEvent(this.state, event);
    for (const listener of this.listeners) listener(event, number);
    if (isEnded(this.state)) for (const resolve of this.endWaiters.splice(0)) resolve();
    return true;
  }

  get ended(): boolean {
    return isEnded(this.state);
  }

  /** Calls `listener` with every event after `after`, then live ones; returns the unsubscribe. */
  subscribe(after: number, listener: RunListener): () => void {
    for (let i = Math.max(0, after); i < this.events.length; i++) listener(this.events[i], i + 1);
    this.listeners.add(listener);
    return () => this.listeners.delete(listener);
  }

  /** Resolves when the run has ended. */
  whenEnded(): Promise<void> {
    if (this.ended) return Promise.resolve();
    return new Promise((resolve) => this.endWaiters.push(resolve));
  }
}

export class RunLog {
  private readonly runs = new Map<string, RunRecord>();

  create(id: string, workflow: string, createdAt: number): RunRecord {
    const record = new RunRecord(id, workflow, createdAt);
    this.runs.set(id, record);
    return record;
  }

  get(id: string): RunRecord | undefined {
    return this.runs.get(id);
  }

  /** Newest first. */
  list(): RunRecord[] {
    return [...this.runs.values()].sort((a, b) => b.createdAt - a.createdAt || (a.id < b.id ? 1 : -1));
  }
}
