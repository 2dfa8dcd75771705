/**
 * A tool's arguments as its `inputSchema` describes them, for the editor: which exist,
 * which are required, their types in a word, and a value to start typing from. The
 * schema is a server's (untrusted) JSON: every read is by own property, so arguments
 * named `constructor` or `__proto__` are names like any other, and odd shapes give
 * "any" rather than an exception.
 */
import type { ToolInfo } from '../engine/tools/host';

export interface ToolArgument {
  name: string;
  required: boolean;
  /** `string`, `number`, `"a" | "b"`, `string[]`, `any`… */
  type: string;
  description?: string;
  /** The schema's `default`, when it gives one. */
  default?: unknown;
  schema: Record<string, unknown>;
}

/** The arguments, required ones first, each group in the schema's order. */
export function toolArguments(tool: Pick<ToolInfo, 'inputSchema'>): ToolArgument[] {
  const properties = ownRecord(tool.inputSchema, 'properties') ?? {};
  const required = requiredNames(tool);
  const out: ToolArgument[] = [];
  for (const name of Object.keys(properties)) {
    const schema = asRecord(properties[name]) ?? {};
    const argument: ToolArgument = { name, required: required.has(name), type: typeWord(schema), schema };
    const description = own(schema, 'description');
    if (typeof description === 'string' && description.trim() !== '') argument.description = description;
    if (Object.prototype.hasOwnProperty.call(schema, 'default')) argument.default = schema.default;
    out.push(argument);
  }
  // Required arguments the schema does not describe are still required.
  for (const name of required) if (!Object.prototype.hasOwnProperty.call(properties, name)) out.push({ name, required: true, type: 'any', schema: {} });
  return [...out.filter((a) => a.required), ...out.filter((a) => !a.required)];
}

/** The names `required` lists (strings only; a server may send anything). */
export function requiredNames(tool: Pick<ToolInfo, 'inputSchema'>): Set<string> {
  const required = own(tool.inputSchema, 'required');
  return new Set(Array.isArray(required) ? required.filter((r): r is string => typeof r === 'string') : []);
}

/**
 * Whether the schema accepts `name` as an argument. Extra keys are allowed unless the
 * schema says `additionalProperties: false`; `patternProperties` then still admit the
 * names they match.
 */
export function acceptsArgument(tool: Pick<ToolInfo, 'inputSchema'>, name: string): boolean {
  const properties = ownRecord(tool.inputSchema, 'properties') ?? {};
  if (Object.prototype.hasOwnProperty.call(properties, name)) return true;
  if (own(tool.inputSchema, 'additionalProperties') !== false) return true;
  const patterns = ownRecord(tool.inputSchema, 'patternProperties') ?? {};
  return Object.keys(patterns).some((pattern) => {
    try {
      return new RegExp(pattern, 'u').test(name);
    } catch {
      // A pattern we cannot read: do not claim the name is wrong.
      return true;
    }
  });
}

/** A type in a word or two: `string`, `number | null`, `"a" | "b"`, `string[]`, `object`, `any`. */
export function typeWord(schema: Record<string, unknown>, depth = 0): string {
  const values = own(schema, 'enum');
  if (Array.isArray(values) && values.length > 0) return values.slice(0, 8).map((v) => JSON.stringify(v) ?? 'null').join(' | ') + (values.length > 8 ? ' | …' : '');
  if (Object.prototype.hasOwnProperty.call(schema, 'const')) return JSON.stringify(schema.const) ?? 'any';
  const type = own(schema, 'type');
  const types = (Array.isArray(type) ? type : [type]).filter((t): t is string => typeof t === 'string');
  if (types.length === 0) {
    const union = own(schema, 'anyOf') ?? own(schema, 'oneOf');
    if (Array.isArray(union) && depth < 3) return union.map((s) => typeWord(asRecord(s) ?? {}, depth + 1)).join(' | ') || 'any';
    return 'any';
  }
  return types
    .map((t) => {
      if (t !== 'array') return t;
      const items = ownRecord(schema, 'items');
      return items && depth < 3 ? `${wrap(typeWord(items, depth + 1))}[]` : 'array';
    })
    .join(' | ');
}

function wrap(word: string): string {
  return word.includes(' | ') ? `(${word})` : word;
}

/** The first JSON type the schema allows: what a snippet's value should look like. */
export function primaryType(schema: Record<string, unknown>): string | undefined {
  const values = own(schema, 'enum');
  if (Array.isArray(values) && values.length > 0) return 'enum';
  const type = own(schema, 'type');
  const types = (Array.isArray(type) ? type : [type]).filter((t): t is string => typeof t === 'string' && t !== 'null');
  return types[0];
}

/**
 * What completing an argument key inserts after `name: ` (a snippet body): a choice of
 * the enum's values, quotes for a string, `[]` for a list, a nested line for an object,
 * the default or a placeholder for numbers and booleans.
 */
export function argumentValueSnippet(argument: ToolArgument): string {
  const values = own(argument.schema, 'enum');
  if (Array.isArray(values) && values.length > 0) {
    const choices = values.filter((v) => typeof v === 'string' || typeof v === 'number' || typeof v === 'boolean').map((v) => escapeChoice(String(v)));
    if (choices.length > 0) return `\${1|${choices.join(',')}|}`;
  }
  switch (primaryType(argument.schema)) {
    case 'string':
      return `"\${1${placeholder(argument.default)}}"`;
    case 'number':
    case 'integer':
      return `\${1:${typeof argument.default === 'number' ? argument.default : 0}}`;
    case 'boolean':
      return `\${1|${argument.default === true ? 'true,false' : 'false,true'}|}`;
    case 'array':
      return '[$1]';
    case 'object':
      return '{ $1 }';
    default:
      return '$1';
  }
}

function placeholder(value: unknown): string {
  return typeof value === 'string' && value !== '' ? `:${escapeSnippet(value)}` : '';
}

function escapeSnippet(text: string): string {
  return text.replace(/[$}\\]/g, '\\$&');
}

function escapeChoice(text: string): string {
  return text.replace(/[$}\\,|]/g, '\\$&');
}

function own(record: Record<string, unknown> | undefined, key: string): unknown {
  return record && Object.prototype.hasOwnProperty.call(record, key) ? record[key] : undefined;
}

function ownRecord(record: Record<string, unknown> | undefined, key: string): Record<string, unknown> | undefined {
  return asRecord(own(record, key));
}

function asRecord(value: unknown): Record<string, unknown> | undefined {
  return typeof value === 'object' && value !== null && !Array.isArray(value) ? (value as Record<string, unknown>) : undefined;
}
