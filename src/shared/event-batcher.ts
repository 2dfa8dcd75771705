/**
 * Batches a run's events on their way to the webview: at most one post per frame
 * (1/60 s by default), with the `step.delta`s of each step execution merged into
 * one. Twenty steps streaming a hundred tokens a second each would otherwise be
 * 2,000 posts a second, each a structured clone and a message-loop turn in the
 * workbench; batched they are at most 60, whatever the token rate.
 *
 * Order is kept where it matters: a delta is merged only into a pending delta of
 * the same step execution and attempt with no other event of that execution in
 * between, so `step.completed` still comes after every delta it follows. Events of
 * different steps are independent, so their relative order inside a batch is free.
 */
import type { RunEvent } from '../engine/types';

/** How the batcher waits; tests pass a fake one. */
export interface BatchScheduler {
  now(): number;
  setTimeout(callback: () => void, ms: number): unknown;
  clearTimeout(handle: unknown): void;
}

export const systemScheduler: BatchScheduler = {
  now: () => performance.now(),
  setTimeout: (callback, ms) => setTimeout(callback, ms),
  clearTimeout: (handle) => clearTimeout(handle as ReturnType<typeof setTimeout>),
};

/** One frame at 60 Hz: the webview cannot show more often than this anyway. */
export const FRAME_MS = 1000 / 60;

export interface EventBatcherOptions {
  /** Minimum time between two flushes, in ms (default {@link FRAME_MS}). */
  intervalMs?: number;
  scheduler?: BatchScheduler;
}

type DeltaEvent = Extract<RunEvent, { type: 'step.delta' }>;

/** The execution (and attempt) a step event belongs to. */
function executionKey(event: Extract<RunEvent, { stepId: string }>): string {
  return `${event.stepId}\u0000${event.visit}\u0000${event.index ?? ''}`;
}

export class EventBatcher {
  private pending: RunEvent[] = [];
  /** Per execution: the pending delta later deltas of the same attempt merge into. */
  private openDeltas = new Map<string, DeltaEvent>();
  private timer: unknown;
  private lastFlush = -Infinity;
  private disposed = false;
  private readonly intervalMs: number;
  private readonly scheduler: BatchScheduler;

  constructor(
    private readonly flush: (events: RunEvent[]) => void,
    options: EventBatcherOptions = {},
  ) {
    this.intervalMs = options.intervalMs ?? FRAME_MS;
    this.scheduler = options.scheduler ?? systemScheduler;
  }

  /** Events waiting for the next flush. */
  get size(): number {
    return this.pending.length;
  }

  push(event: RunEvent): void {
    if (this.disposed) return;
    if (event.type === 'step.delta') {
      const key = executionKey(event);
      const open = this.openDeltas.get(key);
      if (open && open.attempt === event.attempt) {
        open.text += event.text;
        open.time = event.time;
      } else {
        // A copy: merging must never write into the event the session keeps.
        const copy = { ...event };
        this.pending.push(copy);
        this.openDeltas.set(key, copy);
      }
    } else {
      if ('stepId' in event) this.openDeltas.delete(executionKey(event));
      this.pending.push(event);
    }
    this.schedule();
  }

  /** Posts what is pending now (before a `run/show` replaces it, or on dispose). */
  flushNow(): void {
    if (this.timer !== undefined) {
      this.scheduler.clearTimeout(this.timer);
      this.timer = undefined;
    }
    if (this.pending.length === 0) return;
    const batch = this.pending;
    this.pending = [];
    this.openDeltas = new Map();
    this.lastFlush = this.scheduler.now();
    this.flush(batch);
  }

  /** Drops what is pending (the webview is about to get every event again). */
  clear(): void {
    if (this.timer !== undefined) this.scheduler.clearTimeout(this.timer);
    this.timer = undefined;
    this.pending = [];
    this.openDeltas = new Map();
  }

  dispose(): void {
    this.clear();
    this.disposed = true;
  }

  private schedule(): void {
    if (this.timer !== undefined) return;
    const wait = Math.max(0, this.lastFlush + this.intervalMs - this.scheduler.now());
    this.timer = this.scheduler.setTimeout(() => {
      this.timer = undefined;
      this.flushNow();
    }, wait);
  }
}

/** The same merging for a list of events at once (the replay a `run/show` carries). */
export function coalesceDeltas(events: readonly RunEvent[]): RunEvent[] {
  const out: RunEvent[] = [];
  const batcher = new EventBatcher((batch) => out.push(...batch), { scheduler: { now: () => 0, setTimeout: () => 0, clearTimeout: () => undefined } });
  for (const event of events) batcher.push(event);
  batcher.flushNow();
  return out;
}
