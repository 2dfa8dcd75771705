/** Model settings from another tool's parameter names, reporting the ones with no counterpart. */
import type { ImportReport } from './report';

const NAMES: Record<string, string> = {
  temperature: 'temperature',
  max_tokens: 'max_tokens',
  maxTokens: 'max_tokens',
  max_completion_tokens: 'max_tokens',
  maxCompletionTokens: 'max_tokens',
  top_p: 'top_p',
  topP: 'top_p',
  seed: 'seed',
  stop: 'stop',
};

export function modelParams(params: Record<string, unknown> | undefined, report: ImportReport, where: string): Record<string, unknown> {
  const out: Record<string, unknown> = {};
  for (const [key, value] of Object.entries(params ?? {})) {
    const name = Object.hasOwn(NAMES, key) ? NAMES[key] : undefined;
    if (!name) {
      report.skip(`${where}: \`${key}\``, 'the workflow language has no such model setting');
      continue;
    }
    const wanted = name === 'stop' ? (typeof value === 'string' ? [value] : value) : value;
    const ok = name === 'stop' ? Array.isArray(wanted) && wanted.every((s) => typeof s === 'string') : typeof wanted === 'number' && Number.isFinite(wanted) && (name === 'temperature' || name === 'top_p' || (Number.isInteger(wanted) && wanted >= (name === 'seed' ? Number.MIN_SAFE_INTEGER : 1)));
    if (!ok) {
      report.skip(`${where}: \`${key}: ${JSON.stringify(value)}\``, `not a valid \`${name}\``);
      continue;
    }
    out[name] = wanted;
  }
  return out;
}

/** A plain object, or undefined: foreign files are untrusted and may put anything anywhere. */
export function record(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}

export function text(value: unknown): string | undefined {
  return typeof value === 'string' ? value : typeof value === 'number' || typeof value === 'boolean' ? String(value) : undefined;
}
