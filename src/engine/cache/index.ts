/**
 * The model-call cache (docs/architecture.md, rule 6): a content-addressed store of replies
 * under `<root>/cache/`, and a provider decorator that reads and fills it. Node-only
 * (it uses `node:fs`), so it is imported from here, not from the browser-safe engine index.
 */
export { canonicalJson } from './canonical';
export { cacheKey } from './key';
export { CacheStore, CACHE_ENTRY_VERSION, type CacheEntry, type CachedReply, type CacheStoreOptions } from './store';
export { cachingProvider, cachingResolver, CACHE_POLICIES, type CachePolicy, type CachingOptions, type CachingResolverOptions } from './provider';
