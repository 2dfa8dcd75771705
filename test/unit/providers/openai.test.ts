import { after, before, beforeEach, describe, test } from 'node:test';
import assert from 'node:assert/strict';
import { inspect } from 'node:util';
import { APIConnectionError, APIError, APIUserAbortError } from 'openai';
import { SimulatedClock } from '../../../src/engine/clock';
import { OpenAIProvider, retryDelay, type OpenAIProviderConfig } from '../../../src/engine/providers/openai';
import { ProviderError, isProviderError } from '../../../src/engine/providers/errors';
import { validateReply } from '../../../src/engine/providers/structured';
import type { ModelRequest, ModelResponse } from '../../../src/engine/types';
import { startFakeOpenAI, type FakeOpenAI, type RecordedRequest } from '../../support/fake-openai-server';

const KEY = 'sk-test-SECRET-0123456789abcdef';

function request(overrides: Partial<ModelRequest> = {}): ModelRequest {
  return {
    provider: 'openai',
    model: 'gpt-4o-mini',
    messages: [
      { role: 'system', content: 'You are terse.' },
      { role: 'user', content: 'Say something about the sea' },
    ],
    params: {},
    signal: new AbortController().signal,
    stepId: 'step1',
    attempt: 1,
    ...overrides,
  };
}

async function rejection(promise: Promise<unknown>): Promise<ProviderError> {
  try {
    await promise;
  } catch (error) {
    assert.ok(isProviderError(error), `expected a ProviderError, got ${inspect(error)}`);
    return error;
  }
  assert.fail('expected the call to fail');
}

const chatRequests = (fake: FakeOpenAI): RecordedRequest[] => fake.requests.filter((r) => r.path.endsWith('/chat/completions'));

/** Resolves once `condition` holds, checking after each turn of the event loop: waits for an event, never for time. */
async function until(condition: () => boolean, what: string): Promise<void> {
  for (let turns = 0; !condition(); turns++) {
    if (turns > 100_000) assert.fail(`never happened: ${what}`);
    await new Promise<void>((resolve) => setImmediate(resolve));
  }
}

/**
 * Settles `call`, moving simulated time on to each timer due within `horizonMs` (retry
 * waits, the limiter's spacing) but never to the far-off ones (a provider's default
 * 10-minute timeouts), for calls whose waits are not the point of the test.
 */
async function drive<T>(clock: SimulatedClock, call: Promise<T>, horizonMs = 60_000): Promise<T> {
  let done = false;
  const settled = call.finally(() => {
    done = true;
  });
  settled.catch(() => undefined);
  while (!done) {
    const next = clock.due[0];
    await clock.advance(next !== undefined && next - clock.now() <= horizonMs ? next - clock.now() : 0);
  }
  return settled;
}

const NOW = Date.UTC(2026, 0, 1);

describe('retryDelay (the SDK’s retry policy, with a wait that can be cancelled)', () => {
  const status = (code: number, headers: Record<string, string> = {}): APIError =>
    APIError.generate(code, { error: { message: 'x' } }, undefined, new Headers(headers));

  const noJitter = (): number => 0;
  const delayOf = (error: unknown, retry = 0): number | undefined => retryDelay(error, retry, 60_000, noJitter, NOW);

  test('retries 408, 409, 429 and 5xx; not other 4xx', () => {
    for (const code of [408, 409, 429, 500, 502, 503]) assert.ok(delayOf(status(code)) !== undefined, String(code));
    for (const code of [400, 401, 403, 404, 422]) assert.equal(delayOf(status(code)), undefined, String(code));
  });

  test('honours Retry-After and retry-after-ms, up to the cap', () => {
    assert.equal(delayOf(status(429, { 'retry-after': '2' })), 2_000);
    assert.equal(delayOf(status(503, { 'retry-after-ms': '250' })), 250);
    assert.equal(delayOf(status(429, { 'retry-after': '120' })), undefined);
  });

  test('a Retry-After date is counted from the provider’s clock, not the machine’s', () => {
    const in30s = new Date(NOW + 30_000).toUTCString();
    assert.equal(delayOf(status(429, { 'retry-after': in30s })), 30_000);
    assert.equal(retryDelay(status(429, { 'retry-after': in30s }), 0, 60_000, noJitter, NOW + 40_000), 0, 'a date already past: no wait');
  });

  test('obeys x-should-retry', () => {
    assert.equal(delayOf(status(500, { 'x-should-retry': 'false' })), undefined);
    assert.ok(delayOf(status(400, { 'x-should-retry': 'true' }))! > 0);
  });

  test('connection errors back off 0.5 s, 1 s, 2 s … up to 8 s, minus up to 25 % jitter from the injected source; aborts are final', () => {
    const error = new APIConnectionError({ message: 'boom' });
    for (const [retry, full] of [[0, 500], [1, 1_000], [2, 2_000], [6, 8_000]] as const) {
      assert.equal(retryDelay(error, retry, 60_000, () => 0, NOW), full, `retry ${retry} without jitter`);
      assert.equal(retryDelay(error, retry, 60_000, () => 0.5, NOW), full * 0.875, `retry ${retry} with half the jitter`);
      assert.equal(retryDelay(error, retry, 60_000, () => 1, NOW), full * 0.75, `retry ${retry} with all the jitter`);
    }
    assert.equal(delayOf(new APIUserAbortError()), undefined);
  });
});

