import { createHash } from 'node:crypto';
import type { ModelRequest } from '../types';
import { canonicalJson } from './canonical';

/** Bumped when what goes into a key changes, so old entries simply stop matching. */
const KEY_VERSION = 1;

/**
 * The cache key of a model call: the sha256 of the canonical JSON of everything that
 * decides the reply — the answering provider, the model, its parameters, the rendered
 * messages and the output schema. `providerId` is the provider that answers (not the
 * name the step asked for) so a mock stand-in never fills entries a real model reads.
 * A step's `mock:` reply is part of the key because the mock provider's reply depends on it.
 *
 * In a prompt's tool loop the key also holds the tools offered (names, descriptions,
 * input schemas) and the conversation so far — the calls the model asked for and the
 * results the tools returned — so a reply is served only after the very calls that
 * preceded it were made again and answered the same: a cached reply never skips a call.
 * A request without tools keys as it did before (absent members are left out).
 */
export function cacheKey(request: Pick<ModelRequest, 'model' | 'params' | 'messages' | 'outputSchema' | 'mock' | 'tools'>, providerId: string): string {
  const material = {
    v: KEY_VERSION,
    provider: providerId,
    model: request.model,
    params: request.params,
    messages: request.messages.map(({ role, content, toolCalls, toolCallId }) => ({ role, content, toolCalls: toolCalls?.map(({ id, name, arguments: args }) => ({ id, name, arguments: args })), toolCallId })),
    outputSchema: request.outputSchema,
    mock: request.mock,
    tools: request.tools?.map(({ type, function: { name, description, parameters } }) => ({ type, name, description, parameters })),
  };
  return createHash('sha256').update(canonicalJson(material)).digest('hex');
}
