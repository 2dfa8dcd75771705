/**
 * `matches` on a 100 kB reply with a pattern that backtracks exponentially
 * (`^(a+)+$` against `aaaa…a!`), before and after the move to RE2.
 *
 * Before: JavaScript's RegExp, which CEL's `matches` used. It cannot be run on
 * 100 kB (the time doubles with each character), so it is measured on short texts
 * that finish, its growth per character is fitted, and the time for 100 kB is
 * extrapolated and reported as such. After: the engine's `matches`, through a real
 * expression evaluation, on the full 100 kB.
 */
import { celMap, evaluate, toCel } from '../src/engine/expressions';

const PATTERN = '^(a+)+$';
const REPLY_CHARS = 100_000;
const SHORT_LENGTHS = [14, 16, 18, 20, 22];
const RUNS = 5;

const median = (values: number[]) => [...values].sort((a, b) => a - b)[Math.floor(values.length / 2)];
const round = (value: number, digits = 3) => Number(value.toPrecision(digits));

function timeMs(work: () => void, runs = RUNS): number {
  const times: number[] = [];
  for (let i = 0; i < runs; i++) {
    const started = performance.now();
    work();
    times.push(performance.now() - started);
  }
  return median(times);
}

function before(): Record<string, unknown> {
  const regex = new RegExp(PATTERN);
  const measured = SHORT_LENGTHS.map((chars) => {
    const text = `${'a'.repeat(chars)}!`;
    return { chars, ms: timeMs(() => regex.test(text), 3) };
  });
  // Least-squares fit of log2(ms) against the length: the slope is doublings per character.
  const xs = measured.map((m) => m.chars);
  const ys = measured.map((m) => Math.log2(Math.max(m.ms, 1e-6)));
  const meanX = xs.reduce((a, b) => a + b, 0) / xs.length;
  const meanY = ys.reduce((a, b) => a + b, 0) / ys.length;
  const slope = xs.reduce((sum, x, i) => sum + (x - meanX) * (ys[i] - meanY), 0) / xs.reduce((sum, x) => sum + (x - meanX) ** 2, 0);
  const log2MsAt = (chars: number) => meanY + slope * (chars - meanX);
  const log10Years = (log2MsAt(REPLY_CHARS) * Math.LN2) / Math.LN10 - Math.log10(1000 * 3600 * 24 * 365);
  return {
    engine: 'JavaScript RegExp (backtracking), as CEL matches() used before',
    measured: measured.map((m) => ({ chars: m.chars, ms: round(m.ms) })),
    growth_per_char: round(2 ** slope),
    extrapolated_ms_at_30_chars: round(2 ** log2MsAt(30)),
    extrapolated_at_100kB: `about 10^${Math.round(log10Years)} years (extrapolated from the measured lengths; not run)`,
  };
}

function after(): Record<string, unknown> {
  const reply = `${'a'.repeat(REPLY_CHARS - 1)}!`;
  const expr = { source: `output.matches('${PATTERN}')`, range: { start: { line: 1, column: 1 }, end: { line: 1, column: 1 }, offset: 0, endOffset: 0 } };
  const scope = { output: toCel(reply), steps: celMap() };
  const matches = (text: string) => evaluate(expr, { ...scope, output: text });
  if (matches(reply) !== false) throw new Error('the pattern should not match');
  const full = timeMs(() => matches(reply), 21);
  const tenfold = `${'a'.repeat(10 * REPLY_CHARS - 1)}!`;
  const large = timeMs(() => matches(tenfold), 5);
  return {
    engine: 're2js (linear time), through the engine’s evaluate()',
    reply_chars: REPLY_CHARS,
    ms_at_100kB: round(full),
    ms_at_1MB: round(large),
    ratio_1MB_to_100kB: round(large / full, 2),
  };
}

export async function benchRegex(): Promise<Record<string, unknown>> {
  await Promise.resolve();
  return { pattern: PATTERN, before: before(), after: after() };
}
