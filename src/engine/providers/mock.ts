/**
 * The mock provider: no key, no network, deterministic. The same request gets the
 * same reply; a structured step gets a value valid against its schema; a step's
 * `mock:` scripts the reply (the runner renders it: src/engine/run/request.ts).
 * Replies stream word by word over `delayMs`.
 */
import { systemClock } from '../clock';
import { EngineError } from '../errors';
import type { Clock, ModelRequest, ModelResponse, Provider } from '../types';

export interface MockProviderOptions {
  /** Total time a reply takes, spread over its streamed chunks. */
  delayMs?: number;
  clock?: Clock;
}

/** A failure the mock raises when a step's `mock:` is `{ $error: "…" }`: for trying retries and `on_failure`. */
export class MockError extends EngineError {
  override name = 'MockError';
  constructor(message: string) {
    super({ code: 'mock-error', message, retryable: true });
  }
}

export class MockProvider implements Provider {
  readonly id = 'mock';
  private readonly delayMs: number;
  private readonly clock: Clock;

  constructor(options: MockProviderOptions = {}) {
    this.delayMs = options.delayMs ?? 0;
    this.clock = options.clock ?? systemClock;
  }

  async complete(request: ModelRequest): Promise<ModelResponse> {
    const scripted = request.mock;
    if (isErrorScript(scripted)) {
      if (this.delayMs > 0) await this.clock.sleep(this.delayMs, request.signal);
      throw new MockError(String(scripted.$error));
    }
    if (isToolCallScript(scripted)) return this.toolCalls(scripted, request);
    const reply = scripted ?? (request.outputSchema ? exampleOf(request.outputSchema) : defaultReply(request));
    const text = typeof reply === 'string' ? reply : JSON.stringify(reply, null, 2);
    await this.stream(text, request);
    const inputTokens = estimateTokens(request.messages.map((m) => m.content).join('\n'));
    const outputTokens = estimateTokens(text);
    return {
      text,
      json: request.outputSchema ? (typeof reply === 'string' ? parseOrUndefined(reply) : reply) : undefined,
      usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens },
      model: request.model,
      finishReason: 'stop',
      costUsd: 0,
    };
  }

  /**
   * `{ $tool_calls: [{ name: files.read_text_file, arguments: { path: a.txt } }], content?: text }`:
   * a reply that asks for tool calls (a prompt's `tools:` loop). Names are the tools'
   * `server.tool` names or the function names offered; `arguments` that are text are
   * sent as they are (to try a model that writes broken JSON).
   */
  private async toolCalls(script: { $tool_calls: unknown[]; content?: unknown }, request: ModelRequest): Promise<ModelResponse> {
    if (this.delayMs > 0) await this.clock.sleep(this.delayMs, request.signal);
    // Ids unique across the loop's turns, as a real model's are.
    const turn = request.messages.filter((m) => m.role === 'assistant').length + 1;
    const toolCalls = script.$tool_calls.map((raw, index) => {
      const call = typeof raw === 'object' && raw !== null ? (raw as Record<string, unknown>) : {};
      const args = call.arguments;
      return {
        id: typeof call.id === 'string' ? call.id : `mock_call_${turn}_${index + 1}`,
        name: String(call.name ?? ''),
        arguments: typeof args === 'string' ? args : JSON.stringify(args ?? {}),
      };
    });
    const text = typeof script.content === 'string' ? script.content : '';
    const inputTokens = estimateTokens(request.messages.map((m) => m.content).join('\n'));
    const outputTokens = estimateTokens(JSON.stringify(toolCalls));
    return { text, toolCalls, usage: { inputTokens, outputTokens, totalTokens: inputTokens + outputTokens }, model: request.model, finishReason: 'tool_calls', costUsd: 0 };
  }

  private async stream(text: string, request: ModelRequest): Promise<void> {
    if (!request.onDelta) return;
    const chunks = text.match(/\S+\s*|\s+/g) ?? [text];
    const pause = this.delayMs / Math.max(1, chunks.length);
    for (const chunk of chunks) {
      if (request.signal.aborted) throw request.signal.reason;
      if (pause > 0) await this.clock.sleep(pause, request.signal);
      request.onDelta(chunk);
    }
  }
}

function isToolCallScript(value: unknown): value is { $tool_calls: unknown[]; content?: unknown } {
  return typeof value === 'object' && value !== null && Array.isArray((value as { $tool_calls?: unknown }).$tool_calls);
}

function isErrorScript(value: unknown): value is { $error: unknown } {
  return typeof value === 'object' && value !== null && '$error' in value;
}

function defaultReply(request: ModelRequest): string {
  const prompt = request.messages[request.messages.length - 1]?.content ?? '';
  const firstLine = prompt.trim().split('\n').find((line) => line.trim() !== '') ?? '';
  const gist = firstLine.length > 100 ? `${firstLine.slice(0, 100)}…` : firstLine;
  return `Mock reply from ${request.model} for step "${request.stepId}" (#${fnv1a(JSON.stringify(request.messages))}): ${gist}`;
}

/** A deterministic value that satisfies common JSON Schema keywords. */
export function exampleOf(schema: unknown, name = 'value'): unknown {
  if (typeof schema !== 'object' || schema === null) return null;
  const s = schema as Record<string, unknown>;
  if ('const' in s) return s.const;
  if (Array.isArray(s.enum) && s.enum.length > 0) return s.enum[0];
  if (s.default !== undefined) return s.default;
  if (Array.isArray(s.examples) && s.examples.length > 0) return s.examples[0];
  for (const key of ['oneOf', 'anyOf', 'allOf'] as const) {
    if (Array.isArray(s[key]) && (s[key] as unknown[]).length > 0) return exampleOf((s[key] as unknown[])[0], name);
  }
  const type = Array.isArray(s.type) ? s.type.find((t) => t !== 'null') : s.type;
  switch (type) {
    case 'object': {
      // Without a prototype, a property named `__proto__` is an ordinary key.
      const out = Object.create(null) as Record<string, unknown>;
      const properties = (s.properties ?? {}) as Record<string, unknown>;
      for (const [key, value] of Object.entries(properties)) out[key] = exampleOf(value, key);
      return out;
    }
    case 'array': {
      const count = Math.max(typeof s.minItems === 'number' ? s.minItems : 0, Math.min(3, typeof s.maxItems === 'number' ? s.maxItems : 3));
      return Array.from({ length: count }, (_, i) => exampleOf(s.items, `${singular(name)} ${i + 1}`));
    }
    case 'integer':
      return typeof s.minimum === 'number' ? Math.ceil(s.minimum) : 1;
    case 'number':
      return typeof s.minimum === 'number' ? s.minimum : 1;
    case 'boolean':
      return true;
    case 'null':
      return null;
    case 'string':
    default: {
      const text = `mock ${name}`;
      const min = typeof s.minLength === 'number' ? s.minLength : 0;
      return text.padEnd(min, '.');
    }
  }
}

function singular(name: string): string {
  return name.endsWith('s') ? name.slice(0, -1) : name;
}

function parseOrUndefined(text: string): unknown {
  try {
    return JSON.parse(text);
  } catch {
    return undefined;
  }
}

/** Roughly four characters a token, as OpenAI's own rule of thumb. */
export function estimateTokens(text: string): number {
  return Math.ceil(text.length / 4);
}

function fnv1a(text: string): string {
  let hash = 0x811c9dc5;
  for (let i = 0; i < text.length; i++) {
    hash ^= text.charCodeAt(i);
    hash = Math.imul(hash, 0x01000193);
  }
  return (hash >>> 0).toString(16).padStart(8, '0').slice(0, 6);
}
