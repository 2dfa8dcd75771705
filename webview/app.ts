/**
 * The run panel app. Messages from the host are queued as they arrive and applied
 * once per animation frame: every `run/events` batch of the frame goes through the
 * reducer in one call and the DOM is rendered once, so a burst of streaming costs
 * one render however many messages it took.
 */
import { html, nothing, render, type TemplateResult } from 'lit';
import type { RunEvent } from '../src/engine/types';
import {
  isOpenableLink,
  type DetailTab,
  type NotificationMessage,
  type PanelSource,
  type PanelUiState,
  type RunHeader,
} from '../src/shared/protocol';
import { compareRuns, type RunComparison } from '../src/shared/run-compare';
import { applyEvents, isRunEnded, markInterrupted, runViewModelOf, type RunViewModel } from '../src/shared/run-view-model';
import type { WorkflowOutline } from '../src/shared/workflow-outline';
import { layoutGraph, type GraphLayout } from './graph-layout';
import type { HostConnection } from './host-connection';
import type { MarkdownRenderer } from './markdown';
import type { EvalGridParams } from '../src/shared/eval-grid';
import { compareView, type CompareSideProps } from './views/compare-view';
import { evalGridView } from './views/eval-grid';
import { runView } from './views/run-view';

/** Above this many steps the graph waits to be asked for: dagre takes about a second for 1,000 nodes. */
const GRAPH_STEP_LIMIT = 250;
const MAX_MARKDOWN_CACHE = 300;

interface RunState {
  kind: 'run';
  header: RunHeader;
  outline: WorkflowOutline;
  model: RunViewModel;
  layout?: GraphLayout;
  layoutScheduled: boolean;
  forceGraph: boolean;
  /** Opened from an eval's grid: the way back. */
  fromEval?: { id: string; title: string };
}

interface CompareState {
  kind: 'compare';
  left: CompareSideProps;
  right: CompareSideProps;
  comparison: RunComparison;
}

interface EvalState {
  kind: 'eval';
  grid: EvalGridParams;
}

type ViewState = { kind: 'loading' } | { kind: 'empty'; message: string } | RunState | CompareState | EvalState;

function sameSource(a: PanelSource | undefined, b: PanelSource | undefined): boolean {
  return a !== undefined && b !== undefined && JSON.stringify(a) === JSON.stringify(b);
}

export class PanelApp {
  private view: ViewState = { kind: 'loading' };
  private ui: PanelUiState;
  private expanded: Set<string>;
  private queue: NotificationMessage[] = [];
  private frameRequested = false;
  /** Follow the running step until the person selects one. */
  private follow = true;
  private pauseRequested = false;
  private busy = false;
  private notice: string | undefined;
  private noticeTimer: ReturnType<typeof setTimeout> | undefined;
  private onlyChanged = false;
  private onlyFailures = false;
  private announcement = '';
  private restoreScroll = true;
  private focusSelection = false;
  private saveTimer: ReturnType<typeof setTimeout> | undefined;
  private readonly markdownCache = new Map<string, { text: string; node: HTMLElement }>();
  private readonly ticker: ReturnType<typeof setInterval>;

  constructor(
    private readonly root: HTMLElement,
    private readonly host: HostConnection,
    private readonly markdown: MarkdownRenderer,
    uiState: PanelUiState,
  ) {
    this.ui = uiState;
    this.expanded = new Set(uiState.expanded ?? []);
    this.follow = uiState.selectedStepId === undefined;
    // Elapsed times of running steps tick once a second; nothing renders when nothing runs.
    this.ticker = setInterval(() => {
      if (this.view.kind === 'run' && this.view.header.live && (this.view.model.status === 'running' || this.view.model.status === 'paused')) this.requestFrame();
    }, 1000);
    root.addEventListener('click', this.onLinkClick);
    root.addEventListener('keydown', this.onLinkKey);
    root.addEventListener('scroll', this.onScroll, true);
    this.render();
  }

