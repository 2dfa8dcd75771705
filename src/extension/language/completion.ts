/**
 * Completion as plain data: keys and values from the schema, and inside expressions
 * the names in scope (`inputs.`, `steps.`, `steps.x.output.` from x's `output.schema`,
 * `item`, `output`). The provider in src/extension/editor turns these into
 * `CompletionItem`s; tests and the benchmark call this directly.
 */
import type { ToolCatalogView } from '../../authoring/tool-references';
import { fieldOf, scopeAt as scopeOf, type Step } from '../../engine';
import { chainAt, expressionSiteAt, type ExpressionSite } from './expression-site';
import { staleOffset, type ParsedWorkflow } from './parsed';
import { child, documentation, enumValues, exampleValues, keysOf, schemaAt, types, type PathSegment, type SchemaNode } from './schema';
import { visibleSteps, type ExpressionScope } from './scope';
import { toolCompletionsAt } from './tool-completion';
import { yamlContextAt } from './yaml-context';

export type CompletionKind = 'key' | 'value' | 'step' | 'input' | 'field' | 'variable' | 'worker' | 'provider' | 'keyword' | 'tool';

export interface Completion {
  label: string;
  kind: CompletionKind;
  detail?: string;
  /** Markdown. */
  documentation?: string;
  /** What to insert instead of the label; a snippet when `snippet` is set. */
  insertText?: string;
  snippet?: boolean;
  sortText?: string;
  /** The text the completion replaces: offsets in the current text. */
  start: number;
  end: number;
}

export interface CompletionOptions {
  /** Keys, enum values, schema examples. Off when Red Hat YAML already offers them from the same schema. */
  schemaItems: boolean;
  /** Providers named in the settings, offered for `provider:`. */
  providerNames?: readonly string[];
  /** The tools of the workflow's servers (tool-completion.ts); none in restricted mode. */
  tools?: ToolCatalogView;
}

/** Kind keys first in a step, in the order the language guide lists them. */
const KIND_ORDER = ['prompt', 'parallel', 'switch', 'input', 'set', 'uses'];
const TARGET_KEYS = new Set(['next', 'on_success', 'on_failure']);
const BUILTIN_PROVIDERS = ['openai', 'mock', 'vscode-lm'];

/**
 * Completions at `offset` of `text`. `model` may be the analysis of an older version of
 * the text (the last one made): names and schemas come from it, positions are mapped.
 */
export function completionsAt(text: string, offset: number, model: ParsedWorkflow | undefined, options: CompletionOptions): Completion[] {
  const site = expressionSiteAt(text, offset);
  if (site) return expressionCompletions(site, text, offset, model);
  const tools = toolCompletionsAt(text, offset, model, options.tools ?? (() => undefined));
  if (tools) return tools;
  const context = yamlContextAt(text, offset);
  if (context.kind === 'key') {
    if (!options.schemaItems) return [];
    return keyCompletions(schemaAt(context.path), context.siblings, context.hasColon, context.prefixStart, offset);
  }
  if (context.kind === 'value') {
    const range = { start: context.prefixStart, end: offset };
    const space = context.needsSpace ? ' ' : '';
    return valueCompletions(context.path, context.key, model, options, range, space);
  }
  return [];
}

// ─── Keys and values from the schema ─────────────────────────────────────────

function isStepSchema(node: SchemaNode | undefined): boolean {
  return Boolean(node?.properties?.prompt && node.properties.parallel);
}

function keyCompletions(node: SchemaNode | undefined, siblings: readonly string[], hasColon: boolean, start: number, end: number): Completion[] {
  const present = new Set(siblings);
  const step = isStepSchema(node);
  const hasKind = step && KIND_ORDER.some((key) => present.has(key));
  const out: Completion[] = [];
  keysOf(node).forEach(([key, schema], index) => {
    if (present.has(key)) return;
    // A step does one thing: once it has a kind, the other kind keys are errors.
    if (hasKind && KIND_ORDER.includes(key)) return;
    const rank = step ? (key === 'id' ? 0 : KIND_ORDER.includes(key) ? 1 + KIND_ORDER.indexOf(key) : 10 + index) : index;
    out.push({
      label: key,
      kind: 'key',
      detail: typeLabel(schema),
      documentation: documentation(schema),
      insertText: hasColon ? key : keySnippet(key, schema),
      snippet: !hasColon,
      sortText: String(rank).padStart(3, '0'),
      start,
      end,
    });
  });
  return out;
}

