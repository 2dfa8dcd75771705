/**
 * Lays out a workflow's graph with dagre: one box per step, a small join node
 * after each `parallel` step's branches (so the edges leaving the `parallel` start
 * after all of its branches, as the run does), and a cluster drawn around each
 * `parallel` with its branches. Pure apart from dagre, so tests and the benchmark
 * run it in Node.
 */
import { Graph, layout, type EdgeLabel, type GraphLabel, type NodeLabel } from '@dagrejs/dagre';
import type { OutlineEdgeKind, WorkflowOutline } from '../src/shared/workflow-outline';

export interface LaidOutNode {
  /** The step id; join nodes have `join` set and the id of their `parallel`. */
  id: string;
  join: boolean;
  label: string;
  kind: string;
  forEach: boolean;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface LaidOutEdge {
  from: string;
  to: string;
  kind: OutlineEdgeKind | 'join';
  label?: string;
  points: { x: number; y: number }[];
  /** Goes back up the graph: a loop. */
  back: boolean;
}

export interface LaidOutCluster {
  id: string;
  label: string;
  x: number;
  y: number;
  width: number;
  height: number;
}

export interface GraphLayout {
  width: number;
  height: number;
  nodes: LaidOutNode[];
  edges: LaidOutEdge[];
  clusters: LaidOutCluster[];
}

export const NODE_WIDTH = 168;
export const NODE_HEIGHT = 34;
const JOIN_SIZE = 10;
const MAX_LABEL = 22;

function joinId(id: string): string {
  return `${id}\u0000join`;
}

function groupId(id: string): string {
  return `${id}\u0000group`;
}

function truncate(text: string): string {
  return text.length > MAX_LABEL ? `${text.slice(0, MAX_LABEL - 1)}…` : text;
}

export function layoutGraph(outline: WorkflowOutline): GraphLayout {
  const g = new Graph<GraphLabel, NodeLabel, EdgeLabel>({ compound: true, multigraph: true });
  g.setGraph({ rankdir: 'TB', nodesep: 24, ranksep: 36, edgesep: 12, marginx: 12, marginy: 12 });
  g.setDefaultEdgeLabel(() => ({}));

  const parallel = new Set(outline.steps.filter((s) => s.kind === 'parallel').map((s) => s.id));
  const known = new Set(outline.steps.map((s) => s.id));
  for (const step of outline.steps) {
    g.setNode(step.id, { width: NODE_WIDTH, height: NODE_HEIGHT, label: step.name ?? step.id });
    if (parallel.has(step.id)) {
      g.setNode(groupId(step.id), { width: 0, height: 0, label: step.name ?? step.id, paddingTop: 8, paddingBottom: 8, paddingLeft: 8, paddingRight: 8 });
      g.setNode(joinId(step.id), { width: JOIN_SIZE, height: JOIN_SIZE });
      g.setParent(step.id, groupId(step.id));
      g.setParent(joinId(step.id), groupId(step.id));
      if (step.parentId !== undefined) g.setParent(groupId(step.id), groupId(step.parentId));
    } else if (step.parentId !== undefined) {
      g.setParent(step.id, groupId(step.parentId));
    }
  }
  // Edges leave a `parallel` from its join: the next step runs once every branch is done.
  const exit = (id: string) => (parallel.has(id) ? joinId(id) : id);
  const laidEdges: { from: string; to: string; v: string; w: string; name: string; kind: LaidOutEdge['kind']; label?: string }[] = [];
  outline.edges.forEach((edge, i) => {
    if (!known.has(edge.from) || !known.has(edge.to)) return;
    const v = edge.kind === 'branch' ? edge.from : exit(edge.from);
    const w = edge.to;
    const name = `e${i}`;
    g.setEdge(v, w, { minlen: 1, weight: edge.kind === 'next' || edge.kind === 'branch' ? 2 : 1, width: edge.label ? edge.label.length * 6 : 0, height: edge.label ? 12 : 0, labelpos: 'c' }, name);
    laidEdges.push({ from: edge.from, to: edge.to, v, w, name, kind: edge.kind, label: edge.label });
    if (edge.kind === 'branch') {
      const joinName = `j${i}`;
      g.setEdge(exit(edge.to), joinId(edge.from), { minlen: 1, weight: 2 }, joinName);
      laidEdges.push({ from: edge.to, to: edge.from, v: exit(edge.to), w: joinId(edge.from), name: joinName, kind: 'join' });
    }
  });

  layout(g);

  const nodes: LaidOutNode[] = [];
  for (const step of outline.steps) {
    const n = g.node(step.id);
    nodes.push({ id: step.id, join: false, label: truncate(step.name ?? step.id), kind: step.kind, forEach: step.forEach, x: n.x ?? 0, y: n.y ?? 0, width: n.width, height: n.height });
    if (parallel.has(step.id)) {
      const j = g.node(joinId(step.id));
      nodes.push({ id: step.id, join: true, label: '', kind: 'join', forEach: false, x: j.x ?? 0, y: j.y ?? 0, width: j.width, height: j.height });
    }
  }
  const clusters: LaidOutCluster[] = [];
  for (const id of parallel) {
    const c = g.node(groupId(id));
    clusters.push({ id, label: truncate(c.label ?? id), x: c.x ?? 0, y: c.y ?? 0, width: c.width, height: c.height });
  }
  const y = (id: string) => g.node(id).y ?? 0;
  const edges: LaidOutEdge[] = laidEdges.map((e) => {
    const label = g.edge({ v: e.v, w: e.w, name: e.name });
    const out: LaidOutEdge = { from: e.from, to: e.to, kind: e.kind, points: label?.points ?? [], back: y(e.w) < y(e.v) };
    if (e.label !== undefined) out.label = e.label;
    return out;
  });
  const graph = g.graph();
  return { width: graph.width ?? 0, height: graph.height ?? 0, nodes, edges, clusters };
}
