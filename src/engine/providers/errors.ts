/**
 * Errors of real model providers: one class, `ProviderError`, with a stable `code`, a
 * `retryable` verdict and a message a person can act on. Every message names the
 * provider and the model (the engine adds the step id) and never contains a secret:
 * whatever text comes from the server passes through {@link redactSecrets} first, and
 * the SDK's own error objects (which carry response bodies and headers) are never
 * attached as `cause`.
 */
import {
  APIConnectionError,
  APIConnectionTimeoutError,
  APIError,
  APIUserAbortError,
  AuthenticationError,
  BadRequestError,
  InternalServerError,
  NotFoundError,
  PermissionDeniedError,
  RateLimitError,
  UnprocessableEntityError,
} from 'openai';
import { EngineError, isEngineError, type ErrorCode } from '../errors';

/** The kinds of failure a model call has (a subset of the engine's {@link ErrorCode}). */
export type ProviderErrorCode = Extract<
  ErrorCode,
  'auth' | 'not-found' | 'rate-limit' | 'context-length' | 'server' | 'network' | 'timeout' | 'cancelled' | 'schema' | 'bad-request' | 'stream-broken'
>;

/**
 * Whether the same request may succeed if sent again. `rate-limit` and `server`
 * errors reach the engine only after the client's own retries ran out, but a step-level
 * retry (after its delay) is still worth it; `schema` (a reply that is not JSON or off
 * the step's schema) is retryable because a model's next answer may well fit.
 */
export const RETRYABLE: Readonly<Record<ProviderErrorCode, boolean>> = {
  auth: false,
  'not-found': false,
  'rate-limit': true,
  'context-length': false,
  server: true,
  network: true,
  timeout: true,
  cancelled: false,
  schema: true,
  'bad-request': false,
  'stream-broken': true,
};

export interface ProviderErrorInit {
  code: ProviderErrorCode;
  provider: string;
  model: string;
  message: string;
  /** Defaults to {@link RETRYABLE}[code]. */
  retryable?: boolean;
  status?: number;
  partialOutput?: string;
  retryAfterMs?: number;
}

/**
 * A failed model call: an {@link EngineError} that also names the provider, the model
 * and the HTTP status. The engine turns it into an `ErrorInfo` (adding the step id),
 * retries it when `retryable` and the step has retries left, waits at least
 * `retryAfterMs` when given, and records `partialOutput` on the failure event.
 */
export class ProviderError extends EngineError {
  override name = 'ProviderError';
  declare readonly code: ProviderErrorCode;
  readonly provider: string;
  readonly model: string;
  /** The HTTP status, when the server answered. */
  readonly status?: number;

  constructor(init: ProviderErrorInit) {
    super({
      code: init.code,
      message: init.message,
      retryable: init.retryable ?? RETRYABLE[init.code],
      partialOutput: init.partialOutput,
      retryAfterMs: init.retryAfterMs,
    });
    this.provider = init.provider;
    this.model = init.model;
    if (init.status !== undefined) this.status = init.status;
  }

  /** A plain, secret-free object for traces and JSON output. */
  toJSON(): Record<string, unknown> {
    return {
      name: this.name,
      code: this.code,
      message: this.message,
      provider: this.provider,
      model: this.model,
      retryable: this.retryable,
      status: this.status,
      partialOutput: this.partialOutput,
      retryAfterMs: this.retryAfterMs,
    };
  }
}

/** `instanceof` that also works when two bundles each carry a copy of this module. */
export function isProviderError(error: unknown): error is ProviderError {
  return error instanceof ProviderError || (isEngineError(error) && error.name === 'ProviderError');
}

// ─── Redaction ───────────────────────────────────────────────────────────────

/** Shapes of API keys and tokens that must never reach a message, even ones we were not given. */
const SECRET_SHAPES = [
  /\bsk-[A-Za-z0-9_*.-]{8,}/g, // OpenAI and many compatible servers (also their masked echoes)
  /\bBearer\s+[A-Za-z0-9_.~+/=-]{8,}/gi,
];

/**
 * Replaces every occurrence of the given secrets, and anything shaped like an API key,
 * with `***`. Secrets shorter than 4 characters are ignored (they would mangle text).
 */
export function redactSecrets(text: string, secrets: readonly (string | undefined)[] = []): string {
  let out = text;
  for (const secret of secrets) {
    if (secret && secret.length >= 4) out = out.split(secret).join('***');
  }
  for (const shape of SECRET_SHAPES) out = out.replace(shape, '***');
  return out;
}

// ─── Mapping SDK errors ──────────────────────────────────────────────────────

/** What {@link fromSdkError} needs to write a useful message. */
export interface ErrorContext {
  provider: string;
  model: string;
  /** Where the provider lives, for network and 404 messages. */
  baseURL?: string;
  /** The environment variable that holds the key, named in auth messages. */
  apiKeyEnv?: string;
  /** Strings to redact from anything the server says (the key, secret headers). */
  secrets: readonly (string | undefined)[];
  /** The request's signal: tells a cancel from a timeout. */
  signal?: AbortSignal;
  /** The per-request timeout, for the message. */
  timeoutMs?: number;
  partialOutput?: string;
  /** The time now, in milliseconds since the epoch (from the provider's clock): a `Retry-After` may be a date. */
  now: () => number;
}

