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
 */
export function cacheKey(request: Pick<ModelRequest, 'model' | 'params' | 'messages' | 'outputSchema' | 'mock'>, providerId: string): string {
  const material = {
    v: KEY_VERSION,
    provider: providerId,
    model: request.model,
    params: request.params,
    messages: request.messages.map(({ role, content }) => ({ role, content })),
    outputSchema: request.outputSchema,
    mock: request.mock,
  };
  return createHash('sha256').update(canonicalJson(material)).digest('hex');
}
