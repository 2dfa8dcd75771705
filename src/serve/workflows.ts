/**
 * The workflows a server offers: files under its folder, read and checked on every
 * request (so an edit is live without a restart), and the inputs a request gives
 * checked against the workflow's `inputs:`.
 */
import { CachedWorkflowFiles, readTextSync } from '../engine/workflow-files';
import { existsSync, readFileSync, realpathSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { checkWorkflow, coerce, formatProblem, hasErrors, type InputDef, type Workflow } from '../engine';
import { ApiError } from './errors';
import { parseTriggers, type Triggers } from '../engine/triggers/triggers';

export interface ServedWorkflow {
  /** The path as the API names it: relative to the served folder, with `/`. */
  name: string;
  file: string;
  text: string;
  workflow: Workflow;
  triggers: Triggers;
}

const WORKFLOW_FILE = /\.ya?ml$/i;

/** The file a request names, inside `root`; 400 when it points outside, 404 when there is no such workflow. */
export function resolveWorkflowFile(root: string, name: unknown): string {
  if (typeof name !== 'string' || name.trim() === '') throw new ApiError(400, 'workflow-required', '`workflow` must name a workflow file under the served folder, like `examples/smart-router.workflow.yaml`');
  if (name.includes('\0') || path.isAbsolute(name)) throw new ApiError(400, 'workflow-outside', `\`${name}\` is not a path under the served folder; name the workflow relative to it`);
  const file = path.resolve(root, name);
  if (!inside(root, file)) throw new ApiError(400, 'workflow-outside', `\`${name}\` points outside the served folder`);
  if (!WORKFLOW_FILE.test(file)) throw new ApiError(404, 'workflow-not-found', `\`${name}\` is not a workflow file (.yaml or .yml)`);
  if (!existsSync(file) || !statSync(file).isFile()) throw new ApiError(404, 'workflow-not-found', `no workflow \`${name}\` under the served folder`);
  // A symbolic link inside the folder may still lead out of it.
  if (!inside(realpathSync(root), realpathSync(file))) throw new ApiError(400, 'workflow-outside', `\`${name}\` points outside the served folder`);
  return file;
}

/** Reads and checks a workflow; 422 with its problems when it has errors. */
export function loadServedWorkflow(root: string, name: unknown): ServedWorkflow {
  const file = resolveWorkflowFile(root, name);
  return checkServedFile(root, file);
}

export function checkServedFile(root: string, file: string): ServedWorkflow {
  const text = readFileSync(file, 'utf8');
  const result = checkWorkflow(text, file, { files: new CachedWorkflowFiles(readTextSync) });
  // checkWorkflow reports the `on:` problems with the rest; this parse is for the triggers themselves.
  const { problems } = result;
  const { triggers } = parseTriggers(text, file, result.workflow);
  const relative = path.relative(root, file).split(path.sep).join('/');
  const errors = problems.filter((p) => p.severity === 'error').map(formatProblem);
  if (!result.workflow || hasErrors(problems)) {
    throw new ApiError(422, 'workflow-invalid', `\`${relative}\` has errors; fix them to run it`, { problems: errors.map((line) => line.replace(root + path.sep, '')) });
  }
  return { name: relative, file, text, workflow: result.workflow, triggers };
}

/**
 * The inputs a run starts with: given values checked against their declared types
 * and choices, defaults filled in. Names that are neither inputs nor `input:` steps
 * are refused, so a typo is not silently ignored. 422 names the input.
 */
export function checkRunInputs(workflow: Workflow, given: unknown): Record<string, unknown> {
  const body: unknown = given ?? {};
  if (typeof body !== 'object' || body === null || Array.isArray(body)) throw new ApiError(422, 'invalid-inputs', '`inputs` must be an object of input names to values');
  const values: Record<string, unknown> = {};
  const declared = new Map(workflow.inputs.map((input) => [input.name, input]));
  const inputSteps = new Set([...workflow.stepsById.values()].filter((step) => step.kind === 'input').map((step) => step.id));
  for (const [name, value] of Object.entries(body)) {
    const input = declared.get(name);
    if (!input) {
      if (inputSteps.has(name)) {
        define(values, name, value);
        continue;
      }
      throw new ApiError(422, 'unknown-input', `\`${name}\` is not an input of this workflow; its inputs are: ${[...declared.keys()].join(', ') || '(none)'}`, { input: name });
    }
    const typeError = typeProblem(input, value);
    if (typeError) throw new ApiError(422, 'invalid-input', typeError, { input: name });
    const converted = coerce(input, value);
    if ('error' in converted) throw new ApiError(422, 'invalid-input', converted.error, { input: name });
    define(values, name, converted.value);
  }
  for (const input of workflow.inputs) {
    if (Object.hasOwn(values, input.name)) continue;
    if (input.default !== undefined) define(values, input.name, input.default);
    else if (input.required) throw new ApiError(422, 'missing-input', `input \`${input.name}\` is required${input.description ? ` (${input.description})` : ''}`, { input: input.name });
    else define(values, input.name, null);
  }
  return values;
}

function typeProblem(input: InputDef, value: unknown): string | undefined {
  const ok =
    input.type === 'string' ? typeof value === 'string'
    : input.type === 'number' ? typeof value === 'number' && Number.isFinite(value)
    : input.type === 'boolean' ? typeof value === 'boolean'
    : input.type === 'array' ? Array.isArray(value)
    : typeof value === 'object' && value !== null && !Array.isArray(value);
  if (ok) return undefined;
  const article = input.type === 'array' || input.type === 'object' ? 'an' : 'a';
  return `input \`${input.name}\` must be ${article} ${input.type === 'array' ? 'array (a JSON list)' : input.type}, not ${describeJson(value)}`;
}

function describeJson(value: unknown): string {
  if (value === null) return 'null';
  if (Array.isArray(value)) return 'a list';
  if (typeof value === 'string') return `the string ${JSON.stringify(value.length > 40 ? `${value.slice(0, 40)}…` : value)}`;
  return typeof value === 'object' ? 'an object' : `${typeof value} ${String(value)}`;
}

function define(target: Record<string, unknown>, key: string, value: unknown): void {
  Object.defineProperty(target, key, { value, enumerable: true, writable: true, configurable: true });
}

function inside(root: string, file: string): boolean {
  const relative = path.relative(root, file);
  return relative !== '' && !relative.startsWith('..') && !path.isAbsolute(relative);
}
