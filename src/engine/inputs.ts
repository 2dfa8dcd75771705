import { dataRecord } from './expressions';
import type { InputDef, Workflow } from './types';

export interface InputResolution {
  /** Without a prototype: an input named `constructor`, `toString` or `__proto__` is an ordinary entry. */
  values: Record<string, unknown>;
  /** Required inputs with no value and no default. */
  missing: InputDef[];
  /** Values that do not fit their declared type or choices. */
  errors: { input: InputDef; message: string }[];
}

/**
 * Applies defaults and converts command-line strings to each input's declared type.
 * Values for names that are not declared inputs pass through (they answer `input:` steps by id).
 */
export function resolveInputs(workflow: Workflow, given: Record<string, unknown>): InputResolution {
  const values = dataRecord();
  const missing: InputDef[] = [];
  const errors: InputResolution['errors'] = [];
  const declared = new Set(workflow.inputs.map((input) => input.name));
  for (const [name, value] of Object.entries(given)) if (!declared.has(name)) values[name] = value;
  for (const input of workflow.inputs) {
    // Own keys only: `'toString' in given` is true of every object.
    if (!Object.hasOwn(given, input.name)) {
      if (input.default !== undefined) values[input.name] = input.default;
      else if (input.required) missing.push(input);
      else values[input.name] = null;
      continue;
    }
    const converted = coerce(input, given[input.name]);
    if (typeof converted === 'object' && converted !== null && 'error' in converted) errors.push({ input, message: converted.error as string });
    else values[input.name] = (converted as { value: unknown }).value;
  }
  return { values, missing, errors };
}

export function coerce(input: Pick<InputDef, 'name' | 'type' | 'choices'>, value: unknown): { value: unknown } | { error: string } {
  let out = value;
  if (typeof value === 'string') {
    switch (input.type) {
      case 'number':
        out = Number(value);
        // Infinity and NaN are not JSON numbers: no step, trace or output could hold them.
        if (value.trim() === '' || !Number.isFinite(out)) return { error: `input \`${input.name}\` must be a number, not \`${value}\`` };
        break;
      case 'boolean':
        if (!/^(true|false|yes|no)$/i.test(value)) return { error: `input \`${input.name}\` must be true or false, not \`${value}\`` };
        out = /^(true|yes)$/i.test(value);
        break;
      case 'object':
      case 'array':
        try {
          out = JSON.parse(value);
        } catch {
          return { error: `input \`${input.name}\` must be JSON (${input.type === 'array' ? 'a list like ["a","b"]' : 'an object like {"k":"v"}'})` };
        }
        if (input.type === 'array' ? !Array.isArray(out) : typeof out !== 'object' || out === null || Array.isArray(out)) {
          return { error: `input \`${input.name}\` must be ${input.type === 'array' ? 'a JSON list' : 'a JSON object'}` };
        }
        break;
      case 'string':
        break;
    }
  }
  if (input.choices && !input.choices.some((choice) => choice === out || String(choice) === String(out))) {
    return { error: `input \`${input.name}\` must be one of ${input.choices.map((c) => `\`${String(c)}\``).join(', ')}, not \`${String(out)}\`` };
  }
  return { value: out };
}
