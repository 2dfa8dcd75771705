/**
 * A workflow from a goal: the generator workflow (itself an Orchestrate workflow)
 * proposes a draft, the engine's analyzer checks it, and the problems go back to the
 * model until the draft is clean or the rounds run out. The result starts with the
 * model's explanation as a header comment.
 */
import { checkWorkflow, formatProblem, hasErrors, runWorkflow, type ModelSettings, type Problem, type ProviderResolver, type RunEvent } from '../engine';
import { generatorWorkflowText, GENERATOR_FILE } from './generator-source';
import { skeletonFromGoal } from './goal-skeleton';

export const DEFAULT_MAX_ROUNDS = 3;

export interface GenerateOptions {
  goal: string;
  providers: ProviderResolver;
  /** Drafts the model may make in all (the first one and its repairs). */
  maxRounds?: number;
  /** The name the draft is checked under (its problems say this file). */
  file?: string;
  /** Model settings under the generator's own (the editor's or CLI's defaults). */
  defaults?: ModelSettings;
  /** Told after each draft is checked: the round and the problems found. */
  onRound?: (round: number, problems: Problem[]) => void;
  onEvent?: (event: RunEvent) => void;
  signal?: AbortSignal;
}

export interface Generated {
  /** The workflow file's text, explanation first. */
  text: string;
  explanation: string;
  rounds: number;
  /** Problems left in the last draft (errors and warnings); none when it is clean. */
  problems: Problem[];
}

export class GenerateError extends Error {}

export async function generateWorkflow(options: GenerateOptions): Promise<Generated> {
  const goal = options.goal.trim();
  if (!goal) throw new GenerateError('say what the workflow should do: --goal "…"');
  const { workflow: generator, problems: own } = checkWorkflow(generatorWorkflowText(), GENERATOR_FILE);
  if (!generator || hasErrors(own)) throw new GenerateError(`the bundled generator workflow is invalid: ${own.map(formatProblem).join('; ')}`);
  const file = options.file ?? 'new.workflow.yaml';
  const maxRounds = Math.max(1, options.maxRounds ?? DEFAULT_MAX_ROUNDS);
  const offline = skeletonFromGoal(goal);
  let draft = '';
  let problems: Problem[] = [];
  let explanation = '';
  let round = 0;
  while (round < maxRounds) {
    round++;
    const result = await runWorkflow(generator, {
      inputs: { goal, draft, problems: problems.map(formatProblem).join('\n'), offline },
      providers: options.providers,
      defaults: options.defaults,
      onEvent: options.onEvent,
      signal: options.signal,
    });
    if (result.status !== 'succeeded') throw new GenerateError(`the generator ${result.status}: ${result.error?.message ?? 'no reason given'}`);
    explanation = String(result.outputs.explanation ?? '').trim();
    draft = stripFences(String(result.outputs.workflow ?? ''));
    problems = checkWorkflow(draft, file).problems;
    options.onRound?.(round, problems);
    if (!hasErrors(problems)) break;
  }
  return { text: withHeader(draft, explanation, goal, problems), explanation, rounds: round, problems };
}

/** Models wrap YAML in ``` fences even when told not to. */
function stripFences(text: string): string {
  const fenced = /^\s*```[A-Za-z]*\n([\s\S]*?)\n```\s*$/.exec(text);
  const body = fenced ? fenced[1] : text;
  return body.endsWith('\n') ? body : `${body}\n`;
}

function withHeader(draft: string, explanation: string, goal: string, problems: Problem[]): string {
  const comment = (text: string) => wrap(text, 88).map((line) => `# ${line}`.trimEnd());
  const lines = [...comment(`Goal: ${goal}`), '#', ...comment(explanation || 'No explanation was given.')];
  const errors = problems.filter((p) => p.severity === 'error');
  if (errors.length > 0) lines.push('#', '# Problems the generator could not fix (see the Problems view):', ...errors.map((p) => `#   line ${p.range.start.line}: ${p.code}: ${p.message}`.replace(/\n/g, ' ')));
  return `${lines.join('\n')}\n\n${draft}`;
}

function wrap(text: string, width: number): string[] {
  const out: string[] = [];
  for (const paragraph of text.replace(/\r/g, '').split('\n')) {
    let line = '';
    for (const word of paragraph.split(/\s+/).filter(Boolean)) {
      if (line && line.length + word.length + 1 > width) {
        out.push(line);
        line = word;
      } else line = line ? `${line} ${word}` : word;
    }
    out.push(line);
  }
  return out;
}
