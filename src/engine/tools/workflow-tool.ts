/**
 * A workflow seen as a tool: its name, description, input schema (from `inputs:`) and
 * output schema (from `outputs:`), and the check of the arguments an agent sends. Used
 * by `orchestrate mcp` and, later, by prompts that list other workflows in `tools:`.
 */
import { hasType } from '../shape';
import { resolveInputs } from '../inputs';
import type { InputDef, InputStep, TemplateValue, Workflow } from '../types';

export interface WorkflowToolDefinition {
  name: string;
  title: string;
  description: string;
  inputSchema: { type: 'object'; properties: Record<string, Record<string, unknown>>; required?: string[]; additionalProperties: false };
  outputSchema: { type: 'object'; properties: Record<string, Record<string, unknown>>; required?: string[] };
}

/** MCP clients show and send tool names; most accept `[A-Za-z0-9_-]{1,64}` only. */
const MAX_NAME = 64;

/** `Build a Website` → `build_a_website`; a name with no letters falls back to the file name. */
export function workflowToolName(workflow: Pick<Workflow, 'name' | 'file'>): string {
  const clean = (text: string) =>
    text
      .toLowerCase()
      .replace(/[^a-z0-9]+/g, '_')
      .replace(/^_+|_+$/g, '')
      .slice(0, MAX_NAME)
      .replace(/_+$/, '');
  const fromName = clean(workflow.name);
  if (fromName !== '') return fromName;
  const base = workflow.file.split(/[\\/]/).pop() ?? '';
  return clean(base.replace(/\.workflow\.ya?ml$/i, '')) || 'workflow';
}

/** Gives each name a numbered suffix when it is taken already, in the order given. */
export function uniqueNames(names: readonly string[]): string[] {
  const taken = new Set<string>();
  return names.map((name) => {
    let candidate = name;
    for (let n = 2; taken.has(candidate); n++) {
      const suffix = `_${n}`;
      candidate = name.slice(0, MAX_NAME - suffix.length) + suffix;
    }
    taken.add(candidate);
    return candidate;
  });
}

export function workflowToolDefinition(workflow: Workflow, name = workflowToolName(workflow)): WorkflowToolDefinition {
  const properties: Record<string, Record<string, unknown>> = {};
  const required: string[] = [];
  for (const input of workflow.inputs) {
    properties[input.name] = inputProperty(input);
    if (input.required && input.default === undefined) required.push(input.name);
  }
  // `input:` steps ask a question mid-run; an agent can answer them up front, by step id.
  for (const step of workflow.stepsById.values()) {
    if (step.kind !== 'input' || Object.prototype.hasOwnProperty.call(properties, step.id)) continue;
    properties[step.id] = answerProperty(step);
  }
  const outputs: Record<string, Record<string, unknown>> = {};
  for (const [key, value] of Object.entries(workflow.outputs)) outputs[key] = outputProperty(value, workflow);
  const outputNames = Object.keys(outputs);
  return {
    name,
    title: workflow.name,
    description: workflow.description?.trim() || `Runs the Orchestrate workflow “${workflow.name}”.`,
    inputSchema: { type: 'object', properties, ...(required.length > 0 ? { required } : {}), additionalProperties: false },
    outputSchema: { type: 'object', properties: outputs, ...(outputNames.length > 0 ? { required: outputNames } : {}) },
  };
}

function inputProperty(input: InputDef): Record<string, unknown> {
  const property: Record<string, unknown> = { type: input.type };
  if (input.description) property.description = input.description;
  if (input.default !== undefined) property.default = input.default;
  if (input.choices) property.enum = input.choices;
  // An optional input with no default arrives as null in the run; say so.
  if (!input.required && input.default === undefined) property.type = [input.type, 'null'];
  return property;
}

function answerProperty(step: InputStep): Record<string, unknown> {
  const property: Record<string, unknown> = { description: `The answer to step \`${step.id}\`, which asks: ${step.question.source}` };
  if (step.choices) property.enum = step.choices;
  if (step.default !== undefined) property.default = step.default;
  return property;
}

const STEP_OUTPUT = /^\s*steps\.([A-Za-z_][A-Za-z0-9_-]*)\.output\s*$/;

/**
 * What an output holds, as far as the file tells: text for a template with text in it,
 * the step's `output.schema` for `{{ steps.x.output }}`, the literal's type for a literal,
 * anything otherwise. A skipped step's output is null, so step outputs may be null too.
 */
function outputProperty(value: TemplateValue, workflow: Workflow): Record<string, unknown> {
  switch (value.kind) {
    case 'literal':
      return value.value === null ? { type: 'null' } : { type: Array.isArray(value.value) ? 'array' : typeof value.value === 'number' ? 'number' : typeof value.value };
    case 'list':
      return { type: 'array' };
    case 'object':
      return { type: 'object' };
    case 'template': {
      const parts = value.template.parts;
      if (parts.length !== 1 || !('expr' in parts[0]!)) return { type: 'string' };
      const match = STEP_OUTPUT.exec(parts[0].expr.source);
      const step = match ? workflow.stepsById.get(match[1]!) : undefined;
      if (step?.kind === 'prompt' && step.outputSchema) {
        const schema = step.forEach ? { type: 'array', items: step.outputSchema } : step.outputSchema;
        return { anyOf: [schema, { type: 'null' }] };
      }
      return {};
    }
  }
}

/**
 * Checks and converts an agent's arguments: unknown names, types, choices, required
 * inputs. Messages name the input and say what it takes, in the workflow's words.
 */
export function workflowArguments(workflow: Workflow, args: Record<string, unknown>): { values: Record<string, unknown> } | { error: string } {
  // A JSON `__proto__` key that a parser turned into the object's prototype.
  const prototype: unknown = Object.getPrototypeOf(args);
  if (prototype !== Object.prototype && prototype !== null) return { error: 'there is no input `__proto__`' };
  const definition = workflowToolDefinition(workflow);
  const known = definition.inputSchema.properties;
  for (const name of Object.keys(args)) {
    if (!Object.prototype.hasOwnProperty.call(known, name)) {
      const names = Object.keys(known);
      return { error: `there is no input \`${name}\`; ${names.length > 0 ? `the inputs are ${names.map((n) => `\`${n}\``).join(', ')}` : 'this workflow takes none'}` };
    }
  }
  const problems: string[] = [];
  for (const input of workflow.inputs) {
    const value = args[input.name];
    if (value === undefined || value === null || typeof value === 'string') continue;
    if (!hasType(value, input.type)) problems.push(`input \`${input.name}\` must be ${article(input.type)}, not ${describe(value)}`);
  }
  const given = Object.fromEntries(Object.entries(args).filter(([, value]) => value !== null));
  const { values, missing, errors } = resolveInputs(workflow, given);
  problems.push(...errors.map((e) => e.message));
  problems.push(...missing.map((input) => `input \`${input.name}\` is required${input.description ? ` (${input.description})` : ''}`));
  return problems.length > 0 ? { error: problems.join('; ') } : { values: { ...values } };
}


function article(type: InputDef['type']): string {
  return type === 'object' || type === 'array' ? `an ${type}` : `a ${type}`;
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'an object';
  return `\`${String(value)}\``;
}
