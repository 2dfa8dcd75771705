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

/**
 * Which top-level steps can lead to which. Strongly connected components make
 * loops one node, so most questions are answered by comparing topological
 * positions; the rest by a search that stops as soon as it has its answer. This
 * keeps analysis near-linear on workflows with thousands of steps.
 */
export class Reachability {
  private readonly successors = new Map<string, string[]>();
  /** Component of each step, numbered in topological order (sources first). */
  private readonly component = new Map<string, number>();
  private readonly cyclic = new Set<number>();
  private readonly componentSuccessors: Set<number>[] = [];

  constructor(workflow: Workflow) {
    for (const step of workflow.steps) this.successors.set(step.id, []);
    for (const edge of edges(workflow)) this.successors.get(edge.from)?.push(edge.to);
    this.components(workflow.steps.map((s) => s.id));
    for (const [from, tos] of this.successors) {
      const a = this.component.get(from)!;
      for (const to of tos) {
        const b = this.component.get(to);
        if (b === undefined) continue;
        if (a === b) this.cyclic.add(a);
        else this.componentSuccessors[a].add(b);
      }
    }
  }

  /** Whether a run can go from `from` to `to` through one or more transitions. */
  canReach(from: string, to: string): boolean {
    const a = this.component.get(from);
    const b = this.component.get(to);
    if (a === undefined || b === undefined) return false;
    if (a === b) return this.cyclic.has(a);
    if (a > b) return false;
    const seen = new Set<number>([a]);
    const stack = [a];
    while (stack.length > 0) {
      for (const next of this.componentSuccessors[stack.pop()!]) {
        if (next === b) return true;
        if (next < b && !seen.has(next)) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
    return false;
  }

  /** Whether a step can run more than once (it lies on a loop). */
  onLoop(id: string): boolean {
    return this.canReach(id, id);
  }

  /** Every step a run starting at `start` can reach, `start` included. */
  reachableFrom(start: string): Set<string> {
    const seen = new Set<string>([start]);
    const stack = [start];
    while (stack.length > 0) {
      for (const next of this.successors.get(stack.pop()!) ?? []) {
        if (!seen.has(next) && this.successors.has(next)) {
          seen.add(next);
          stack.push(next);
        }
      }
    }
    return seen;
  }

  /** Tarjan's algorithm, iterative so that a 10,000-step chain does not overflow the stack. */
  private components(ids: string[]): void {
    const index = new Map<string, number>();
    const low = new Map<string, number>();
    const onStack = new Set<string>();
    const stack: string[] = [];
    const found: string[][] = [];
    let counter = 0;
    for (const root of ids) {
      if (index.has(root)) continue;
      const work: { id: string; next: number }[] = [{ id: root, next: 0 }];
      index.set(root, counter);
      low.set(root, counter++);
      stack.push(root);
      onStack.add(root);
      while (work.length > 0) {
        const frame = work[work.length - 1];
        const successors = (this.successors.get(frame.id) ?? []).filter((s) => this.successors.has(s));
        if (frame.next < successors.length) {
          const next = successors[frame.next++];
          if (!index.has(next)) {
            index.set(next, counter);
            low.set(next, counter++);
            stack.push(next);
            onStack.add(next);
            work.push({ id: next, next: 0 });
          } else if (onStack.has(next)) {
            low.set(frame.id, Math.min(low.get(frame.id)!, index.get(next)!));
          }
          continue;
        }
        work.pop();
        if (work.length > 0) {
          const parent = work[work.length - 1].id;
          low.set(parent, Math.min(low.get(parent)!, low.get(frame.id)!));
        }
        if (low.get(frame.id) === index.get(frame.id)) {
          const members: string[] = [];
          let member: string;
          do {
            member = stack.pop()!;
            onStack.delete(member);
            members.push(member);
          } while (member !== frame.id);
          found.push(members);
        }
      }
    }
    // Tarjan emits components in reverse topological order.
    found.reverse().forEach((members, i) => {
      this.componentSuccessors.push(new Set());
      for (const id of members) this.component.set(id, i);
    });
  }
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
