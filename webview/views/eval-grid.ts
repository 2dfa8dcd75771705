/**
 * An eval's results grid: a row per case run, a column per expectation (pass or fail,
 * the failure message as the cell's tooltip and in the row's detail), then the
 * expectations passed, tokens, cost and time. A click on a row (or Enter) opens that
 * case run's trace in the panel; the chevron opens the row's detail instead.
 *
 * Outputs are model text: they go through the same sanitized markdown as a step's
 * output in the run view; failure messages quote model text too, so they are only
 * ever bound as text or attribute values, never as markup.
 */
import { html, nothing, type TemplateResult } from 'lit';
import { cellColumns, gridColumns, gridRowName, gridTotals, type EvalGridCell, type EvalGridParams, type EvalGridRow } from '../../src/shared/eval-grid';
import { formatCost, formatDuration, formatTokens } from '../../src/shared/format';
import { statusIcon } from './common';

/** Rows drawn at once: enough to scan, few enough to stay quick; the filter finds the rest. */
export const MAX_GRID_ROWS = 1000;

export interface EvalGridProps {
  grid: EvalGridParams;
  onlyFailures: boolean;
  expanded: ReadonlySet<string>;
}

export interface EvalGridActions {
  open(key: string): void;
  toggle(key: string, open: boolean): void;
  toggleOnlyFailures(): void;
  /** Sanitized markdown for model text, cached by key (the run view's renderer). */
  markdown(key: string, text: string): Node;
}

export function evalGridView(p: EvalGridProps, a: EvalGridActions): TemplateResult {
  const { grid } = p;
  const columns = gridColumns(grid.rows);
  const totals = gridTotals(grid.rows);
  const repeats = grid.rows.some((row) => row.repeat > 1);
  const shown = p.onlyFailures ? grid.rows.filter((row) => !row.passed) : grid.rows;
  const drawn = shown.slice(0, MAX_GRID_ROWS);
  const width = columns.length + 6;
  return html`<div id="eval-grid" class="eval-grid" data-running=${grid.running ? 'true' : 'false'}>
    <header class="toolbar">
      <div class="title">
        ${grid.running ? html`<vscode-progress-ring class="eval-progress" aria-label="Running"></vscode-progress-ring>` : html`<span class="codicon codicon-beaker" aria-hidden="true"></span>`}
        <h1>${grid.title}</h1>
      </div>
      <div class="totals" id="eval-totals" aria-label="Totals">
        <span>${totals.runs} run${totals.runs === 1 ? '' : 's'}</span>
        <span class="status-succeeded">${totals.passed} passed</span>
        <span class=${totals.failed > 0 ? 'status-failed' : ''}>${totals.failed} failed</span>
        <span>Tokens: ${formatTokens(totals.tokens)}</span>
        <span>Cost: ${formatCost(totals.costUsd)}</span>
      </div>
      <div class="controls">
        <vscode-checkbox id="only-failures" toggle ?checked=${p.onlyFailures} @change=${a.toggleOnlyFailures}>Only failures</vscode-checkbox>
      </div>
    </header>
    <div class="eval-table-wrap">
      <table class="eval-table" aria-label="Case runs and their expectations">
        <thead>
          <tr>
            <th scope="col">Case</th>
            ${columns.map((column) => html`<th scope="col" class="expectation-col" title=${column}>${column}</th>`)}
            <th scope="col">Output</th>
            <th scope="col" title="Expectations passed">Score</th>
            <th scope="col">Tokens</th>
            <th scope="col">Cost</th>
            <th scope="col">Time</th>
          </tr>
        </thead>
        <tbody>
          ${drawn.map((row) => gridRow(row, columns, repeats, p.expanded.has(`eval:${row.key}`), width, a))}
        </tbody>
      </table>
      ${shown.length > drawn.length ? html`<p class="muted eval-more">Showing ${drawn.length} of ${shown.length} case runs.</p>` : nothing}
      ${shown.length === 0 ? html`<p class="muted eval-more">${grid.rows.length === 0 ? (grid.running ? 'Waiting for the first case run…' : 'No case ran.') : 'No failures.'}</p>` : nothing}
    </div>
  </div>`;
}

