/**
 * The engine's chat turns in the shape of the editor's language-model API, and the
 * streamed reply back into the engine's shape — kept free of `vscode` so it is tested
 * without an editor; ./vscode-lm.ts makes the API's objects from these.
 *
 * The API has no `system` or `tool` role: a system prompt goes as the user's, and tool
 * results go in a user message (consecutive results together, answering the assistant
 * message that asked for them), which is how the API documents tool calling.
 */
import type { ChatMessage, ModelToolCall } from '../../engine';
import type { FunctionToolDefinition } from '../../engine/tools';

export type LmPart =
  | { kind: 'text'; value: string }
  | { kind: 'tool-call'; callId: string; name: string; input: Record<string, unknown> }
  | { kind: 'tool-result'; callId: string; text: string };

export interface LmMessage {
  role: 'user' | 'assistant';
  parts: LmPart[];
}

/** `LanguageModelChatTool`'s shape. */
export interface LmTool {
  name: string;
  description: string;
  inputSchema: Record<string, unknown>;
}

/** Some models reject an empty tool result; the model still learns the call returned nothing. */
export const EMPTY_RESULT = '(the tool returned nothing)';

export function toLmMessages(messages: readonly ChatMessage[]): LmMessage[] {
  const out: LmMessage[] = [];
  for (const message of messages) {
    if (message.role === 'tool') {
      const part: LmPart = { kind: 'tool-result', callId: message.toolCallId ?? '', text: message.content === '' ? EMPTY_RESULT : message.content };
      const last = out.at(-1);
      if (last && last.role === 'user' && last.parts.every((p) => p.kind === 'tool-result')) last.parts.push(part);
      else out.push({ role: 'user', parts: [part] });
      continue;
    }
    if (message.role === 'assistant') {
      const parts: LmPart[] = message.content === '' ? [] : [{ kind: 'text', value: message.content }];
      for (const call of message.toolCalls ?? []) parts.push({ kind: 'tool-call', callId: call.id, name: call.name, input: callInput(call.arguments) });
      out.push({ role: 'assistant', parts: parts.length > 0 ? parts : [{ kind: 'text', value: '' }] });
      continue;
    }
    out.push({ role: 'user', parts: [{ kind: 'text', value: message.content }] });
  }
  return out;
}

/**
 * A call the model made earlier, as the API wants it back: an object. Arguments that
 * were not a JSON object were answered with an error already; the call is shown with
 * none, and that error explains it.
 */
function callInput(argumentsText: string): Record<string, unknown> {
  try {
    const parsed: unknown = JSON.parse(argumentsText);
    return typeof parsed === 'object' && parsed !== null && !Array.isArray(parsed) ? (parsed as Record<string, unknown>) : {};
  } catch {
    return {};
  }
}

export function toLmTools(definitions: readonly FunctionToolDefinition[]): LmTool[] {
  return definitions.map((d) => ({ name: d.function.name, description: d.function.description ?? '', inputSchema: d.function.parameters }));
}

/** The reply as it streams: text pieces and whole tool calls, in any order. */
export class LmReply {
  private textSoFar = '';
  private readonly calls: ModelToolCall[] = [];

  addText(value: string): void {
    this.textSoFar += value;
  }

  /** `input` is the model's (untrusted); a call with no id gets one, so its result can still answer it. */
  addToolCall(callId: string, name: string, input: unknown): void {
    const id = callId === '' ? `call_${this.calls.length}` : callId;
    this.calls.push({ id, name, arguments: JSON.stringify(input ?? {}) ?? '{}' });
  }

  get text(): string {
    return this.textSoFar;
  }

  get toolCalls(): ModelToolCall[] {
    return [...this.calls];
  }
}
