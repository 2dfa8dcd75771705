/**
 * What the analyzer checks of a `uses:` step against the file it names: that the file
 * exists, that `with:` gives the inputs it declares (no unknown ones, every required one
 * without a default), and that it does not use, directly or through others, the file
 * being checked — a cycle that would otherwise only be found when a run nests too deep.
 */
import { didYouMean, closest } from './suggest';
import type { Problem, Workflow, WorkflowStep } from './types';
import type { SubWorkflowInfo, WorkflowFiles } from './workflow-files';

/** How many files deep a cycle is looked for. */
const MAX_CHAIN = 64;

export function subWorkflowProblems(workflow: Workflow, step: WorkflowStep, files: WorkflowFiles): Problem[] {
  if (!step.uses.path) return [];
  const problem = (range: Problem['range'], code: Problem['code'], message: string, data?: Record<string, unknown>): Problem => ({
    file: workflow.file,
    range,
    code,
    severity: 'error',
    message,
    stepId: step.id,
    data,
  });
  const found = files.lookup(step.uses.path, workflow.file);
  // Not known yet: the port says when it is, and the file is checked again.
  if (found === undefined) return [];
  if (!found.found) return [problem(step.uses.range, 'workflow-not-found', `no workflow file at \`${step.uses.path}\` (the path is relative to this file)`)];
  const problems: Problem[] = [];
  const { inputs } = found.info;
  if (inputs) {
    const names = inputs.map((input) => input.name);
    for (const key of step.withKeys) {
      if (names.includes(key.name)) continue;
      const replacement = closest(key.name, names);
      problems.push(
        problem(
          key.range,
          'unknown-with-input',
          `\`${step.uses.path}\` has no input \`${key.name}\`${didYouMean(key.name, names)}${names.length ? ` (its inputs: ${names.join(', ')})` : ' — it declares no inputs'}`,
          replacement ? { replacement } : undefined,
        ),
      );
    }
    const given = new Set(step.withKeys.map((key) => key.name));
    const missing = inputs.filter((input) => input.required && !input.hasDefault && !given.has(input.name)).map((input) => input.name);
    if (missing.length > 0) {
      problems.push(
        problem(
          step.uses.range,
          'missing-with-input',
          `\`${step.uses.path}\` needs ${missing.map((name) => `\`${name}\``).join(', ')}, which \`with:\` does not give; add ${missing.length === 1 ? 'it' : 'them'} under \`with:\``,
          { missing },
        ),
      );
    }
  }
  const cycle = cycleBack(found.info, files, files.identify(workflow.file));
  if (cycle) {
    const [first, ...via] = [step.uses.path, ...cycle.slice(1, -1).map((info) => baseName(info.file))].map((name) => `\`${name}\``);
    const how = cycle.length === 1 ? `${first} is this file itself` : `${first}${via.map((name) => ` uses ${name}, which`).join('')} uses this file again`;
    problems.push(problem(step.uses.range, 'uses-cycle', `${how}: a run would nest workflows without end; remove one of these \`uses:\``));
  }
  return problems;
}

/** The chain of files from `start` back to `self`, when there is one. */
function cycleBack(start: SubWorkflowInfo, files: WorkflowFiles, self: string): SubWorkflowInfo[] | undefined {
  const seen = new Set<string>([start.file]);
  const stack: SubWorkflowInfo[][] = [[start]];
  while (stack.length > 0) {
    const chain = stack.pop()!;
    const last = chain[chain.length - 1];
    if (last.file === self) return chain;
    if (chain.length >= MAX_CHAIN) continue;
    for (const uses of last.uses) {
      const next = files.lookup(uses, last.file);
      if (!next?.found || seen.has(next.info.file)) continue;
      seen.add(next.info.file);
      stack.push([...chain, next.info]);
    }
  }
  return undefined;
}

function baseName(file: string): string {
  return file.split(/[\\/]/).pop() ?? file;
}
