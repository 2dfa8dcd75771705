import { EngineError } from '../errors';
import type { Provider, ProviderResolver } from '../types';
import { MockProvider, type MockProviderOptions } from './mock';

export { MockProvider, type MockProviderOptions } from './mock';

export interface ResolverOptions {
  /** `ORCHESTRATE_USE_MOCK=true` or `--mock`: every step uses the mock provider. */
  forceMock?: boolean;
  mock?: MockProviderOptions;
  /**
   * Providers that are named but cannot be used here (no key set): steps that use
   * them run on the mock provider instead, and `onFallback` says so once.
   */
  unavailable?: Record<string, string>;
  onFallback?: (provider: string, why: string) => void;
}

/** Chooses a provider per step by name, with the mock provider always available. */
export function createResolver(providers: Record<string, Provider>, options: ResolverOptions = {}): ProviderResolver {
  const mock = providers.mock ?? new MockProvider(options.mock);
  const warned = new Set<string>();
  return {
    resolve(name: string): Provider {
      if (options.forceMock || name === 'mock') return mock;
      const provider = providers[name];
      if (provider) return provider;
      const why = options.unavailable?.[name];
      if (why !== undefined) {
        if (!warned.has(name)) {
          warned.add(name);
          options.onFallback?.(name, why);
        }
        return mock;
      }
      const known = ['mock', ...Object.keys(providers), ...Object.keys(options.unavailable ?? {})].filter((n, i, all) => all.indexOf(n) === i);
      throw new EngineError({
        code: 'unknown-provider',
        message: `unknown provider \`${name}\`; known providers: ${known.join(', ')} (name others in orchestrate.config.json or the \`orchestrate.providers\` setting)`,
      });
    },
  };
}

/** `ORCHESTRATE_USE_MOCK=true` (or 1, yes) forces the mock provider everywhere. */
export function mockForced(env: Record<string, string | undefined>): boolean {
  return /^(1|true|yes)$/i.test(env.ORCHESTRATE_USE_MOCK ?? '');
}
