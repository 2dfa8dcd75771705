import { redactSecrets } from '../providers/errors';
import type { ErrorInfo, RunEvent } from '../types';

/**
 * Events carry no keys by construction, but an error message is text from outside
 * (a server's reply, an SDK's message) and can echo one. Every error in an event
 * passes through `redactSecrets` (the known secrets, and anything shaped like a key)
 * before it is written. Outputs are left alone: they are the model's words, and
 * rewriting them would make restored results differ from what the model said.
 */
export function redactEvent(event: RunEvent, secrets: readonly string[] = []): RunEvent {
  if (!('error' in event) || !event.error) return event;
  return { ...event, error: redactError(event.error, secrets) } as RunEvent;
}

function redactError(error: ErrorInfo, secrets: readonly string[]): ErrorInfo {
  const redacted: ErrorInfo = { ...error, message: redactSecrets(error.message, secrets) };
  if (error.cause) redacted.cause = redactError(error.cause, secrets);
  return redacted;
}
