/**
 * `OpenAIProvider`: real model calls to OpenAI and to any server that speaks its
 * chat-completions protocol (Azure OpenAI, vLLM, llama.cpp, Ollama, LM Studio,
 * OpenRouter, Groq, LiteLLM…), through the official `openai` SDK. Longer than the
 * house's 400 lines: one request's life (limits, streaming, structured-output
 * fallbacks, retries, errors) reads best in one place.
 *
 * What it adds on top of the SDK:
 * - streaming with `onDelta`, usage from the final chunk, and an idle timeout on the
 *   stream (the SDK's timeout stops counting once the response headers arrive);
 * - structured output: `json_schema`, falling back to `json_object` and then to plain
 *   instructions when a server rejects it (remembered per model), with the reply
 *   parsed (the runner checks it against the schema, once);
 * - a per-provider rate limiter (concurrency, rpm, tpm), fed by servers' `Retry-After`;
 * - the SDK's retry policy, run here so that a cancel ends a retry wait at once;
 * - cancellation that aborts the HTTP request at once, whatever phase it is in;
 * - errors mapped to `ProviderError`s whose messages say what to do and never
 *   contain the key.
 */
import { APIConnectionError, APIConnectionTimeoutError, APIError, APIUserAbortError, AzureOpenAI, OpenAI, type ClientOptions } from 'openai';
import type { Stream } from 'openai/streaming';
import type {
  ChatCompletionChunk,
  ChatCompletionCreateParamsStreaming,
  ChatCompletionMessageParam,
} from 'openai/resources/chat/completions';
import { systemClock, systemRandom } from '../clock';
import type { ChatMessage, Clock, ModelRequest, ModelResponse, ModelToolCall, Provider, RandomSource, Usage } from '../types';
import { BoundedMap } from './bounded-map';
import {
  ProviderError,
  abortError,
  describeCause,
  fromSdkError,
  missingKeyError,
  redactSecrets,
  rejectsMaxTokens,
  rejectsResponseFormat,
  retryAfterMs,
  type ErrorContext,
} from './errors';
import { costFor } from './pricing';
import { RateLimiter, estimateTokens } from './rate-limit';
import { parseReply, withSchemaInstruction } from './structured';

/** Azure OpenAI: the resource endpoint, the API version, and optionally a fixed deployment. */
export interface AzureSettings {
  /** e.g. `https://my-resource.openai.azure.com` */
  endpoint: string;
  /** e.g. `2024-10-21` */
  apiVersion: string;
  /** When absent, the step's model name is used as the deployment name. */
  deployment?: string;
}

export interface OpenAIProviderConfig {
  /** The name steps use in `model.provider`, and that messages show. */
  id: string;
  /** Default `https://api.openai.com/v1`. Ignored with `azure`. */
  baseURL?: string;
  /**
   * The key, or a function asked before every call (so a key set while the editor
   * runs is picked up). A function that returns `undefined` means "no key set" and
   * fails the call with an `auth` error; the empty string means the server needs no
   * key (local servers).
   */
  apiKey: string | (() => Promise<string | undefined>);
  /** The environment variable that holds the key, named in auth error messages. */
  apiKeyEnv?: string;
  /** Extra headers on every request. */
  headers?: Record<string, string>;
  /** Ask for usage in the stream (`stream_options.include_usage`). Default true; turn off for servers that reject it. */
  includeUsage?: boolean;
  azure?: AzureSettings;
  /** Calls in flight at once. Default 16. */
  maxConcurrent?: number;
  /** Requests per minute this provider allows. */
  rpm?: number;
  /** Tokens per minute this provider allows. */
  tpm?: number;
  /** HTTP retries inside one call (429, 408, 409, 5xx, connection errors), honouring `Retry-After`. Default 2. */
  maxRetries?: number;
  /**
   * Per HTTP attempt: how long to wait for the response headers, and for each next
   * chunk of the stream. Default 10 minutes (the SDK's); steps bound the whole call
   * with their own `timeout`.
   */
  timeoutMs?: number;
  /** The `fetch` to use (tests, proxies). Default the global `fetch`. */
  fetch?: typeof fetch;
  /** The price table's provider id, when it differs from `id` (e.g. a proxy in front of `openai`). */
  pricingProvider?: string;
  /**
   * The longest `Retry-After` the client waits for inside a call. A server asking for
   * longer (a daily quota, say) fails the call at once with a `rate-limit` error that
   * carries `retryAfterMs`, rather than hanging the run. Default 60 s.
   */
  maxRetryAfterMs?: number;
  /** Share one limiter between providers that share a budget. */
  limiter?: RateLimiter;
  /**
   * Time for everything the provider waits on: the header and idle timeouts, retry
   * waits, `Retry-After` dates and the limiter. Default the real clock (the limiter then
   * reads the monotonic `performance.now()`).
   */
  clock?: Clock;
  /** Jitter for the retry backoff. Default `Math.random`. */
  random?: RandomSource;
  /** The SDK's logger and level; default silent (the SDK would write to the console). */
  logger?: ClientOptions['logger'];
  logLevel?: ClientOptions['logLevel'];
}

