/**
 * Structured replies for providers that cannot enforce a JSON schema themselves
 * (servers without `json_schema`, the editor's language models): the schema goes
 * into the system prompt; every provider's reply is parsed by the provider and checked
 * once, by the runner, with ajv ({@link validateReply}).
 */
import Ajv, { type ValidateFunction } from 'ajv';
import addFormats from 'ajv-formats';
import type { ChatMessage, ModelResponse } from '../types';
import { BoundedMap } from './bounded-map';
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

/** Who answered, for messages. */
export interface ReplySource {
  provider: string;
  model: string;
  /** `length` explains a reply cut off mid-JSON. */
  finishReason?: string;
}

/**
 * Parses a structured reply (the provider's half of structured output): the JSON
 * value, fences stripped. A reply that is not JSON fails with `schema` (retryable: the
 * next answer may parse), carrying the reply as `partialOutput` for the trace. Whether
 * the value fits the schema is the runner's one check, {@link validateReply}.
 */
export function parseReply(text: string, source: ReplySource): unknown {
  try {
    return JSON.parse(stripCodeFence(text));
  } catch (error) {
    throw schemaError(source, text, `is not valid JSON (${(error as Error).message})`);
  }
}

/**
 * The step's output for a reply to a request with an output schema, checked once: the
 * provider's parsed `json` when it has one, else the text parsed here, then matched
 * against `schema`. Throws a `schema` {@link ProviderError} (retryable) naming what does
 * not fit, or a `bad-request` one (not retryable) when `schema` itself is not a valid
 * JSON Schema.
 */
export function validateReply(
  response: Pick<ModelResponse, 'text' | 'json' | 'finishReason'>,
  schema: Record<string, unknown>,
  source: Omit<ReplySource, 'finishReason'>,
): unknown {
  const who = { ...source, finishReason: response.finishReason };
  const value = response.json !== undefined ? response.json : parseReply(response.text, who);
  let validate: ValidateFunction;
  try {
    validate = compileSchema(schema);
  } catch (error) {
    throw new ProviderError({
      code: 'bad-request',
      provider: source.provider,
      model: source.model,
      message: `the step's output schema is not a valid JSON Schema: ${(error as Error).message}`,
    });
  }
  if (!validate(value)) throw schemaError(who, response.text, `does not match the step's output schema: ${describeMismatch(validate)}`);
  return value;
}

function schemaError(source: ReplySource, text: string, why: string): ProviderError {
  const cutOff = source.finishReason === 'length' ? ' — it was cut off at max_tokens; raise max_tokens' : '';
  return new ProviderError({
    code: 'schema',
    provider: source.provider,
    model: source.model,
    message: `the reply of model \`${source.model}\` (provider \`${source.provider}\`) ${why}${cutOff}`,
    partialOutput: text,
  });
}

/** Where the reply departs from the schema, e.g. `output.items[2] must be string`. */
function describeMismatch(validate: ValidateFunction): string {
  return (validate.errors ?? [])
    .slice(0, 5)
    .map((e) => `${e.instancePath ? `output${e.instancePath.replace(/\/(\d+)(?=\/|$)/g, '[$1]').replace(/\//g, '.')}` : 'the reply'} ${e.message ?? 'is invalid'}`)
    .join('; ');
}

let ajvInstance: Ajv | undefined;
/** Compiled validators by schema text; workflows have few schemas, an editor session may see many variants. */
const validators = new BoundedMap<string, { validate: ValidateFunction; compiled: Record<string, unknown> }>(200, (_key, dropped) =>
  // ajv keeps every schema it compiled, keyed by the object: forget it there too.
  ajv().removeSchema(dropped.compiled),
);

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
  const known = validators.get(key);
  if (known) return known.validate;
  const { $schema: _ignored, ...compiled } = schema;
  const validate = ajv().compile(compiled);
  validators.set(key, { validate, compiled });
  return validate;
}
