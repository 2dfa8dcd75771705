/**
 * The shape of a workflow as the run panel needs it: its steps (with nesting and
 * where each is written) and the edges between them. The host builds it from the
 * loaded `Workflow`; the webview only ever sees this plain, JSON-safe copy, since
 * the `Workflow` itself holds Maps and source ranges the panel has no use for.
 */
import { edges, type EdgeKind } from '../engine/graph';
import { stepInfosOf } from '../engine/state/selectors';
import type { StepKind, Workflow } from '../engine/types';

export interface OutlineStep {
  id: string;
  name?: string;
  kind: StepKind;
  /** The `parallel` step this one is a branch of. */
  parentId?: string;
  /** 0 for top-level steps, 1 for a branch of a top-level `parallel`, … */
  depth: number;
  /** 1-based line of the step's `id:` in the workflow file. */
  line: number;
  /** The step runs once per item (`for_each`). */
  forEach: boolean;
}

/** `branch`: from a `parallel` step to one of its branches (the engine's edges are top-level only). */
export type OutlineEdgeKind = EdgeKind | 'branch';

export interface OutlineEdge {
  from: string;
  to: string;
  kind: OutlineEdgeKind;
  label?: string;
}

export interface WorkflowOutline {
  name: string;
  file: string;
  /** Every step, nested ones after their parent, in file order. */
  steps: OutlineStep[];
  edges: OutlineEdge[];
}

/** The panel's copy of a workflow: steps in file order and the control-flow edges plus parallel nesting. */
export function outlineOf(workflow: Workflow): WorkflowOutline {
  // Every step the workflow declares: kind, nesting and line, as the run state lists them.
  const steps = stepInfosOf(workflow).map((info) => ({ ...info })) as OutlineStep[];
  const out: OutlineEdge[] = edges(workflow).map((edge) => (edge.label === undefined ? { from: edge.from, to: edge.to, kind: edge.kind } : { ...edge }));
  for (const step of steps) {
    if (step.parentId !== undefined) out.push({ from: step.parentId, to: step.id, kind: 'branch' });
  }
  return { name: workflow.name, file: workflow.file, steps, edges: out };
}

/** An outline for a run whose workflow file is gone: its steps as the events name them, no edges. */
export function emptyOutline(name: string, file: string): WorkflowOutline {
  return { name, file, steps: [], edges: [] };
}
