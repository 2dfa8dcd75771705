/**
 * Breakpoints on workflow files: a line is verified to the step it is in (the step's
 * `id:` line is where it shows), with the reason when it cannot be. Conditions are CEL
 * over the run's scope, hit counts count the times the step was reached, log messages
 * are templates (`{{ }}`).
 */
import { allSteps } from '../engine/graph';
import type { Step, Workflow } from '../engine/types';

export interface BreakpointRequest {
  line: number;
  condition?: string;
  hitCondition?: string;
  logMessage?: string;
}

export interface PlacedBreakpoint extends BreakpointRequest {
  id: number;
  verified: boolean;
  /** Why the breakpoint cannot stop, when not verified. */
  message?: string;
  /** The step it stops before. */
  stepId?: string;
  hits: number;
}

/** The step a line belongs to: the innermost step whose lines hold it, or the next step when the line sits between two. */
export function stepAtLine(workflow: Workflow, line: number): Step | undefined {
  const steps = allSteps(workflow.steps);
  let best: Step | undefined;
  for (const step of steps) {
    const { start, end } = step.range;
    // A step's range ends at the start of the next line when it is the last thing on its lines.
    const lastLine = end.column === 1 && end.line > start.line ? end.line - 1 : end.line;
    if (start.line <= line && line <= lastLine && (!best || best.range.start.line <= start.line)) best = step;
  }
  if (best) return best;
  const first = steps[0];
  if (!first || line < first.range.start.line) return undefined;
  return steps.filter((s) => s.parentId === undefined).find((s) => s.range.start.line >= line);
}

/** Places breakpoints on a file: each is verified to a step, or says why not. */
export function placeBreakpoints(requests: readonly BreakpointRequest[], workflow: Workflow | undefined, why: string | undefined, nextId: () => number): PlacedBreakpoint[] {
  return requests.map((request) => {
    const placed: PlacedBreakpoint = { ...request, id: nextId(), verified: false, hits: 0 };
    if (!workflow) return { ...placed, message: why ?? 'this file is not a workflow the debugger can read' };
    const step = stepAtLine(workflow, request.line);
    if (!step) return { ...placed, message: `line ${request.line} is not in a step: a breakpoint goes on a step's lines (under \`steps:\`)` };
    const problem = request.hitCondition !== undefined ? hitConditionProblem(request.hitCondition) : undefined;
    if (problem) return { ...placed, stepId: step.id, line: step.idRange.start.line, message: problem };
    return { ...placed, verified: true, stepId: step.id, line: step.idRange.start.line };
  });
}

const HIT_CONDITION = /^\s*(>=|<=|==|>|<|%)?\s*(\d+)\s*$/;

function hitConditionProblem(text: string): string | undefined {
  return HIT_CONDITION.test(text) ? undefined : `hit count \`${text}\` is not understood: write a number (stop on that hit), or \`>= 3\`, \`> 3\`, \`== 3\`, \`% 2\``;
}

/** Whether the `hits`-th hit satisfies a hit condition: `3` and `== 3` stop on the third, `>= 3` from it on, `% 2` every second. */
export function hitMatches(condition: string, hits: number): boolean {
  const match = HIT_CONDITION.exec(condition);
  if (!match) return false;
  const n = Number(match[2]);
  switch (match[1]) {
    case '>=':
      return hits >= n;
    case '>':
      return hits > n;
    case '<=':
      return hits <= n;
    case '<':
      return hits < n;
    case '%':
      return n > 0 && hits % n === 0;
    default:
      return hits === n;
  }
}
