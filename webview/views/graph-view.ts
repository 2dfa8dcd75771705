/**
 * The workflow graph as SVG: nodes coloured by their step's status, the running
 * ones highlighted, edges styled by kind (failure dashed, skips dotted, loops
 * curving back). Nodes are buttons: click, Enter or Space select the step, and
 * the host reveals its line in the editor.
 */
import { html, nothing, svg, type TemplateResult } from 'lit';
import type { HeldExecution } from '../../src/engine/state/run-state';
import { holdAt } from '../../src/engine/state/selectors';
import { displayStatus, type RunViewModel, type StepStatus } from '../../src/shared/run-view-model';
import type { GraphLayout, LaidOutEdge, LaidOutNode } from '../graph-layout';
import { stepStatusLabel } from './common';
import { heldLabel } from './held';

export interface GraphViewOptions {
  selectedStepId?: string;
  onSelect(stepId: string): void;
}

const EDGE_LABELS: Record<LaidOutEdge['kind'], string> = {
  next: '',
  success: 'on success',
  failure: 'on failure',
  case: '',
  default: 'default',
  skip: 'if skipped',
  branch: '',
  join: '',
};

function pathOf(points: { x: number; y: number }[]): string {
  if (points.length === 0) return '';
  const [first, ...rest] = points;
  if (rest.length === 0) return `M${first.x},${first.y}`;
  // A smooth curve through dagre's control points.
  let d = `M${first.x},${first.y}`;
  for (let i = 0; i < rest.length - 1; i++) {
    const p = rest[i];
    const next = rest[i + 1];
    d += ` Q${p.x},${p.y} ${(p.x + next.x) / 2},${(p.y + next.y) / 2}`;
  }
  const last = rest[rest.length - 1];
  return `${d} L${last.x},${last.y}`;
}

function edgeView(edge: LaidOutEdge): TemplateResult {
  const label = edge.label ?? EDGE_LABELS[edge.kind];
  const mid = edge.points[Math.floor(edge.points.length / 2)];
  return svg`<g class="edge edge-${edge.kind} ${edge.back ? 'edge-back' : ''}">
    <path d=${pathOf(edge.points)} marker-end=${edge.kind === 'join' ? nothing : `url(#arrow-${edge.kind === 'failure' ? 'failure' : 'default'})`}></path>
    ${label && mid ? svg`<text class="edge-label" x=${mid.x + 4} y=${mid.y - 4}>${label}</text>` : nothing}
  </g>`;
}

function nodeView(node: LaidOutNode, status: StepStatus, held: HeldExecution | undefined, selected: boolean, options: GraphViewOptions): TemplateResult {
  if (node.join) {
    return svg`<circle class="join status-${status}" cx=${node.x} cy=${node.y} r=${node.width / 2}></circle>`;
  }
  const x = node.x - node.width / 2;
  const y = node.y - node.height / 2;
  const active = status === 'running' || status === 'retrying';
  const select = () => options.onSelect(node.id);
  return svg`<g
    class="node status-${status} ${active ? 'active' : ''} ${selected ? 'selected' : ''} ${held ? 'debug-held' : ''} kind-${node.kind}"
    data-step-id=${node.id}
    data-status=${status}
    data-held=${held ? held.at : nothing}
    role="button"
    tabindex="0"
    aria-label=${`${node.label}: ${stepStatusLabel(status)}${held ? `, ${heldLabel(held)}` : ''}`}
    aria-pressed=${selected ? 'true' : 'false'}
    @click=${select}
    @keydown=${(e: KeyboardEvent) => {
      if (e.key === 'Enter' || e.key === ' ') {
        e.preventDefault();
        select();
      }
    }}
  >
    ${node.forEach ? svg`<rect class="node-stack" x=${x + 4} y=${y - 4} width=${node.width} height=${node.height} rx="4"></rect>` : nothing}
    <rect class="node-box" x=${x} y=${y} width=${node.width} height=${node.height} rx="4"></rect>
    <text class="node-label" x=${x + 26} y=${node.y + 4}>${node.label}</text>
    <text class="node-kind" x=${x + node.width - 6} y=${node.y + 4} text-anchor="end">${node.forEach ? 'each' : node.kind === 'prompt' ? '' : node.kind}</text>
    <circle class="node-dot" cx=${x + 13} cy=${node.y} r="5"></circle>
  </g>`;
}

export function graphView(layout: GraphLayout, model: RunViewModel, options: GraphViewOptions): TemplateResult {
  const statusOf = (id: string): StepStatus => (Object.hasOwn(model.steps, id) ? displayStatus(model, model.steps[id]) : 'pending');
  return html`<svg
    class="graph-svg"
    role="group"
    aria-label="Workflow graph"
    width=${layout.width}
    height=${layout.height}
    viewBox="0 0 ${layout.width} ${layout.height}"
  >
    <defs>
      <marker id="arrow-default" class="arrow" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
        <path d="M0,0 L10,5 L0,10 z"></path>
      </marker>
      <marker id="arrow-failure" class="arrow arrow-failure" viewBox="0 0 10 10" refX="9" refY="5" markerWidth="7" markerHeight="7" orient="auto-start-reverse">
        <path d="M0,0 L10,5 L0,10 z"></path>
      </marker>
    </defs>
    ${layout.clusters.map(
      (c) => svg`<g class="cluster status-${statusOf(c.id)}">
        <rect x=${c.x - c.width / 2} y=${c.y - c.height / 2} width=${c.width} height=${c.height} rx="6"></rect>
        <text class="cluster-label" x=${c.x - c.width / 2 + 6} y=${c.y - c.height / 2 - 3}>parallel</text>
      </g>`,
    )}
    ${layout.edges.map(edgeView)}
    ${layout.nodes.map((n) => nodeView(n, statusOf(n.id), n.join ? undefined : holdAt(model, n.id, true), !n.join && n.id === options.selectedStepId, options))}
  </svg>`;
}
