/**
 * The cost of a model call in US dollars, from `@pydantic/genai-prices`: a price
 * table maintained by Pydantic (the data behind Logfire's cost figures) that ships
 * with the package, so it works offline; it has no dependencies and supports Node 20.
 *
 * The package (about 0.5 MB of price data) is loaded on the first call, not when
 * the engine loads: runs on the mock provider never pay for it.
 */
import type * as GenaiPrices from '@pydantic/genai-prices';
import type { Usage } from '../types';
import { BoundedMap } from './bounded-map';

let prices: typeof GenaiPrices | null | undefined;

type KnownProvider = NonNullable<ReturnType<typeof GenaiPrices.findProvider>>;

/**
 * Which table entry a provider id and base URL map to (`null`: none), looked up once per
 * pair rather than on every call; bounded, since an editor session may configure many.
 */
const providerLookups = new BoundedMap<string, KnownProvider | null>(64);

function load(): typeof GenaiPrices | null {
  if (prices === undefined) {
    try {
      // A synchronous, lazy load: `costFor` is called on the hot path of every
      // call and must stay synchronous; esbuild keeps a bundled CJS module's body
      // unevaluated until this first `require`.
      // eslint-disable-next-line @typescript-eslint/no-require-imports
      prices = require('@pydantic/genai-prices') as typeof GenaiPrices;
    } catch {
      prices = null; // no price table: costs are simply unknown
    }
  }
  return prices;
}

export interface CostOptions {
  /**
   * The provider's base URL, used to recognise hosted services when the provider's
   * name is not one the table knows (a provider named `groq` pointing at Groq is
   * found by name; one named `fast` pointing at api.groq.com by URL).
   */
  baseURL?: string;
  /** Prompt tokens that were served from the provider's prompt cache (cheaper). */
  cachedInputTokens?: number;
}

/**
 * The price of a call, or `undefined` when the provider or model is not in the table
 * (local servers, private deployments, brand-new models). `provider` is the price
 * table's provider id (`openai`, `azure`, `groq`, `openrouter`, …) or a name of ours
 * that it knows. Never guesses from the model name alone: a local server that
 * serves a model called `gpt-4o` does not cost OpenAI's prices.
 */
export function costFor(provider: string, model: string, usage: Usage, options: CostOptions = {}): number | undefined {
  const lib = load();
  if (!lib || !model) return undefined;
  try {
    const known = findProvider(lib, provider, options.baseURL);
    if (!known) return undefined;
    const cached = Math.min(options.cachedInputTokens ?? 0, usage.inputTokens);
    const result = lib.calcPrice(
      {
        input_tokens: usage.inputTokens,
        output_tokens: usage.outputTokens,
        ...(cached > 0 ? { cache_read_tokens: cached } : {}),
      },
      model,
      { provider: known },
    );
    const total = result?.total_price;
    return typeof total === 'number' && Number.isFinite(total) ? total : undefined;
  } catch {
    return undefined;
  }
}

function findProvider(lib: typeof GenaiPrices, provider: string, baseURL: string | undefined): KnownProvider | null {
  const key = JSON.stringify([provider, baseURL ?? null]);
  let known = providerLookups.get(key);
  if (known === undefined) {
    known =
      lib.findProvider({ providerId: provider }) ??
      (baseURL && !isLocal(baseURL) ? lib.findProvider({ providerApiUrl: baseURL }) : undefined) ??
      null;
    providerLookups.set(key, known);
  }
  return known;
}

function isLocal(baseURL: string): boolean {
  try {
    const host = new URL(baseURL).hostname;
    return host === 'localhost' || host === '[::1]' || host.startsWith('127.') || host.endsWith('.local');
  } catch {
    return false;
  }
}
