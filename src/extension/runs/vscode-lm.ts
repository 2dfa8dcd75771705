/**
 * `provider: vscode-lm`: the editor's own language models (Copilot's, or any an
 * extension contributes), so someone without an API key can run workflows in the
 * editor. `model.name` picks one by `vendor/family` (`copilot/gpt-4o`) or family
 * (`gpt-4o`); an empty name takes the first model available. A prompt's `tools:` are
 * offered as `LanguageModelChatTool`s and the calls come back from the response stream
 * (the mapping is ./lm-messages.ts).
 */
import * as vscode from 'vscode';
import type { ModelRequest, ModelResponse, Provider } from '../../engine';
import { ProviderError } from '../../engine/providers/errors';
import { parseReply, withSchemaInstruction } from '../../engine/providers/structured';
import { LmReply, toLmMessages, toLmTools, type LmMessage, type LmPart } from './lm-messages';

/** How models are found: the editor's `vscode.lm.selectChatModels` (a test passes a scripted model's). */
export type ChatModelSelector = (selector?: vscode.LanguageModelChatSelector) => Thenable<vscode.LanguageModelChat[]>;

export class LanguageModelProvider implements Provider {
  readonly id = 'vscode-lm';

  constructor(private readonly selectChatModels: ChatModelSelector = (selector) => vscode.lm.selectChatModels(selector)) {}

  async complete(request: ModelRequest): Promise<ModelResponse> {
    const model = await this.select(request.model);
    const messages = request.outputSchema ? withSchemaInstruction(request.messages, request.outputSchema) : request.messages;
    const chat = toLmMessages(messages).map(toChatMessage);
    const tools = request.tools && request.tools.length > 0 ? toLmTools(request.tools) : undefined;
    const cancel = new vscode.CancellationTokenSource();
    const onAbort = () => cancel.cancel();
    request.signal.addEventListener('abort', onAbort, { once: true });
    const reply = new LmReply();
    try {
      const inputTokens = await Promise.all(chat.map((m) => model.countTokens(m, cancel.token))).then((counts) => counts.reduce((a, b) => a + b, 0));
      const response = await model.sendRequest(chat, { justification: `Orchestrate runs step "${request.stepId}" of your workflow.`, ...(tools ? { tools } : {}) }, cancel.token);
      for await (const part of response.stream) {
        if (request.signal.aborted) break;
        if (part instanceof vscode.LanguageModelTextPart) {
          reply.addText(part.value);
          request.onDelta?.(part.value);
        } else if (part instanceof vscode.LanguageModelToolCallPart) {
          reply.addToolCall(part.callId, part.name, part.input);
        }
      }
      if (request.signal.aborted) throw this.error(request, 'cancelled', 'the call was cancelled', reply.text);
      const toolCalls = reply.toolCalls;
      const text = reply.text;
      const outputTokens = await model.countTokens(toolCalls.length > 0 ? `${text}${JSON.stringify(toolCalls)}` : text, cancel.token);
      return {
        text,
        ...(toolCalls.length > 0 ? { toolCalls } : {}),
        // A reply that asks for tools is not the answer yet: the schema applies to the last one.
        json: request.outputSchema && toolCalls.length === 0 ? parseReply(text, { provider: this.id, model: describe(model) }) : undefined,
        usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
        model: describe(model),
      };
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      if (request.signal.aborted) throw this.error(request, 'cancelled', 'the call was cancelled', reply.text);
      throw this.translate(error, request, reply.text);
    } finally {
      request.signal.removeEventListener('abort', onAbort);
      cancel.dispose();
    }
  }

  private async select(name: string): Promise<vscode.LanguageModelChat> {
    const [vendor, family] = name.includes('/') ? name.split('/', 2) : [undefined, name || undefined];
    const models = await this.selectChatModels({ ...(vendor ? { vendor } : {}), ...(family ? { family } : {}) });
    if (models.length === 0) {
      const available = (await this.selectChatModels()).map(describe);
      throw new ProviderError({
        code: 'not-found',
        provider: this.id,
        model: name,
        message: `no language model in this editor matches \`${name}\`${available.length ? `; available: ${available.join(', ')}` : ' — install and sign in to an extension that provides one (for example GitHub Copilot), or use another provider'}`,
      });
    }
    return models[0];
  }

  /** `LanguageModelError`s become messages a person can act on. */
  private translate(error: unknown, request: ModelRequest, partial: string): ProviderError {
    const message = error instanceof Error ? error.message : String(error);
    if (error instanceof vscode.LanguageModelError) {
      switch (error.code) {
        case vscode.LanguageModelError.NoPermissions().code:
          return this.error(request, 'auth', `Orchestrate may not use the editor's language model \`${request.model}\`: allow it when VS Code asks, or in the language model access settings (${message})`);
        case vscode.LanguageModelError.NotFound().code:
          return this.error(request, 'not-found', `the language model \`${request.model}\` is not available (${message})`);
        case vscode.LanguageModelError.Blocked().code:
          return this.error(request, 'rate-limit', `the language model \`${request.model}\` refused the request, usually because a quota or rate limit was reached (${message})`);
      }
    }
    return this.error(request, partial ? 'stream-broken' : 'server', `the language model \`${request.model}\` failed: ${message}`, partial);
  }

  private error(request: ModelRequest, code: ProviderError['code'], message: string, partialOutput?: string): ProviderError {
    return new ProviderError({ code, provider: this.id, model: request.model, message, partialOutput });
  }
}

function toChatMessage(message: LmMessage): vscode.LanguageModelChatMessage {
  const parts = message.parts.map(toPart);
  return new vscode.LanguageModelChatMessage(message.role === 'assistant' ? vscode.LanguageModelChatMessageRole.Assistant : vscode.LanguageModelChatMessageRole.User, parts);
}

function toPart(part: LmPart): vscode.LanguageModelTextPart | vscode.LanguageModelToolCallPart | vscode.LanguageModelToolResultPart {
  switch (part.kind) {
    case 'text':
      return new vscode.LanguageModelTextPart(part.value);
    case 'tool-call':
      return new vscode.LanguageModelToolCallPart(part.callId, part.name, part.input);
    case 'tool-result':
      return new vscode.LanguageModelToolResultPart(part.callId, [new vscode.LanguageModelTextPart(part.text)]);
  }
}

function describe(model: vscode.LanguageModelChat): string {
  return `${model.vendor}/${model.family}`;
}
