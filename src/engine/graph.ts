/**
 * The control-flow graph of a workflow's top-level steps. The analyzer uses it to
 * find unreachable steps and references to steps that cannot have run yet; the
 * run panel draws it.
 */
import type { Step, Target, Workflow } from './types';

export type EdgeKind = 'next' | 'success' | 'failure' | 'case' | 'default' | 'skip';

export interface Edge {
  from: string;
  to: string;
  kind: EdgeKind;
  label?: string;
}

/** `end` and `fail` are where a run stops, not steps. */
export function isTerminal(target: string): boolean {
  return target === 'end' || target === 'fail';
}

/** The edges leaving each top-level step, in the order the runner would consider them. */
export function edges(workflow: Workflow): Edge[] {
  const out: Edge[] = [];
  const { steps } = workflow;
  steps.forEach((step, index) => {
    const following = steps[index + 1]?.id;
    const add = (target: Target | string | undefined, kind: EdgeKind, label?: string) => {
      const to = typeof target === 'string' ? target : target?.to;
      if (to !== undefined && !isTerminal(to)) out.push({ from: step.id, to, kind, label });
    };
    if (step.kind === 'fail') return;
    if (!step.end && !step.fail) {
      if (step.onSuccess) add(step.onSuccess, 'success');
      else if (step.next) add(step.next, 'next');
      else if (step.kind === 'switch') {
        for (const c of step.cases) add(c.target, 'case', c.value);
        add(step.default, 'default');
      } else add(following, 'next');
    }
    if (step.if) add(step.next ?? following, 'skip');
    add(step.onFailure, 'failure');
  });
  return out;
}

/** For each top-level step id, the ids reachable from it by one or more edges. */
export function reachability(workflow: Workflow): Map<string, Set<string>> {
  const successors = new Map<string, string[]>();
  for (const step of workflow.steps) successors.set(step.id, []);
  for (const edge of edges(workflow)) successors.get(edge.from)?.push(edge.to);
  const reach = new Map<string, Set<string>>();
  for (const step of workflow.steps) {
    const seen = new Set<string>();
    const stack = [...(successors.get(step.id) ?? [])];
    while (stack.length > 0) {
      const id = stack.pop()!;
      if (seen.has(id)) continue;
      seen.add(id);
      stack.push(...(successors.get(id) ?? []));
    }
    reach.set(step.id, seen);
  }
  return reach;
}

/** The top-level step a step belongs to (itself, or the `parallel` around it). */
export function topLevelOf(workflow: Workflow, step: Step): Step {
  let current = step;
  while (current.parentId !== undefined) {
    const parent = workflow.stepsById.get(current.parentId);
    if (!parent) break;
    current = parent;
  }
  return current;
}

/** Every step, nested ones after their parent, in file order. */
export function allSteps(steps: Step[]): Step[] {
  const out: Step[] = [];
  for (const step of steps) {
    out.push(step);
    if (step.kind === 'parallel') out.push(...allSteps(step.branches));
  }
  return out;
}
