/** Summaries the benchmarks share. */

/** Mean, median and 95th percentile of a set of timings, rounded to 3 decimals. */
export function stats(samples: number[]): { mean: number; p50: number; p95: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number): number => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))]!;
  return { mean: round(sorted.reduce((s, x) => s + x, 0) / sorted.length), p50: round(at(0.5)), p95: round(at(0.95)) };
}

export function round(x: number, digits = 3): number {
  const f = 10 ** digits;
  return Math.round(x * f) / f;
}
