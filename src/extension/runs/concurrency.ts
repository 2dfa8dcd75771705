/** A limit on model calls in flight across one run (pure: no `vscode`, unit-tested). */
import type { Provider, ProviderResolver } from '../../engine';

/**
 * At most `max` model calls in flight across a run (parallel branches and `for_each`
 * items together), whatever each step's own `concurrency` says: the setting protects
 * the person's rate limits and budget.
 */
export function limitConcurrency(resolver: ProviderResolver, max: number): ProviderResolver {
  let active = 0;
  const waiting: (() => void)[] = [];
  const release = () => {
    active--;
    waiting.shift()?.();
  };
  const acquire = (signal: AbortSignal) =>
    new Promise<void>((resolve, reject) => {
      if (signal.aborted) {
        reject(signal.reason);
        return;
      }
      if (active < max) {
        active++;
        resolve();
        return;
      }
      const go = () => {
        signal.removeEventListener('abort', onAbort);
        active++;
        resolve();
      };
      const onAbort = () => {
        const index = waiting.indexOf(go);
        if (index !== -1) waiting.splice(index, 1);
        reject(signal.reason);
      };
      waiting.push(go);
      signal.addEventListener('abort', onAbort, { once: true });
    });
  const wrapped = new WeakMap<Provider, Provider>();
  return {
    resolve(name) {
      const inner = resolver.resolve(name);
      let provider = wrapped.get(inner);
      if (!provider) {
        provider = {
          id: inner.id,
          async complete(request) {
            await acquire(request.signal);
            try {
              return await inner.complete(request);
            } finally {
              release();
            }
          },
        };
        wrapped.set(inner, provider);
      }
      return provider;
    },
  };
}