function gridRow(row: EvalGridRow, columns: readonly string[], repeats: boolean, open: boolean, width: number, a: EvalGridActions): TemplateResult {
  const byColumn = new Map<string, EvalGridCell>();
  cellColumns(row).forEach((column, i) => byColumn.set(column, row.cells[i]));
  const passedCells = row.cells.filter((cell) => cell.passed).length;
  const name = gridRowName(row, repeats);
  const activate = () => {
    if (row.hasTrace) a.open(row.key);
  };
  return html`<tr
      class="eval-row ${row.passed ? 'passed' : 'failed'} ${open ? 'open' : ''} ${row.hasTrace ? 'openable' : ''}"
      data-key=${row.key}
      data-passed=${row.passed ? 'true' : 'false'}
      tabindex="0"
      title=${row.hasTrace ? 'Open this case run' : 'This case run was not recorded'}
      @click=${activate}
      @keydown=${(e: KeyboardEvent) => {
        if (e.target !== e.currentTarget) return;
        if (e.key === 'Enter') {
          e.preventDefault();
          activate();
        } else if (e.key === ' ' || e.key === 'ArrowRight' || e.key === 'ArrowLeft') {
          e.preventDefault();
          a.toggle(`eval:${row.key}`, e.key === ' ' ? !open : e.key === 'ArrowRight');
        }
      }}
    >
      <th scope="row" class="case-cell">
        <button
          class="row-toggle"
          aria-label=${open ? `Hide the detail of ${name}` : `Show the detail of ${name}`}
          aria-expanded=${open ? 'true' : 'false'}
          @click=${(e: Event) => {
            e.stopPropagation();
            a.toggle(`eval:${row.key}`, !open);
          }}
        ><span class="codicon codicon-${open ? 'chevron-down' : 'chevron-right'}" aria-hidden="true"></span></button>
        ${statusIcon(row.passed ? 'succeeded' : 'failed')} <span class="case-name">${name}</span>
      </th>
      ${columns.map((column) => expectationCell(byColumn.get(column)))}
      <td class="output-cell">${row.output === '' ? html`<span class="muted">—</span>` : html`<div class="markdown">${a.markdown(`eval-cell:${row.key}`, row.output)}</div>`}</td>
      <td class="score-cell">${row.cells.length === 0 ? '—' : `${passedCells}/${row.cells.length}`}</td>
      <td class="num">${formatTokens(row.tokens)}</td>
      <td class="num">${formatCost(row.costUsd)}</td>
      <td class="num">${formatDuration(row.durationMs)}</td>
    </tr>
    ${open ? html`<tr class="eval-detail-row" data-key=${row.key}><td colspan=${width}>${rowDetail(row, a)}</td></tr>` : nothing}`;
}

function expectationCell(cell: EvalGridCell | undefined): TemplateResult {
  if (!cell) return html`<td class="expectation-cell absent" aria-label="not expected here">—</td>`;
  const score = cell.score !== undefined ? ` ${cell.score.toFixed(2)}` : '';
  const tip = cell.passed ? `${cell.label}: passed${score}` : `${cell.label}: ${cell.message ?? 'failed'}`;
  return html`<td class="expectation-cell ${cell.passed ? 'pass' : 'fail'}" data-passed=${cell.passed ? 'true' : 'false'} title=${tip} aria-label=${tip}>
    ${statusIcon(cell.passed ? 'succeeded' : 'failed')}${score}
  </td>`;
}

function rowDetail(row: EvalGridRow, a: EvalGridActions): TemplateResult {
  const failures = row.cells.filter((cell) => !cell.passed);
  return html`<div class="eval-detail">
    ${failures.length === 0
      ? html`<p class="muted">Every expectation passed (${row.status}).</p>`
      : html`<ul class="eval-failures" aria-label="Failed expectations">
          ${failures.map((cell) => html`<li><strong>${cell.label}</strong>: <span class="failure-message">${cell.message ?? 'failed'}</span></li>`)}
        </ul>`}
    <div class="block-title">Output</div>
    <div class="eval-output">${row.output === '' ? html`<span class="muted">(none)</span>` : html`<div class="markdown">${a.markdown(`eval-detail:${row.key}`, row.output)}</div>`}</div>
    ${row.hasTrace ? html`<vscode-button class="open-run" secondary @click=${() => a.open(row.key)}>Open run</vscode-button>` : nothing}
  </div>`;
}
