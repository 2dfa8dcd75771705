import type { Clock } from '../types';

/**
 * Cancellation that follows the shape of a run: the run's scope holds each step's,
 * a `parallel` or `for_each` step's holds its branches' and items', a sub-workflow's
 * run hangs under the step that started it. Aborting a scope aborts everything
 * inside it, so a step's `timeout` stops its branches too and nothing outlives it.
 *
 * Children are kept in a Set rather than as listeners on the parent's signal: a
 * thousand branches adding and removing listeners on one AbortSignal costs
 * O(branches) each (Node's EventTarget walks its list), a Set costs O(1).
 */
export class CancelScope {
  private readonly controller = new AbortController();
  private readonly children = new Set<CancelScope>();
  /** Whether a caller is using this scope's own signal (see {@link attempt}). */
  private lent = false;

  constructor(private readonly parent?: CancelScope) {
    if (!parent) return;
    if (parent.signal.aborted) this.controller.abort(parent.signal.reason);
    else parent.children.add(this);
  }

  get signal(): AbortSignal {
    return this.controller.signal;
  }

  get aborted(): boolean {
    return this.controller.signal.aborted;
  }

  abort(reason: unknown): void {
    if (this.controller.signal.aborted) return;
    this.controller.abort(reason);
    for (const child of this.children) child.abort(reason);
    this.children.clear();
  }

  /** Detaches from the parent: call when the work the scope covered is over. */
  close(): void {
    this.parent?.children.delete(this);
  }

  /**
   * Runs one attempt of a step inside this scope. An attempt running alone with no
   * timeout uses this scope's own signal (no controller to create: a few µs, a third
   * of a short step's cost); concurrent ones, and any with a timeout, get a child,
   * aborted with `timeout.error()` when the time is up.
   *
   * `ownCode`: the attempt is the engine's own work (branches, items, a sub-workflow),
   * which stops promptly when aborted; after an abort it is awaited, so everything
   * inside has settled (and said so) before the attempt ends. A provider call is not
   * awaited after an abort: a provider that ignores its signal must not hold the run.
   */
  async attempt<T>(fn: (scope: CancelScope) => Promise<T>, options: AttemptOptions): Promise<T> {
    if (!options.concurrent && !options.timeout && !this.lent) {
      this.lent = true;
      try {
        return await this.settled(fn(this), this.signal, options.ownCode);
      } finally {
        this.lent = false;
      }
    }
    const child = new CancelScope(this);
    const timer = options.timeout ? new AbortController() : undefined;
    if (options.timeout && timer) {
      const { clock, ms, error } = options.timeout;
      clock.sleep(ms, timer.signal).then(
        () => child.abort(error()),
        () => undefined,
      );
    }
    try {
      return await this.settled(fn(child), child.signal, options.ownCode);
    } finally {
      timer?.abort();
      child.close();
    }
  }

  private async settled<T>(work: Promise<T>, signal: AbortSignal, ownCode: boolean): Promise<T> {
    try {
      return await raceAbort(work, signal);
    } catch (error) {
      if (ownCode && signal.aborted) await work.catch(() => undefined);
      throw error;
    }
  }
}

export interface AttemptOptions {
  /** Other attempts run beside this one in the same scope. */
  concurrent: boolean;
  ownCode: boolean;
  timeout?: { ms: number; clock: Clock; error: () => unknown };
}

/** Settles with `work`, or rejects as soon as `signal` aborts, even if `work` ignores the signal. */
export function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}