/** How a model takes structured output, learnt from its server's 400s. */
type StructuredMode = 'json_schema' | 'json_object' | 'prompt';

/** What a model turned out to accept; starts optimistic and only ever steps down. */
interface ModelCompat {
  structured: StructuredMode;
  maxTokensParam: 'max_tokens' | 'max_completion_tokens';
}

export const DEFAULT_MAX_CONCURRENT = 16;
export const DEFAULT_TIMEOUT_MS = 10 * 60_000;
export const DEFAULT_MAX_RETRY_AFTER_MS = 60_000;
/**
 * The SDK's own timeout, set out of reach: timeouts are ours, on the injected clock
 * (the SDK's is a bare `setTimeout`, and stops counting once the headers arrive).
 */
const SDK_TIMEOUT_MS = 2_147_483_647;
/** Models whose quirks are remembered per provider; a workflow names a handful, an editor session perhaps dozens. */
const MAX_REMEMBERED_MODELS = 256;
const DEFAULT_BASE_URL = 'https://api.openai.com/v1';
/** Sent when a server needs no key: the SDK insists on one. */
const NO_KEY = 'no-key';
const SECRET_HEADER = /authorization|api[-_]?key|token|secret|cookie/i;

export class OpenAIProvider implements Provider {
  readonly id: string;
  /** The provider's limiter: read `active`/`queued` for diagnostics. */
  readonly limiter: RateLimiter;
  // Private (#) fields: `util.inspect` and loggers never show them, so logging the
  // provider cannot leak the key or the client that holds it.
  readonly #config: OpenAIProviderConfig;
  #client?: { key: string; client: OpenAI };
  readonly #compat = new BoundedMap<string, ModelCompat>(MAX_REMEMBERED_MODELS);
  readonly #timeoutMs: number;
  readonly #maxRetryAfterMs: number;
  readonly #clock: Clock;
  readonly #random: RandomSource;

  constructor(config: OpenAIProviderConfig) {
    this.id = config.id;
    this.#config = config;
    this.#timeoutMs = config.timeoutMs ?? DEFAULT_TIMEOUT_MS;
    this.#maxRetryAfterMs = config.maxRetryAfterMs ?? DEFAULT_MAX_RETRY_AFTER_MS;
    this.#clock = config.clock ?? systemClock;
    this.#random = config.random ?? systemRandom;
    this.limiter =
      config.limiter ??
      new RateLimiter({
        maxConcurrent: config.maxConcurrent ?? DEFAULT_MAX_CONCURRENT,
        rpm: config.rpm,
        tpm: config.tpm,
        clock: config.clock,
      });
  }

