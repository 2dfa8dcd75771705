import type { ChatMessage, ModelCallRecord, ModelRequest, ModelResponse, Provider, ProviderResolver, RunEvent } from '../types';
import { EngineError } from '../errors';
import { refKey } from '../state/run-state';

/** A recorded reply: what the step produced and the call that produced it. */
interface Recording {
  output: unknown;
  call: ModelCallRecord;
}

/** A replay failure; `code` becomes the failed step's error code. */
export class ReplayError extends EngineError {
  override name = 'ReplayError';
  declare readonly code: 'replay-mismatch' | 'replay-missing';
  constructor(code: 'replay-mismatch' | 'replay-missing', message: string) {
    super({ code, message, retryable: false });
  }
}

/**
 * A provider that answers every model call from a recorded trace instead of a model,
 * matching calls by step, visit and `for_each` index. It never calls anything:
 * - a call whose rendered messages differ from the recording fails the step with
 *   `replay-mismatch` (the workflow or its inputs changed since the recording);
 * - a call the recording does not have fails the step with `replay-missing` (the
 *   run took another path, or the recording stopped before it).
 * Replayed replies cost nothing (`costUsd: 0`) and keep their recorded usage.
 */
export function replayProvider(events: readonly RunEvent[], source = 'the recording'): Provider {
  const recordings = new Map<string, Recording>();
  for (const event of events) {
    if (event.type === 'step.completed' && event.call) recordings.set(refKey(event), { output: event.output, call: event.call });
  }
  return {
    id: 'replay',
    async complete(request: ModelRequest): Promise<ModelResponse> {
      const ref = { stepId: request.stepId, visit: request.visit ?? 1, index: request.index, parent: request.parent };
      // The runner prefixes the step and model; say only which execution it was.
      const which = [ref.visit > 1 ? `visit ${ref.visit}` : '', ref.index !== undefined ? `item ${ref.index}` : ''].filter(Boolean).join(', ');
      const where = which ? ` (${which})` : '';
      const recording = recordings.get(refKey(ref));
      if (!recording) {
        throw new ReplayError('replay-missing', `no reply recorded for this call${where} in ${source}: the run took a path the recording did not, or the recording stopped before it`);
      }
      const recorded = recording.call.messages;
      // A prompt's tool loop: the recorded conversation holds every turn; an earlier turn gets the calls its reply asked for.
      const next = recorded[request.messages.length];
      if (next?.role === 'assistant' && next.toolCalls && next.toolCalls.length > 0) {
        const earlier = firstDifference(recorded.slice(0, request.messages.length), request.messages);
        if (earlier) throw new ReplayError('replay-mismatch', `the messages sent${where} differ from ${source}: ${earlier}`);
        return { text: next.content, toolCalls: next.toolCalls, model: recording.call.model, finishReason: 'tool_calls', costUsd: 0 };
      }
      const difference = firstDifference(recorded, request.messages);
      if (difference) throw new ReplayError('replay-mismatch', `the messages sent${where} differ from ${source}: ${difference}`);
      const { output, call } = recording;
      return {
        text: typeof output === 'string' ? output : JSON.stringify(output),
        json: request.outputSchema ? output : undefined,
        usage: call.usage,
        model: call.model,
        finishReason: call.finishReason,
        costUsd: 0,
      };
    },
  };
}

/** A resolver that answers every provider name with {@link replayProvider}. */
export function replayResolver(events: readonly RunEvent[], source?: string): ProviderResolver {
  const provider = replayProvider(events, source);
  return { resolve: () => provider };
}

/** Where two message lists first differ, said so a person can find the edit. */
function firstDifference(recorded: readonly ChatMessage[], sent: readonly ChatMessage[]): string | undefined {
  for (let i = 0; i < Math.max(recorded.length, sent.length); i++) {
    const a = recorded[i];
    const b = sent[i];
    if (!a) return `message ${i + 1} (${b.role}) is new`;
    if (!b) return `recorded message ${i + 1} (${a.role}) is no longer sent`;
    if (a.role !== b.role) return `message ${i + 1} is ${b.role}, recorded as ${a.role}`;
    if (a.content !== b.content) {
      let at = 0;
      while (at < a.content.length && a.content[at] === b.content[at]) at++;
      const line = a.content.slice(0, at).split('\n').length;
      return `the ${b.role} message differs at line ${line}: recorded ${excerpt(a.content, at)}, now ${excerpt(b.content, at)}`;
    }
  }
  return undefined;
}

function excerpt(text: string, at: number): string {
  const start = Math.max(0, at - 15);
  const piece = text.slice(start, at + 25).replace(/\n/g, '⏎');
  return JSON.stringify(`${start > 0 ? '…' : ''}${piece}${at + 25 < text.length ? '…' : ''}`);
}
