/**
 * What an expression may name where it is written: which steps' results it may read
 * (`canRead`) and which variables exist (`scopeAt`). The analyzer reports what breaks
 * these rules and the editor's completion offers what keeps them, so both ask here.
 *
 * The rules (docs/language.md, "Scope"):
 * - A step reads a step that can have run before it: one from which a path of
 *   transitions leads to it. Branches of one `parallel` run together and cannot read
 *   each other; a `parallel` step reads its branches only in `check` and `fail`,
 *   which are evaluated once they have finished.
 * - A step always reads itself: until it has finished (`if`, `for_each`, its prompt,
 *   `check`…), `steps.<self>` is its previous visit's result (status `pending` on the
 *   first visit); in `fail`, rendered after it ran, it is this visit's result.
 * - A step no path reaches yet (typically one just added after a `switch`) reads the
 *   steps above it in the file, so that completion helps while it is being wired in; the
 *   analyzer says separately that it can never run.
 * - In `outputs:` and in workers' `system`, every step may have run.
 */
import { allSteps, edges, Reachability, topLevelOf } from './graph';
import type { Step, Workflow } from './types';

/** Which of a step's keys an expression is written in, as far as scope is concerned. */
export type ExpressionField = 'if' | 'for_each' | 'check' | 'fail' | 'body';

/** Where an expression is written. */
export interface ExpressionScope {
  /** The step it belongs to; none in `outputs:` and workers, where every step may have run. */
  step?: Step;
  field: ExpressionField;
  /** `item` and `index` exist: inside a `for_each` body, or a branch of a mapped `parallel`. */
  inMap: boolean;
  /** `output` exists: in `check`. */
  hasOutput: boolean;
}

export type Readability = { readable: true } | { readable: false; why: string };

/** The scope of an expression written in `field` of `step` (no step: `outputs:` or a worker). */
export function scopeAt(workflow: Workflow, step: Step | undefined, field: ExpressionField): ExpressionScope {
  if (!step) return { field, inMap: false, hasOutput: false };
  // `if` and `for_each` are evaluated once, before the items, and `fail` once, after them; the rest once per item.
  let inMap = step.forEach !== undefined && field !== 'if' && field !== 'for_each' && field !== 'fail';
  for (let parent = parentOf(workflow, step); parent && !inMap; parent = parentOf(workflow, parent)) inMap = parent.forEach !== undefined;
  return { step, field, inMap, hasOutput: field === 'check' };
}

/** The key of a step an expression sits under, as `scopeAt` takes it. */
export function fieldOf(key: string | undefined): ExpressionField {
  return key === 'if' || key === 'for_each' || key === 'check' || key === 'fail' ? key : 'body';
}

/** Where the reading expression is: which key of the step (`if`, `check`, a template…). */
export interface ReadContext {
  field: ExpressionField;
}

/**
 * Whether an expression written in step `from` (none: `outputs:` or a worker) may read
 * `steps.<target.id>`, and why not.
 */
export function canRead(workflow: Workflow, from: Step | undefined, target: Step, context: ReadContext): Readability {
  const { reach } = graphOf(workflow);
  return verdict(workflow, from, target, context, (targetTop, fromTop) => reach.canReach(targetTop, fromTop));
}

/**
 * Every step an expression at `scope` may read, in file order: `canRead` for each step,
 * with the steps that lead to `scope.step` found in one backward search instead of one
 * forward search per step (completion asks this of 2,000-step files on a keystroke).
 */
export function readableSteps(workflow: Workflow, scope: ExpressionScope): Step[] {
  const from = scope.step;
  const before = from ? ancestorsOf(workflow, topLevelOf(workflow, from).id) : new Set<string>();
  return allSteps(workflow.steps).filter((target) => verdict(workflow, from, target, scope, (targetTop) => before.has(targetTop)).readable);
}

/** The rule itself; `leadsTo(a, b)`: a path of one or more transitions goes from top-level step `a` to `b`. */
function verdict(workflow: Workflow, from: Step | undefined, target: Step, context: ReadContext, leadsTo: (targetTop: string, fromTop: string) => boolean): Readability {
  if (!from || target.id === from.id) return READABLE;
  const after = context.field === 'check' || context.field === 'fail';
  if (isInside(workflow, target, from)) {
    return after
      ? READABLE
      : { readable: false, why: `\`${target.id}\` is a branch of \`${from.id}\` and has not run yet here; read it in \`check\`, in \`fail\` or in a step after \`${from.id}\`` };
  }
  const fromTop = topLevelOf(workflow, from);
  const targetTop = topLevelOf(workflow, target);
  if (fromTop.id === targetTop.id) {
    return isInside(workflow, from, target)
      ? { readable: false, why: `\`${target.id}\` is still running while its branch \`${from.id}\` runs; read it in a step after \`${fromTop.id}\`` }
      : { readable: false, why: `\`${target.id}\` runs at the same time as \`${from.id}\` (both are in \`${fromTop.id}\`); read it in a step after \`${fromTop.id}\`` };
  }
  if (leadsTo(targetTop.id, fromTop.id)) return READABLE;
  const { reachable, order } = graphOf(workflow);
  if (!reachable.has(fromTop.id) && (order.get(targetTop.id) ?? Infinity) < (order.get(fromTop.id) ?? -1)) return READABLE;
  return { readable: false, why: `step \`${target.id}\` cannot have run before \`${from.id}\`: no path leads from it to here — move \`${target.id}\` earlier or read it in a later step` };
}

/** The top-level steps from which a path of one or more transitions leads to `topId`. */
function ancestorsOf(workflow: Workflow, topId: string): Set<string> {
  const { predecessors } = graphOf(workflow);
  const seen = new Set<string>();
  const stack = [topId];
  while (stack.length > 0) {
    for (const from of predecessors.get(stack.pop()!) ?? []) {
      if (!seen.has(from)) {
        seen.add(from);
        stack.push(from);
      }
    }
  }
  return seen;
}

const READABLE: Readability = { readable: true };

function parentOf(workflow: Workflow, step: Step): Step | undefined {
  return step.parentId === undefined ? undefined : workflow.stepsById.get(step.parentId);
}

/** Whether `inner` is nested (at any depth) in the `parallel` step `outer`. */
function isInside(workflow: Workflow, inner: Step, outer: Step): boolean {
  for (let parent = parentOf(workflow, inner); parent; parent = parentOf(workflow, parent)) if (parent.id === outer.id) return true;
  return false;
}

interface Graph {
  reach: Reachability;
  /** Top-level steps a run can reach from the first step. */
  reachable: Set<string>;
  /** Top-level step id → its position in the file. */
  order: Map<string, number>;
  /** Top-level step id → the top-level steps with a transition to it. */
  predecessors: Map<string, string[]>;
}

// A workflow is immutable once loaded: its graph is built once, on the first question.
const graphs = new WeakMap<Workflow, Graph>();

export function graphOf(workflow: Workflow): Graph {
  let graph = graphs.get(workflow);
  if (!graph) {
    const reach = new Reachability(workflow);
    const first = workflow.steps[0];
    const predecessors = new Map<string, string[]>(workflow.steps.map((step) => [step.id, []]));
    for (const edge of edges(workflow)) if (predecessors.has(edge.from)) predecessors.get(edge.to)?.push(edge.from);
    graph = {
      predecessors,
      reach,
      reachable: first ? reach.reachableFrom(first.id) : new Set(),
      order: new Map(workflow.steps.map((step, index) => [step.id, index])),
    };
    graphs.set(workflow, graph);
  }
  return graph;
}
