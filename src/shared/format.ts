/**
 * How the panel and the runs view write times, tokens and money, so the two agree.
 * Durations use the engine's format (the CLI prints the same).
 */
import { formatDuration } from '../engine/duration';

export { formatDuration };

export function formatTokens(tokens: number): string {
  if (tokens < 10_000) return `${tokens} tok`;
  if (tokens < 1_000_000) return `${(tokens / 1000).toFixed(1)}k tok`;
  return `${(tokens / 1_000_000).toFixed(2)}M tok`;
}

/** Dollars with enough digits to tell small calls apart; `—` when unknown. */
export function formatCost(costUsd: number | undefined): string {
  if (costUsd === undefined) return '—';
  if (costUsd === 0) return '$0';
  if (costUsd < 0.01) return `$${costUsd.toFixed(4)}`;
  return `$${costUsd.toFixed(2)}`;
}

/** Local time, `YYYY-MM-DD HH:MM:SS`, as `orchestrate runs` prints it. */
export function formatTimestamp(ms: number): string {
  const d = new Date(ms);
  const two = (n: number) => String(n).padStart(2, '0');
  return `${d.getFullYear()}-${two(d.getMonth() + 1)}-${two(d.getDate())} ${two(d.getHours())}:${two(d.getMinutes())}:${two(d.getSeconds())}`;
}

/** A signed difference, `+12` / `−3` / `±0`. */
export function formatDelta(value: number, format: (n: number) => string = String): string {
  if (value === 0) return '±0';
  return value > 0 ? `+${format(value)}` : `−${format(-value)}`;
}