  /** Where requests go, for messages and pricing. */
  get baseURL(): string {
    const azure = this.#config.azure;
    return azure ? `${azure.endpoint.replace(/\/+$/, '')}/openai` : (this.#config.baseURL ?? DEFAULT_BASE_URL);
  }

  async complete(request: ModelRequest): Promise<ModelResponse> {
    const ctx = this.#context(request, []);
    if (request.signal.aborted) throw abortError(ctx);
    const key = await this.#resolveKey(ctx);
    ctx.secrets = this.#secrets(key);

    const promptChars = request.messages.reduce((sum, m) => sum + m.content.length, 0);
    let slot;
    try {
      slot = await this.limiter.acquire(estimateTokens(promptChars, request.params.max_tokens), request.signal);
    } catch {
      throw abortError(ctx);
    }
    let usedTokens: number | undefined;
    try {
      const response = await this.#completeWithFallbacks(this.#clientFor(key, ctx), request, ctx);
      usedTokens = response.usage?.totalTokens;
      return response;
    } finally {
      slot.release(usedTokens);
    }
  }

  // ─── The call ──────────────────────────────────────────────────────────────

  /** Sends the request, stepping down what the model is asked for when its server says it can't. */
  async #completeWithFallbacks(client: OpenAI, request: ModelRequest, ctx: ErrorContext): Promise<ModelResponse> {
    let compat = this.#compat.get(request.model);
    if (!compat) {
      compat = { structured: 'json_schema', maxTokensParam: 'max_tokens' };
      this.#compat.set(request.model, compat);
    }
    for (;;) {
      // What this attempt asks for: concurrent calls share `compat`, so a step down is
      // judged against what the rejected request used, never applied twice.
      const used = { ...compat };
      try {
        return await this.#callOnce(client, request, used, ctx);
      } catch (error) {
        if (error instanceof ProviderError) throw error;
        if (error instanceof CallbackError) throw error.error;
        if (request.outputSchema && used.structured !== 'prompt' && rejectsResponseFormat(error)) {
          if (compat.structured === used.structured) compat.structured = used.structured === 'json_schema' ? 'json_object' : 'prompt';
          continue;
        }
        if (used.maxTokensParam === 'max_tokens' && request.params.max_tokens !== undefined && rejectsMaxTokens(error)) {
          compat.maxTokensParam = 'max_completion_tokens';
          continue;
        }
        throw fromSdkError(error, ctx);
      }
    }
  }

  async #callOnce(client: OpenAI, request: ModelRequest, compat: ModelCompat, ctx: ErrorContext): Promise<ModelResponse> {
    const body = this.#body(request, compat);
    // Our own controller for the stream's idle timeout, joined with the run's signal;
    // the SDK listens to the joined signal and aborts the HTTP request on either.
    const idle = new AbortController();
    const signal = AbortSignal.any([request.signal, idle.signal]);

    const stream = await this.#send(client, body, signal, request.signal);

