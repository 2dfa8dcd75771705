/**
 * One run: the toolbar (status, totals, controls), the graph, the step list and
 * the selected step's details (output, prompt as sent, the call, errors).
 */
import { html, nothing, type TemplateResult } from 'lit';
import { guard } from 'lit/directives/guard.js';
import { repeat } from 'lit/directives/repeat.js';
import type { HeldExecution } from '../../src/engine/state/run-state';
import { holdAt } from '../../src/engine/state/selectors';
import type { ErrorInfo } from '../../src/engine/types';
import { formatCost, formatDuration, formatTokens } from '../../src/shared/format';
import type { DetailTab, RunHeader } from '../../src/shared/protocol';
import { outputText } from '../../src/shared/run-compare';
import {
  displayStatus,
  elapsedMs,
  executionCall,
  isRunEnded,
  latestExecution,
  runElapsedMs,
  type AttemptView,
  type CallView,
  type ExecutionView,
  type ItemView,
  type RunViewModel,
  type StepStatus,
  type StepViewModel,
  type ToolCallView,
} from '../../src/shared/run-view-model';
import type { GraphLayout } from '../graph-layout';
import { copyButton, runStatusIcon, statusIcon, stepStatusLabel } from './common';
import { heldLabel, heldMarker } from './held';
import { graphView } from './graph-view';
import { jsonTree } from './json-tree';

export interface RunViewProps {
  header: RunHeader;
  model: RunViewModel;
  now: number;
  selectedStepId?: string;
  selectedVisit?: number;
  tab: DetailTab;
  raw: boolean;
  expanded: ReadonlySet<string>;
  graph: { hidden: boolean; layout?: GraphLayout; tooLarge: boolean };
  pauseRequested: boolean;
  busy: boolean;
  notice?: string;
}

export interface RunViewActions {
  select(stepId: string, reveal: boolean): void;
  selectVisit(visit: number): void;
  setTab(tab: DetailTab): void;
  toggleRaw(): void;
  toggle(key: string, open: boolean): void;
  toggleGraph(): void;
  showLargeGraph(): void;
  control(action: 'pause' | 'resume' | 'step' | 'stop'): void;
  rerun(stepId: string): void;
  copy(text: string): void;
  /** Sanitized markdown, cached under `key` (one place in the panel). */
  markdown(key: string, text: string): Node;
  onListKey(e: KeyboardEvent): void;
  /** A row was dropped on another: move the step in the workflow file. */
  moveStep(stepId: string, toStepId: string): void;
}

/** The drag's payload type: only rows of this list are dropped on its rows. */
const STEP_DRAG_TYPE = 'application/x-orchestrate-step';

const TABS: { id: DetailTab; label: string }[] = [
  { id: 'output', label: 'Output' },
  { id: 'prompt', label: 'Prompt' },
  { id: 'call', label: 'Call' },
  { id: 'errors', label: 'Errors' },
];

export function runView(p: RunViewProps, a: RunViewActions): TemplateResult {
  const { model } = p;
  return html`<div id="run-view" class="run-view" data-run-id=${model.runId ?? ''} data-status=${model.status}>
    ${toolbar(p, a)}
    ${p.header.warnings.length > 0 ? html`<div class="warnings" role="status">${p.header.warnings.map((w) => html`<div class="warning"><span class="codicon codicon-warning" aria-hidden="true"></span> ${w}</div>`)}</div>` : nothing}
    ${model.error && model.status !== 'cancelled' ? html`<div class="run-error" role="alert">${errorView(model.error)}</div>` : nothing}
    <div class="layout">
      <section class="left" aria-label="Steps">
        ${graphSection(p, a)}
        ${stepList(p, a)}
      </section>
      <section class="detail" id="detail" aria-label="Step details">${detail(p, a)}</section>
    </div>
  </div>`;
}