  dispose(): void {
    clearInterval(this.ticker);
    this.root.removeEventListener('click', this.onLinkClick);
    this.root.removeEventListener('keydown', this.onLinkKey);
    this.root.removeEventListener('scroll', this.onScroll, true);
  }

  /** A notification from the host: applied at the next frame. */
  receive(message: NotificationMessage): void {
    this.queue.push(message);
    this.requestFrame();
  }

  private requestFrame(): void {
    if (this.frameRequested) return;
    this.frameRequested = true;
    requestAnimationFrame(() => {
      this.frameRequested = false;
      this.drain();
      this.render();
    });
  }

  private drain(): void {
    const queue = this.queue;
    this.queue = [];
    let events: RunEvent[] = [];
    const flushEvents = () => {
      if (events.length > 0 && this.view.kind === 'run') this.applyRunEvents(this.view, events);
      events = [];
    };
    for (const message of queue) {
      if (message.method === 'run/events') {
        if (this.view.kind === 'run' && this.view.model.runId === message.params.runId) events.push(...message.params.events);
        continue;
      }
      flushEvents();
      switch (message.method) {
        case 'run/show':
          this.showRun(message.params.header, message.params.outline, message.params.events, message.params.interrupted === true);
          if (this.view.kind === 'run' && message.params.fromEval) this.view.fromEval = message.params.fromEval;
          break;
        case 'eval/show':
          this.resetFor({ kind: 'eval', id: message.params.id });
          this.view = { kind: 'eval', grid: message.params };
          break;
        case 'eval/rows':
          if (this.view.kind === 'eval' && this.view.grid.id === message.params.id) {
            this.view = { kind: 'eval', grid: { ...this.view.grid, rows: [...this.view.grid.rows, ...message.params.rows], running: message.params.running } };
          }
          break;
        case 'compare/show': {
          const side = (s: typeof message.params.left): CompareSideProps => {
            const model = runViewModelOf(s.outline, s.events);
            return { header: s.header, model: s.interrupted ? markInterrupted(model) : model };
          };
          const left = side(message.params.left);
          const right = side(message.params.right);
          this.resetFor(left.header.source.kind === 'compare' ? left.header.source : { kind: 'compare', left: left.header.traceFile ?? '', right: right.header.traceFile ?? '' });
          this.view = { kind: 'compare', left, right, comparison: compareRuns(left.model, right.model) };
          break;
        }
        case 'panel/empty':
          this.view = { kind: 'empty', message: message.params.message };
          break;
        case 'step/select':
          this.select(message.params.stepId, false);
          this.focusSelection = true;
          break;
      }
    }
    flushEvents();
  }

  private showRun(header: RunHeader, outline: WorkflowOutline, events: RunEvent[], interrupted: boolean): void {
    let model = runViewModelOf(outline, events);
    if (interrupted) model = markInterrupted(model);
    this.resetFor(header.source);
    this.pauseRequested = false;
    const view: RunState = { kind: 'run', header, outline, model, layoutScheduled: false, forceGraph: false };
    this.view = view;
    if (this.follow) this.followActive(model, events);
  }

  /** A different run than the one the UI state was about: start from a clean selection. */
  private resetFor(source: PanelSource): void {
    if (sameSource(this.ui.source, source)) return;
    this.ui = { source, tab: this.ui.tab, raw: this.ui.raw, graphHidden: this.ui.graphHidden };
    this.expanded.clear();
    this.markdownCache.clear();
    this.follow = true;
    this.restoreScroll = false;
    this.saveUiState();
  }

