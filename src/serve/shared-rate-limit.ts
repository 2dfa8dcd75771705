/**
 * Provider rate limits held across every worker: a token bucket per provider in
 * Redis (requests per minute and tokens per minute), taken atomically by a Lua
 * script on Redis's own clock, so workers on different machines share one budget
 * without agreeing on time. A bucket holds 0.3 s of requests (the in-process
 * limiter holds half a second): a worker's grant reaches the server after that
 * worker's own delays, so grants spread over several processes arrive less evenly
 * than they leave, and the smaller burst keeps them inside what a server allows,
 * while still absorbing a waiter that wakes late.
 */
import type { Redis } from 'ioredis';
import type { ModelRequest, Provider, ProviderResolver } from '../engine';
import { estimateTokens } from '../engine/providers/rate-limit';

export interface SharedLimit {
  rpm?: number;
  tpm?: number;
}

// Returns 0 when granted, else the milliseconds to wait before asking again.
const TAKE = `
local t = redis.call('TIME')
local now = tonumber(t[1]) * 1000 + tonumber(t[2]) / 1000
local wait = 0
local state = {}
for i = 1, 2 do
  local rate = tonumber(ARGV[(i - 1) * 3 + 1])
  local capacity = tonumber(ARGV[(i - 1) * 3 + 2])
  local cost = tonumber(ARGV[(i - 1) * 3 + 3])
  if rate > 0 then
    local saved = redis.call('HMGET', KEYS[i], 'level', 'at')
    local level = tonumber(saved[1]) or capacity
    local at = tonumber(saved[2]) or now
    level = math.min(capacity, level + (now - at) * rate)
    local need = math.min(cost, capacity)
    if level < need then wait = math.max(wait, (need - level) / rate) end
    state[i] = level
  end
end
for i = 1, 2 do
  local rate = tonumber(ARGV[(i - 1) * 3 + 1])
  if rate > 0 then
    local level = state[i]
    if wait == 0 then level = level - tonumber(ARGV[(i - 1) * 3 + 3]) end
    redis.call('HSET', KEYS[i], 'level', tostring(level), 'at', tostring(now))
    redis.call('PEXPIRE', KEYS[i], 120000)
  end
end
return math.ceil(wait)
`;

export class SharedRateLimiter {
  constructor(
    private readonly redis: Redis,
    private readonly limits: Record<string, SharedLimit>,
  ) {
    redis.defineCommand('orchestrateTakeBudget', { numberOfKeys: 2, lua: TAKE });
  }

  /** Wraps each provider with a limit so its calls wait for the shared budget. */
  wrap(providers: ProviderResolver): ProviderResolver {
    return {
      resolve: (name: string): Provider => {
        const provider = providers.resolve(name);
        const limit = this.limits[name];
        if (!limit || (!limit.rpm && !limit.tpm)) return provider;
        return {
          id: provider.id,
          complete: async (request: ModelRequest) => {
            await this.take(name, limit, request);
            return provider.complete(request);
          },
        };
      },
    };
  }

  private async take(name: string, limit: SharedLimit, request: ModelRequest): Promise<void> {
    const chars = request.messages.reduce((sum, message) => sum + message.content.length, 0);
    const tokens = estimateTokens(chars, request.params.max_tokens);
    const rpm = limit.rpm ?? 0;
    const tpm = limit.tpm ?? 0;
    const args = [rpm / 60_000, Math.max(1, Math.floor(rpm / 200)), 1, tpm / 60_000, Math.max(1, Math.floor(tpm / 60)), tokens].map(String);
    const take = (this.redis as unknown as { orchestrateTakeBudget(a: string, b: string, ...args: string[]): Promise<number> }).orchestrateTakeBudget.bind(this.redis);
    for (;;) {
      request.signal.throwIfAborted();
      const wait = await take(`orchestrate:budget:${name}:requests`, `orchestrate:budget:${name}:tokens`, ...args);
      if (wait <= 0) return;
      await sleep(wait, request.signal);
    }
  }
}

function sleep(ms: number, signal: AbortSignal): Promise<void> {
  return new Promise((resolve, reject) => {
    const timer = setTimeout(() => {
      signal.removeEventListener('abort', onAbort);
      resolve();
    }, ms);
    const onAbort = () => {
      clearTimeout(timer);
      reject(signal.reason);
    };
    signal.addEventListener('abort', onAbort, { once: true });
  });
}
