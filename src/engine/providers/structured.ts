/**
 * Structured replies for providers that cannot enforce a JSON schema themselves
 * (servers without `json_schema`, the editor's language models): the schema goes
 * into the system prompt, and the reply is parsed and checked with ajv.
 */
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { ChatMessage } from '../types';
import { ProviderError } from './errors';

/**
 * Adds the schema to the system prompt (the first system message, or a new one
 * first: some chat templates reject a system message anywhere but first).
 */
export function withSchemaInstruction(messages: ChatMessage[], schema: Record<string, unknown>): ChatMessage[] {
  const instruction =
    'Reply with only a JSON value, without prose or code fences, that conforms to this JSON Schema:\n' +
    JSON.stringify(schema);
  const index = messages.findIndex((m) => m.role === 'system');
  if (index < 0) return [{ role: 'system', content: instruction }, ...messages];
  return messages.map((m, i) => (i === index ? { ...m, content: `${m.content}\n\n${instruction}` } : m));
}

/** Models asked for JSON without json_schema often wrap it in a ```json fence. */
export function stripCodeFence(text: string): string {
  const match = /^\s*```[a-zA-Z]*\s*\n([\s\S]*?)\n?\s*```\s*$/.exec(text);
  return match ? match[1]! : text;
}

/**
 * Parses a reply and checks it against the step's schema. A reply that is not JSON
 * or does not fit fails with `invalid-output` (retryable: the next answer may fit),
 * carrying the reply as `partialOutput` for the trace.
 */
export function parseStructured(
  text: string,
  schema: Record<string, unknown>,
  context: { provider: string; model: string; finishReason?: string },
): unknown {
  const fail = (why: string): ProviderError =>
    new ProviderError({
      code: 'invalid-output',
      provider: context.provider,
      model: context.model,
      message: `the reply of model \`${context.model}\` (provider \`${context.provider}\`) ${why}`,
      partialOutput: text,
    });
  const cutOff = context.finishReason === 'length' ? ' — it was cut off at max_tokens; raise max_tokens' : '';
  let value: unknown;
  try {
    value = JSON.parse(stripCodeFence(text));
  } catch (error) {
    throw fail(`is not valid JSON (${(error as Error).message})${cutOff}`);
  }
  let validate: ValidateFunction;
  try {
    validate = compileSchema(schema);
  } catch (error) {
    throw new ProviderError({
      code: 'bad-request',
      provider: context.provider,
      model: context.model,
      message: `the step's output schema is not a valid JSON Schema: ${(error as Error).message}`,
    });
  }
  if (!validate(value)) {
    throw fail(`does not match the step's output schema: ${ajv().errorsText(validate.errors, { dataVar: 'output' })}${cutOff}`);
  }
  return value;
}

let ajvInstance: Ajv | undefined;
const validators = new Map<string, ValidateFunction>();
const MAX_VALIDATORS = 200;

function ajv(): Ajv {
  if (!ajvInstance) {
    ajvInstance = new Ajv({ allErrors: true, strict: false });
    addFormats(ajvInstance);
  }
  return ajvInstance;
}

/**
 * Compiles (once per distinct schema) a validator. Keyed by the schema's JSON since the
 * engine may render a fresh object per call; `$schema` is dropped so that schemas
 * declaring a newer draft still validate their (common) keywords.
 */
export function compileSchema(schema: Record<string, unknown>): ValidateFunction {
  const key = JSON.stringify(schema);
  let validate = validators.get(key);
  if (!validate) {
    const { $schema: _ignored, ...rest } = schema;
    validate = ajv().compile(rest);
    if (validators.size >= MAX_VALIDATORS) validators.clear();
    validators.set(key, validate);
  }
  return validate;
}
