/**
 * A webhook's `inputs:` mapping: each input's value is a literal or a `{{ }}`
 * template over the request's `body` and `headers`, in CEL like every other
 * expression in a workflow (side-effect free, no prototype access).
 */
import { Environment, type ParseResult } from '@marcbachmann/cel-js';
import { fromCel, setEntry, splitTemplate, stringify, toCel } from '../expressions';

const environment = new Environment({ unlistedVariablesAreDyn: false, homogeneousAggregateLiterals: false })
  .registerVariable('body', 'dyn')
  .registerVariable('headers', 'map');

type Part = { text: string } | { program: ParseResult; source: string };

interface MappedInput {
  name: string;
  /** A literal, or a template's parts. */
  literal?: unknown;
  parts?: Part[];
}

export interface InputMapping {
  entries: MappedInput[];
}

export interface MappingProblem {
  /** Offset in the workflow file. */
  offset: number;
  message: string;
}

/** Parses every template once, when the workflow is read. */
export function compileMapping(entries: { name: string; value: unknown; offset: number }[]): { mapping: InputMapping; problems: MappingProblem[] } {
  const problems: MappingProblem[] = [];
  const mapped: MappedInput[] = [];
  for (const { name, value, offset } of entries) {
    if (typeof value !== 'string' || !value.includes('{{')) {
      mapped.push({ name, literal: value });
      continue;
    }
    const split = splitTemplate(value);
    if (split.error) {
      problems.push({ offset, message: split.error.message });
      continue;
    }
    const parts: Part[] = [];
    for (const part of split.parts) {
      if (!part.expr) {
        parts.push({ text: part.text ?? '' });
        continue;
      }
      const { source } = part.expr;
      try {
        const program = environment.parse(source);
        const checked = program.check();
        if (!checked.valid) throw new Error(checked.error?.message);
        parts.push({ program, source: part.expr.source });
      } catch (error) {
        problems.push({ offset, message: `invalid expression \`${part.expr.source}\` in the webhook's \`inputs.${name}\`: ${firstLine(error)}; use \`body\` (the request's JSON) and \`headers\`` });
      }
    }
    mapped.push({ name, parts });
  }
  return { mapping: { entries: mapped }, problems };
}

/** The run's inputs from one request. Throws an Error naming the input when an expression fails on this body. */
export function applyMapping(mapping: InputMapping, request: { body: unknown; headers: Record<string, string> }): Record<string, unknown> {
  const scope = { body: toCel(request.body ?? null), headers: toCel(request.headers) };
  const inputs: Record<string, unknown> = {};
  for (const entry of mapping.entries) {
    if (!entry.parts) {
      setEntry(inputs, entry.name, entry.literal);
      continue;
    }
    const values = entry.parts.map((part) => {
      if ('text' in part) return part.text;
      try {
        return fromCel(part.program(scope));
      } catch (error) {
        throw new Error(`input \`${entry.name}\`: \`${part.source}\` failed on this request: ${firstLine(error)}`);
      }
    });
    setEntry(inputs, entry.name, values.length === 1 ? values[0] : values.map(stringify).join(''));
  }
  return inputs;
}

function firstLine(error: unknown): string {
  return (error instanceof Error ? error.message : String(error)).split('\n')[0];
}
