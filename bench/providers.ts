/**
 * Provider benchmarks, against the fake OpenAI server on loopback:
 *
 * 1. Overhead: what `OpenAIProvider.complete` (SDK, streaming parse, limiter, key,
 *    bookkeeping) costs per call on top of a raw `fetch` of the same endpoint that
 *    just reads the body.
 * 2. Fan-out: 500 concurrent calls under a 600 requests/minute budget, with the fake
 *    server enforcing 600 rpm (429 beyond it). Reports the achieved rate and the 429s
 *    the server returned; for contrast, how many 429s the same kind of burst gets
 *    without the limiter.
 *
 * The fan-out takes ~50 s by design (500 requests at 10 per second). BENCH_QUICK=1
 * scales it to 60 requests (~6 s) and the overhead runs to 100 calls.
 */
import { OpenAIProvider } from '../src/engine/providers/openai';
import type { ModelRequest } from '../src/engine/types';
import { startFakeOpenAI } from '../test/support/fake-openai-server';
import { round, stats } from './stats';

const KEY = 'sk-bench-key';

function request(): ModelRequest {
  return {
    provider: 'openai',
    model: 'gpt-4o-mini',
    messages: [{ role: 'user', content: 'Benchmark me with a short reply of about a dozen words.' }],
    params: {},
    signal: new AbortController().signal,
    stepId: 'bench',
    attempt: 1,
  };
}


async function overhead(calls: number): Promise<Record<string, unknown>> {
  const fake = await startFakeOpenAI({ apiKey: KEY });
  try {
    const provider = new OpenAIProvider({ id: 'openai', baseURL: fake.url, apiKey: KEY, maxRetries: 0 });
    const body = JSON.stringify({
      model: 'gpt-4o-mini',
      messages: request().messages,
      stream: true,
      stream_options: { include_usage: true },
    });
    const raw = async (): Promise<void> => {
      const response = await fetch(`${fake.url}/chat/completions`, {
        method: 'POST',
        headers: { 'content-type': 'application/json', authorization: `Bearer ${KEY}` },
        body,
      });
      await response.text();
    };
    const viaProvider = async (): Promise<void> => {
      await provider.complete(request());
    };
    const time = async (fn: () => Promise<void>, n: number, into: number[]): Promise<void> => {
      for (let i = 0; i < n; i++) {
        const start = performance.now();
        await fn();
        into.push(performance.now() - start);
      }
    };
    // Warm both paths (JIT, connection pool, lazy loads such as the price table).
    for (let i = 0; i < 20; i++) {
      await raw();
      await viaProvider();
    }
    // Alternate blocks of the two series so that drift and noise from other work on
    // the machine affect both alike; the p50s are the figures to trust.
    const rawSamples: number[] = [];
    const providerSamples: number[] = [];
    for (let done = 0; done < calls; done += 25) {
      const n = Math.min(25, calls - done);
      await time(raw, n, rawSamples);
      await time(viaProvider, n, providerSamples);
    }
    const r = stats(rawSamples);
    const p = stats(providerSamples);
    return {
      calls,
      rawFetchMs: r,
      providerMs: p,
      overheadMsP50: round(p.p50 - r.p50),
      overheadMsMean: round(p.mean - r.mean),
    };
  } finally {
    await fake.close();
  }
}

async function fanOut(requests: number, rpm: number): Promise<Record<string, unknown>> {
  const fake = await startFakeOpenAI({ apiKey: KEY, rpm });
  try {
    const provider = new OpenAIProvider({ id: 'openai', baseURL: fake.url, apiKey: KEY, rpm, maxConcurrent: 64 });
    const start = performance.now();
    const settled = await Promise.allSettled(Array.from({ length: requests }, () => provider.complete(request())));
    const durationMs = performance.now() - start;
    const arrivals = fake.requests.map((r) => r.receivedAt);
    const span = arrivals.at(-1)! - arrivals[0]!;
    return {
      requests,
      budgetRpm: rpm,
      durationS: round(durationMs / 1000, 2),
      // Over the whole run, including the initial burst the limiter allows.
      achievedRpm: round((requests / durationMs) * 60_000, 1),
      // Between the first and the last arrival at the server.
      serverSeenRpm: round(((arrivals.length - 1) / span) * 60_000, 1),
      http429: fake.stats.rateLimited,
      failures: settled.filter((s) => s.status === 'rejected').length,
    };
  } finally {
    await fake.close();
  }
}

/** The same burst with no limiter and no retries: how many the server would refuse. */
async function unthrottled(requests: number, rpm: number): Promise<Record<string, unknown>> {
  const fake = await startFakeOpenAI({ apiKey: KEY, rpm });
  try {
    const provider = new OpenAIProvider({ id: 'openai', baseURL: fake.url, apiKey: KEY, maxConcurrent: 64, maxRetries: 0 });
    await Promise.allSettled(Array.from({ length: requests }, () => provider.complete(request())));
    return { requests, budgetRpm: rpm, http429: fake.stats.rateLimited };
  } finally {
    await fake.close();
  }
}

/** Runs the provider benchmarks; the result is plain JSON for the bench report. */
export async function benchProviders(): Promise<Record<string, unknown>> {
  const quick = process.env.BENCH_QUICK === '1';
  return {
    quick,
    overhead: await overhead(quick ? 100 : 400),
    fanOut: await fanOut(quick ? 60 : 500, 600),
    unthrottledBurst: await unthrottled(100, 600),
  };
}

if (require.main === module) {
  benchProviders().then(
    (result) => console.log(JSON.stringify(result, null, 2)),
    (error: unknown) => {
      console.error(error);
      process.exitCode = 1;
    },
  );
}