function toolbar(p: RunViewProps, a: RunViewActions): TemplateResult {
  const { model, header } = p;
  const live = header.live && !isRunEnded(model) && model.status !== 'interrupted';
  const running = live && model.status === 'running';
  const paused = live && model.status === 'paused';
  const elapsed = runElapsedMs(model, p.now);
  const selected = p.selectedStepId;
  return html`<header class="toolbar">
    <div class="title">
      ${runStatusIcon(model.status)}
      <h1>${model.workflow.name || 'Run'}</h1>
      <vscode-badge id="run-status" class="run-badge run-status-${model.status}" aria-label="Run status">${model.held ? 'paused in debugger' : model.status}</vscode-badge>
      <span class="run-id" title="Run id">${model.runId ?? ''}${header.mode && header.mode !== 'run' ? html` · ${header.mode}` : nothing}</span>
    </div>
    <div class="totals" aria-label="Run totals">
      <span title="Time"><span class="codicon codicon-watch" aria-hidden="true"></span> <span id="total-time">${elapsed === undefined ? '—' : formatDuration(elapsed)}</span></span>
      <span title="Tokens (input / output)"><span class="codicon codicon-symbol-numeric" aria-hidden="true"></span> <span id="total-tokens">${formatTokens(model.totals.usage.totalTokens)}</span></span>
      <span title="Cost"><span class="codicon codicon-credit-card" aria-hidden="true"></span> <span id="total-cost">${formatCost(model.totals.costUsd)}</span></span>
      <span title="Model calls (cache hits)">${model.totals.calls} calls${model.totals.cacheHits > 0 ? ` (${model.totals.cacheHits} cached)` : ''}</span>
    </div>
    <div class="controls" role="toolbar" aria-label="Run controls">
      ${paused
        ? html`<vscode-button id="btn-resume" icon="debug-continue" ?disabled=${p.busy} @click=${() => a.control('resume')}>Resume</vscode-button>
            <vscode-button id="btn-step" icon="debug-step-over" secondary ?disabled=${p.busy} @click=${() => a.control('step')}>Next step</vscode-button>`
        : html`<vscode-button id="btn-pause" icon="debug-pause" secondary ?disabled=${!running || p.pauseRequested || p.busy} @click=${() => a.control('pause')}
            >${p.pauseRequested && running ? 'Pausing…' : 'Pause'}</vscode-button
          >`}
      <vscode-button id="btn-stop" icon="debug-stop" secondary ?disabled=${!live || p.busy} @click=${() => a.control('stop')}>Stop</vscode-button>
      <vscode-button
        id="btn-rerun"
        icon="debug-restart"
        secondary
        title=${selected ? `Run the workflow again from step ${selected}, reusing the results before it` : 'Select a step to re-run from'}
        ?disabled=${!selected || !header.canRerun || p.busy || !(model.steps[selected]?.inWorkflow ?? false)}
        @click=${() => selected && a.rerun(selected)}
        >Re-run from step</vscode-button
      >
    </div>
    ${p.notice ? html`<div class="notice" role="status">${p.notice}</div>` : nothing}
  </header>`;
}

function graphSection(p: RunViewProps, a: RunViewActions): TemplateResult {
  const { graph } = p;
  return html`<div class="graph-section">
    <div class="section-title">
      <vscode-toolbar-button
        id="btn-graph"
        icon=${graph.hidden ? 'chevron-right' : 'chevron-down'}
        label=${graph.hidden ? 'Show the graph' : 'Hide the graph'}
        aria-expanded=${graph.hidden ? 'false' : 'true'}
        @click=${a.toggleGraph}
      ></vscode-toolbar-button>
      <span>Graph</span>
    </div>
    ${graph.hidden
      ? nothing
      : graph.layout
        ? html`<div class="graph" id="graph">
            ${graphView(graph.layout, p.model, { selectedStepId: p.selectedStepId, onSelect: (id) => a.select(id, true) })}
          </div>`
        : graph.tooLarge
          ? html`<div class="graph-placeholder">
              ${p.model.order.length} steps: the graph is not drawn by default.
              <vscode-button secondary @click=${a.showLargeGraph}>Draw it</vscode-button>
            </div>`
          : html`<div class="graph-placeholder">Laying out…</div>`}
  </div>`;
}

function stepMeta(step: StepViewModel, now: number): string {
  const execution = latestExecution(step);
  const parts: string[] = [];
  const elapsed = execution ? elapsedMs(execution, now) : undefined;
  if (elapsed !== undefined) parts.push(formatDuration(elapsed));
  if (step.usage.totalTokens > 0) parts.push(formatTokens(step.usage.totalTokens));
  if (step.costUsd !== undefined && step.costUsd > 0) parts.push(formatCost(step.costUsd));
  if (step.visits > 1) parts.push(`×${step.visits}`);
  if (step.attempts > 1) parts.push(`attempt ${step.attempts}`);
  if (execution && execution.items.length > 0) {
    const done = execution.items.filter((i) => i.status === 'succeeded').length;
    parts.push(`${done}/${execution.items.length} items`);
  }
  return parts.join(' · ');
}