function typeLabel(schema: SchemaNode): string | undefined {
  if (schema.enum) return schema.enum.map(String).join(' | ');
  const list = types(schema);
  if (list.length > 0) return list.join(' | ');
  if (schema.properties) return 'object';
  return undefined;
}

/** What typing the key inserts: the colon, and a start of the value that fits its type. */
function keySnippet(key: string, schema: SchemaNode): string {
  const values = enumValues(schema);
  if (values.length > 0) return `${key}: \${1|${values.map((v) => String(v).replace(/[,|]/g, '\\$&')).join(',')}|}`;
  if (key === 'steps' || key === 'parallel') return `${key}:\n  - id: \${1:step}\n    prompt: \${0}`;
  const kinds = types(schema);
  if (kinds.length === 1 && kinds[0] === 'array') return `${key}: [\${0}]`;
  if ((kinds.length === 1 && kinds[0] === 'object') || (kinds.length === 0 && schema.properties)) return `${key}:\n  \${0}`;
  return `${key}: \${0}`;
}

function valueCompletions(
  path: PathSegment[],
  key: string,
  model: ParsedWorkflow | undefined,
  options: CompletionOptions,
  range: { start: number; end: number },
  space: string,
): Completion[] {
  const parent = schemaAt(path);
  const out: Completion[] = [];
  const seen = new Set<string>();
  const add = (completion: Omit<Completion, 'start' | 'end'>) => {
    if (seen.has(completion.label)) return;
    seen.add(completion.label);
    out.push({ ...completion, insertText: space + (completion.insertText ?? completion.label), ...range });
  };
  const workflow = model?.workflow;
  const inCases = path[path.length - 1] === 'cases';
  const stepSchema = isStepSchema(parent);
  // Where a transition can go: top-level steps, `end` or `fail`.
  if ((stepSchema && (TARGET_KEYS.has(key) || key === 'default')) || inCases) {
    workflow?.steps.forEach((step, index) => add({ label: step.id, kind: 'step', detail: stepDetail(step), documentation: stepSummary(step), sortText: `0${String(index).padStart(6, '0')}` }));
    add({ label: 'end', kind: 'keyword', detail: 'finish the run successfully', sortText: '1end' });
    add({ label: 'fail', kind: 'keyword', detail: 'finish the run as failed', sortText: '1fail' });
  }
  if (stepSchema && key === 'worker' && workflow) {
    for (const worker of Object.values(workflow.workers)) add({ label: worker.name, kind: 'worker', detail: worker.description, documentation: worker.system?.source });
  }
  if (key === 'provider') {
    const named = options.providerNames ?? [];
    for (const name of options.schemaItems ? [...BUILTIN_PROVIDERS, ...named] : named) add({ label: name, kind: 'provider', detail: BUILTIN_PROVIDERS.includes(name) ? 'built-in provider' : 'from the orchestrate.providers setting' });
  }
  if (options.schemaItems && key !== 'id') {
    const node = child(parent, key);
    for (const value of enumValues(node)) add({ label: String(value), kind: 'value', documentation: documentation(node), sortText: `2${String(value)}` });
    for (const value of exampleValues(node)) add({ label: String(value), kind: 'value', documentation: documentation(node), sortText: `3${String(value)}` });
  }
  return out;
}

// ─── Names inside expressions ────────────────────────────────────────────────

