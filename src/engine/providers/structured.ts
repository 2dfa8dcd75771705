/**
 * Structured replies for providers that cannot enforce a JSON schema themselves
 * (servers without `json_schema`, the editor's language models): the schema goes
 * into the system prompt; every provider's reply is parsed by the provider and checked
 * once, by the runner, with ajv ({@link validateReply}).
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
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

/** Where the reply departs from the schema, worded for a workflow's author: `` `items[2]` must be a string``. */
function describeMismatch(validate: ValidateFunction): string {
  const errors = validate.errors ?? [];
  const shown = errors.slice(0, 5).map(describeError);
  if (errors.length > shown.length) shown.push(`and ${errors.length - shown.length} more`);
  return shown.join('; ');
}

function describeError(error: ErrorObject): string {
  const where = pathOf(error.instancePath);
  const subject = where ? `\`${where}\`` : 'the reply';
  const p = error.params as Record<string, unknown>;
  const plural = (n: unknown, word: string): string => `${String(n)} ${word}${n === 1 ? '' : 's'}`;
  switch (error.keyword) {
    case 'type':
      return `${subject} must be ${article(String(p.type))}`;
    case 'required':
      return `${subject} lacks the required field \`${String(p.missingProperty)}\``;
    case 'additionalProperties':
      return `${subject} has a field the schema does not allow: \`${String(p.additionalProperty)}\``;
    case 'minLength':
      return `${subject} must be at least ${plural(p.limit, 'character')} long`;
    case 'maxLength':
      return `${subject} must be at most ${plural(p.limit, 'character')} long`;
    case 'minItems':
      return `${subject} must have at least ${plural(p.limit, 'item')}`;
    case 'maxItems':
      return `${subject} must have at most ${plural(p.limit, 'item')}`;
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum': {
      const bound = { minimum: 'at least', exclusiveMinimum: 'more than', maximum: 'at most', exclusiveMaximum: 'less than' }[error.keyword];
      return `${subject} must be ${bound} ${String(p.limit)}`;
    }
    case 'enum':
      return `${subject} must be one of ${(p.allowedValues as unknown[]).map((v) => JSON.stringify(v)).join(', ')}`;
    case 'const':
      return `${subject} must be ${JSON.stringify(p.allowedValue)}`;
    case 'pattern':
      return `${subject} must match the pattern ${String(p.pattern)}`;
    case 'format':
      return `${subject} must be a valid ${String(p.format)}`;
    default:
      return `${subject} does not satisfy the schema's \`${error.keyword}\``;
  }
}

/** `/items/2/name` → `items[2].name`. */
function pathOf(instancePath: string): string {
  return instancePath
    .split('/')
    .slice(1)
    .map((part) => part.replace(/~1/g, '/').replace(/~0/g, '~'))
    .reduce((path, part) => (/^\d+$/.test(part) ? `${path}[${part}]` : path ? `${path}.${part}` : part), '');
}

function article(type: string): string {
  const names: Record<string, string> = { object: 'an object', array: 'a list', string: 'a string', number: 'a number', integer: 'a whole number', boolean: 'true or false', null: 'null' };
  return type
    .split(',')
    .map((t) => names[t] ?? t)
    .join(' or ');
}

let ajvInstance: Ajv | undefined;
/** Compiled validators by schema text; workflows have few schemas, an editor session may see many variants. */
const validators = new BoundedMap<string, { validate: ValidateFunction; compiled: Record<string, unknown> }>(200, (_key, dropped) =>
  // ajv keeps every schema it compiled, keyed by the object: forget it there too.
  ajv().removeSchema(dropped.compiled),
);

function ajv(): Ajv {
  if (!ajvInstance) {
    // ownProperties: `required: [constructor]` must not be met by Object.prototype's `constructor`.
    ajvInstance = new Ajv({ allErrors: true, strict: false, ownProperties: true });
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
