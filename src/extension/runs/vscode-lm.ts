/**
 * `provider: vscode-lm`: the editor's own language models (Copilot's, or any an
 * extension contributes), so someone without an API key can run workflows in the
 * editor. `model.name` picks one by `vendor/family` (`copilot/gpt-4o`) or family
 * (`gpt-4o`); an empty name takes the first model available.
 */
import * as vscode from 'vscode';
import type { ModelRequest, ModelResponse, Provider } from '../../engine';
import { ProviderError } from '../../engine/providers/errors';
import { parseReply, withSchemaInstruction } from '../../engine/providers/structured';

export class LanguageModelProvider implements Provider {
  readonly id = 'vscode-lm';

  async complete(request: ModelRequest): Promise<ModelResponse> {
    const model = await this.select(request.model);
    const messages = request.outputSchema ? withSchemaInstruction(request.messages, request.outputSchema) : request.messages;
    // The chat API has no system role: a system prompt goes first, as the user's.
    const chat = messages.map((m) =>
      m.role === 'assistant' ? vscode.LanguageModelChatMessage.Assistant(m.content) : vscode.LanguageModelChatMessage.User(m.content),
    );
    const cancel = new vscode.CancellationTokenSource();
    const onAbort = () => cancel.cancel();
    request.signal.addEventListener('abort', onAbort, { once: true });
    let text = '';
    try {
      const inputTokens = await Promise.all(chat.map((m) => model.countTokens(m, cancel.token))).then((counts) => counts.reduce((a, b) => a + b, 0));
      const response = await model.sendRequest(chat, { justification: `Orchestrate runs step "${request.stepId}" of your workflow.` }, cancel.token);
      for await (const chunk of response.text) {
        if (request.signal.aborted) break;
        text += chunk;
        request.onDelta?.(chunk);
      }
      if (request.signal.aborted) throw this.error(request, 'cancelled', 'the call was cancelled', text);
      const outputTokens = await model.countTokens(text, cancel.token);
      return {
        text,
        json: request.outputSchema ? parseReply(text, { provider: this.id, model: describe(model) }) : undefined,
        usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
        model: describe(model),
      };
    } catch (error) {
      if (error instanceof ProviderError) throw error;
      if (request.signal.aborted) throw this.error(request, 'cancelled', 'the call was cancelled', text);
      throw this.translate(error, request, text);
    } finally {
      request.signal.removeEventListener('abort', onAbort);
      cancel.dispose();
    }
  }

  private async select(name: string): Promise<vscode.LanguageModelChat> {
    const [vendor, family] = name.includes('/') ? name.split('/', 2) : [undefined, name || undefined];
    const models = await vscode.lm.selectChatModels({ ...(vendor ? { vendor } : {}), ...(family ? { family } : {}) });
    if (models.length === 0) {
      const available = (await vscode.lm.selectChatModels()).map(describe);
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

function describe(model: vscode.LanguageModelChat): string {
  return `${model.vendor}/${model.family}`;
}
