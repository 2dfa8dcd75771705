import { systemClock } from '../clock';
import type { Clock, ModelRequest, ModelResponse, Provider, ProviderResolver } from '../types';
import { cacheKey } from './key';
import { CACHE_ENTRY_VERSION, type CacheStore } from './store';

/**
 * - `reuse`: answer from the cache when the same call was made before; otherwise call and store.
 * - `refresh`: always call the model and overwrite the stored reply (a person forcing a fresh call).
 * - `off`: do not read or write the cache.
 */
export type CachePolicy = 'reuse' | 'refresh' | 'off';

export const CACHE_POLICIES: readonly CachePolicy[] = ['reuse', 'refresh', 'off'];

export interface CachingOptions {
  /** Told when the cache cannot be written; the reply is still returned. */
  onWarning?: (message: string) => void;
  /** Dates new entries (`createdAt`). Default the real clock. */
  clock?: Pick<Clock, 'now'>;
}

/**
 * Wraps a provider with the content-addressed cache (docs/architecture.md, rule 6).
 *
 * A hit returns the stored reply with `cache: { hit: true, key }` and `costUsd: 0`;
 * the runner records `cache` in the step's call record and leaves a hit's usage out of
 * the run's totals. A miss calls `inner`, stores the reply and returns it with
 * `cache: { hit: false, key }`. A request with `cache: false` (the step's `cache: false`)
 * goes straight to `inner`.
 *
 * Retries (`attempt > 1`) always call the model and overwrite: a retry means the
 * previous reply was rejected (a failed `check`, a reply off the schema), and
 * replaying it from the cache would fail the same way. The runner also `discard`s
 * every reply it rejects, so a later visit or a later run never gets it back.
 */
export function cachingProvider(inner: Provider, store: CacheStore, policy: CachePolicy, options: CachingOptions = {}): Provider {
  if (policy === 'off') return inner;
  const clock = options.clock ?? systemClock;
  return {
    id: inner.id,
    discard: (key: string) => store.delete(key),
    async complete(request: ModelRequest): Promise<ModelResponse> {
      if (request.cache === false) return inner.complete(request);
      const key = cacheKey(request, inner.id);
      if (policy === 'reuse' && request.attempt <= 1) {
        const entry = await store.get(key);
        if (entry) return { ...entry.response, costUsd: 0, cache: { hit: true, key } };
      }
      const response = await inner.complete(request);
      const { text, toolCalls, json, usage, model, finishReason, costUsd } = response;
      try {
        // The calls a reply asks for are part of it: a hit without them would look like a final answer and skip them.
        await store.put({ v: CACHE_ENTRY_VERSION, key, createdAt: clock.now(), provider: inner.id, model: request.model, response: { text, toolCalls, json, usage, model, finishReason, costUsd } });
      } catch (error) {
        // A full disk or a read-only folder costs the cache, never the reply that was paid for.
        options.onWarning?.(`cannot write the cache entry for step \`${request.stepId}\`: ${(error as Error).message}`);
      }
      return { ...response, cache: { hit: false, key } };
    },
  };
}

export interface CachingResolverOptions extends CachingOptions {
  /**
   * Also cache the mock provider. Off by default: mock replies are free and instant,
   * so caching them only fills the disk (tests turn it on to count calls).
   */
  cacheMock?: boolean;
}

/** Wraps every provider a resolver gives (but the mock, unless asked) with {@link cachingProvider}. */
export function cachingResolver(resolver: ProviderResolver, store: CacheStore, policy: CachePolicy, options: CachingResolverOptions = {}): ProviderResolver {
  if (policy === 'off') return resolver;
  const wrapped = new WeakMap<Provider, Provider>();
  return {
    resolve(name: string): Provider {
      const inner = resolver.resolve(name);
      if (inner.id === 'mock' && !options.cacheMock) return inner;
      let provider = wrapped.get(inner);
      if (!provider) {
        provider = cachingProvider(inner, store, policy, options);
        wrapped.set(inner, provider);
      }
      return provider;
    },
  };
}