/** How a person sets a key, for auth messages. */
export function keyHint(apiKeyEnv: string | undefined): string {
  return apiKeyEnv
    ? `set it with *Orchestrate: Set API Key* or the ${apiKeyEnv} environment variable`
    : 'set it with *Orchestrate: Set API Key* or the provider’s `apiKeyEnv` in orchestrate.config.json';
}

/** The error for a missing key, before any request is sent. */
export function missingKeyError(ctx: ErrorContext): ProviderError {
  return new ProviderError({
    code: 'auth',
    provider: ctx.provider,
    model: ctx.model,
    message: `no API key for provider \`${ctx.provider}\` — ${keyHint(ctx.apiKeyEnv)}`,
  });
}

/**
 * The error for an aborted signal: `timeout` when a timeout fired (an abort reason
 * named `TimeoutError`, as `AbortSignal.timeout()` gives, or carrying
 * `code: 'timeout'`, as the engine's step timeout does), else `cancelled`.
 */
export function abortError(ctx: ErrorContext): ProviderError {
  const reason = ctx.signal?.reason as { name?: unknown; code?: unknown } | undefined;
  const isTimeout = typeof reason === 'object' && reason !== null && (reason.name === 'TimeoutError' || reason.code === 'timeout');
  return new ProviderError({
    code: isTimeout ? 'timeout' : 'cancelled',
    provider: ctx.provider,
    model: ctx.model,
    message: isTimeout
      ? `the call to model \`${ctx.model}\` at provider \`${ctx.provider}\` ran out of time`
      : `the call to model \`${ctx.model}\` at provider \`${ctx.provider}\` was cancelled`,
    partialOutput: ctx.partialOutput,
  });
}

/** The server's own words, redacted and shortened; '' when it said nothing useful. */
function serverDetail(error: APIError, secrets: ErrorContext['secrets']): string {
  const body = error.error as { message?: unknown } | undefined;
  let text = typeof body?.message === 'string' ? body.message : '';
  if (!text) text = error.message.replace(/^\d{3}\s*/, '');
  if (/status code \(no body\)/.test(text)) return '';
  text = redactSecrets(text.trim(), secrets);
  return text.length > 400 ? `${text.slice(0, 400)}…` : text;
}

function withDetail(detail: string): string {
  return detail ? `: ${detail}` : '';
}

/** Parses `Retry-After` / `retry-after-ms` from a response's headers; `now` (ms since the epoch) dates a `Retry-After` given as a date. */
export function retryAfterMs(headers: Headers | undefined, now: number): number | undefined {
  if (!headers) return undefined;
  const ms = Number.parseFloat(headers.get('retry-after-ms') ?? '');
  if (Number.isFinite(ms) && ms >= 0) return ms;
  const value = headers.get('retry-after');
  if (!value) return undefined;
  const seconds = Number.parseFloat(value);
  if (Number.isFinite(seconds)) return Math.max(0, seconds * 1000);
  const date = Date.parse(value);
  return Number.isNaN(date) ? undefined : Math.max(0, date - now);
}

/** Whether a 400/422 says the server does not accept this `response_format`. */
export function rejectsResponseFormat(error: unknown): boolean {
  if (!(error instanceof BadRequestError || error instanceof UnprocessableEntityError)) return false;
  const text = `${error.param ?? ''} ${error.message}`;
  return /response_format|json_schema|json_object/i.test(text) && !isContextLength(error);
}

/** Whether a 400 says `max_tokens` is not supported and `max_completion_tokens` is wanted (OpenAI's reasoning models). */
export function rejectsMaxTokens(error: unknown): boolean {
  if (!(error instanceof BadRequestError || error instanceof UnprocessableEntityError)) return false;
  return /max_tokens/.test(`${error.param ?? ''} ${error.message}`) && /max_completion_tokens/.test(error.message);
}

function isContextLength(error: APIError): boolean {
  return (
    error.code === 'context_length_exceeded' ||
    /context[ _]length|maximum context|context window|too many tokens|prompt is too long/i.test(error.message)
  );
}

/**
 * Maps anything the `openai` SDK (or the fetch under it) throws to a `ProviderError`.
 * Errors while reading a stream that already started are mapped by the caller
 * (`stream-broken`); this handles failures of the request itself.
 */