  private applyRunEvents(view: RunState, events: RunEvent[]): void {
    const before = view.model;
    view.model = applyEvents(before, events);
    if (view.model.status !== 'running' || isRunEnded(view.model)) this.pauseRequested = false;
    if (this.follow) this.followActive(view.model, events);
    if (before.status !== view.model.status) this.announcement = `Run ${view.model.status}`;
    else {
      const finished = events.filter((e) => e.type === 'step.completed' || e.type === 'step.failed');
      const last = finished[finished.length - 1];
      if (last && 'stepId' in last && last.index === undefined) this.announcement = `Step ${last.stepId} ${view.model.steps[last.stepId]?.status ?? ''}`;
    }
  }

  /** Selects the step that started last (top-level or branch), so a person watching sees it stream. */
  private followActive(model: RunViewModel, events: RunEvent[]): void {
    for (let i = events.length - 1; i >= 0; i--) {
      const e = events[i];
      if (e.type === 'step.started' && e.index === undefined) {
        if (this.ui.selectedStepId !== e.stepId) {
          this.ui.selectedStepId = e.stepId;
          delete this.ui.selectedVisit;
          this.saveUiState();
        }
        return;
      }
      // Where the run waits — the gate or the debugger — is what a person watching wants to read.
      const waitsAt = e.type === 'run.paused' ? e.nextStepId : e.type === 'step.held' ? e.stepId : undefined;
      if (waitsAt !== undefined && Object.hasOwn(model.steps, waitsAt)) {
        this.ui.selectedStepId = waitsAt;
        this.saveUiState();
        return;
      }
    }
  }

  // ─── Actions ──────────────────────────────────────────────────────────────

  private select(stepId: string, reveal: boolean): void {
    this.follow = false;
    if (this.ui.selectedStepId !== stepId) {
      this.ui.selectedStepId = stepId;
      delete this.ui.selectedVisit;
      this.ui.detailScroll = 0;
      this.saveUiState();
    }
    if (reveal) this.host.command('step/reveal', { stepId });
    this.requestFrame();
  }

  private setNotice(text: string): void {
    this.notice = text;
    clearTimeout(this.noticeTimer);
    this.noticeTimer = setTimeout(() => {
      this.notice = undefined;
      this.requestFrame();
    }, 4000);
    this.requestFrame();
  }

  private async control(action: 'pause' | 'resume' | 'step' | 'stop'): Promise<void> {
    if (this.view.kind !== 'run' || !this.view.model.runId) return;
    this.busy = true;
    this.requestFrame();
    try {
      const { accepted } = await this.host.request('run/control', { runId: this.view.model.runId, action });
      if (action === 'pause' && accepted) {
        this.pauseRequested = true;
        this.setNotice('Pausing before the next step…');
      }
      if (!accepted) this.setNotice('The run has already ended.');
    } catch (error) {
      this.setNotice(error instanceof Error ? error.message : String(error));
    } finally {
      this.busy = false;
      this.requestFrame();
    }
  }

  private async rerun(stepId: string): Promise<void> {
    if (this.view.kind !== 'run' || !this.view.model.runId) return;
    this.busy = true;
    this.setNotice(`Running again from ${stepId}…`);
    try {
      await this.host.request('run/rerun', { runId: this.view.model.runId, stepId });
    } catch (error) {
      this.setNotice(error instanceof Error ? error.message : String(error));
    } finally {
      this.busy = false;
      this.requestFrame();
    }
  }

  private copy(text: string): void {
    this.host.request('clipboard/write', { text }).then(
      () => this.setNotice('Copied.'),
      (error: unknown) => this.setNotice(error instanceof Error ? error.message : String(error)),
    );
  }

  private toggle(key: string, open: boolean): void {
    // `!key` remembers a node closed by hand that would otherwise start open.
    if (open) {
      this.expanded.add(key);
      this.expanded.delete(`!${key}`);
    } else {
      this.expanded.delete(key);
      this.expanded.add(`!${key}`);
    }
    this.ui.expanded = [...this.expanded];
    this.saveUiState();
    this.requestFrame();
  }

