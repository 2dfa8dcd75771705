import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { CACHE_POLICIES, type CachePolicy } from '../engine/cache';
import { UsageError, type OptionSpec, type Parsed } from './args';
import type { Io } from './main';
import { ALLOW_TOOLS_HELP, ALLOW_TOOLS_OPTION, allowToolsOf } from './tool-options';

/** Options `serve` and `worker` share: where runs go and how models are called. */
export const SHARED_OPTIONS: Record<string, OptionSpec> = {
  redis: { type: 'string' },
  traces: { type: 'string' },
  mock: { type: 'boolean' },
  'mock-delay': { type: 'string' },
  cache: { type: 'string' },
  ...ALLOW_TOOLS_OPTION,
};

export const SHARED_HELP = `  --traces DIR             where runs and the cache are kept; default DIR/.orchestrate
  --mock                   use the mock provider for every step (also ORCHESTRATE_USE_MOCK=true)
  --mock-delay MS          how long each mock reply takes, default 0
  --cache reuse|refresh|off
                           the model-call cache, as for \`orchestrate run\` (default reuse)
${ALLOW_TOOLS_HELP}`;

export interface SharedSettings {
  root: string;
  redisUrl?: string;
  traces?: string;
  mock: boolean;
  mockDelayMs?: number;
  cache: CachePolicy;
  allowTools: string[];
}

export function sharedSettings(positionals: string[], options: Parsed['options'], io: Io): SharedSettings {
  if (positionals.length > 1) throw new UsageError('name at most one folder');
  const root = path.resolve(io.cwd, positionals[0] ?? '.');
  if (!existsSync(root) || !statSync(root).isDirectory()) throw new UsageError(`${positionals[0]}: no such folder`);
  const mockDelayMs = options['mock-delay'] === undefined ? undefined : Number(options['mock-delay']);
  if (mockDelayMs !== undefined && !(mockDelayMs >= 0)) throw new UsageError('--mock-delay takes a number of milliseconds');
  const cache = (options.cache as string | undefined) ?? 'reuse';
  if (!CACHE_POLICIES.includes(cache as CachePolicy)) throw new UsageError(`--cache takes reuse, refresh or off, not \`${cache}\``);
  const redisUrl = (options.redis as string | undefined) ?? (io.env.ORCHESTRATE_REDIS_URL || undefined);
  if (redisUrl !== undefined && !/^rediss?:\/\//.test(redisUrl)) throw new UsageError(`--redis takes a URL like redis://127.0.0.1:6379, not \`${redisUrl}\``);
  return { root, redisUrl, traces: options.traces === undefined ? undefined : path.resolve(io.cwd, String(options.traces)), mock: options.mock === true, mockDelayMs, cache: cache as CachePolicy, allowTools: allowToolsOf(options) };
}

export function integerOption(value: unknown, name: string, min: number, max: number): number | undefined {
  if (value === undefined) return undefined;
  const number = Number(value);
  if (!Number.isInteger(number) || number < min || number > max) throw new UsageError(`${name} takes a whole number from ${min} to ${max}, not \`${String(value)}\``);
  return number;
}