export function fromSdkError(error: unknown, ctx: ErrorContext): ProviderError {
  if (error instanceof ProviderError) return error;
  const { provider, model } = ctx;
  const base = { provider, model, partialOutput: ctx.partialOutput };

  if (ctx.signal?.aborted || error instanceof APIUserAbortError) return abortError(ctx);

  if (error instanceof APIConnectionTimeoutError) {
    const within = ctx.timeoutMs ? ` within ${ctx.timeoutMs} ms` : '';
    return new ProviderError({
      ...base,
      code: 'timeout',
      message: `provider \`${provider}\` did not answer${within} for model \`${model}\` (after the client's retries) — try again, or raise the provider's timeoutMs`,
    });
  }
  if (error instanceof APIConnectionError) {
    const cause = (error as { cause?: unknown }).cause;
    const why = redactSecrets(describeCause(cause) || error.message, ctx.secrets);
    const where = ctx.baseURL ? ` at ${redactSecrets(ctx.baseURL, ctx.secrets)}` : '';
    return new ProviderError({
      ...base,
      code: 'network',
      message: `could not reach provider \`${provider}\`${where} for model \`${model}\`: ${why} — check the base URL and the network`,
    });
  }
  if (!(error instanceof APIError)) {
    // The SDK turns every fetch failure into an APIConnectionError, so anything else
    // is local: a misconfigured client or a request the SDK refused to build.
    const text = error instanceof Error ? error.message : String(error);
    return new ProviderError({
      ...base,
      code: 'bad-request',
      message: `the call to model \`${model}\` at provider \`${provider}\` could not be made: ${redactSecrets(text, ctx.secrets)}`,
    });
  }

  const status = error.status;
  const detail = serverDetail(error, ctx.secrets);

  if (error instanceof AuthenticationError) {
    return new ProviderError({
      ...base,
      code: 'auth',
      status,
      message: `the key for provider \`${provider}\` was rejected (401) — ${keyHint(ctx.apiKeyEnv)}`,
    });
  }
  if (error instanceof PermissionDeniedError) {
    return new ProviderError({
      ...base,
      code: 'auth',
      status,
      message: `provider \`${provider}\` refused access to model \`${model}\` (403)${withDetail(detail)} — check that the key may use this model`,
    });
  }
  if (error instanceof NotFoundError) {
    const where = ctx.baseURL ? ` and the provider's base URL (${redactSecrets(ctx.baseURL, ctx.secrets)})` : '';
    return new ProviderError({
      ...base,
      code: 'not-found',
      status,
      message: `model \`${model}\` was not found at provider \`${provider}\` (404)${withDetail(detail)} — check the model name${where}`,
    });
  }
  if (error instanceof RateLimitError) {
    const wait = retryAfterMs(error.headers, ctx.now());
    if (error.code === 'insufficient_quota' || error.type === 'insufficient_quota') {
      return new ProviderError({
        ...base,
        code: 'rate-limit',
        status,
        retryable: false,
        message: `provider \`${provider}\` reports that the quota is used up (429 insufficient_quota) for model \`${model}\` — check the account's plan and billing`,
      });
    }
    const asked = wait !== undefined ? `; it asked to wait ${Math.ceil(wait / 1000)} s` : '';
    return new ProviderError({
      ...base,
      code: 'rate-limit',
      status,
      retryAfterMs: wait,
      message: `provider \`${provider}\` is rate-limiting model \`${model}\` (429)${asked}${withDetail(detail)} — lower the provider's rpm, tpm or maxConcurrent, or the step's concurrency`,
    });
  }
  if (error instanceof BadRequestError && isContextLength(error)) {
    return new ProviderError({
      ...base,
      code: 'context-length',
      status,
      message: `the prompt is too long for model \`${model}\` at provider \`${provider}\` (400 context_length_exceeded)${withDetail(detail)} — shorten the input or lower max_tokens`,
    });
  }
  if (error instanceof InternalServerError || (status !== undefined && status >= 500)) {
    return new ProviderError({
      ...base,
      code: 'server',
      status,
      message: `provider \`${provider}\` failed with a server error (${status}) for model \`${model}\`${withDetail(detail)} — it may be overloaded; try again later`,
    });
  }
  if (status === 408) {
    return new ProviderError({
      ...base,
      code: 'timeout',
      status,
      message: `provider \`${provider}\` timed out (408) for model \`${model}\`${withDetail(detail)}`,
    });
  }
  if (status === 409) {
    return new ProviderError({
      ...base,
      code: 'server',
      status,
      message: `provider \`${provider}\` reported a conflict (409) for model \`${model}\`${withDetail(detail)} — try again`,
    });
  }
  if (status === undefined) {
    // An `error` object inside the SSE stream: the server gave up midway.
    return new ProviderError({
      ...base,
      code: 'server',
      message: `provider \`${provider}\` sent an error for model \`${model}\`${withDetail(detail)}`,
    });
  }
  return new ProviderError({
    ...base,
    code: 'bad-request',
    status,
    message: `provider \`${provider}\` rejected the request for model \`${model}\` (${status})${withDetail(detail)}`,
  });
}

/** The innermost useful text of a fetch failure (`fetch failed` hides `ECONNREFUSED …` in its cause). */
export function describeCause(cause: unknown): string {
  const parts: string[] = [];
  let current: unknown = cause;
  for (let depth = 0; current && depth < 4; depth++) {
    if (current instanceof Error) {
      const code = (current as { code?: unknown }).code;
      const text = typeof code === 'string' && !current.message.includes(code) ? `${current.message} (${code})` : current.message;
      if (text && !parts.includes(text)) parts.push(text);
      current = (current as { cause?: unknown }).cause;
    } else {
      parts.push(String(current));
      break;
    }
  }
  return parts.join('; ');
}
