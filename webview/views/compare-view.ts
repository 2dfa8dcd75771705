/**
 * Two runs step by step: status, tokens and cost side by side with their
 * difference, and for an opened row the prompt and output diffs line by line.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { formatCost, formatDelta, formatDuration, formatTimestamp, formatTokens } from '../../src/shared/format';
import type { RunHeader } from '../../src/shared/protocol';
import { diffLines, type CompareRow, type CompareSideStep, type RunComparison } from '../../src/shared/run-compare';
import type { RunViewModel } from '../../src/shared/run-view-model';
import { runStatusIcon, statusIcon } from './common';

export interface CompareSideProps {
  header: RunHeader;
  model: RunViewModel;
}

export interface CompareViewProps {
  left: CompareSideProps;
  right: CompareSideProps;
  comparison: RunComparison;
  expanded: ReadonlySet<string>;
  onlyChanged: boolean;
}

export interface CompareViewActions {
  toggle(key: string, open: boolean): void;
  toggleOnlyChanged(): void;
}

function runTitle(side: CompareSideProps, which: string): TemplateResult {
  const { model } = side;
  return html`<div class="compare-run">
    <div class="compare-which">${which}</div>
    <div>${runStatusIcon(model.status)} <strong>${model.runId ?? ''}</strong> · ${model.status}</div>
    <div class="muted">${model.startedAt !== undefined ? formatTimestamp(model.startedAt) : ''}${model.durationMs !== undefined ? ` · ${formatDuration(model.durationMs)}` : ''}</div>
  </div>`;
}

function cell(side: CompareSideStep | undefined): TemplateResult {
  if (!side) return html`<td class="status-cell absent">did not run</td>`;
  return html`<td class="status-cell">${statusIcon(side.status)} ${side.status}${side.visits > 1 ? ` ×${side.visits}` : ''}</td>`;
}

function diffView(title: string, left: string | undefined, right: string | undefined): TemplateResult {
  if ((left ?? '') === (right ?? '')) return html`<div class="diff-block"><div class="block-title">${title}: same</div></div>`;
  const lines = diffLines(left ?? '', right ?? '');
  return html`<div class="diff-block">
    <div class="block-title">${title}</div>
    <pre class="diff" aria-label=${`${title} differences`}>${lines.map(
      (l) => html`<div class="diff-line diff-${l.op}"><span class="diff-op" aria-label=${l.op === 'add' ? 'added' : l.op === 'del' ? 'removed' : 'same'}>${l.op === 'add' ? '+' : l.op === 'del' ? '−' : ' '}</span>${l.text}</div>`,
    )}</pre>
  </div>`;
}

function rowDetail(row: CompareRow): TemplateResult {
  const l = row.left;
  const r = row.right;
  return html`<div class="compare-detail">
    ${l?.model !== r?.model ? html`<div class="muted">Model: ${l?.model ?? '—'} → ${r?.model ?? '—'}</div>` : nothing}
    ${(l?.system ?? '') !== (r?.system ?? '') ? diffView('System message', l?.system, r?.system) : nothing}
    ${diffView('Prompt', l?.prompt, r?.prompt)}
    ${diffView('Output', l?.output ?? l?.error, r?.output ?? r?.error)}
    <table class="facts">
      <tbody>
        <tr><th scope="row">Tokens</th><td>${l ? formatTokens(l.tokens) : '—'}</td><td>${r ? formatTokens(r.tokens) : '—'}</td></tr>
        <tr><th scope="row">Cost</th><td>${formatCost(l?.costUsd)}</td><td>${formatCost(r?.costUsd)}</td></tr>
        <tr><th scope="row">Latency</th><td>${l?.latencyMs !== undefined ? formatDuration(l.latencyMs) : '—'}</td><td>${r?.latencyMs !== undefined ? formatDuration(r.latencyMs) : '—'}</td></tr>
        <tr><th scope="row">Cache</th><td>${l?.cacheHit === undefined ? '—' : l.cacheHit ? 'hit' : 'miss'}</td><td>${r?.cacheHit === undefined ? '—' : r.cacheHit ? 'hit' : 'miss'}</td></tr>
      </tbody>
    </table>
  </div>`;
}

export function compareView(p: CompareViewProps, a: CompareViewActions): TemplateResult {
  const { comparison } = p;
  const rows = p.onlyChanged ? comparison.rows.filter((r) => Object.values(r.changed).some(Boolean)) : comparison.rows;
  const { left, right } = comparison.totals;
  return html`<div id="compare-view" class="compare-view">
    <header class="toolbar">
      <div class="title"><span class="codicon codicon-diff" aria-hidden="true"></span><h1>Compare runs of ${p.left.model.workflow.name}</h1></div>
      <div class="compare-runs">${runTitle(p.left, 'A')}${runTitle(p.right, 'B')}</div>
      <div class="totals" aria-label="Totals">
        <span>Tokens: ${formatTokens(left.tokens)} → ${formatTokens(right.tokens)} (${formatDelta(right.tokens - left.tokens)})</span>
        <span>Cost: ${formatCost(left.costUsd)} → ${formatCost(right.costUsd)}</span>
        <span>Time: ${left.durationMs !== undefined ? formatDuration(left.durationMs) : '—'} → ${right.durationMs !== undefined ? formatDuration(right.durationMs) : '—'}</span>
        <span id="compare-changed">${comparison.changedCount} of ${comparison.rows.length} steps differ</span>
      </div>
      <div class="controls">
        <vscode-checkbox id="only-changed" toggle ?checked=${p.onlyChanged} @change=${a.toggleOnlyChanged}>Only steps that differ</vscode-checkbox>
      </div>
    </header>
    <table class="compare-table" aria-label="Steps compared">
      <thead>
        <tr><th scope="col">Step</th><th scope="col">A</th><th scope="col">B</th><th scope="col">Tokens A → B</th><th scope="col">Cost Δ</th><th scope="col">Changed</th></tr>
      </thead>
      <tbody>
        ${rows.map((row) => {
          const key = `compare:${row.stepId}`;
          const open = p.expanded.has(key);
          const changed = Object.entries(row.changed).filter(([, v]) => v).map(([k]) => k);
          return html`<tr
              class="compare-row ${changed.length > 0 ? 'changed' : ''} ${open ? 'open' : ''}"
              data-step-id=${row.stepId}
              tabindex="0"
              aria-expanded=${open ? 'true' : 'false'}
              @click=${() => a.toggle(key, !open)}
              @keydown=${(e: KeyboardEvent) => {
                if (e.key === 'Enter' || e.key === ' ') {
                  e.preventDefault();
                  a.toggle(key, !open);
                }
              }}
            >
              <td class="step-cell depth-${Math.min(row.depth, 6)}"><span class="codicon codicon-${open ? 'chevron-down' : 'chevron-right'}" aria-hidden="true"></span> ${row.name ?? row.stepId}</td>
              ${cell(row.left)} ${cell(row.right)}
              <td>${row.left ? row.left.tokens : '—'} → ${row.right ? row.right.tokens : '—'}${row.tokensDelta !== undefined && row.tokensDelta !== 0 ? html` <span class="delta">(${formatDelta(row.tokensDelta)})</span>` : nothing}</td>
              <td>${row.costDelta !== undefined ? formatDelta(row.costDelta, formatCost) : '—'}</td>
              <td class="changed-cell">${changed.length === 0 ? html`<span class="muted">same</span>` : changed.join(', ')}</td>
            </tr>
            ${open ? html`<tr class="compare-detail-row"><td colspan="6">${rowDetail(row)}</td></tr>` : nothing}`;
        })}
      </tbody>
    </table>
  </div>`;
}
