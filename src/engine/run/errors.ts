/** Failures inside a run, and how the runner reads errors thrown at it. */
import { ExpressionError } from '../expressions';
import type { ErrorInfo, ModelCallRecord } from '../types';

/** A step failed for a reason worth reporting as is. */
export class StepError extends Error {
  constructor(
    readonly info: ErrorInfo,
    readonly retryable: boolean,
    readonly call?: ModelCallRecord,
    readonly partialOutput?: string,
    /** How long the server asked us to wait before trying again. */
    readonly retryAfterMs = 0,
  ) {
    super(info.message);
  }
}

/** Errors from providers carry `code`, `retryable` and `partialOutput`; anything else is unexpected. */
export function toErrorInfo(error: unknown, stepId?: string): ErrorInfo {
  if (error instanceof StepError) return error.info;
  if (error instanceof ExpressionError) return { code: 'expression', stepId, message: error.message, range: error.range };
  if (error instanceof Error) {
    const info: ErrorInfo = { code: typeof (error as { code?: unknown }).code === 'string' ? (error as unknown as { code: string }).code : 'error', message: error.message, stepId };
    if (error.cause !== undefined) info.cause = toErrorInfo(error.cause);
    return info;
  }
  return { code: 'error', message: String(error), stepId };
}

export function isRetryable(error: unknown): boolean {
  if (error instanceof StepError) return error.retryable;
  if (error instanceof ExpressionError) return false;
  const flag = (error as { retryable?: unknown } | null)?.retryable;
  return typeof flag === 'boolean' ? flag : true;
}

export function retryAfterOf(error: unknown): number {
  const after = (error as { retryAfterMs?: unknown } | null)?.retryAfterMs;
  return typeof after === 'number' && after > 0 ? after : 0;
}

export function partialOf(error: unknown): string | undefined {
  const partial = (error as { partialOutput?: unknown } | null)?.partialOutput;
  return typeof partial === 'string' && partial !== '' ? partial : undefined;
}