function expressionCompletions(site: ExpressionSite, text: string, offset: number, model: ParsedWorkflow | undefined): Completion[] {
  const chain = chainAt(site.before);
  if (!chain) return [];
  const range = { start: offset - chain.prefix.length, end: offset };
  const scope = scopeAt(text, offset, model, site.field);
  const out: Completion[] = [];
  const add = (completion: Omit<Completion, 'start' | 'end'>) => out.push({ ...completion, ...range });
  const { parts } = chain;
  const workflow = model?.workflow;
  const [root, member, field, ...rest] = parts;

  if (parts.length === 0) {
    add({ label: 'inputs', kind: 'variable', detail: 'the run\'s inputs', documentation: 'The workflow\'s inputs: `inputs.<name>`.' });
    add({ label: 'steps', kind: 'variable', detail: 'results of steps', documentation: 'Results of steps that have run: `steps.<id>.output`, `.status`, `.attempts`.' });
    add({ label: 'workflow', kind: 'variable', detail: 'workflow.name, workflow.file' });
    add({ label: 'run', kind: 'variable', detail: 'run.id' });
    if (scope.inMap) {
      add({ label: 'item', kind: 'variable', detail: 'the current for_each item', sortText: '0item' });
      add({ label: 'index', kind: 'variable', detail: 'the current item\'s position, from 0', sortText: '0index' });
    }
    if (scope.hasOutput) add({ label: 'output', kind: 'variable', detail: 'this step\'s result', sortText: '0output' });
    return out;
  }
  if (!workflow) return out;
  if (root === 'inputs' && parts.length === 1) {
    for (const input of workflow.inputs) {
      add({ label: input.name, kind: 'input', detail: `${input.type}${input.required ? ', required' : ''}${input.default !== undefined ? ` = ${JSON.stringify(input.default)}` : ''}`, documentation: input.description });
    }
  } else if (root === 'steps' && parts.length === 1) {
    visibleSteps(model!, scope).forEach((step, index) => add({ label: step.id, kind: 'step', detail: stepDetail(step), documentation: stepSummary(step), sortText: String(index).padStart(6, '0') }));
  } else if (root === 'steps' && parts.length === 2) {
    if (workflow.stepsById.has(member)) {
      add({ label: 'output', kind: 'field', detail: 'the step\'s result', documentation: 'Text, or the parsed JSON when the step has `output.schema`; a list for `for_each`.', sortText: '0' });
      add({ label: 'status', kind: 'field', detail: '"pending" | "running" | "succeeded" | "failed" | "skipped"', sortText: '1' });
      add({ label: 'attempts', kind: 'field', detail: 'how many attempts the step made', sortText: '2' });
    }
  } else if (root === 'steps' && field === 'output') {
    const step = workflow.stepsById.get(member);
    if (step) for (const completion of outputFields(step, rest)) add(completion);
  } else if (root === 'workflow' && parts.length === 1) {
    add({ label: 'name', kind: 'field', detail: workflow.name });
    add({ label: 'file', kind: 'field', detail: 'the workflow file' });
  } else if (root === 'run' && parts.length === 1) {
    add({ label: 'id', kind: 'field', detail: 'this run\'s id' });
  } else if (root === 'output' && scope.hasOutput && scope.step) {
    for (const completion of fieldsOf(outputSchemaOf(scope.step), parts.slice(1))) add(completion);
  } else if (root === 'item' && scope.inMap && scope.step?.forEach) {
    for (const completion of fieldsOf(itemSchema(scope.step, workflow.stepsById), parts.slice(1))) add(completion);
  }
  return out;
}

/** Where the cursor is, as the analyzer decides what is in scope. */
function scopeAt(text: string, offset: number, model: ParsedWorkflow | undefined, field: string | undefined): ExpressionScope {
  const noStep: ExpressionScope = { field: 'body', inMap: false, hasOutput: false };
  if (!model?.workflow || sectionAt(text, offset) !== 'steps') return noStep;
  const step = model.stepAt(staleOffset(model.text, text, offset));
  return step ? scopeOf(model.workflow, step, fieldOf(field)) : noStep;
}

/** The top-level key whose block holds `offset` (`steps`, `outputs`, `workers`…). */
function sectionAt(text: string, offset: number): string | undefined {
  const lineStart = text.lastIndexOf('\n', offset - 1) + 1;
  const here = /^([A-Za-z_][\w-]*)[ \t]*:/.exec(text.slice(lineStart, offset));
  if (here) return here[1];
  const above = text.slice(0, lineStart);
  const pattern = /^([A-Za-z_][\w-]*)[ \t]*:/gm;
  let last: string | undefined;
  // The last top-level key above the cursor; a regex scan is fast even on large files.
  for (let match = pattern.exec(above); match; match = pattern.exec(above)) last = match[1];
  return last;
}

function outputSchemaOf(step: Step): Record<string, unknown> | undefined {
  return step.kind === 'prompt' ? step.outputSchema : undefined;
}