function stepRow(step: StepViewModel, status: StepStatus, held: HeldExecution | undefined, selected: boolean, focusable: boolean, now: number, a: RunViewActions): TemplateResult {
  return html`<li
    class="step status-${status} ${selected ? 'selected' : ''} ${step.inWorkflow ? '' : 'orphan'} ${held ? 'debug-held' : ''}"
    id=${`step-${step.id}`}
    data-step-id=${step.id}
    data-status=${status}
    data-held=${held ? held.at : nothing}
    role="option"
    aria-selected=${selected ? 'true' : 'false'}
    tabindex=${focusable ? '0' : '-1'}
    @click=${() => a.select(step.id, false)}
    @dblclick=${() => a.select(step.id, true)}
    draggable=${step.inWorkflow ? 'true' : 'false'}
    @dragstart=${(e: DragEvent) => e.dataTransfer?.setData(STEP_DRAG_TYPE, step.id)}
    @dragover=${(e: DragEvent) => {
      if (step.inWorkflow && e.dataTransfer?.types.includes(STEP_DRAG_TYPE)) e.preventDefault();
    }}
    @drop=${(e: DragEvent) => {
      const dragged = e.dataTransfer?.getData(STEP_DRAG_TYPE);
      if (!dragged || dragged === step.id) return;
      e.preventDefault();
      a.moveStep(dragged, step.id);
    }}
  >
    <span class="indent depth-${Math.min(step.depth, 6)}"></span>
    ${statusIcon(status)}
    <span class="step-name">${step.name ?? step.id}</span>
    ${step.name && step.name !== step.id ? html`<span class="step-id">${step.id}</span>` : nothing}
    ${held ? heldMarker(held) : nothing}
    <span class="step-meta">${stepMeta(step, now)}</span>
  </li>`;
}

function stepList(p: RunViewProps, a: RunViewActions): TemplateResult {
  const { model } = p;
  // Only running steps depend on the clock; the others re-render when their object changes.
  // One row is in the tab order: the selected one, or the first while none is.
  const anySelected = p.selectedStepId !== undefined && model.steps[p.selectedStepId] !== undefined;
  return html`<ol id="step-list" class="steps" role="listbox" aria-label="Steps of the run" @keydown=${a.onListKey}>
    ${repeat(
      model.order,
      (id) => id,
      (id, index) => {
        const step = model.steps[id];
        const selected = id === p.selectedStepId;
        const focusable = selected || (!anySelected && index === 0);
        const status = displayStatus(model, step);
        const ticking = status === 'running' || status === 'retrying';
        const held = holdAt(model, id);
        return guard([step, status, held, selected, focusable, ticking ? p.now : 0], () => stepRow(step, status, held, selected, focusable, p.now, a));
      },
    )}
  </ol>`;
}

