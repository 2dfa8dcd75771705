/**
 * Which keys and values go together, where the JSON schema alone would give a poor
 * message: keys that belong to another kind of step, ids the language reserves, and
 * an input's `default` that its own `type` or `choices` rule out. The table of keys
 * per kind is read from the schema (`x-step-kinds`, `x-requires`), so the schema stays
 * the one place that says what each key is for.
 */
import workflowSchema from '../../schemas/workflow.schema.json';
import type { InputType, StepKind } from './types';

/** Ids a step cannot have: transitions use them to mean "finish the run". */
export const RESERVED_IDS: readonly string[] = ['end', 'fail'];

/** The names the kinds go by in messages: the key that gives a step its kind. */
export const KIND_NAMES: Record<StepKind, string> = {
  prompt: 'prompt',
  parallel: 'parallel',
  switch: 'switch',
  input: 'input',
  set: 'set',
  workflow: 'uses',
  tool: 'tool',
  fail: 'fail',
};

interface StepKeySchema {
  'x-step-kinds'?: readonly string[];
  'x-requires'?: string;
}

const stepProperties = workflowSchema.definitions.step.properties as Record<string, StepKeySchema>;

/** Key → the kinds of step it means something on; keys absent here mean something on every step. */
export const KEYS_BY_KIND: ReadonlyMap<string, readonly StepKind[]> = new Map(
  Object.entries(stepProperties)
    .filter(([, schema]) => schema['x-step-kinds'] !== undefined)
    .map(([key, schema]) => [key, schema['x-step-kinds'] as StepKind[]]),
);

/** Key → the key it only means something beside (`concurrency` → `for_each`). */
export const KEY_REQUIRES: ReadonlyMap<string, string> = new Map(
  Object.entries(stepProperties)
    .filter(([, schema]) => schema['x-requires'] !== undefined)
    .map(([key, schema]) => [key, schema['x-requires']!]),
);

/** Why `key` has no effect on a step of `kind` with these `keys`, or undefined when it has. */
export function misplacedKey(key: string, kind: StepKind, keys: ReadonlySet<string>): string | undefined {
  const kinds = KEYS_BY_KIND.get(key);
  if (key === 'for_each' && (kind === 'switch' || kind === 'fail')) {
    // Each item's choice would be dropped: the run goes one way after a step.
    return kind === 'switch'
      ? '`for_each` cannot go on a `switch:` step: a switch chooses the one way the run goes on, not a way per item; choose per item inside the steps it leads to (`if:` on each), or switch on the whole list'
      : '`for_each` cannot go on a `fail:` step: reaching it fails the run once; remove it';
  }
  if (kinds && !kinds.includes(kind)) {
    const owners = kinds.map((k) => `\`${KIND_NAMES[k]}:\``).join(' or ');
    return `\`${key}\` only means something on a ${owners} step, and this is a \`${KIND_NAMES[kind]}:\` step, so it would be ignored; remove it`;
  }
  const requires = KEY_REQUIRES.get(key);
  if (requires && !keys.has(requires)) return `\`${key}\` only means something beside \`${requires}:\`, which this step does not have, so it would be ignored; remove it`;
  return undefined;
}

/** Why `value` cannot be the default of an input of `type` with these `choices`, or undefined. */
export function defaultProblem(value: unknown, type: InputType | undefined, choices: readonly unknown[] | undefined): string | undefined {
  if (value === null || value === undefined) return undefined;
  if (type !== undefined && !hasType(value, type)) {
    return `this default is ${describe(value)}, but the input's \`type\` is \`${type}\`; write ${TYPE_WORDS[type]}, or change \`type\``;
  }
  if (choices && !choices.some((choice) => sameValue(choice, value))) {
    return `this default is not one of the \`choices\` (${choices.map((c) => `\`${typeof c === 'string' ? c : JSON.stringify(c)}\``).join(', ')}); pick one of them, or add it to \`choices\``;
  }
  return undefined;
}

const TYPE_WORDS: Record<InputType, string> = {
  string: 'text (quote it if it looks like a number)',
  number: 'a number',
  boolean: '`true` or `false`',
  object: 'a mapping',
  array: 'a list',
};

/** Whether a JSON value is of an input's declared `type`. */
export function hasType(value: unknown, type: InputType): boolean {
  switch (type) {
    case 'string':
      return typeof value === 'string';
    case 'number':
      return typeof value === 'number' && Number.isFinite(value);
    case 'boolean':
      return typeof value === 'boolean';
    case 'array':
      return Array.isArray(value);
    case 'object':
      return typeof value === 'object' && value !== null && !Array.isArray(value);
  }
}

function describe(value: unknown): string {
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'object') return 'a mapping';
  if (typeof value === 'string') return `text (\`${value.length > 40 ? `${value.slice(0, 40)}…` : value}\`)`;
  return `${typeof value === 'number' ? 'a number' : typeof value === 'boolean' ? 'true or false' : typeof value} (\`${String(value)}\`)`;
}

/** Choices are compared as JSON: `choices: [1, 2]` holds the default `2`, not `"2"`. */
function sameValue(a: unknown, b: unknown): boolean {
  return a === b || JSON.stringify(a) === JSON.stringify(b);
}