    let text = '';
    let refusal = '';
    const calls = new ToolCallAssembler();
    let usage: ChatCompletionChunk['usage'] | undefined;
    let model: string | undefined;
    let finishReason: string | undefined;
    let callbackError: { error: unknown } | undefined;
    const watch = watchIdle(this.#clock, this.#timeoutMs, () => idle.abort());
    try {
      for await (const chunk of stream) {
        watch.touch();
        if (chunk.model) model = chunk.model;
        if (chunk.usage) usage = chunk.usage;
        const choice = chunk.choices?.[0];
        if (!choice) continue;
        if (choice.finish_reason) finishReason = choice.finish_reason;
        if (choice.delta?.tool_calls) calls.add(choice.delta.tool_calls);
        const delta = choice.delta?.content;
        if (choice.delta?.refusal) refusal += choice.delta.refusal;
        if (delta) {
          text += delta;
          try {
            request.onDelta?.(delta);
          } catch (error) {
            // The engine's callback failed: not the stream's fault; stop reading and rethrow it as is.
            callbackError = { error };
            break;
          }
        }
      }
    } catch (error) {
      throw this.#streamError(error, request, idle.signal, { ...ctx, partialOutput: text });
    } finally {
      watch.stop();
    }
    if (callbackError) throw new CallbackError(callbackError.error);
    // The SDK's stream ends quietly (no throw) when its request is aborted.
    if (request.signal.aborted) throw abortError({ ...ctx, partialOutput: text });
    if (idle.signal.aborted) throw this.#idleTimeout(ctx, text);

    const result: ModelResponse = { text, model: model ?? request.model, finishReason };
    const toolCalls = calls.finish();
    if (toolCalls.length > 0) result.toolCalls = toolCalls;
    if (usage) {
      const inputTokens = usage.prompt_tokens ?? 0;
      const outputTokens = usage.completion_tokens ?? 0;
      result.usage = { inputTokens, outputTokens, totalTokens: usage.total_tokens ?? inputTokens + outputTokens };
      result.costUsd = this.#cost(result.model ?? request.model, result.usage, usage.prompt_tokens_details?.cached_tokens);
    }
    if (request.outputSchema && toolCalls.length === 0) {
      if (!text && refusal) {
        throw new ProviderError({
          code: 'schema',
          provider: this.id,
          model: request.model,
          message: `model \`${request.model}\` (provider \`${this.id}\`) refused to answer: ${redactSecrets(refusal, ctx.secrets)}`,
        });
      }
      result.json = this.#parseStructured(text, request, finishReason);
    } else if (!text && refusal) {
      result.text = refusal;
    }
    return result;
  }

