const UNITS: Record<string, number> = { ms: 1, s: 1000, m: 60_000, h: 3_600_000 };

/**
 * The longest `timeout` or `retry_delay`: 24 days (576h). Timers hold at most 2³¹−1 ms
 * (about 24.8 days); a longer one would fire at once, so the loader rejects it.
 */
export const MAX_DURATION_MS = 24 * 24 * 3_600_000;

/**
 * Parses `30s`, `2m`, `1.5h`, `250ms`, or a bare number of seconds into milliseconds.
 * Returns `undefined` for anything else so the caller can report where it was written.
 */
export function parseDuration(value: unknown): number | undefined {
  if (typeof value === 'number') return Number.isFinite(value) && value >= 0 ? value * 1000 : undefined;
  if (typeof value !== 'string') return undefined;
  const match = /^\s*(\d+(?:\.\d+)?)\s*(ms|s|m|h)?\s*$/.exec(value);
  if (!match) return undefined;
  return Number(match[1]) * UNITS[match[2] ?? 's'];
}

/** `1234` → `1.2s`, `83000` → `1m 23s`: for progress lines and lenses. */
export function formatDuration(ms: number): string {
  if (ms < 1000) return `${Math.round(ms)}ms`;
  if (ms < 60_000) return `${(ms / 1000).toFixed(1)}s`;
  const minutes = Math.floor(ms / 60_000);
  return `${minutes}m ${Math.round((ms % 60_000) / 1000)}s`;
}
