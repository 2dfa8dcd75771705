/**
 * Schema validation: the one JSON schema in `schemas/` checks the document, and each
 * ajv error is mapped back to the YAML node it is about.
 */
import Ajv, { type ErrorObject, type ValidateFunction } from 'ajv';
import { isMap, isScalar, isSeq, type Document, type Node } from 'yaml';
import workflowSchema from '../../schemas/workflow.schema.json';
import { TO_JS_OPTIONS } from './aliases';
import type { SourceMap } from './source';
import { didYouMean } from './suggest';
import type { Problem, SourceRange } from './types';

export { workflowSchema };

let validator: ValidateFunction | undefined;

/** Compiled once, lazily: ajv compilation is the slowest part of a first validation. */
function compiled(): ValidateFunction {
  // `verbose` puts `parentSchema` on each error: the known keys behind "did you mean".
  validator ??= new Ajv({ allErrors: true, strict: false, verbose: true }).compile(workflowSchema);
  return validator;
}

export function validateSchema(doc: Document, source: SourceMap, file: string): Problem[] {
  const validate = compiled();
  if (validate(doc.toJS(TO_JS_OPTIONS))) return [];
  const problems: Problem[] = [];
  const seen = new Set<string>();
  const errors = (validate.errors ?? []).filter((error) => !OWN_CHECKERS.some((prefix) => error.instancePath === prefix || error.instancePath.startsWith(`${prefix}/`)));
  for (const error of withoutOtherAlternatives(errors)) {
    // `if`/`then` wrappers repeat what the keyword under them said.
    if (error.keyword === 'if' || error.keyword === 'oneOf' || error.keyword === 'anyOf') continue;
    const key = `${error.instancePath}|${error.keyword}|${JSON.stringify(error.params)}`;
    if (seen.has(key)) continue;
    seen.add(key);
    const path = pointer(error.instancePath, doc);
    const node = doc.getIn(path, true) as Node | undefined;
    problems.push({
      file,
      range: rangeFor(error, node, doc, path, source),
      code: 'schema',
      severity: 'error',
      message: messageFor(error, path, doc),
      stepId: stepIdAt(doc, path),
    });
  }
  return problems;
}

/**
 * Sections with a checker of their own (src/engine/sections.ts), which words every problem
 * in them with its own code: the schema describes them for completion only.
 */
const OWN_CHECKERS = ['/on', '/tests'];

/**
 * A value that may take one of several shapes (`oneOf`/`anyOf`: a trigger or a list of
 * them) fails every shape, so ajv reports each: "must be a list" beside "needs `path:`".
 * When some shape fits the value's type and failed deeper, the other shapes' type errors
 * say nothing useful; when none fits, one error lists the types it may be.
 */
function withoutOtherAlternatives(errors: ErrorObject[]): ErrorObject[] {
  const alternatives = new Set(errors.filter((e) => e.keyword === 'oneOf' || e.keyword === 'anyOf').map((e) => e.instancePath));
  if (alternatives.size === 0) return errors;
  const deeper = (path: string) => errors.some((e) => e.keyword !== 'type' && e.keyword !== 'oneOf' && e.keyword !== 'anyOf' && (e.instancePath === path || e.instancePath.startsWith(`${path}/`)));
  const kept: ErrorObject[] = [];
  const merged = new Map<string, ErrorObject>();
  for (const error of errors) {
    if (error.keyword !== 'type' || !alternatives.has(error.instancePath)) {
      kept.push(error);
      continue;
    }
    if (deeper(error.instancePath)) continue;
    const types = [(merged.get(error.instancePath)?.params as { type?: string } | undefined)?.type, (error.params as { type: string }).type].filter(Boolean).join(',');
    const combined = { ...error, params: { type: types } };
    if (!merged.has(error.instancePath)) kept.push(combined);
    else kept[kept.indexOf(merged.get(error.instancePath)!)] = combined;
    merged.set(error.instancePath, combined);
  }
  return kept;
}

/**
 * The YAML path an ajv instance path names. A segment is a list index only under a list;
 * under a mapping it is the key as YAML typed it, so `"1":` and `true:` keys resolve too.
 */
function pointer(instancePath: string, doc: Document): (string | number)[] {
  if (instancePath === '') return [];
  const path: (string | number)[] = [];
  let node: unknown = doc.contents;
  for (const raw of instancePath.slice(1).split('/')) {
    const part = raw.replace(/~1/g, '/').replace(/~0/g, '~');
    if (isSeq(node)) {
      path.push(Number(part));
      node = node.items[Number(part)];
      continue;
    }
    const pair = isMap(node) ? node.items.find((item) => isScalar(item.key) && String(item.key.value) === part) : undefined;
    path.push(pair && isScalar(pair.key) ? (pair.key.value as string | number) : part);
    node = pair?.value;
  }
  return path;
}

function rangeFor(error: ErrorObject, node: Node | undefined, doc: Document, path: (string | number)[], source: SourceMap): SourceRange {
  if (error.keyword === 'additionalProperties' && isMap(node)) {
    const name = (error.params as { additionalProperty: string }).additionalProperty;
    const pair = node.items.find((item) => isScalar(item.key) && String(item.key.value) === name);
    if (pair && isScalar(pair.key) && pair.key.range) return source.range(pair.key.range[0], pair.key.range[1]);
  }
  if (node?.range) {
    // A missing key is reported at the start of the mapping, not across all of it.
    if (error.keyword === 'required' && (isMap(node) || isSeq(node))) {
      const first = isMap(node) ? node.items[0]?.key : undefined;
      const end = isScalar(first) && first.range ? first.range[1] : node.range[0] + 1;
      return source.range(node.range[0], end);
    }
    return source.range(node.range[0], node.range[1]);
  }
  // The node is gone (e.g. `key:` with no value): point at its key.
  const parent = doc.getIn(path.slice(0, -1), true);
  if (isMap(parent)) {
    const pair = parent.items.find((item) => isScalar(item.key) && item.key.value === path[path.length - 1]);
    if (pair && isScalar(pair.key) && pair.key.range) return source.range(pair.key.range[0], pair.key.range[1]);
  }
  return source.range(0, 0);
}