function detail(p: RunViewProps, a: RunViewActions): TemplateResult {
  const step = p.selectedStepId ? p.model.steps[p.selectedStepId] : undefined;
  if (!step) return html`<div class="empty-detail">Select a step to see its output, the prompt as sent, the call and its errors.</div>`;
  const execution = step.executions.find((e) => e.visit === p.selectedVisit) ?? latestExecution(step);
  const call = execution ? executionCall(execution) : undefined;
  return html`<div class="detail-header">
      <h2>${statusIcon(displayStatus(p.model, step))} ${step.name ?? step.id}</h2>
      <div class="detail-facts">
        <span>${step.kind ?? ''}${step.forEach ? ' · for each' : ''}</span>
        <span>${stepStatusLabel(displayStatus(p.model, step))}</span>
        ${(() => {
          const held = holdAt(p.model, step.id);
          return held ? html`<span class="debug-held-fact">${heldLabel(held)}</span>` : nothing;
        })()}
        ${execution ? html`<span>${(() => {
          const ms = elapsedMs(execution, p.now);
          return ms === undefined ? '' : formatDuration(ms);
        })()}</span>` : nothing}
        ${call ? html`<span>${call.provider}/${call.model}</span>` : nothing}
        ${step.usage.totalTokens > 0 ? html`<span>${formatTokens(step.usage.totalTokens)}</span>` : nothing}
        ${step.costUsd !== undefined ? html`<span>${formatCost(step.costUsd)}</span>` : nothing}
        ${step.line !== undefined ? html`<a class="reveal" href="#" role="button" @click=${(e: Event) => { e.preventDefault(); a.select(step.id, true); }}>line ${step.line}</a>` : nothing}
      </div>
      ${step.visits > 1
        ? html`<div class="visits" role="group" aria-label="Visits">
            ${step.executions.map(
              (e) => html`<vscode-button
                class="visit"
                ?secondary=${e !== execution}
                aria-pressed=${e === execution ? 'true' : 'false'}
                @click=${() => a.selectVisit(e.visit)}
                >Visit ${e.visit}</vscode-button
              >`,
            )}
          </div>`
        : nothing}
    </div>
    <div class="tabs" role="tablist" aria-label="Step details">
      ${TABS.map(
        (t) => html`<button
          class="tab ${p.tab === t.id ? 'active' : ''}"
          id=${`tab-${t.id}`}
          role="tab"
          aria-selected=${p.tab === t.id ? 'true' : 'false'}
          aria-controls="tab-panel"
          tabindex=${p.tab === t.id ? '0' : '-1'}
          @click=${() => a.setTab(t.id)}
          @keydown=${(e: KeyboardEvent) => {
            const i = TABS.findIndex((x) => x.id === p.tab);
            if (e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
              e.preventDefault();
              const next = TABS[(i + (e.key === 'ArrowRight' ? 1 : TABS.length - 1)) % TABS.length];
              a.setTab(next.id);
            }
          }}
        >
          ${t.label}${t.id === 'errors' && execution && errorCount(execution) > 0 ? html` <vscode-badge variant="counter">${errorCount(execution)}</vscode-badge>` : nothing}
        </button>`,
      )}
    </div>
    <div id="tab-panel" class="tab-panel" role="tabpanel" aria-labelledby=${`tab-${p.tab}`}>
      ${!execution
        ? html`<div class="muted">${holdAt(p.model, step.id) ? 'The debugger holds the run before this step.' : p.model.pausedBefore === step.id ? 'The run is paused before this step.' : 'This step has not run.'}</div>`
        : p.tab === 'output'
          ? outputTab(step, execution, p, a)
          : p.tab === 'prompt'
            ? promptTab(call, a)
            : p.tab === 'call'
              ? callTab(call, execution, step)
              : errorsTab(execution)}
    </div>`;
}

function errorCount(execution: ExecutionView): number {
  return (execution.error ? 1 : 0) + execution.retries.length + execution.items.reduce((n, i) => n + (i.error ? 1 : 0) + i.retries.length, 0);
}

/** The output of one attempt view: streamed text while running, then markdown or a JSON tree. */
function outputBody(target: AttemptView, key: string, p: RunViewProps, a: RunViewActions): TemplateResult {
  if (!target.hasOutput) {
    if (target.streamed) return html`<pre class="streamed output-text" data-streaming=${target.status === 'running' ? 'true' : 'false'}>${target.streamed}</pre>`;
    if (target.partialOutput) return html`<div class="muted">Received before the failure:</div><pre class="output-text partial">${target.partialOutput}</pre>`;
    return html`<div class="muted">${target.status === 'running' ? 'Waiting for output…' : 'No output.'}</div>`;
  }
  const { output } = target;
  if (p.raw) return html`<pre class="output-text raw">${outputText(output)}</pre>`;
  if (typeof output === 'string') return html`<div class="markdown">${a.markdown(key, output)}</div>`;
  return jsonTree(output, {
    expanded: p.expanded,
    openDepth: 2,
    onToggle: (path, open) => a.toggle(`${key}:${path}`, open),
  }, '$');
}

