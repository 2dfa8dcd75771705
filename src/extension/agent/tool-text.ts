/**
 * What the agent tools read and say, free of `vscode` so it is tested without an
 * editor: the run tool's input, which listed workflow a path names, the confirmation
 * shown before a run, and the results and errors the agent reads. The input and every
 * value in it are a model's (untrusted): checked here, shown inert in the confirmation.
 */
import type { ErrorInfo, RunResult } from '../../engine';
import { didYouMean } from '../../engine/suggest';

export const LIST_TOOL = 'orchestrate_listWorkflows';
export const RUN_TOOL = 'orchestrate_runWorkflow';

export const RESTRICTED_TOOL_MESSAGE =
  'Orchestrate does not run workflows in Restricted Mode: a run calls model providers with your keys and writes traces into the folder. Ask the person to trust this folder (Manage Workspace Trust); listing and editing workflows work as usual.';

/** The run tool's input after its shape is checked. */
export interface RunToolInput {
  workflow: string;
  inputs: Record<string, unknown>;
}

export class AgentToolError extends Error {}

export function parseRunInput(input: unknown): RunToolInput {
  if (typeof input !== 'object' || input === null || Array.isArray(input)) throw new AgentToolError(`${RUN_TOOL} takes an object: { "workflow": "<path>", "inputs": { … } }`);
  const workflow: unknown = Object.hasOwn(input, 'workflow') ? (input as Record<string, unknown>).workflow : undefined;
  if (typeof workflow !== 'string' || workflow.trim() === '') {
    throw new AgentToolError(`${RUN_TOOL} needs \`workflow\`: the workflow file's path relative to the workspace folder, as ${LIST_TOOL} lists it`);
  }
  for (const key of Object.keys(input)) {
    if (key !== 'workflow' && key !== 'inputs') throw new AgentToolError(`${RUN_TOOL} takes \`workflow\` and \`inputs\`, not \`${key}\`; the workflow's own inputs go inside \`inputs\``);
  }
  let inputs: unknown = Object.hasOwn(input, 'inputs') ? (input as Record<string, unknown>).inputs : undefined;
  // Some models send the object as JSON text.
  if (typeof inputs === 'string') {
    try {
      inputs = inputs.trim() === '' ? {} : JSON.parse(inputs);
    } catch {
      throw new AgentToolError('`inputs` must be an object of the workflow\'s input values, not text that is not JSON');
    }
  }
  if (inputs === undefined || inputs === null) inputs = {};
  if (typeof inputs !== 'object' || inputs === null || Array.isArray(inputs)) throw new AgentToolError('`inputs` must be an object of the workflow\'s input values, by input name');
  return { workflow: workflow.trim(), inputs: inputs as Record<string, unknown> };
}

/** A workflow file the tools can see, by the path the listing shows and where it is on disk. */
export interface ListedWorkflow {
  /** As listed: relative to its workspace folder, prefixed with the folder's name in a multi-root workspace. */
  path: string;
  /** Relative to its own workspace folder. */
  within: string;
  /** The file on disk. */
  absolute: string;
}

/**
 * The listed workflow a path names: as listed, relative to its folder (when only one
 * folder has it), or absolute. Only listed files can be named, so no path reaches a
 * file outside the workspace or one that is not a workflow.
 */
export function matchWorkflow<T extends ListedWorkflow>(given: string, listed: readonly T[]): T {
  const wanted = normalize(given);
  const exact = listed.filter((w) => normalize(w.path) === wanted || normalize(w.absolute) === wanted);
  if (exact.length === 1) return exact[0]!;
  const within = listed.filter((w) => normalize(w.within) === wanted);
  if (within.length === 1) return within[0]!;
  if (within.length > 1) throw new AgentToolError(`\`${given}\` is in more than one workspace folder: say which, as ${within.map((w) => `\`${w.path}\``).join(' or ')}`);
  if (listed.length === 0) throw new AgentToolError(`there is no workflow \`${given}\`: this workspace has no workflow files (*.workflow.yaml)`);
  const names = listed.map((w) => w.path);
  const shown = names.slice(0, 20).map((n) => `\`${n}\``).join(', ');
  const hint = didYouMean(wanted, names);
  throw new AgentToolError(`there is no workflow \`${given}\` in this workspace${hint ? `${hint} ` : '. '}The workflows are ${shown}${names.length > 20 ? ` and ${names.length - 20} more` : ''}.`);
}

function normalize(path: string): string {
  return path.trim().replace(/\\/g, '/').replace(/^(\.\/)+/, '').replace(/\/{2,}/g, '/');
}

/** The confirmation shown before a run: the workflow, where it is, and the inputs it gets, as plain text in a code block. */
export function confirmation(workflowName: string, path: string, values: Record<string, unknown>): { title: string; message: string } {
  const shown = Object.keys(values).length === 0 ? undefined : cap(JSON.stringify(values, null, 2) ?? '{}', 2000);
  return {
    title: `Run the workflow “${oneLine(workflowName)}”?`,
    message:
      `Orchestrate runs ${codeSpan(path)}: its steps call models with your keys or the editor's models (and any tools the workflow allows), and the run shows in the run panel.` +
      (shown === undefined ? '\n\nIt takes no inputs.' : `\n\nInputs:\n\n${codeBlock(shown, 'json')}`),
  };
}

/** What the agent reads back from a run that succeeded. */
export function runResultText(path: string, result: RunResult, trace: string | undefined): string {
  return JSON.stringify({ workflow: path, runId: result.runId, status: result.status, outputs: result.outputs, ...(trace ? { trace } : {}) }, null, 2);
}

/** Why a run did not succeed, with the step, the chain of causes and where its trace is. */
export function runFailureText(path: string, result: RunResult, trace: string | undefined): string {
  const where = `(run ${result.runId}${trace ? `, trace ${trace}` : ''})`;
  if (result.status === 'cancelled') return `the run of \`${path}\` was cancelled${result.error ? `: ${result.error.message}` : ''} ${where}`;
  const error = result.error;
  if (!error) return `the workflow \`${path}\` failed ${where}`;
  return `the workflow \`${path}\` failed${error.stepId ? ` at step \`${error.stepId}\`` : ''}: ${chain(error)} ${where}`;
}

function chain(error: ErrorInfo): string {
  const parts = [error.message];
  for (let cause = error.cause; cause && parts.length < 5; cause = cause.cause) parts.push(cause.message);
  return parts.join(' ← ');
}

function cap(text: string, max: number): string {
  return text.length > max ? `${text.slice(0, max)}\n… (${text.length - max} more characters)` : text;
}

function oneLine(text: string): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > 120 ? `${line.slice(0, 119)}…` : line;
}

/** Markdown code, fenced with more backticks than the text holds in a row, so nothing in it can close the fence. */
export function codeBlock(text: string, language = ''): string {
  const fence = '`'.repeat(Math.max(3, longestBacktickRun(text) + 1));
  return `${fence}${language}\n${text}\n${fence}`;
}

export function codeSpan(text: string): string {
  const flat = oneLine(text);
  const ticks = '`'.repeat(longestBacktickRun(flat) + 1);
  // A span that starts or ends with a backtick needs a space inside its delimiters.
  const pad = flat.startsWith('`') || flat.endsWith('`') ? ' ' : '';
  return `${ticks}${pad}${flat}${pad}${ticks}`;
}

function longestBacktickRun(text: string): number {
  let longest = 0;
  for (const run of text.match(/`+/g) ?? []) longest = Math.max(longest, run.length);
  return longest;
}
