import type { Clock, RandomSource } from './types';

/** The longest delay `setTimeout` takes; longer ones fire at once (with a warning). */
const MAX_TIMER_MS = 2_147_483_647;

/** Wall-clock time. Sleeps of any length work: long ones are waited out in pieces. */
export const systemClock: Clock = {
  now: () => Date.now(),
  sleep: (ms, signal) =>
    new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const due = Date.now() + ms;
      let timer: ReturnType<typeof setTimeout>;
      const onAbort = () => {
        clearTimeout(timer);
        reject(signal!.reason);
      };
      const arm = (remaining: number) => {
        timer = setTimeout(() => {
          const left = due - Date.now();
          if (left > 0 && remaining > MAX_TIMER_MS) return arm(left);
          signal?.removeEventListener('abort', onAbort);
          resolve();
        }, Math.min(Math.max(0, remaining), MAX_TIMER_MS));
      };
      arm(ms);
      signal?.addEventListener('abort', onAbort, { once: true });
    }),
};

/** Real randomness. */
export const systemRandom: RandomSource = () => Math.random();

/**
 * A repeatable random source (mulberry32): the same seed gives the same numbers, so
 * tests that involve jitter or ids are exact.
 */
export function seededRandom(seed: number): RandomSource {
  let state = seed >>> 0;
  return () => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 4294967296;
  };
}

/**
 * A clock that moves only when told (after XState's SimulatedClock): timing tests
 * are exact and take no real time. `advance` runs due timers in order.
 */
export class SimulatedClock implements Clock {
  private current: number;
  private timers: { at: number; seq: number; resolve: () => void }[] = [];
  private seq = 0;

  constructor(start = 0) {
    this.current = start;
  }

  now(): number {
    return this.current;
  }

  sleep(ms: number, signal?: AbortSignal): Promise<void> {
    return new Promise<void>((resolve, reject) => {
      if (signal?.aborted) return reject(signal.reason);
      const onAbort = (): void => {
        this.timers = this.timers.filter((t) => t !== timer);
        reject(signal!.reason);
      };
      const timer = {
        at: this.current + ms,
        seq: this.seq++,
        resolve: () => {
          signal?.removeEventListener('abort', onAbort);
          resolve();
        },
      };
      this.timers.push(timer);
      signal?.addEventListener('abort', onAbort, { once: true });
    });
  }

  /** Moves time forward by `ms`, waking every sleeper whose time has come, in order. */
  async advance(ms: number): Promise<void> {
    const target = this.current + ms;
    for (;;) {
      await settle();
      const due = this.timers.filter((t) => t.at <= target).sort((a, b) => a.at - b.at || a.seq - b.seq)[0];
      if (!due) break;
      this.timers = this.timers.filter((t) => t !== due);
      this.current = due.at;
      due.resolve();
    }
    this.current = target;
    await settle();
  }

  /** How many sleepers are waiting. */
  get pending(): number {
    return this.timers.length;
  }

  /** When the waiting sleepers wake, soonest first: lets a test wait for a particular timer to be set. */
  get due(): number[] {
    return this.timers.map((t) => t.at).sort((a, b) => a - b);
  }
}

/** Lets pending promise callbacks run, including those a few event-loop turns away. */
async function settle(): Promise<void> {
  for (let i = 0; i < 5; i++) await new Promise<void>((resolve) => setImmediate(resolve));
}