  private renderMarkdown(key: string, text: string): Node {
    const cached = this.markdownCache.get(key);
    if (cached && cached.text === text) return cached.node;
    const node = document.createElement('div');
    node.className = 'markdown-body';
    node.appendChild(this.markdown.render(text));
    if (this.markdownCache.size >= MAX_MARKDOWN_CACHE) this.markdownCache.delete(this.markdownCache.keys().next().value as string);
    this.markdownCache.set(key, { text, node });
    return node;
  }

  private readonly onListKey = (e: KeyboardEvent): void => {
    if (this.view.kind !== 'run') return;
    const order = this.view.model.order;
    const at = this.ui.selectedStepId === undefined ? -1 : order.indexOf(this.ui.selectedStepId);
    let next: number | undefined;
    if (e.key === 'ArrowDown') next = Math.min(order.length - 1, at + 1);
    else if (e.key === 'ArrowUp') next = Math.max(0, at - 1);
    else if (e.key === 'Home') next = 0;
    else if (e.key === 'End') next = order.length - 1;
    else if (e.key === 'Enter' && at >= 0) {
      e.preventDefault();
      this.select(order[at], true);
      return;
    }
    if (next === undefined || next < 0) return;
    e.preventDefault();
    this.focusSelection = true;
    this.select(order[next], false);
  };

  /** Links in model output: only http(s), and only through the host. */
  private readonly onLinkClick = (e: MouseEvent): void => {
    const link = (e.target as Element | null)?.closest?.('.markdown a');
    if (!link) return;
    e.preventDefault();
    const href = link.getAttribute('data-href');
    if (href && isOpenableLink(href)) this.host.command('link/open', { href });
  };

  private readonly onLinkKey = (e: KeyboardEvent): void => {
    if (e.key !== 'Enter') return;
    const link = (e.target as Element | null)?.closest?.('.markdown a[data-href]');
    if (!link) return;
    e.preventDefault();
    const href = link.getAttribute('data-href');
    if (href && isOpenableLink(href)) this.host.command('link/open', { href });
  };

  private readonly onScroll = (e: Event): void => {
    const target = e.target as HTMLElement;
    if (target.id === 'step-list') this.ui.listScroll = target.scrollTop;
    else if (target.id === 'detail') this.ui.detailScroll = target.scrollTop;
    else return;
    clearTimeout(this.saveTimer);
    this.saveTimer = setTimeout(() => this.saveUiState(), 200);
  };

  private saveUiState(): void {
    this.host.saveUiState({ ...this.ui, expanded: [...this.expanded] });
  }

  // ─── Rendering ────────────────────────────────────────────────────────────

  private scheduleLayout(view: RunState): void {
    if (view.layoutScheduled || this.ui.graphHidden) return;
    if (view.outline.steps.length > GRAPH_STEP_LIMIT && !view.forceGraph) return;
    view.layoutScheduled = true;
    // After this frame's paint: the step list shows first, the graph follows.
    setTimeout(() => {
      try {
        view.layout = layoutGraph(view.outline);
      } catch (error) {
        this.host.command('webview/error', { message: `graph layout: ${error instanceof Error ? error.message : String(error)}` });
      }
      if (this.view === view) this.requestFrame();
    }, 0);
  }

  private render(): void {
    render(html`<div id="run-panel" class="panel" data-view=${this.view.kind}>${this.backToEval()}${this.content()}<div class="sr-only" aria-live="polite">${this.announcement}</div></div>`, this.root);
    if (this.view.kind === 'run') this.scheduleLayout(this.view);
    this.afterRender();
  }

  private afterRender(): void {
    if (this.restoreScroll && this.view.kind === 'run') {
      this.restoreScroll = false;
      const list = this.root.querySelector<HTMLElement>('#step-list');
      const detail = this.root.querySelector<HTMLElement>('#detail');
      if (list && this.ui.listScroll) list.scrollTop = this.ui.listScroll;
      if (detail && this.ui.detailScroll) detail.scrollTop = this.ui.detailScroll;
    }
    if (this.focusSelection && this.ui.selectedStepId !== undefined) {
      this.focusSelection = false;
      const row = this.root.querySelector<HTMLElement>(`#step-list [data-step-id="${CSS.escape(this.ui.selectedStepId)}"]`);
      row?.focus();
      row?.scrollIntoView({ block: 'nearest' });
    }
  }

