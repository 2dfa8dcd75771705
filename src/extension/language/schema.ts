/**
 * A small walker over the one workflow schema (`schemas/workflow.schema.json`): which
 * keys a mapping may have, which values a key takes, and the description to show.
 *
 * Why not yaml-language-server or vscode-json-languageservice in-process: the first
 * needs Node 22 in its current major and pulls prettier, lodash, its own `yaml` pin and
 * the LSP server packages (several MB) into the extension host; the second works on a
 * JSON AST only, so we would have to write the YAML→JSON-AST adapter that is the bulk of
 * yaml-language-server. Our schema is one flat step definition with `$ref`s and no
 * `oneOf`, so a walker of ~100 lines covers it exactly. No `vscode` import: pure.
 */
import { workflowSchema } from '../../engine';

export type PathSegment = string | number;

/** The subset of JSON Schema our schema uses. */
export interface SchemaNode {
  type?: string | string[];
  description?: string;
  markdownDescription?: string;
  properties?: Record<string, SchemaNode>;
  patternProperties?: Record<string, SchemaNode>;
  additionalProperties?: boolean | SchemaNode;
  items?: SchemaNode;
  $ref?: string;
  enum?: unknown[];
  examples?: unknown[];
  default?: unknown;
  pattern?: string;
}

const root = workflowSchema as unknown as SchemaNode & { definitions: Record<string, SchemaNode> };

/**
 * Follows `$ref`; the referring node's own description wins over the definition's
 * (`model:` says "defaults for every step", the definition only "model settings").
 */
export function resolve(node: SchemaNode | undefined): SchemaNode | undefined {
  if (!node?.$ref) return node;
  const name = /^#\/definitions\/(.+)$/.exec(node.$ref)?.[1];
  const target = name ? root.definitions[name] : undefined;
  if (!target) return undefined;
  const { $ref: _ref, ...own } = node;
  return { ...resolve(target), ...own };
}

/** The schema of the node at `path` (keys and list indexes from the document root). */
export function schemaAt(path: readonly PathSegment[]): SchemaNode | undefined {
  let node = resolve(root);
  for (const segment of path) {
    node = child(node, segment);
    if (!node) return undefined;
  }
  return node;
}

export function child(node: SchemaNode | undefined, segment: PathSegment): SchemaNode | undefined {
  if (!node) return undefined;
  if (typeof segment === 'number') return resolve(node.items);
  const own = node.properties?.[segment];
  if (own) return resolve(own);
  for (const [pattern, schema] of Object.entries(node.patternProperties ?? {})) {
    if (new RegExp(pattern).test(segment)) return resolve(schema);
  }
  return typeof node.additionalProperties === 'object' ? resolve(node.additionalProperties) : undefined;
}

/** The keys a mapping with this schema may have, with their schemas. */
export function keysOf(node: SchemaNode | undefined): [string, SchemaNode][] {
  if (!node?.properties) return [];
  return Object.entries(node.properties).map(([key, schema]) => [key, resolve(schema) ?? schema]);
}

export function types(node: SchemaNode): string[] {
  if (node.type === undefined) return [];
  return Array.isArray(node.type) ? node.type : [node.type];
}

/** Markdown to show for a node: its markdownDescription, else its plain description. */
export function documentation(node: SchemaNode | undefined): string | undefined {
  return node?.markdownDescription ?? node?.description;
}

/**
 * The closed set of values a scalar key takes: its `enum` (or its items' enum, for
 * `type: [string, array]`), or true/false. Empty when the value is free.
 */
export function enumValues(node: SchemaNode | undefined): unknown[] {
  if (!node) return [];
  if (node.enum) return node.enum;
  const items = resolve(node.items);
  if (items?.enum) return items.enum;
  if (types(node).length === 1 && types(node)[0] === 'boolean') return [true, false];
  return [];
}

/**
 * Short scalar examples worth offering as values (`30s`, `gpt-4o-mini`, `mock`): a
 * suggestion, not a rule. Prose examples (prompts, questions) are left out.
 */
export function exampleValues(node: SchemaNode | undefined): unknown[] {
  if (!node?.examples) return [];
  return node.examples.filter((example) => (typeof example === 'string' && example.length <= 30 && !/\s/.test(example)) || typeof example === 'number');
}