  /**
   * Sends the request, retrying what the SDK would retry (connection errors and
   * timeouts, 408, 409, 429, 5xx, or whatever `x-should-retry` says) up to
   * `maxRetries` times, after `Retry-After` / `retry-after-ms` or the SDK's backoff.
   *
   * Why not the SDK's own retries: it sleeps with a bare `setTimeout` that ignores the
   * signal, so a cancelled call would leave a timer alive for the whole `Retry-After`
   * (holding a CLI process open), and its wait counts against nothing we control.
   * Here the wait ends the moment the run is cancelled, and a 429's wait also pauses
   * this provider's limiter so the calls queued behind it do not hit the same wall.
   */
  async #send(
    client: OpenAI,
    body: ChatCompletionCreateParamsStreaming,
    signal: AbortSignal,
    runSignal: AbortSignal,
  ): Promise<Stream<ChatCompletionChunk>> {
    const maxRetries = this.#config.maxRetries ?? 2;
    for (let retry = 0; ; retry++) {
      // Waiting for the headers is bounded per HTTP attempt, on our clock.
      const attempt = new AbortController();
      const noHeaders = watchIdle(this.#clock, this.#timeoutMs, () => attempt.abort());
      try {
        // Raced with the run's signal and the header timeout, so that either returns at once
        // whatever the SDK is doing (it misses an abort that lands while it prepares the request).
        return await raceAbort(
          client.chat.completions.create(body, { signal: AbortSignal.any([signal, attempt.signal]), timeout: SDK_TIMEOUT_MS, maxRetries: 0 }),
          AbortSignal.any([runSignal, attempt.signal]),
          (late) => late.controller.abort(),
        );
      } catch (caught) {
        // Our header timeout is the SDK's timeout error, as the SDK would have raised it.
        const error = attempt.signal.aborted && !signal.aborted ? new APIConnectionTimeoutError() : caught;
        if (retry >= maxRetries || runSignal.aborted) throw error;
        const delay = retryDelay(error, retry, this.#maxRetryAfterMs, this.#random, this.#clock.now());
        if (delay === undefined) throw error;
        if (error instanceof APIError && error.status === 429) this.limiter.pauseFor(delay);
        await this.#clock.sleep(delay, runSignal).catch(() => {
          throw new APIUserAbortError();
        });
      } finally {
        noHeaders.stop();
      }
    }
  }

  #body(request: ModelRequest, compat: ModelCompat): ChatCompletionCreateParamsStreaming {
    const { temperature, max_tokens, top_p, seed, stop } = request.params;
    let messages: ChatMessage[] = request.messages;
    const body: ChatCompletionCreateParamsStreaming = {
      model: request.model,
      messages: [],
      stream: true,
    };
    if (this.#config.includeUsage ?? true) body.stream_options = { include_usage: true };
    if (temperature !== undefined) body.temperature = temperature;
    if (top_p !== undefined) body.top_p = top_p;
    if (seed !== undefined) body.seed = seed;
    if (stop !== undefined && stop.length > 0) body.stop = stop;
    if (max_tokens !== undefined) body[compat.maxTokensParam] = max_tokens;

    const schema = request.outputSchema;
    if (schema) {
      if (compat.structured === 'json_schema') {
        body.response_format = {
          type: 'json_schema',
          json_schema: { name: schemaName(schema), schema, strict: false },
        };
      } else {
        // Without json_schema the model only learns the shape from the prompt. (OpenAI's
        // json_object mode also insists that the messages mention JSON.)
        if (compat.structured === 'json_object') body.response_format = { type: 'json_object' };
        messages = withSchemaInstruction(messages, schema);
      }
    }
    body.messages = messages.map(toOpenAiMessage);
    if (request.tools && request.tools.length > 0) body.tools = request.tools;
    return body;
  }

  // ─── Structured output ─────────────────────────────────────────────────────

  #parseStructured(text: string, request: ModelRequest, finishReason: string | undefined): unknown {
    return parseReply(text, { provider: this.id, model: request.model, finishReason });
  }

  // ─── Errors ────────────────────────────────────────────────────────────────

  #context(request: ModelRequest, secrets: string[]): ErrorContext {
    return {
      provider: this.id,
      model: request.model,
      baseURL: this.baseURL,
      apiKeyEnv: this.#config.apiKeyEnv,
      secrets,
      signal: request.signal,
      timeoutMs: this.#timeoutMs,
      now: () => this.#clock.now(),
    };
  }

  /** A failure after the stream started: what was received so far goes along as `partialOutput`. */
  #streamError(error: unknown, request: ModelRequest, idle: AbortSignal, ctx: ErrorContext): ProviderError {
    if (error instanceof ProviderError) return error;
    if (request.signal.aborted) return abortError(ctx);
    if (idle.aborted) return this.#idleTimeout(ctx, ctx.partialOutput ?? '');
    // An `error` object sent inside the stream: a server error, with whatever came before it.
    if (error instanceof APIError && !(error instanceof APIConnectionError)) return fromSdkError(error, ctx);
    const received = ctx.partialOutput?.length ?? 0;
    const why = redactSecrets(describeCause(error) || String(error), ctx.secrets);
    return new ProviderError({
      code: 'stream-broken',
      provider: this.id,
      model: request.model,
      partialOutput: ctx.partialOutput,
      message: `the reply stream from provider \`${this.id}\` (model \`${request.model}\`) broke off after ${received} characters (${why}) — retrying the step usually helps`,
    });
  }

  #idleTimeout(ctx: ErrorContext, partialOutput: string): ProviderError {
    return new ProviderError({
      code: 'timeout',
      provider: this.id,
      model: ctx.model,
      partialOutput,
      message: `provider \`${this.id}\` stopped sending the reply of model \`${ctx.model}\` for ${this.#timeoutMs} ms after ${partialOutput.length} characters — try again, or raise the provider's timeoutMs`,
    });
  }

  // ─── Key, client, fetch ────────────────────────────────────────────────────

  async #resolveKey(ctx: ErrorContext): Promise<string> {
    const source = this.#config.apiKey;
    if (typeof source === 'string') return source;
    let key: string | undefined;
    try {
      key = await source();
    } catch (error) {
      throw new ProviderError({
        code: 'auth',
        provider: this.id,
        model: ctx.model,
        message: `could not read the API key for provider \`${this.id}\`: ${redactSecrets((error as Error)?.message ?? String(error))}`,
      });
    }
    // '' is a deliberate "no key needed"; only a missing value is an error.
    if (key === undefined || key === null) throw missingKeyError(ctx);
    return key;
  }

  /** Everything that must never appear in a message: the key and secret-looking header values. */
  #secrets(key: string): string[] {
    const secrets = [key];
    for (const [name, value] of Object.entries(this.#config.headers ?? {})) {
      if (SECRET_HEADER.test(name)) secrets.push(value.replace(/^Bearer\s+/i, ''));
    }
    return secrets;
  }

  /** One client per key: keeps the SDK's connection reuse, and follows a key that changes. */
  #clientFor(key: string, ctx: ErrorContext): OpenAI {
    if (this.#client?.key === key) return this.#client.client;
    try {
      return this.#newClient(key);
    } catch (error) {
      // The SDK checks its options when built (e.g. Azure without an api version).
      throw new ProviderError({
        code: 'bad-request',
        provider: this.id,
        model: ctx.model,
        message: `provider \`${this.id}\` is misconfigured: ${redactSecrets((error as Error).message, ctx.secrets)}`,
      });
    }
  }

  #newClient(key: string): OpenAI {
    const config = this.#config;
    const common = {
      apiKey: key || NO_KEY,
      // Explicit nulls keep the SDK from reading OPENAI_* variables behind our back:
      // configuration is config.ts's job, and the engine must behave the same everywhere.
      organization: null,
      project: null,
      webhookSecret: null,
      maxRetries: 0,
      timeout: SDK_TIMEOUT_MS,
      fetch: config.fetch,
      // Retries are ours (see #send); the SDK sends each request once.
      defaultHeaders: config.headers,
      logger: config.logger,
      logLevel: config.logLevel ?? 'off',
    } satisfies ClientOptions;
    const client = config.azure
      ? new AzureOpenAI({
          ...common,
          baseURL: null,
          endpoint: config.azure.endpoint,
          apiVersion: config.azure.apiVersion,
          deployment: config.azure.deployment,
        })
      : new OpenAI({ ...common, baseURL: config.baseURL ?? DEFAULT_BASE_URL });
    this.#client = { key, client };
    return client;
  }

  #cost(model: string, usage: Usage, cachedInputTokens: number | undefined): number | undefined {
    const pricingId = this.#config.pricingProvider ?? (this.#config.azure ? 'azure' : this.id);
    return costFor(pricingId, model, usage, { baseURL: this.baseURL, cachedInputTokens });
  }
}