  private content(): TemplateResult | typeof nothing {
    const view = this.view;
    switch (view.kind) {
      case 'loading':
        return html`<div class="placeholder"><vscode-progress-ring aria-label="Loading"></vscode-progress-ring></div>`;
      case 'empty':
        return html`<div class="placeholder" id="empty">${view.message}</div>`;
      case 'compare':
        return compareView(
          { left: view.left, right: view.right, comparison: view.comparison, expanded: this.expanded, onlyChanged: this.onlyChanged },
          {
            toggle: (key, open) => this.toggle(key, open),
            toggleOnlyChanged: () => {
              this.onlyChanged = !this.onlyChanged;
              this.requestFrame();
            },
          },
        );
      case 'eval':
        return evalGridView(
          { grid: view.grid, onlyFailures: this.onlyFailures, expanded: this.expanded },
          {
            open: (key) => this.host.command('eval/open', { id: view.grid.id, key }),
            toggle: (key, open) => this.toggle(key, open),
            toggleOnlyFailures: () => {
              this.onlyFailures = !this.onlyFailures;
              this.requestFrame();
            },
            markdown: (key, text) => this.renderMarkdown(key, text),
          },
        );
      case 'run':
        return runView(
          {
            header: view.header,
            model: view.model,
            now: Date.now(),
            selectedStepId: this.ui.selectedStepId,
            selectedVisit: this.ui.selectedVisit,
            tab: this.ui.tab ?? 'output',
            raw: this.ui.raw ?? false,
            expanded: this.expanded,
            graph: { hidden: this.ui.graphHidden ?? false, layout: view.layout, tooLarge: view.outline.steps.length > GRAPH_STEP_LIMIT && !view.forceGraph },
            pauseRequested: this.pauseRequested,
            busy: this.busy,
            notice: this.notice,
          },
          {
            select: (id, reveal) => this.select(id, reveal),
            selectVisit: (visit) => {
              this.ui.selectedVisit = visit;
              this.saveUiState();
              this.requestFrame();
            },
            setTab: (tab: DetailTab) => {
              this.ui.tab = tab;
              this.saveUiState();
              this.requestFrame();
              requestAnimationFrame(() => this.root.querySelector<HTMLElement>(`#tab-${tab}`)?.focus());
            },
            toggleRaw: () => {
              this.ui.raw = !(this.ui.raw ?? false);
              this.saveUiState();
              this.requestFrame();
            },
            toggle: (key, open) => this.toggle(key, open),
            toggleGraph: () => {
              this.ui.graphHidden = !(this.ui.graphHidden ?? false);
              this.saveUiState();
              this.requestFrame();
            },
            showLargeGraph: () => {
              view.forceGraph = true;
              this.requestFrame();
            },
            control: (action) => void this.control(action),
            rerun: (stepId) => void this.rerun(stepId),
            copy: (text) => this.copy(text),
            markdown: (key, text) => this.renderMarkdown(key, text),
            onListKey: this.onListKey,
            moveStep: (stepId, toStepId) => this.host.command('step/move', { stepId, toStepId }),
          },
        );
    }
  }

  /** Above a run opened from an eval's grid: the way back to the grid. */
  private backToEval(): TemplateResult | typeof nothing {
    const from = this.view.kind === 'run' ? this.view.fromEval : undefined;
    if (!from) return nothing;
    return html`<div class="eval-back"><vscode-button id="eval-back" secondary icon="arrow-left" @click=${() => this.host.command('eval/back', { id: from.id })}>Results: ${from.title}</vscode-button></div>`;
  }
}
