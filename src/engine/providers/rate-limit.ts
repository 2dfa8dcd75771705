/**
 * A per-provider limiter: at most `maxConcurrent` calls in flight, and token buckets
 * for requests per minute and tokens per minute. Callers wait their turn in FIFO
 * order, so a 1,000-item `for_each` becomes an orderly queue that a provider's limits
 * can take, instead of a burst of 429s. Waiting respects an `AbortSignal`, and the
 * clock is injectable so tests run in simulated time.
 *
 * Why token buckets with a small burst rather than a 60-second sliding window: a
 * window would let a whole minute's budget out at once, and servers enforce their
 * per-minute limits over much shorter periods (OpenAI documents that 600 rpm may be
 * enforced as 10 requests per second). A bucket that holds half a second's worth
 * and refills continuously spreads requests evenly and leaves the server headroom
 * for network jitter.
 */
import { systemClock } from '../clock';
import type { Clock } from '../types';

export interface RateLimiterOptions {
  /** Calls in flight at once. Unlimited when absent. */
  maxConcurrent?: number;
  /** Requests per minute. Unlimited when absent. */
  rpm?: number;
  /** Tokens (prompt + completion) per minute. Unlimited when absent. */
  tpm?: number;
  /**
   * Requests that may start back to back when the bucket is full.
   * Default: half a second's worth of `rpm`, at least 1.
   */
  burst?: number;
  /**
   * Tokens that may be spent back to back when the bucket is full. Default: one
   * second's worth of `tpm`. A single request larger than this still goes when
   * the bucket is full (the bucket then runs into debt), so nothing waits forever.
   */
  tokenBurst?: number;
  /** Time source; the real clock when absent. */
  clock?: Clock;
}

/** A granted place. Release it exactly once, when the call ends (however it ends). */
export interface RateLimitSlot {
  /**
   * Frees the concurrency place. `actualTokens` (the usage the server reported)
   * corrects the token budget for the estimate made when the slot was asked for.
   */
  release(actualTokens?: number): void;
}

interface Waiter {
  tokens: number;
  resolve(slot: RateLimitSlot): void;
  reject(reason: unknown): void;
  cleanup(): void;
}

/** The real clock, read from `performance.now()`: monotonic, which is all the limiter needs. */
const monotonicClock: Clock = { now: () => performance.now(), sleep: systemClock.sleep };

/** Estimates a request's tokens as the issue prescribes: characters / 4 of the prompt, plus the completion budget. */
export function estimateTokens(promptChars: number, maxTokens: number | undefined, defaultCompletion = 256): number {
  return Math.ceil(promptChars / 4) + (maxTokens ?? defaultCompletion);
}

export class RateLimiter {
  readonly maxConcurrent: number;
  readonly rpm?: number;
  readonly tpm?: number;
  private readonly clock: Clock;
  private readonly requestCapacity: number;
  private readonly tokenCapacity: number;
  private requestTokens: number;
  private tokenBudget: number;
  private lastRefill: number;
  private pausedUntil = 0;
  private activeCount = 0;
  private readonly queue: Waiter[] = [];
  private timer?: { due: number; abort: AbortController };

  constructor(options: RateLimiterOptions = {}) {
    this.clock = options.clock ?? monotonicClock;
    this.maxConcurrent = positiveOr(options.maxConcurrent, Number.POSITIVE_INFINITY);
    this.rpm = positiveOr(options.rpm, undefined);
    this.tpm = positiveOr(options.tpm, undefined);
    this.requestCapacity = this.rpm ? positiveOr(options.burst, Math.max(1, Math.floor(this.rpm / 120))) : 0;
    this.tokenCapacity = this.tpm ? positiveOr(options.tokenBurst, Math.max(1, Math.floor(this.tpm / 60))) : 0;
    this.requestTokens = this.requestCapacity;
    this.tokenBudget = this.tokenCapacity;
    this.lastRefill = this.clock.now();
  }

  /** Calls holding a slot now. */
  get active(): number {
    return this.activeCount;
  }

  /** Calls waiting for a slot. */
  get queued(): number {
    return this.queue.length;
  }