function outputTab(step: StepViewModel, execution: ExecutionView, p: RunViewProps, a: RunViewActions): TemplateResult {
  const text = () => (execution.hasOutput ? outputText(execution.output) : execution.streamed);
  return html`<div class="output-actions">
      <vscode-checkbox id="raw-toggle" toggle ?checked=${p.raw} @change=${a.toggleRaw}>Raw</vscode-checkbox>
      ${copyButton('Copy the output', text, a.copy)}
      ${execution.restored ? html`<span class="muted">restored from the run this one resumes</span>` : nothing}
      ${execution.skipReason ? html`<span class="muted">skipped: ${execution.skipReason}</span>` : nothing}
    </div>
    <div class="output" id="output" data-step-id=${step.id}>
      ${execution.items.length > 0 ? itemsView(step, execution, p, a) : outputBody(execution, `${step.id}#${execution.visit}`, p, a)}
    </div>
    ${execution.tools && execution.tools.length > 0 ? toolCallsView(execution.tools) : nothing}`;
}

/** Longest argument or result text shown inline; the trace (and `result.ref`) holds the rest. */
const TOOL_TEXT_SHOWN = 4000;

/**
 * The step's tool calls, in the order they were made: arguments and results are a
 * model's or a server's text, so they are shown as plain text (lit escapes it), never
 * rendered as markdown or markup.
 */
function toolCallsView(calls: readonly ToolCallView[]): TemplateResult {
  const cut = (text: string) => (text.length > TOOL_TEXT_SHOWN ? `${text.slice(0, TOOL_TEXT_SHOWN)}…` : text);
  const json = (value: unknown) => (typeof value === 'string' ? value : (JSON.stringify(value, null, 2) ?? ''));
  return html`<section class="tool-calls" aria-label="Tool calls">
    <h3>Tool calls (${calls.length})</h3>
    <ol>
      ${calls.map(
        (call) => html`<li class="tool-call status-${call.status}" data-call-id=${call.callId}>
          <details>
            <summary>
              <span class="tool-name">${call.server}.${call.tool}</span>
              <span class="muted">${call.status}${call.turn !== undefined ? ` · turn ${call.turn}` : ''}${call.attempt > 1 ? ` · attempt ${call.attempt}` : ''}${call.latencyMs !== undefined ? ` · ${call.latencyMs} ms` : ''}${call.approvedBy ? ` · ${call.approvedBy}` : ''}</span>
            </summary>
            ${call.arguments ? html`<div class="muted">Arguments${call.arguments.truncated ? ' (cut)' : ''}</div><pre class="tool-arguments">${cut(json(call.arguments.value))}</pre>` : nothing}
            ${call.result
              ? html`<div class="muted">Result${call.result.isError ? ' (the tool reported an error)' : ''}${call.result.truncated ? ' (cut)' : ''}</div><pre class="tool-result">${cut(call.result.structuredContent && !call.result.text ? json(call.result.structuredContent) : call.result.text)}</pre>`
              : nothing}
            ${call.error ? html`<div class="tool-error">${call.error.code}: ${call.error.message}</div>` : nothing}
          </details>
        </li>`,
      )}
    </ol>
  </section>`;
}

function itemsView(step: StepViewModel, execution: ExecutionView, p: RunViewProps, a: RunViewActions): TemplateResult {
  return html`<ol class="items" aria-label="Items">
    ${execution.items.map((item: ItemView) => {
      const key = `${step.id}#${execution.visit}#${item.index}`;
      const open = p.expanded.has(key) || (execution.items.length <= 5 && !p.expanded.has(`!${key}`));
      return html`<li class="item status-${item.status}" data-index=${item.index}>
        <details ?open=${open} @toggle=${(e: Event) => {
          const isOpen = (e.currentTarget as HTMLDetailsElement).open;
          if (isOpen !== open) a.toggle(key, isOpen);
        }}>
          <summary>${statusIcon(item.status)} Item ${item.index + 1}${item.attempt > 1 ? ` · attempt ${item.attempt}` : ''}${item.durationMs !== undefined ? ` · ${formatDuration(item.durationMs)}` : ''}</summary>
          ${open ? outputBody(item, key, p, a) : nothing}
          ${item.error ? html`<div class="item-error">${errorView(item.error)}</div>` : nothing}
        </details>
      </li>`;
    })}
  </ol>`;
}

function promptTab(call: CallView | undefined, a: RunViewActions): TemplateResult {
  if (!call) return html`<div class="muted">No model call: this step sends no prompt, or its call has not finished yet.</div>`;
  const others = call.messages.filter((m) => m.content !== call.system && m.content !== call.prompt);
  return html`${call.system !== undefined
      ? html`<div class="block">
          <div class="block-title">System message ${copyButton('Copy the system message', () => call.system ?? '', a.copy)}</div>
          <pre class="prompt-text" id="system-text">${call.system}</pre>
        </div>`
      : nothing}
    <div class="block">
      <div class="block-title">Prompt ${copyButton('Copy the prompt', () => call.prompt ?? '', a.copy)}</div>
      <pre class="prompt-text" id="prompt-text">${call.prompt ?? ''}</pre>
    </div>
    ${others.length > 0
      ? html`<div class="block">
          <div class="block-title">Other messages</div>
          ${others.map((m) => html`<div class="message"><span class="role">${m.role}</span><pre class="prompt-text">${m.content}</pre></div>`)}
        </div>`
      : nothing}`;
}

function callTab(call: CallView | undefined, execution: ExecutionView, step: StepViewModel): TemplateResult {
  const rows: [string, string][] = [];
  if (call) {
    rows.push(['Provider', call.provider], ['Model', call.model]);
    const params = Object.entries(call.params);
    rows.push(['Parameters', params.length === 0 ? '—' : params.map(([k, v]) => `${k}: ${JSON.stringify(v)}`).join(', ')]);
    if (call.usage) rows.push(['Tokens', `${call.usage.inputTokens} in · ${call.usage.outputTokens} out · ${call.usage.totalTokens} total`]);
    rows.push(['Cost', formatCost(call.costUsd)], ['Latency', call.latencyMs === undefined ? 'waiting for the reply…' : formatDuration(call.latencyMs)]);
    rows.push(['Cache', call.cacheHit === undefined ? 'not cached' : call.cacheHit ? 'hit' : 'miss']);
    if (call.finishReason) rows.push(['Finish reason', call.finishReason]);
  }
  rows.push(['Visit', `${execution.visit} of ${step.visits}`], ['Attempts', String(execution.attempt)]);
  if (execution.durationMs !== undefined) rows.push(['Duration', formatDuration(execution.durationMs)]);
  if (step.calls > 1) rows.push(['All calls of this step', `${step.calls} · ${formatTokens(step.usage.totalTokens)} · ${formatCost(step.costUsd)}`]);
  return html`<table class="facts" aria-label="Model call">
      <tbody>
        ${rows.map(([k, v]) => html`<tr><th scope="row">${k}</th><td>${v}</td></tr>`)}
      </tbody>
    </table>
    ${call?.outputSchema ? html`<div class="block"><div class="block-title">Output schema</div><pre class="prompt-text">${JSON.stringify(call.outputSchema, null, 2)}</pre></div>` : nothing}
    ${!call ? html`<div class="muted">No model call recorded for this step.</div>` : nothing}`;
}

function errorView(error: ErrorInfo): TemplateResult {
  return html`<div class="error">
    <span class="codicon codicon-error" aria-hidden="true"></span>
    <span class="error-code">${error.code}</span>
    <span class="error-message">${error.message}</span>
    ${error.cause ? html`<div class="cause"><span class="muted">caused by</span> ${errorView(error.cause)}</div>` : nothing}
  </div>`;
}

function errorsTab(execution: ExecutionView): TemplateResult {
  const itemErrors = execution.items.filter((i) => i.error || i.retries.length > 0);
  if (!execution.error && execution.retries.length === 0 && itemErrors.length === 0) return html`<div class="muted">No errors.</div>`;
  return html`${execution.error ? html`<div class="block"><div class="block-title">Error</div>${errorView(execution.error)}</div>` : nothing}
    ${execution.retries.length > 0
      ? html`<div class="block">
          <div class="block-title">Retried attempts</div>
          ${execution.retries.map(
            (r) => html`<div class="retry">
              <div>Attempt ${r.attempt} (retried after ${formatDuration(r.delayMs)})</div>
              ${errorView(r.error)}
              ${r.partialOutput ? html`<pre class="output-text partial">${r.partialOutput}</pre>` : nothing}
            </div>`,
          )}
        </div>`
      : nothing}
    ${itemErrors.map(
      (i) => html`<div class="block">
        <div class="block-title">Item ${i.index + 1}</div>
        ${i.retries.map((r) => html`<div class="retry">Attempt ${r.attempt}: ${errorView(r.error)}</div>`)}
        ${i.error ? errorView(i.error) : nothing}
      </div>`,
    )}`;
}