function outputFields(step: Step, rest: string[]): Omit<Completion, 'start' | 'end'>[] {
  if (step.kind === 'parallel' && rest.length === 0) {
    return step.branches.map((branch) => ({ label: branch.id, kind: 'field', detail: `output of branch ${branch.id}`, documentation: stepSummary(branch) }));
  }
  if (step.forEach) return [];
  return fieldsOf(outputSchemaOf(step), rest);
}

interface JsonSchemaLike {
  type?: string | string[];
  description?: string;
  properties?: Record<string, JsonSchemaLike>;
  items?: JsonSchemaLike;
  enum?: unknown[];
}

/** The properties of the object at `path` inside a JSON Schema. */
function fieldsOf(schema: Record<string, unknown> | undefined, path: string[]): Omit<Completion, 'start' | 'end'>[] {
  let node = schema as JsonSchemaLike | undefined;
  for (const segment of path) {
    node = node?.properties?.[segment];
    if (!node) return [];
  }
  const properties = node?.properties;
  if (!properties) return [];
  const required = new Set(Array.isArray((node as { required?: unknown }).required) ? ((node as { required: string[] }).required) : []);
  return Object.entries(properties).map(([name, property], index) => ({
    label: name,
    kind: 'field',
    detail: `${describeType(property)}${required.has(name) ? '' : ' (optional)'}`,
    documentation: property.description,
    sortText: String(index).padStart(4, '0'),
  }));
}

function describeType(node: JsonSchemaLike): string {
  if (node.enum) return node.enum.map((v) => JSON.stringify(v)).join(' | ');
  const type = Array.isArray(node.type) ? node.type.join(' | ') : (node.type ?? 'any');
  return type === 'array' && node.items ? `${describeType(node.items)}[]` : type;
}

/** For `for_each: steps.x.output.list`: the schema of one item of that list, when x's schema says. */
function itemSchema(step: Step, stepsById: ReadonlyMap<string, Step>): Record<string, unknown> | undefined {
  const match = /^steps\.([A-Za-z_]\w*)\.output((?:\.[A-Za-z_]\w*)*)$/.exec(step.forEach!.source.replace(/\s+/g, ''));
  if (!match) return undefined;
  const source = stepsById.get(match[1]);
  let node = (source ? outputSchemaOf(source) : undefined) as JsonSchemaLike | undefined;
  for (const segment of match[2].split('.').filter(Boolean)) node = node?.properties?.[segment];
  return node?.items as Record<string, unknown> | undefined;
}

export function stepDetail(step: Step): string {
  const kind = step.forEach ? `for_each ${step.kind}` : step.kind;
  return step.name ? `${step.name} · ${kind}` : kind;
}

/** Markdown: what the step does, in a few lines. */
export function stepSummary(step: Step): string {
  const lines: string[] = [];
  if (step.description) lines.push(step.description);
  const body = stepBody(step);
  if (body) lines.push('```text\n' + truncateLines(body, 12, 600) + '\n```');
  return lines.join('\n\n');
}

export function stepBody(step: Step): string | undefined {
  switch (step.kind) {
    case 'prompt':
      return step.prompt.source;
    case 'input':
      return step.question.source;
    case 'switch':
      return `switch: ${step.switch.source}\n${step.cases.map((c) => `  ${c.value} → ${c.target.to}`).join('\n')}${step.default ? `\n  default → ${step.default.to}` : ''}`;
    case 'workflow':
      return `uses: ${step.uses.path}`;
    case 'tool':
      return `tool: ${step.tool.server}.${step.tool.name}`;
    case 'parallel':
      return `parallel: ${step.branches.map((b) => b.id).join(', ')}`;
    case 'set':
      return step.value.kind === 'template' ? step.value.template.source : undefined;
    case 'fail':
      return step.fail?.source;
  }
}

export function truncateLines(text: string, maxLines: number, maxChars: number): string {
  let out = text.length > maxChars ? `${text.slice(0, maxChars)}…` : text;
  const lines = out.split('\n');
  if (lines.length > maxLines) out = `${lines.slice(0, maxLines).join('\n')}\n…`;
  // A fence inside the text would end our code block early.
  return out.replace(/```/g, "'''");
}