  /**
   * Waits for a slot for a request of about `tokens` tokens. Rejects with the
   * signal's reason, and leaves the queue, when `signal` aborts first.
   */
  acquire(tokens = 0, signal?: AbortSignal): Promise<RateLimitSlot> {
    if (signal?.aborted) return Promise.reject(signal.reason);
    return new Promise<RateLimitSlot>((resolve, reject) => {
      const onAbort = (): void => {
        const index = this.queue.indexOf(waiter);
        if (index >= 0) this.queue.splice(index, 1);
        reject(signal?.reason);
        // The head may have changed: someone behind the leaver may go now.
        this.pump();
      };
      const waiter: Waiter = {
        tokens: Math.max(0, tokens),
        resolve,
        reject,
        cleanup: () => signal?.removeEventListener('abort', onAbort),
      };
      signal?.addEventListener('abort', onAbort, { once: true });
      this.queue.push(waiter);
      this.pump();
    });
  }

  /**
   * Holds back new grants for `ms` (a server's `Retry-After`): when one call hit a
   * 429 the others queued behind it should not hit it too.
   */
  pauseFor(ms: number): void {
    if (!(ms > 0)) return;
    this.pausedUntil = Math.max(this.pausedUntil, this.clock.now() + ms);
    this.pump();
  }

  private refill(now: number): void {
    const elapsed = Math.max(0, now - this.lastRefill);
    this.lastRefill = now;
    if (this.rpm) this.requestTokens = Math.min(this.requestCapacity, this.requestTokens + (elapsed * this.rpm) / 60_000);
    if (this.tpm) this.tokenBudget = Math.min(this.tokenCapacity, this.tokenBudget + (elapsed * this.tpm) / 60_000);
  }

  /**
   * How long until `waiter` could go, in ms: 0 if it may go now, `Infinity` if only a
   * release can help (all concurrency places taken).
   */
  private waitFor(waiter: Waiter, now: number): number {
    if (this.activeCount >= this.maxConcurrent) return Number.POSITIVE_INFINITY;
    let wait = Math.max(0, this.pausedUntil - now);
    // Small epsilons absorb floating-point dust from the refill arithmetic.
    if (this.rpm && this.requestTokens < 1 - 1e-9) {
      wait = Math.max(wait, ((1 - this.requestTokens) * 60_000) / this.rpm);
    }
    if (this.tpm) {
      const needed = Math.min(waiter.tokens, this.tokenCapacity);
      if (this.tokenBudget < needed - 1e-9) wait = Math.max(wait, ((needed - this.tokenBudget) * 60_000) / this.tpm);
    }
    return wait;
  }

  /** Grants slots to the head of the queue while it can go; otherwise sets one timer for when it can. */
  private pump(): void {
    while (this.queue.length > 0) {
      const now = this.clock.now();
      this.refill(now);
      const head = this.queue[0]!;
      const wait = this.waitFor(head, now);
      if (wait === Number.POSITIVE_INFINITY) return; // a release will pump again
      if (wait > 0) {
        this.schedule(now + wait);
        return;
      }
      this.queue.shift();
      head.cleanup();
      head.resolve(this.grant(head.tokens));
    }
  }

  private grant(tokens: number): RateLimitSlot {
    this.activeCount++;
    if (this.rpm) this.requestTokens -= 1;
    if (this.tpm) this.tokenBudget -= tokens;
    let released = false;
    return {
      release: (actualTokens?: number) => {
        if (released) return;
        released = true;
        this.activeCount--;
        if (this.tpm && actualTokens !== undefined && Number.isFinite(actualTokens)) {
          this.refill(this.clock.now());
          this.tokenBudget = Math.min(this.tokenCapacity, this.tokenBudget - (actualTokens - tokens));
        }
        this.pump();
      },
    };
  }

  /** Keeps a single timer, moved earlier when a closer deadline comes up. */
  private schedule(due: number): void {
    if (this.timer && this.timer.due <= due) return;
    this.timer?.abort.abort();
    const abort = new AbortController();
    const timer = { due, abort };
    this.timer = timer;
    // At least 1 ms: timers may fire a hair early, and a 0 ms loop would spin.
    const ms = Math.max(1, Math.ceil(due - this.clock.now()));
    this.clock.sleep(ms, abort.signal).then(
      () => {
        if (this.timer === timer) this.timer = undefined;
        this.pump();
      },
      () => {
        /* superseded by an earlier timer */
      },
    );
  }
}

function positiveOr<T extends number | undefined>(value: number | undefined, fallback: T): number | T {
  return value !== undefined && Number.isFinite(value) && value > 0 ? value : fallback;
}