// ─── Helpers ─────────────────────────────────────────────────────────────────

/** Carries an error thrown by the caller's `onDelta` past the SDK-error mapping, unchanged. */
class CallbackError {
  constructor(readonly error: unknown) {}
}

/**
 * Resolves or rejects with `promise`, unless `signal` aborts first (then rejects with
 * the SDK's abort error). A result that arrives after the abort goes to `onLate`.
 */
function raceAbort<T>(promise: Promise<T>, signal: AbortSignal, onLate: (value: T) => void): Promise<T> {
  return new Promise<T>((resolve, reject) => {
    let settled = false;
    const onAbort = (): void => {
      settled = true;
      reject(new APIUserAbortError());
    };
    if (signal.aborted) onAbort();
    else signal.addEventListener('abort', onAbort, { once: true });
    promise.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        if (settled) onLate(value);
        else resolve(value);
      },
      (error: unknown) => {
        signal.removeEventListener('abort', onAbort);
        if (!settled) reject(error);
      },
    );
  });
}

/**
 * How long to wait before retrying after `error`, the way the SDK decides; `undefined`
 * when it should not be retried, or when the server asks for longer than `maxWaitMs`.
 */
export function retryDelay(error: unknown, retry: number, maxWaitMs: number, random: RandomSource, now: number): number | undefined {
  if (error instanceof APIUserAbortError) return undefined;
  if (error instanceof APIConnectionError) return backoff(retry, random); // includes timeouts
  if (!(error instanceof APIError) || error.status === undefined) return undefined;
  const verdict = error.headers?.get('x-should-retry');
  const retryable =
    verdict === 'true' ||
    (verdict !== 'false' && (error.status === 408 || error.status === 409 || error.status === 429 || error.status >= 500));
  if (!retryable) return undefined;
  const asked = retryAfterMs(error.headers, now);
  if (asked === undefined) return backoff(retry, random);
  return asked <= maxWaitMs ? asked : undefined;
}

