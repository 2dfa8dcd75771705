/** The runner's own failure: an engine error that also carries the model call it came from. */
import { EngineError } from '../errors';
import type { ErrorInfo, ModelCallRecord } from '../types';

export { isRetryable, partialOf, retryAfterOf, toErrorInfo } from '../errors';

/** A step failed for a reason worth reporting as is. */
export class StepError extends EngineError {
  override name = 'StepError';

  constructor(
    info: ErrorInfo,
    retryable: boolean,
    readonly call?: ModelCallRecord,
    partialOutput?: string,
    retryAfterMs = 0,
  ) {
    super({ ...info, retryable, partialOutput, retryAfterMs });
  }
}
