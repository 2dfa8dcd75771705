import { appendFileSync } from 'node:fs';
import type { ModelRequest, ModelResponse, Provider, ProviderResolver } from '../engine';

/**
 * `ORCHESTRATE_MOCK_CALL_LOG=FILE`: one JSON line per call that reaches a provider
 * (below the cache: a hit is not a call). Tests count model calls across processes
 * with it, e.g. that a resumed run repeats none. Each line is one `O_APPEND` write,
 * so concurrent runs never interleave within a line.
 */
export function callLogResolver(resolver: ProviderResolver, file: string): ProviderResolver {
  const wrapped = new WeakMap<Provider, Provider>();
  return {
    resolve(name: string): Provider {
      const inner = resolver.resolve(name);
      let provider = wrapped.get(inner);
      if (!provider) {
        provider = {
          id: inner.id,
          complete(request: ModelRequest): Promise<ModelResponse> {
            const { stepId, visit, index, attempt, model } = request;
            appendFileSync(file, JSON.stringify({ provider: inner.id, model, stepId, visit, index, attempt, pid: process.pid }) + '\n');
            return inner.complete(request);
          },
        };
        wrapped.set(inner, provider);
      }
      return provider;
    },
  };
}