describe('OpenAIProvider against the fake server', () => {
  let fake: FakeOpenAI;
  const provider = (config: Partial<OpenAIProviderConfig> = {}): OpenAIProvider =>
    new OpenAIProvider({ id: 'openai', baseURL: fake.url, apiKey: KEY, apiKeyEnv: 'OPENAI_API_KEY', ...config });

  before(async () => {
    fake = await startFakeOpenAI({ apiKey: KEY, models: ['gpt-4o-mini', 'o3-mini', 'local-model'] });
  });
  after(() => fake.close());
  beforeEach(() => fake.reset());

  describe('streaming', () => {
    test('content deltas reach onDelta in order; usage, model, finish reason and cost come back', async () => {
      const deltas: string[] = [];
      const response = await provider().complete(request({ onDelta: (d) => deltas.push(d) }));
      assert.equal(response.text, 'You said: Say something about the sea');
      assert.ok(deltas.length > 3, 'streamed in several pieces');
      assert.equal(deltas.join(''), response.text);
      const promptChars = 'You are terse.'.length + 'Say something about the sea'.length;
      assert.deepEqual(response.usage, {
        inputTokens: Math.ceil(promptChars / 4),
        outputTokens: Math.ceil(response.text.length / 4),
        totalTokens: Math.ceil(promptChars / 4) + Math.ceil(response.text.length / 4),
      });
      assert.equal(response.model, 'gpt-4o-mini');
      assert.equal(response.finishReason, 'stop');
      assert.ok(typeof response.costUsd === 'number' && response.costUsd > 0, 'gpt-4o-mini has a price');
      assert.equal(response.json, undefined);

      const body = chatRequests(fake)[0]!.body!;
      assert.equal(body.stream, true);
      assert.deepEqual(body.stream_options, { include_usage: true });
      assert.deepEqual(body.messages, request().messages);
    });

    test('includeUsage: false sends no stream_options, and usage and cost are then unknown', async () => {
      const response = await provider({ includeUsage: false }).complete(request());
      assert.equal(chatRequests(fake)[0]!.body!.stream_options, undefined);
      assert.equal(response.usage, undefined);
      assert.equal(response.costUsd, undefined);
    });

    test('a slow token rate still streams every delta', async () => {
      fake.script({ kind: 'slow', chunkDelayMs: 20 });
      const deltas: string[] = [];
      const response = await provider().complete(request({ onDelta: (d) => deltas.push(d) }));
      assert.equal(deltas.join(''), response.text);
      assert.equal(response.text, 'You said: Say something about the sea');
    });

    test('an error thrown by onDelta is the engine’s own and propagates unchanged', async () => {
      const boom = new Error('engine callback failed');
      await assert.rejects(
        provider().complete(request({ onDelta: () => { throw boom; } })),
        (error) => error === boom,
      );
    });
  });

  describe('parameters', () => {
    test('temperature, max_tokens, top_p, seed and stop are sent; the key and extra headers too', async () => {
      await provider({ headers: { 'X-Team': 'blue' } }).complete(
        request({ params: { temperature: 0.3, max_tokens: 200, top_p: 0.9, seed: 42, stop: ['\n\n', 'END'] } }),
      );
      const [sent] = chatRequests(fake);
      assert.equal(sent!.body!.temperature, 0.3);
      assert.equal(sent!.body!.max_tokens, 200);
      assert.equal(sent!.body!.top_p, 0.9);
      assert.equal(sent!.body!.seed, 42);
      assert.deepEqual(sent!.body!.stop, ['\n\n', 'END']);
      assert.equal(sent!.body!.model, 'gpt-4o-mini');
      assert.equal(sent!.headers.authorization, `Bearer ${KEY}`);
      assert.equal(sent!.headers['x-team'], 'blue');
    });

    test('parameters that are not set are not sent', async () => {
      await provider().complete(request({ params: { stop: [] } }));
      const body = chatRequests(fake)[0]!.body!;
      for (const name of ['temperature', 'max_tokens', 'max_completion_tokens', 'top_p', 'seed', 'stop', 'response_format']) {
        assert.equal(body[name], undefined, name);
      }
    });

    test('max_tokens that truncates the reply gives finishReason "length"', async () => {
      const response = await provider().complete(request({ params: { max_tokens: 2 } }));
      assert.equal(response.finishReason, 'length');
      assert.equal(response.text.length, 8);
    });

    test('a model that rejects max_tokens gets max_completion_tokens, and that is remembered', async () => {
      const picky = await startFakeOpenAI({ unsupportedParams: ['max_tokens'] });
      try {
        const p = new OpenAIProvider({ id: 'openai', baseURL: picky.url, apiKey: KEY });
        await p.complete(request({ model: 'o3-mini', params: { max_tokens: 50 } }));
        await p.complete(request({ model: 'o3-mini', params: { max_tokens: 50 } }));
        const bodies = picky.requests.map((r) => r.body!);
        assert.equal(bodies.length, 3, 'one rejected request, then two accepted');
        assert.equal(bodies[0]!.max_tokens, 50);
        assert.equal(bodies[1]!.max_completion_tokens, 50);
        assert.equal(bodies[1]!.max_tokens, undefined);
        assert.equal(bodies[2]!.max_completion_tokens, 50);
      } finally {
        await picky.close();
      }
    });
  });

  describe('structured output', () => {
    const schema = {
      title: 'Sea fact',
      type: 'object',
      properties: { fact: { type: 'string', minLength: 3 }, confidence: { type: 'number', minimum: 0, maximum: 1 } },
      required: ['fact', 'confidence'],
      additionalProperties: false,
    };

    test('asks for json_schema (strict: false) and returns the parsed reply', async () => {
      const response = await provider().complete(request({ outputSchema: schema }));
      const body = chatRequests(fake)[0]!.body!;
      assert.deepEqual(body.response_format, { type: 'json_schema', json_schema: { name: 'Sea_fact', schema, strict: false } });
      assert.deepEqual(response.json, { fact: 'example', confidence: 0 });
      assert.equal(response.text, JSON.stringify(response.json));
    });

    test('a scripted reply in a ```json fence is still parsed', async () => {
      fake.script({ kind: 'reply', content: '```json\n{"fact":"salty","confidence":0.9}\n```' });
      const response = await provider().complete(request({ outputSchema: schema }));
      assert.deepEqual(response.json, { fact: 'salty', confidence: 0.9 });
    });

    test('malformed JSON → schema, retryable, with the reply as partialOutput', async () => {
      fake.script({ kind: 'malformed-json' });
      const error = await rejection(provider().complete(request({ outputSchema: schema })));
      assert.equal(error.code, 'schema');
      assert.equal(error.retryable, true);
      assert.match(error.message, /model `gpt-4o-mini` \(provider `openai`\) is not valid JSON/);
      assert.equal(error.partialOutput, '{"answer": "this JSON never ends');
    });

    test('valid JSON that fails the schema is returned parsed; the runner’s one check (validateReply) names what is wrong', async () => {
      fake.script({ kind: 'reply', content: '{"fact":"no","confidence":7}' });
      const response = await provider().complete(request({ outputSchema: schema }));
      assert.deepEqual(response.json, { fact: 'no', confidence: 7 });
      let error: unknown;
      try {
        validateReply(response, schema, { provider: 'openai', model: 'gpt-4o-mini' });
      } catch (caught) {
        error = caught;
      }
      assert.ok(isProviderError(error));
      assert.equal(error.code, 'schema');
      assert.equal(error.retryable, true);
      assert.match(error.message, /does not match the step's output schema/);
      assert.match(error.message, /`fact` must be at least 3 characters long/);
      assert.match(error.message, /`confidence` must be at most 1/);
    });

    test('a reply cut off by max_tokens says so', async () => {
      fake.script({ kind: 'reply', content: '{"fact":"the sea is very large indeed","confidence":0.5}' });
      const error = await rejection(provider().complete(request({ outputSchema: schema, params: { max_tokens: 3 } })));
      assert.equal(error.code, 'schema');
      assert.match(error.message, /cut off at max_tokens/);
    });

    test('a server that rejects json_schema gets json_object plus the schema in the prompt; remembered for the next call', async () => {
      const plain = await startFakeOpenAI({ rejectJsonSchema: true, reply: '{"fact":"tides","confidence":0.5}' });
      try {
        const p = new OpenAIProvider({ id: 'local', baseURL: plain.url, apiKey: '' });
        const first = await p.complete(request({ model: 'local-model', outputSchema: schema }));
        assert.deepEqual(first.json, { fact: 'tides', confidence: 0.5 });
        const second = await p.complete(request({ model: 'local-model', outputSchema: schema }));
        assert.deepEqual(second.json, { fact: 'tides', confidence: 0.5 });

        const bodies = plain.requests.map((r) => r.body!);
        assert.equal(bodies.length, 3, 'one rejected request, then json_object twice');
        assert.equal(bodies[0]!.response_format?.type, 'json_schema');
        assert.deepEqual(bodies[1]!.response_format, { type: 'json_object' });
        assert.deepEqual(bodies[2]!.response_format, { type: 'json_object' });
        const system = bodies[1]!.messages[0]!;
        assert.equal(system.role, 'system');
        assert.match(system.content, /^You are terse\.\n\nReply with only a JSON value/);
        assert.ok(system.content.includes(JSON.stringify(schema)));
        assert.equal(bodies[1]!.messages.length, 2, 'no extra message: the schema joins the system prompt');
      } finally {
        await plain.close();
      }
    });

    test('concurrent first calls to a server without json_schema step down once, not twice', async () => {
      const plain = await startFakeOpenAI({ rejectJsonSchema: true, reply: '{"fact":"foam","confidence":0.1}' });
      try {
        const p = new OpenAIProvider({ id: 'local', baseURL: plain.url, apiKey: '' });
        await Promise.all(Array.from({ length: 4 }, () => p.complete(request({ outputSchema: schema }))));
        const formats = plain.requests.map((r) => r.body!.response_format?.type);
        assert.equal(formats.filter((f) => f === 'json_object').length, 4, 'every call ended on json_object');
        assert.ok(!formats.includes(undefined), 'none fell through to plain instructions');
      } finally {
        await plain.close();
      }
    });

    test('a server that rejects both json_schema and json_object gets plain instructions, still validated', async () => {
      const bare = await startFakeOpenAI({ rejectJsonSchema: true, rejectJsonObject: true, reply: '{"fact":"waves","confidence":1}' });
      try {
        const p = new OpenAIProvider({ id: 'bare', baseURL: bare.url, apiKey: '' });
        const response = await p.complete(request({ outputSchema: schema, messages: [{ role: 'user', content: 'go' }] }));
        assert.deepEqual(response.json, { fact: 'waves', confidence: 1 });
        const last = bare.requests.at(-1)!.body!;
        assert.equal(last.response_format, undefined);
        assert.equal(last.messages[0]!.role, 'system', 'a system message is added first when there is none');
        assert.match(last.messages[0]!.content, /JSON Schema/);
      } finally {
        await bare.close();
      }
    });

    test('an invalid output schema is a bad-request, not retried', () => {
      assert.throws(
        () => validateReply({ text: '{}' }, { type: 'no-such-type' }, { provider: 'openai', model: 'gpt-4o-mini' }),
        (error) => isProviderError(error) && error.code === 'bad-request' && !error.retryable && /not a valid JSON Schema/.test(error.message),
      );
    });
  });

  describe('HTTP failures and the SDK’s retries', () => {
    test('429 with Retry-After: 1 is retried once a second has passed on the provider’s clock, not before', async () => {
      fake.script({ kind: 'status', status: 429, retryAfter: 1 });
      const clock = new SimulatedClock();
      const call = provider({ clock }).complete(request());
      await until(() => clock.due.includes(1_000), 'the 429 arrived and the client waits a second');
      await clock.advance(999);
      assert.equal(fake.calls, 1, 'no retry before the second is up');
      await clock.advance(1);
      const response = await call;
      assert.equal(response.text, 'You said: Say something about the sea');
      assert.equal(fake.calls, 2);
    });

    test('a 429’s Retry-After also holds back the calls queued behind it', async () => {
      fake.script({ kind: 'status', status: 429, retryAfter: 1 });
      const clock = new SimulatedClock();
      const p = provider({ clock });
      const first = p.complete(request());
      await until(() => clock.due.includes(1_000), 'the 429 reached the client');
      const second = p.complete(request());
      await until(() => p.limiter.queued === 1, 'the second call waits in the limiter');
      await clock.advance(999);
      assert.equal(fake.calls, 1, 'nothing is sent during the pause');
      await clock.advance(1);
      await Promise.all([first, second]);
      assert.equal(fake.calls, 3, 'the retry and the queued call, both after the pause');
    });

    test('a Retry-After longer than maxRetryAfterMs fails at once with retryAfterMs for the engine', async () => {
      fake.script({ kind: 'status', status: 429, retryAfter: 120 });
      const error = await rejection(provider().complete(request()));
      assert.equal(error.code, 'rate-limit');
      assert.equal(error.retryable, true);
      assert.equal(error.retryAfterMs, 120_000);
      assert.equal(fake.calls, 1, 'not retried by the SDK');
      assert.match(error.message, /provider `openai` is rate-limiting model `gpt-4o-mini` \(429\); it asked to wait 120 s/);
    });

    test('429 insufficient_quota is not retryable', async () => {
      fake.script(...Array(3).fill({ kind: 'status', status: 429, code: 'insufficient_quota', type: 'insufficient_quota', retryAfterMs: 1 }));
      const error = await rejection(provider({ maxRetries: 0 }).complete(request()));
      assert.equal(error.code, 'rate-limit');
      assert.equal(error.retryable, false);
      assert.match(error.message, /quota/);
    });

    test('500 then success: retried by the SDK', async () => {
      fake.script({ kind: 'status', status: 500 });
      const response = await provider().complete(request());
      assert.equal(response.text, 'You said: Say something about the sea');
      assert.equal(fake.calls, 2);
    });

    test('500 until the retries run out → server error, retryable', async () => {
      fake.script({ kind: 'status', status: 500 }, { kind: 'status', status: 503 });
      const error = await rejection(provider({ maxRetries: 1 }).complete(request()));
      assert.equal(error.code, 'server');
      assert.equal(error.status, 503);
      assert.equal(error.retryable, true);
      assert.equal(fake.calls, 2);
      assert.match(error.message, /provider `openai` failed with a server error \(503\) for model `gpt-4o-mini`/);
    });

    test('401 → auth: names the provider and how to set the key, never the key (which the server echoed)', async () => {
      const wrong = 'sk-wrong-KEY-9876543210zyxwvu';
      const error = await rejection(provider({ apiKey: wrong }).complete(request()));
      assert.equal(error.code, 'auth');
      assert.equal(error.status, 401);
      assert.equal(error.retryable, false);
      assert.equal(
        error.message,
        'the key for provider `openai` was rejected (401) — set it with *Orchestrate: Set API Key* or the OPENAI_API_KEY environment variable',
      );
      assert.ok(chatRequests(fake)[0]!.body, 'the request was sent');
      for (const text of [error.message, error.stack ?? '', JSON.stringify(error), inspect(error, { depth: Infinity, showHidden: true })]) {
        assert.ok(!text.includes(wrong), 'the key is not in the error');
      }
    });

    test('no key at all → auth error before any request', async () => {
      const error = await rejection(provider({ apiKey: async () => undefined }).complete(request()));
      assert.equal(error.code, 'auth');
      assert.match(error.message, /^no API key for provider `openai` — set it with \*Orchestrate: Set API Key\* or the OPENAI_API_KEY/);
      assert.equal(fake.calls, 0);
    });

    test('the key function is asked on each call (a key set later is used)', async () => {
      const store: { key?: string } = {};
      const p = provider({ apiKey: async () => store.key });
      assert.equal((await rejection(p.complete(request()))).code, 'auth');
      store.key = KEY;
      assert.equal((await p.complete(request())).text, 'You said: Say something about the sea');
    });

    test('404 unknown model → not-found naming the model, the provider and the base URL', async () => {
      const error = await rejection(provider().complete(request({ model: 'gpt-9-imaginary' })));
      assert.equal(error.code, 'not-found');
      assert.equal(error.retryable, false);
      assert.equal(error.model, 'gpt-9-imaginary');
      assert.match(error.message, /^model `gpt-9-imaginary` was not found at provider `openai` \(404\)/);
      assert.ok(error.message.includes(fake.url));
    });

    test('400 context_length_exceeded → context-length, not retryable', async () => {
      fake.script({ kind: 'status', status: 400, code: 'context_length_exceeded', message: "This model's maximum context length is 128000 tokens." });
      const error = await rejection(provider().complete(request()));
      assert.equal(error.code, 'context-length');
      assert.equal(error.retryable, false);
      assert.match(error.message, /the prompt is too long for model `gpt-4o-mini` at provider `openai`.*shorten the input/);
    });

    test('another 400 → bad-request with the server’s words', async () => {
      fake.script({ kind: 'status', status: 400, message: "Invalid value for 'temperature': must be <= 2." });
      const error = await rejection(provider().complete(request({ params: { temperature: 5 } })));
      assert.equal(error.code, 'bad-request');
      assert.match(error.message, /must be <= 2/);
    });

    test('an unreachable server → network error naming the URL, retryable', async () => {
      const closed = await startFakeOpenAI();
      const url = closed.url;
      await closed.close();
      const error = await rejection(new OpenAIProvider({ id: 'gone', baseURL: url, apiKey: KEY, maxRetries: 0 }).complete(request()));
      assert.equal(error.code, 'network');
      assert.equal(error.retryable, true);
      assert.ok(error.message.includes(url));
      assert.match(error.message, /ECONNREFUSED/);
    });
  });

  describe('broken and stalled streams', () => {
    test('a connection reset midway → stream-broken, retryable, with the text received so far', async () => {
      fake.script({ kind: 'reset', afterChunks: 2 });
      const deltas: string[] = [];
      const error = await rejection(provider().complete(request({ onDelta: (d) => deltas.push(d) })));
      assert.equal(error.code, 'stream-broken');
      assert.equal(error.retryable, true);
      assert.equal(error.partialOutput, 'You said: ');
      assert.equal(deltas.join(''), error.partialOutput);
      assert.equal(fake.calls, 1, 'a stream that started is not retried inside the call');
      assert.match(error.message, /the reply stream from provider `openai` \(model `gpt-4o-mini`\) broke off after 10 characters/);
    });

    test('a connection reset before any response is retried by the SDK', async () => {
      fake.script({ kind: 'reset' });
      const response = await provider().complete(request());
      assert.equal(response.text, 'You said: Say something about the sea');
      assert.equal(fake.calls, 2);
    });

    test('an error event inside the stream → server error with the partial output', async () => {
      fake.script({ kind: 'stream-error', afterChunks: 1, message: 'overloaded' });
      const error = await rejection(provider().complete(request()));
      assert.equal(error.code, 'server');
      assert.equal(error.retryable, true);
      assert.equal(error.partialOutput, 'You ');
      assert.match(error.message, /overloaded/);
    });

    test('a server that never answers hits the timeout, on the provider’s clock', async () => {
      fake.script({ kind: 'stall' });
      const clock = new SimulatedClock();
      const call = rejection(provider({ timeoutMs: 300, maxRetries: 0, clock }).complete(request()));
      await fake.waitForRequest(1);
      await clock.advance(299);
      assert.equal(chatRequests(fake)[0]!.clientClosedAt, undefined, 'still waiting just before the timeout');
      await clock.advance(1);
      const error = await call;
      assert.equal(error.code, 'timeout');
      assert.equal(error.retryable, true);
      assert.match(error.message, /provider `openai` did not answer within 300 ms for model `gpt-4o-mini`/);
      await fake.waitForClientClose(chatRequests(fake)[0]!);
    });

    test('the timeout fires at a time whose arithmetic rounds (974.86 + 300 − 974.86 < 300 in floating point)', async () => {
      fake.script({ kind: 'stall' });
      const clock = new SimulatedClock(974.8599720307872);
      const call = rejection(provider({ timeoutMs: 300, maxRetries: 0, clock }).complete(request()));
      await fake.waitForRequest(1);
      await clock.advance(300);
      assert.equal((await call).code, 'timeout');
    });

    test('a server that never answers is retried by the client after a timeout, with backoff', async () => {
      fake.script({ kind: 'stall' });
      const clock = new SimulatedClock();
      const call = provider({ timeoutMs: 300, maxRetries: 1, clock, random: () => 0 }).complete(request());
      await fake.waitForRequest(1);
      await clock.advance(300); // the first attempt times out; the backoff (500 ms) begins
      await until(() => clock.due.includes(800), 'the client waits out its backoff');
      await clock.advance(499);
      assert.equal(fake.calls, 1, 'no retry before the backoff is up');
      await clock.advance(1);
      const response = await call;
      assert.equal(response.text, 'You said: Say something about the sea');
      assert.equal(fake.calls, 2);
    });

    test('a stream that stalls midway hits the idle timeout, with the partial output', async () => {
      fake.script({ kind: 'stall', afterChunks: 2 });
      const clock = new SimulatedClock();
      const deltas: string[] = [];
      const call = rejection(provider({ timeoutMs: 300, clock }).complete(request({ onDelta: (d) => deltas.push(d) })));
      await until(() => deltas.join('') === 'You said: ', 'two chunks arrived');
      await clock.advance(299);
      assert.equal(chatRequests(fake)[0]!.clientClosedAt, undefined, 'still reading just before the idle timeout');
      await clock.advance(1);
      const error = await call;
      assert.equal(error.code, 'timeout');
      assert.equal(error.partialOutput, 'You said: ');
      assert.match(error.message, /stopped sending the reply of model `gpt-4o-mini` for 300 ms after 10 characters/);
      await fake.waitForClientClose(chatRequests(fake)[0]!);
    });
  });

  describe('cancellation', () => {
    // No timer of the provider's can close a socket here (its clock never moves), so a
    // closed socket is the cancel's doing.
    test('cancel mid-stream aborts the HTTP request: the server sees the socket close, the reply unfinished', async () => {
      fake.script({ kind: 'slow', chunkDelayMs: 100 });
      const controller = new AbortController();
      const call = provider({ clock: new SimulatedClock() }).complete(request({ signal: controller.signal, onDelta: () => controller.abort() }));
      const error = await rejection(call);
      assert.equal(error.code, 'cancelled');
      assert.equal(error.retryable, false);
      assert.equal(error.partialOutput, 'You ');
      await fake.waitForClientClose(chatRequests(fake)[0]!);
      assert.equal(chatRequests(fake)[0]!.finishedAt, undefined, 'the reply was never completed');
    });

    test('cancel before the headers arrive closes the socket', async () => {
      fake.script({ kind: 'stall' });
      const controller = new AbortController();
      const call = provider({ clock: new SimulatedClock() }).complete(request({ signal: controller.signal }));
      const sent = await fake.waitForRequest(1);
      controller.abort();
      assert.equal((await rejection(call)).code, 'cancelled');
      await fake.waitForClientClose(sent);
    });

    test('cancel while the client waits out a Retry-After ends the wait, and no retry is sent', async () => {
      fake.script({ kind: 'status', status: 429, retryAfter: 30 });
      const clock = new SimulatedClock();
      const controller = new AbortController();
      const call = provider({ clock }).complete(request({ signal: controller.signal }));
      await until(() => clock.due.includes(30_000), 'the client waits out the Retry-After');
      controller.abort();
      const error = await rejection(call);
      assert.equal(error.code, 'cancelled');
      assert.equal(clock.pending, 0, 'no timer is left behind');
      assert.equal(fake.calls, 1);
    });

    test('a timeout abort from the engine (a TimeoutError reason, as AbortSignal.timeout gives) is reported as timeout', async () => {
      fake.script({ kind: 'stall' });
      const controller = new AbortController();
      const call = provider({ clock: new SimulatedClock() }).complete(request({ signal: controller.signal }));
      await fake.waitForRequest(1);
      controller.abort(new DOMException('The operation timed out.', 'TimeoutError'));
      const error = await rejection(call);
      assert.equal(error.code, 'timeout');
      assert.match(error.message, /ran out of time/);
    });

    test('an abort whose reason carries code "timeout" (the engine’s step timeout) is reported as timeout', async () => {
      fake.script({ kind: 'stall' });
      const controller = new AbortController();
      const call = provider().complete(request({ signal: controller.signal }));
      await fake.waitForRequest(1);
      controller.abort(Object.assign(new Error('step took too long'), { code: 'timeout' }));
      assert.equal((await rejection(call)).code, 'timeout');
    });

    test('an already-aborted signal sends nothing', async () => {
      const error = await rejection(provider().complete(request({ signal: AbortSignal.abort() })));
      assert.equal(error.code, 'cancelled');
      assert.equal(fake.calls, 0);
    });

    test('cancel while queued in the limiter: rejected, never sent', async () => {
      const p = provider({ maxConcurrent: 1 });
      fake.script({ kind: 'slow', chunkDelayMs: 30 });
      const first = p.complete(request());
      const controller = new AbortController();
      const second = p.complete(request({ signal: controller.signal }));
      await fake.waitForRequest(1);
      assert.equal(p.limiter.queued, 1);
      controller.abort();
      assert.equal((await rejection(second)).code, 'cancelled');
      await first;
      assert.equal(fake.calls, 1);
    });
  });

  describe('limits', () => {
    test('maxConcurrent bounds the requests in flight at the server', async () => {
      fake.script(...Array(6).fill({ kind: 'slow', chunkDelayMs: 10 }));
      const p = provider({ maxConcurrent: 2 });
      await Promise.all(Array.from({ length: 6 }, () => p.complete(request())));
      const spans = chatRequests(fake).map((r) => [r.receivedAt, r.finishedAt!] as const);
      const overlap = Math.max(...spans.map(([start]) => spans.filter(([s, e]) => s <= start && start < e).length));
      assert.ok(overlap <= 2, `${overlap} requests in flight at once`);
      assert.equal(fake.calls, 6);
    });

    test('with the same rpm budget as the server, a fan-out gets no 429s', async () => {
      const clock = new SimulatedClock();
      const limited = await startFakeOpenAI({ rpm: 600, clock });
      try {
        const p = new OpenAIProvider({ id: 'openai', baseURL: limited.url, apiKey: KEY, rpm: 600, maxRetries: 0, clock });
        const results = await drive(clock, Promise.all(Array.from({ length: 20 }, () => p.complete(request()))));
        assert.equal(results.length, 20);
        assert.equal(limited.stats.rateLimited, 0);
      } finally {
        await limited.close();
      }
    });

    test('without a budget the same fan-out hits the server’s limit (the fake enforces it)', async () => {
      const clock = new SimulatedClock();
      const limited = await startFakeOpenAI({ rpm: 600, clock });
      try {
        const p = new OpenAIProvider({ id: 'openai', baseURL: limited.url, apiKey: KEY, maxRetries: 0, clock });
        const settled = await Promise.allSettled(Array.from({ length: 20 }, () => p.complete(request())));
        const limitedCount = settled.filter((s) => s.status === 'rejected' && (s.reason as ProviderError).code === 'rate-limit').length;
        assert.ok(limitedCount > 0);
        assert.equal(limited.stats.rateLimited, limitedCount);
      } finally {
        await limited.close();
      }
    });
  });

  describe('Azure', () => {
    test('uses the deployment path, the api-version and the api-key header', async () => {
      const azure = await startFakeOpenAI({ apiKey: KEY });
      try {
        const p = new OpenAIProvider({
          id: 'azure',
          apiKey: KEY,
          azure: { endpoint: azure.url.replace(/\/v1$/, '/'), apiVersion: '2024-10-21', deployment: 'my-gpt' },
        });
        const response = await p.complete(request({ model: 'gpt-4o' }));
        assert.equal(response.text, 'You said: Say something about the sea');
        const [sent] = azure.requests;
        assert.equal(sent!.path, '/openai/deployments/my-gpt/chat/completions');
        assert.match(sent!.url, /api-version=2024-10-21/);
        assert.equal(sent!.headers['api-key'], KEY);
        assert.equal(sent!.headers.authorization, undefined);
        assert.equal(p.baseURL, `${azure.url.replace(/\/v1$/, '')}/openai`);
      } finally {
        await azure.close();
      }
    });

    test('a misconfigured client is a bad-request naming the provider', async () => {
      const p = new OpenAIProvider({ id: 'azure', apiKey: KEY, azure: { endpoint: 'https://x.openai.azure.com', apiVersion: '' } });
      const error = await rejection(p.complete(request()));
      assert.equal(error.code, 'bad-request');
      assert.equal(error.retryable, false);
      assert.match(error.message, /^provider `azure` is misconfigured: .*OPENAI_API_VERSION/);
    });
  });

  describe('secrets', () => {
    test('the key appears in no error, response, provider dump or SDK log', async () => {
      const logs: string[] = [];
      const log = (...args: unknown[]): void => {
        logs.push(args.map((a) => (typeof a === 'string' ? a : inspect(a, { depth: Infinity }))).join(' '));
      };
      const clock = new SimulatedClock();
      const config: Partial<OpenAIProviderConfig> = {
        clock,
        maxRetries: 1,
        headers: { 'X-Api-Key': 'hdr-SECRET-abcdefgh' },
        logger: { debug: log, info: log, warn: log, error: log },
        logLevel: 'debug',
      };
      const p = provider(config);
      // Only stalled calls get a short timeout: on simulated time, a normal reply must not race one.
      const impatient = provider({ ...config, timeoutMs: 300 });
      const wrongKey = provider({ apiKey: 'sk-other-SECRET-zyxwvutsrq' });
      const outcomes: unknown[] = [];
      const attempt = async (call: Promise<ModelResponse>): Promise<void> => {
        try {
          outcomes.push(await drive(clock, call));
        } catch (error) {
          outcomes.push(error);
        }
      };
      await attempt(p.complete(request()));
      const leaky = { kind: 'status', status: 500, message: `leaked ${KEY}` } as const;
      fake.script({ kind: 'status', status: 429, retryAfter: 0 }, leaky, leaky, leaky);
      await attempt(p.complete(request()));
      await attempt(p.complete(request()));
      fake.script({ kind: 'status', status: 400, message: `bad key Bearer ${KEY} and hdr-SECRET-abcdefgh` });
      await attempt(p.complete(request()));
      fake.script({ kind: 'reset', afterChunks: 1 });
      await attempt(p.complete(request()));
      fake.script({ kind: 'stall' }, { kind: 'stall' });
      await attempt(impatient.complete(request()));
      fake.script({ kind: 'malformed-json' });
      await attempt(p.complete(request({ outputSchema: { type: 'object' } })));
      await attempt(p.complete(request({ model: 'nope' })));
      await attempt(wrongKey.complete(request()));

      assert.equal(outcomes.filter((o) => o instanceof ProviderError).length, 8);
      assert.ok(logs.length > 0, 'the SDK logged');
      const everything = [
        ...outcomes.flatMap((o) => [JSON.stringify(o), inspect(o, { depth: Infinity, showHidden: true }), o instanceof Error ? `${o.message}\n${o.stack}` : '']),
        inspect(p, { depth: Infinity, showHidden: true }),
        inspect(impatient, { depth: Infinity, showHidden: true }),
        inspect(wrongKey, { depth: Infinity, showHidden: true }),
        ...logs,
      ].join('\n');
      for (const secret of [KEY, 'sk-other-SECRET-zyxwvutsrq', 'hdr-SECRET-abcdefgh']) {
        assert.ok(!everything.includes(secret), `found ${secret}`);
      }
    });
  });
});