function messageFor(error: ErrorObject, path: (string | number)[], doc: Document): string {
  const where = describePath(path, doc);
  const params = error.params as Record<string, unknown>;
  switch (error.keyword) {
    case 'additionalProperties': {
      const name = String(params.additionalProperty);
      const known = Object.keys(((error.parentSchema as { properties?: object })?.properties ?? {}) as object);
      return `unknown key \`${name}\` ${where ? `in ${where}` : 'at the top level'}${didYouMean(name, known)}${known.length && !didYouMean(name, known) ? `; known keys: ${known.join(', ')}` : ''}`;
    }
    case 'required':
      return `${where || 'the workflow'} needs \`${String(params.missingProperty)}:\``;
    case 'type':
      return `${where} must be ${article(String(params.type))}, not ${typeOf(doc.getIn(path))}`;
    case 'enum':
      return `${where} must be one of ${(params.allowedValues as unknown[]).map((v) => `\`${String(v)}\``).join(', ')}`;
    case 'pattern': {
      const key = path[path.length - 1];
      const value = String(doc.getIn(path));
      if (key === 'id') return `step id \`${value}\` is not a valid name: use letters, digits and \`_\`, starting with a letter or \`_\``;
      if (key === 'timeout' || key === 'retry_delay') return `${where} must be a duration such as \`30s\`, \`2m\` or \`500ms\` (or a number of seconds), not \`${value}\``;
      if (key === 'next' || key === 'on_success' || key === 'on_failure' || path[path.length - 2] === 'cases') {
        return `${where} must be a step id, \`end\` or \`fail\`, not \`${value}\``;
      }
      if (key === 'uses') return `${where} must be the path of a workflow file, ending in \`.yaml\` or \`.yml\`, not \`${value}\``;
      if (key === 'worker') return `${where} must be the name of a worker under \`workers:\` (letters, digits and \`_\`), not \`${value}\``;
      if (key === 'type') return `${where} must be one of \`string\`, \`number\`, \`integer\`, \`boolean\`, \`object\`, \`array\`, \`null\`, not \`${value}\``;
      if (path.length === 2 || path.length === 1) {
        return `${where} \`${value}\` is not a valid name: use letters, digits and \`_\`, starting with a letter or \`_\``;
      }
      return `${where} must match ${String(params.pattern)}`;
    }
    case 'minimum':
    case 'exclusiveMinimum':
    case 'maximum':
    case 'exclusiveMaximum': {
      const limit = Number(params.limit);
      const word = { minimum: 'at least', exclusiveMinimum: 'more than', maximum: 'at most', exclusiveMaximum: 'less than' }[error.keyword];
      return `${where} must be ${word} ${limit.toLocaleString('en-US')}, not ${String(doc.getIn(path))}`;
    }
    case 'minItems':
      return `${where} needs at least ${String(params.limit)} item${params.limit === 1 ? '' : 's'}`;
    case 'propertyNames':
      return `${where} has a key that is not a valid name: use letters, digits and \`_\`, starting with a letter or \`_\``;
    default:
      return `${where || 'the workflow'} ${error.message ?? 'is not valid'}`;
  }
}

/** `step \`outline\`, key \`retries\`` — how a person would name the place. */
function describePath(path: (string | number)[], doc: Document): string {
  if (path.length === 0) return '';
  const stepId = stepIdAt(doc, path);
  const last = path[path.length - 1];
  const stepDepth = stepPathLength(path);
  if (stepId !== undefined && stepDepth === path.length) return `step \`${stepId}\``;
  if (stepId !== undefined) return `\`${path.slice(stepDepth).join('.')}\` of step \`${stepId}\``;
  if (typeof last === 'number') return `item ${last + 1} of \`${path.slice(0, -1).join('.')}\``;
  return `\`${path.join('.')}\``;
}

/** Steps nest as steps/N and …/parallel/N; returns how much of the path addresses the innermost step. */
function stepPathLength(path: (string | number)[]): number {
  let length = 0;
  for (let i = 0; i + 1 < path.length; i++) {
    if ((path[i] === 'steps' && i === 0) || (path[i] === 'parallel' && length === i)) {
      if (typeof path[i + 1] === 'number') length = i + 2;
    }
  }
  return length;
}

function stepIdAt(doc: Document, path: (string | number)[]): string | undefined {
  const length = stepPathLength(path);
  if (length === 0) return undefined;
  const id = doc.getIn([...path.slice(0, length), 'id']);
  return typeof id === 'string' ? id : undefined;
}

function typeOf(value: unknown): string {
  if (value === null || value === undefined) return 'empty';
  // `doc.getIn` gives collections as YAML nodes, scalars as values.
  if (Array.isArray(value) || isSeq(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  return `${article(typeof value)} (\`${String(value)}\`)`;
}

function article(type: string): string {
  const named: Record<string, string> = { object: 'a mapping', array: 'a list', integer: 'a whole number', number: 'a number', string: 'text', boolean: 'true or false', null: 'empty' };
  return type
    .split(',')
    .map((t) => named[t] ?? t)
    .join(' or ');
}
