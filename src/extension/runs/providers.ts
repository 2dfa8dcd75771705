/**
 * The model providers of an editor run: `openai` and the servers named in the
 * `orchestrate.providers` setting (keys from SecretStorage, else the environment),
 * the mock always, behind a limit on calls in flight and the reply cache.
 * Without a key a provider falls back to the mock, and the person is told once.
 */
import * as vscode from 'vscode';
import type { Provider, ProviderResolver } from '../../engine';
import { CacheStore, cachingResolver, type CachePolicy } from '../../engine/cache';
import { createResolver, mockForced } from '../../engine/providers';
import { ConfigError, createOpenAIProviders, keyEnvFor, parseConfig, type ProviderConfig } from '../../engine/providers/config';
import { limitConcurrency } from './concurrency';

/** Where a provider's key is kept in SecretStorage. */
export function secretKey(provider: string): string {
  return `orchestrate.apiKey.${provider}`;
}

/** The providers named in the settings; an invalid setting is reported and ignored. */
export function configuredProviders(raw: unknown, onError: (message: string) => void): ProviderConfig[] {
  if (raw === undefined || raw === null || (Array.isArray(raw) && raw.length === 0)) return [];
  try {
    return parseConfig(JSON.stringify({ providers: raw }), 'the orchestrate.providers setting').providers;
  } catch (error) {
    if (!(error instanceof ConfigError)) throw error;
    onError(error.message);
    return [];
  }
}

export interface ComposeOptions {
  configs: ProviderConfig[];
  /** Providers of the editor itself, by name (`vscode-lm`: its language models). */
  editorProviders?: Record<string, Provider>;
  secrets: vscode.SecretStorage;
  env: Record<string, string | undefined>;
  mockDelayMs: number;
  concurrency: number;
  cache?: { dir: string; policy: CachePolicy };
  onFallback: (provider: string, why: string) => void;
  onWarning: (message: string) => void;
}

export interface ComposedProviders {
  resolver: ProviderResolver;
  /** The keys in use, redacted from anything written to a trace. */
  secrets: string[];
}

export async function composeProviders(options: ComposeOptions): Promise<ComposedProviders> {
  const { configs, secrets, env } = options;
  const real = createOpenAIProviders(configs, env, { secret: (name) => Promise.resolve(secrets.get(secretKey(name))) });
  const unavailable: Record<string, string> = {};
  const keys: string[] = [];
  for (const name of Object.keys(real)) {
    const keyEnv = keyEnvFor(name, configs);
    const stored = await secrets.get(secretKey(name));
    const fromEnv = keyEnv ? env[keyEnv] : undefined;
    if (stored) keys.push(stored);
    if (fromEnv) keys.push(fromEnv);
    // A provider that names no key variable is a keyless local server: usable as is.
    if (!stored && keyEnv && !fromEnv) {
      unavailable[name] = `no API key is set for \`${name}\` (run “Orchestrate: Set API Key” or set ${keyEnv})`;
      delete real[name];
    }
  }
  // The editor's models need no key: whether one is there is known only when a step asks.
  Object.assign(real, options.editorProviders);
  let resolver = createResolver(real, {
    forceMock: mockForced(env),
    mock: { delayMs: options.mockDelayMs },
    unavailable,
    onFallback: options.onFallback,
  });
  resolver = limitConcurrency(resolver, options.concurrency);
  if (options.cache && options.cache.policy !== 'off') {
    resolver = cachingResolver(resolver, new CacheStore(options.cache.dir, { onWarning: options.onWarning }), options.cache.policy, { onWarning: options.onWarning });
  }
  return { resolver, secrets: keys.filter((key) => key.length >= 8) };
}
