/**
 * The engine's one error model. Every failure a run reports has an {@link ErrorCode};
 * a failure that knows whether trying again can help is an {@link EngineError}
 * (providers' errors, expression errors, replay errors, the runner's own). Anything
 * else that reaches the runner is a bug somewhere (ours, a provider's, a library's):
 * it is reported as `internal` and never retried, since sending the same request to
 * a provider with a bug only repeats the bug (and its bill).
 */
import type { ErrorInfo, SourceRange } from './types';

/** Stable kinds of failure: the trace records them, the CLI prints them, editors and tests key on them. */
export type ErrorCode =
  // ── a model call (providers) ──
  /** The key is missing or was rejected (401), or it lacks access (403). */
  | 'auth'
  /** The model (or the endpoint) does not exist at this provider (404). */
  | 'not-found'
  /** 429 after the client's own retries, or an exhausted quota. */
  | 'rate-limit'
  /** The prompt plus `max_tokens` exceed the model's context window. */
  | 'context-length'
  /** 5xx after the client's own retries, or an error event inside the stream. */
  | 'server'
  /** The server could not be reached (DNS, refused connection, TLS…). */
  | 'network'
  /** Any other 4xx, or a request that cannot be built: sending it again will not help. */
  | 'bad-request'
  /** The reply stream broke off midway (connection reset, garbage in the stream). */
  | 'stream-broken'
  /** A step names a provider nobody configured. */
  | 'unknown-provider'
  /** A step's `mock:` said `{ $error: … }`. */
  | 'mock-error'
  /** `--replay`: the call differs from the recording, or the recording lacks it. */
  | 'replay-mismatch'
  | 'replay-missing'
  // ── the step and the run ──
  /** The reply is not JSON, or does not match the step's `output.schema`. */
  | 'schema'
  /** A step's `timeout`, or a provider's own timeout. */
  | 'timeout'
  /** The run was cancelled. */
  | 'cancelled'
  /** `check:` was false. */
  | 'check'
  /** An expression could not be evaluated. */
  | 'expression'
  /** A step was entered more often than its `max_visits`. */
  | 'max-visits'
  /** A missing or invalid input or answer. */
  | 'input'
  /** A step's output or the run's inputs nest deeper than a run keeps (src/engine/depth.ts). */
  | 'value-too-deep'
  /** The run reached `fail` (a `fail:` message or a transition to `fail`). */
  | 'fail'
  /** No `switch` case matched and there is no `default`. */
  | 'switch'
  /** A sub-workflow could not be loaded or run. */
  | 'workflow'
  // ── a tool call (src/engine/tools) ──
  /** No server by that name is declared or configured. */
  | 'tool-server-unknown'
  /** The server could not be started or reached, or its connection broke. */
  | 'tool-server-unavailable'
  /** A variable in the server's declaration has no value. */
  | 'tool-server-config'
  /** The server has no tool by that name. */
  | 'tool-unknown'
  /** The server rejected the request (bad arguments, an internal error). */
  | 'tool-protocol'
  | 'tool-timeout'
  /** The approval policy or the person refused the call. */
  | 'tool-denied'
  /** The tool reported failure (`isError`): the call worked, the tool said no. */
  | 'tool-error'
  /** A prompt's tool loop asked for more model calls than its `max_turns`. */
  | 'max-turns'
  // ── serving ──
  /** The run's worker died too often, or the queue gave up on it. */
  | 'worker'
  /** Anything else: a bug, reported with its message and never retried. */
  | 'internal';

/** What a failure says about trying again. */
export interface RetryAdvice {
  /** Whether the same work may succeed if done again. */
  retryable: boolean;
  /** How long the other side asked us to wait first (a 429's `Retry-After`). */
  retryAfterMs?: number;
  /** Text received before the failure (a broken stream, a reply off the schema): for the trace, never for the step's output. */
  partialOutput?: string;
}

export interface EngineErrorInit extends Partial<RetryAdvice> {
  code: ErrorCode;
  message: string;
  stepId?: string;
  range?: SourceRange;
  cause?: ErrorInfo;
}

/**
 * A failure the engine understands: a stable code, a message for the workflow's
 * author, and whether to retry. Not retryable unless it says so.
 */
export class EngineError extends Error implements RetryAdvice {
  override name = 'EngineError';
  readonly code: ErrorCode;
  readonly retryable: boolean;
  readonly retryAfterMs?: number;
  readonly partialOutput?: string;
  readonly stepId?: string;
  readonly range?: SourceRange;
  /** The error as events carry it. */
  declare readonly info: ErrorInfo;

  constructor(init: EngineErrorInit) {
    super(init.message);
    this.code = init.code;
    this.retryable = init.retryable ?? false;
    if (init.retryAfterMs !== undefined) this.retryAfterMs = init.retryAfterMs;
    if (init.partialOutput) this.partialOutput = init.partialOutput;
    if (init.stepId !== undefined) this.stepId = init.stepId;
    if (init.range !== undefined) this.range = init.range;
    const info: ErrorInfo = { code: init.code, message: init.message };
    if (init.stepId !== undefined) info.stepId = init.stepId;
    if (init.range !== undefined) info.range = init.range;
    if (init.cause !== undefined) info.cause = init.cause;
    // Hidden from JSON and `inspect`: it repeats the fields above.
    Object.defineProperty(this, 'info', { value: info, enumerable: false });
  }
}

/** `instanceof` that also holds when two bundles each carry a copy of this module. */
export function isEngineError(error: unknown): error is EngineError {
  if (error instanceof EngineError) return true;
  if (typeof error !== 'object' || error === null || !(error instanceof Error)) return false;
  const e = error as Partial<EngineError>;
  return typeof e.code === 'string' && typeof e.retryable === 'boolean' && typeof e.info === 'object' && e.info !== null;
}

/**
 * What went wrong, as events and results carry it. `stepId` fills in the step when
 * the error does not name one. Unknown errors become `internal`, keeping their message
 * and their chain of causes.
 */
export function toErrorInfo(error: unknown, stepId?: string): ErrorInfo {
  if (isEngineError(error)) {
    const info = { ...error.info, code: error.code, message: error.message };
    if (info.stepId === undefined && stepId !== undefined) info.stepId = stepId;
    return info;
  }
  if (error instanceof Error) {
    const info: ErrorInfo = { code: 'internal', message: error.message };
    if (stepId !== undefined) info.stepId = stepId;
    if (error.cause !== undefined) info.cause = toErrorInfo(error.cause);
    return info;
  }
  const info: ErrorInfo = { code: 'internal', message: describeThrown(error) };
  if (stepId !== undefined) info.stepId = stepId;
  return info;
}

/** Text for something thrown that is not an Error; never throws itself (`String` does for an object without a prototype). */
function describeThrown(value: unknown): string {
  try {
    return String(value);
  } catch {
    return Object.prototype.toString.call(value);
  }
}

/** Whether to try again: only an {@link EngineError} that says so. */
export function isRetryable(error: unknown): boolean {
  return isEngineError(error) && error.retryable;
}

/** How long the failure asks to wait before trying again; 0 when it does not ask. */
export function retryAfterOf(error: unknown): number {
  const after = isEngineError(error) ? error.retryAfterMs : undefined;
  return typeof after === 'number' && after > 0 ? after : 0;
}

/** The text received before the failure, when there was some. */
export function partialOf(error: unknown): string | undefined {
  const partial = isEngineError(error) ? error.partialOutput : undefined;
  return typeof partial === 'string' && partial !== '' ? partial : undefined;
}