/** The SDK's backoff: 0.5 s doubling per retry up to 8 s, minus up to 25 % jitter. */
function backoff(retry: number, random: RandomSource): number {
  return Math.min(500 * 2 ** retry, 8_000) * (1 - random() * 0.25);
}

/**
 * Calls `onIdle` once `ms` pass on `clock` without a `touch()`. One timer per `ms`,
 * not one per touch: a stream touches it for every chunk.
 */
function watchIdle(clock: Clock, ms: number, onIdle: () => void): { touch(): void; stop(): void } {
  let last = clock.now();
  const stopped = new AbortController();
  const wait = (delay: number): void => {
    clock.sleep(delay, stopped.signal).then(
      () => {
        const remaining = last + ms - clock.now();
        // A sliver left over from floating-point arithmetic counts as none: waiting it out
        // on a simulated clock would wake at the same instant, for ever.
        if (remaining < 0.001) onIdle();
        else wait(remaining);
      },
      () => undefined, // stopped
    );
  };
  wait(ms);
  return {
    touch: () => {
      last = clock.now();
    },
    stop: () => stopped.abort(),
  };
}

/** `json_schema.name` must match `^[a-zA-Z0-9_-]{1,64}$`: the schema's title when usable, else `output`. */
function schemaName(schema: Record<string, unknown>): string {
  const title = typeof schema.title === 'string' ? schema.title.replace(/[^a-zA-Z0-9_-]+/g, '_').slice(0, 64) : '';
  return /[a-zA-Z0-9]/.test(title) ? title : 'output';
}

/** Our messages in OpenAI's shape: tool results answer their call by id; assistant turns carry the calls they made. */
function toOpenAiMessage(m: ChatMessage): ChatCompletionMessageParam {
  if (m.role === 'tool') return { role: 'tool', tool_call_id: m.toolCallId ?? '', content: m.content };
  if (m.role === 'assistant' && m.toolCalls && m.toolCalls.length > 0) {
    return {
      role: 'assistant',
      content: m.content === '' ? null : m.content,
      tool_calls: m.toolCalls.map((call) => ({ id: call.id, type: 'function' as const, function: { name: call.name, arguments: call.arguments } })),
    };
  }
  return { role: m.role, content: m.content };
}

type ToolCallDelta = NonNullable<NonNullable<ChatCompletionChunk['choices'][number]['delta']>['tool_calls']>[number];

/**
 * Streamed tool calls arrive in pieces, by `index`: the id and name in the first
 * piece, the arguments as JSON text split across any number of them.
 */
class ToolCallAssembler {
  private readonly byIndex = new Map<number, ModelToolCall>();

  add(deltas: readonly ToolCallDelta[]): void {
    for (const delta of deltas) {
      let call = this.byIndex.get(delta.index);
      if (!call) {
        call = { id: '', name: '', arguments: '' };
        this.byIndex.set(delta.index, call);
      }
      if (delta.id) call.id = delta.id;
      if (delta.function?.name) call.name += delta.function.name;
      if (delta.function?.arguments) call.arguments += delta.function.arguments;
    }
  }

  /** The calls in index order; a call with no id gets one, so its result can still answer it. */
  finish(): ModelToolCall[] {
    return [...this.byIndex.entries()].sort(([a], [b]) => a - b).map(([index, call]) => ({ ...call, id: call.id || `call_${index}` }));
  }
}
