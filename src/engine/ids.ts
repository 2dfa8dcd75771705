/**
 * Where run ids come from. Ids name trace files, so they must sort by start time and
 * be safe in file names; a source is injected (like the `Clock`) so that tests and
 * benchmarks get ids they can predict, and collisions they can provoke.
 */

export interface IdSource {
  /** A new run id for a run starting at `now` (milliseconds since the epoch). */
  runId(now: number): string;
}

/** Letters after the timestamp: 36⁴ ≈ 1.7 million per millisecond. */
const SUFFIX_LENGTH = 4;

/** `2026-11-21T10-04-05-123Z-k3x9`: the start time, then `suffix`. */
export function formatRunId(now: number, suffix: string): string {
  return `${new Date(now).toISOString().replace(/[:.]/g, '-')}-${suffix}`;
}

/** Four base-36 characters from a number in [0, 1). */
function suffixFrom(random: number): string {
  return Math.floor(random * 36 ** SUFFIX_LENGTH)
    .toString(36)
    .padStart(SUFFIX_LENGTH, '0');
}

/** Ids from a source of numbers in [0, 1): `Math.random` by default. */
export function randomIdSource(random: () => number = Math.random): IdSource {
  return { runId: (now) => formatRunId(now, suffixFrom(random())) };
}

/** The ids real runs use. */
export const systemIds: IdSource = randomIdSource();

/**
 * Ids that are the same on every run of a test: the suffix comes from a small
 * seeded generator (mulberry32), so two sources with one seed give the same ids.
 */
export function seededIdSource(seed: number): IdSource {
  let state = seed >>> 0;
  return randomIdSource(() => {
    state = (state + 0x6d2b79f5) >>> 0;
    let t = state;
    t = Math.imul(t ^ (t >>> 15), t | 1);
    t ^= t + Math.imul(t ^ (t >>> 7), t | 61);
    return ((t ^ (t >>> 14)) >>> 0) / 2 ** 32;
  });
}

/** A run id from the system source, for faces that name a run before it starts. */
export function newRunId(now: number): string {
  return systemIds.runId(now);
}
