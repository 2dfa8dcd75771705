/**
 * `--input NAME=VALUE` checked against the workflow before anything runs: a name must
 * be a declared input or the id of an `input:` step (both are answered by `--input`);
 * a typo is an error with a suggestion, not a value silently ignored.
 */
import { resolveInputs, type Workflow } from '../engine';
import { closest } from '../engine/suggest';
import { inputError, type JsonProblem } from './errors';

/**
 * The inputs to run with: `recorded` (a replayed or resumed run's) under `given` (from
 * `--input`). Throws a {@link CliError} listing every unknown, missing or malformed input.
 */
export function checkedInputs(workflow: Workflow, recorded: Record<string, unknown>, given: Record<string, string>): Record<string, unknown> {
  // Prototype-free, so an input named `constructor` or `__proto__` is just a name.
  const inputs: Record<string, unknown> = Object.assign(Object.create(null) as Record<string, unknown>, recorded, given);
  const problems: JsonProblem[] = [];
  const at = (range: { start: { line: number; column: number } }) => ({ file: workflow.file, line: range.start.line, column: range.start.column });

  const declared = workflow.inputs.map((input) => input.name);
  const asked = [...workflow.stepsById.values()].filter((step) => step.kind === 'input').map((step) => step.id);
  const known = new Set([...declared, ...asked]);
  for (const name of Object.keys(given)) {
    if (known.has(name)) continue;
    // Located at the inputs the workflow declares (or its start): where the fix usually is.
    problems.push({ code: 'input-unknown', severity: 'error', message: unknownMessage(name, declared, asked), ...at(workflow.inputs[0]?.range ?? workflow.range) });
  }

  const { missing, errors } = resolveInputs(workflow, inputs);
  for (const error of errors) problems.push({ code: 'input-invalid', severity: 'error', message: error.message, ...at(error.input.range) });
  for (const input of missing) {
    problems.push({
      code: 'input-missing',
      severity: 'error',
      message: `\`${input.name}\` is required${input.description ? ` (${input.description})` : ''}: pass --input ${input.name}=VALUE`,
      ...at(input.range),
    });
  }
  if (problems.length > 0) throw inputError(problems);
  return inputs;
}

function unknownMessage(name: string, declared: string[], asked: string[]): string {
  const suggestion = closest(name, [...declared, ...asked]);
  const hint = suggestion !== undefined ? `; did you mean \`${suggestion}\`?` : '';
  const lists: string[] = [];
  if (declared.length > 0) lists.push(`inputs: ${declared.join(', ')}`);
  if (asked.length > 0) lists.push(`\`input:\` steps: ${asked.join(', ')}`);
  const known = lists.length > 0 ? ` (${lists.join('; ')})` : ' (it declares no inputs and has no `input:` steps)';
  return `--input ${shown(name)}: the workflow has no input or \`input:\` step of that name${hint}${known}`;
}

/** A name as typed, cut short when someone pasted a paragraph into it. */
function shown(name: string): string {
  return name.length > 60 ? `${name.slice(0, 59)}…` : name;
}
