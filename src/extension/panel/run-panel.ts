/**
 * The run panel's host side: one webview panel beside the editor, showing a run
 * of this window live, a past run from its trace, or two runs compared. It opens
 * whenever a run starts, and a serializer brings it back after a reload (showing
 * again what it showed, read from disk: sessions do not survive a reload). A run on
 * a connected server (src/extension/server) is shown from its trace like a past
 * run, and followed through its events while it goes on; Stop cancels it there.
 * (A little over 400 lines: what it shows, its channel and the controls are one state machine.)
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { EventBatcher, FRAME_MS } from '../../shared/event-batcher';
import { isOpenableLink, PANEL_VIEW_TYPE, parseUiState, type ControlAction, type PanelSource } from '../../shared/protocol';
import { outlineOf } from '../../shared/workflow-outline';
import type { RunEvent, Workflow } from '../../engine';
import type { RunManager, RunSession } from '../runs/session';
import { followAfterTrace, type ServerRunSource } from '../server/server-run-content';
import { PanelChannel, type ChannelHandlers } from './channel';
import { EvalResults, type EvalFeedEvent, type KeptEval } from './eval-results';
import { newNonce, panelHtml } from './html';
import { compareSide, loadTraceRun, sessionShowParams, traceShowParams, type TraceRun } from './panel-content';

type Content =
  | { kind: 'empty'; message: string }
  | { kind: 'session'; session: RunSession; ended: boolean }
  | { kind: 'trace'; run: TraceRun; fromEval?: { id: string; title: string } }
  | { kind: 'server'; location: string; run: TraceRun; live: boolean }
  | { kind: 'compare'; left: TraceRun; right: TraceRun }
  | { kind: 'eval'; id: string };

const NOTHING_YET = 'No run yet. Run a workflow (the ▶ Run lens above its steps, or Orchestrate: Run Workflow) and it shows here; past runs are in the Orchestrate view.';

export class RunPanel implements vscode.Disposable {
  private panel: vscode.WebviewPanel | undefined;
  private channel: PanelChannel | undefined;
  private content: Content = { kind: 'empty', message: NOTHING_YET };
  /** Listeners of the panel itself, dropped with it. */
  private panelDisposables: vscode.Disposable[] = [];
  /** The live session's subscription and batcher, replaced with the content. */
  private contentDisposables: vscode.Disposable[] = [];
  private readonly disposables: vscode.Disposable[] = [];
  private readonly evals = new EvalResults();
  private evalFlush: ReturnType<typeof setTimeout> | undefined;

  constructor(
    private readonly extensionUri: vscode.Uri,
    private readonly manager: RunManager,
    private readonly log?: vscode.LogOutputChannel,
    private readonly server?: ServerRunSource,
  ) {
    this.disposables.push(manager.onDidStartRun((session) => this.showSession(session)));
  }

  /** What the panel shows: the run's id, where it was read from, and whether it is followed live (tests read this). */
  get shown(): { kind: Content['kind']; runId?: string; location?: string; live: boolean; events: number } {
    const content = this.content;
    switch (content.kind) {
      case 'session':
        return { kind: 'session', runId: content.session.runId, live: !content.ended, events: content.session.events.length };
      case 'trace':
      case 'server':
        return { kind: content.kind, runId: content.run.trace.started.runId, location: content.run.trace.file, live: content.kind === 'server' && content.live, events: content.run.trace.events.length };
      default:
        return { kind: content.kind, live: false, events: 0 };
    }
  }

  private get webviewRoot(): vscode.Uri {
    return vscode.Uri.joinPath(this.extensionUri, 'dist', 'webview');
  }

  // ─── What to show ─────────────────────────────────────────────────────────

  /** Shows a run of this window, live. Opens the panel beside the editor if it is closed. */
  showSession(session: RunSession): void {
    const content: Content = { kind: 'session', session, ended: session.events.some((e) => isEndEvent(e)) };
    this.setContent(content);
    this.ensurePanel(true);
    this.subscribe(content);
    this.sendContent();
  }

  /** Shows a past run from its trace file (`fromEval`: opened from that eval's grid). */
  async showTrace(file: string, fromEval?: { id: string; title: string }): Promise<void> {
    if (this.server?.owns(file)) return this.showServerRun(file);
    const live = this.liveSessionFor(file);
    if (live) return this.showSession(live);
    try {
      const run = await loadTraceRun(file);
      this.setContent(fromEval ? { kind: 'trace', run, fromEval } : { kind: 'trace', run });
    } catch (error) {
      this.setContent({ kind: 'empty', message: `Cannot show ${file}: ${error instanceof Error ? error.message : String(error)}` });
    }
    this.ensurePanel(false);
    this.sendContent();
  }

  /** Shows a run on the connected server from its trace, and follows it while it goes on. */
  private async showServerRun(location: string): Promise<void> {
    try {
      const { run, live } = await this.server!.load(location);
      const content: Content = { kind: 'server', location, run, live };
      this.setContent(content);
      if (live) this.followServerRun(content);
    } catch (error) {
      this.setContent({ kind: 'empty', message: `Cannot show ${location}: ${error instanceof Error ? error.message : String(error)}` });
    }
    this.ensurePanel(false);
    this.sendContent();
  }

  /** A run read from a trace file or from a server, for Compare. */
  private loadRun(location: string): Promise<TraceRun> {
    return this.server?.owns(location) ? this.server.load(location).then((loaded) => loaded.run) : loadTraceRun(location);
  }

  async showCompare(leftFile: string, rightFile: string): Promise<void> {
    try {
      const [left, right] = await Promise.all([this.loadRun(leftFile), this.loadRun(rightFile)]);
      this.setContent({ kind: 'compare', left, right });
    } catch (error) {
      this.setContent({ kind: 'empty', message: `Cannot compare: ${error instanceof Error ? error.message : String(error)}` });
    }
    this.ensurePanel(false);
    this.sendContent();
  }

  // ─── Evals ────────────────────────────────────────────────────────────────

  /** A test run's progress: kept, and shown as a grid once it is an eval (two case runs or more). */
  onEvalFeed(event: EvalFeedEvent): void {
    const kept = this.evals.apply(event);
    if (!kept) return;
    if (this.content.kind === 'eval' && this.content.id === kept.id) this.scheduleEvalFlush(kept);
    // One case run leaves the panel as it is; the second makes it an eval worth a grid.
    else if (event.type === 'result' && kept.rows.length === 2) this.showEval(kept.id);
  }

  /** Shows an eval's grid; false when the eval is not kept (any more). */
  showEval(id: string): boolean {
    if (!this.evals.get(id)) return false;
    this.setContent({ kind: 'eval', id });
    this.ensurePanel(true);
    this.sendContent();
    return true;
  }

  /** Rows arrive as fast as case runs finish: posted at most once a frame. */
  private scheduleEvalFlush(kept: KeptEval): void {
    if (this.evalFlush !== undefined) return;
    this.evalFlush = setTimeout(() => {
      this.evalFlush = undefined;
      const rows = this.evals.takePending(kept);
      if (this.content.kind === 'eval' && this.content.id === kept.id && this.channel?.isReady) this.channel.notify('eval/rows', { id: kept.id, rows, running: kept.running });
    }, FRAME_MS);
  }

  /** Opens the panel on a run of this window, or the current run, or what it showed last. */
  show(runId?: string): void {
    const session = runId === undefined ? undefined : this.manager.sessionFor(runId);
    if (session) return this.showSession(session);
    if (this.content.kind === 'empty' && this.manager.current) return this.showSession(this.manager.current);
    this.ensurePanel(false);
    this.sendContent();
  }

  /** Selects a step in the panel, if the panel shows its run. */
  selectStep(stepId: string): void {
    this.channel?.notify('step/select', { stepId });
  }

  /** Adopts a panel VS Code restored after a reload, and shows again what it showed. */
  async restore(panel: vscode.WebviewPanel, rawState: unknown): Promise<void> {
    const state = parseUiState(rawState);
    this.adopt(panel);
    await this.showSource(state.source);
  }

  private async showSource(source: PanelSource | undefined): Promise<void> {
    if (source?.kind === 'session') {
      const session = this.manager.sessionFor(source.runId);
      if (session) return this.showSession(session);
      if (source.traceFile) return this.showTrace(source.traceFile);
    } else if (source?.kind === 'trace') {
      return this.showTrace(source.traceFile);
    } else if (source?.kind === 'compare') {
      return this.showCompare(source.left, source.right);
    } else if (source?.kind === 'eval' && this.showEval(source.id)) {
      return;
    }
    if (this.manager.current) return this.showSession(this.manager.current);
    this.setContent({ kind: 'empty', message: NOTHING_YET });
    this.sendContent();
  }

  /** A session of this window recording to `traceFile` (traces are named `<run-id>.jsonl`). */
  private liveSessionFor(traceFile: string): RunSession | undefined {
    return this.manager.sessionFor(path.basename(traceFile, '.jsonl'));
  }

  private setContent(content: Content): void {
    vscode.Disposable.from(...this.contentDisposables).dispose();
    this.contentDisposables = [];
    this.content = content;
    if (this.panel) this.panel.title = this.title();
  }

  /** Forwards the session's events to the webview, at most one post per frame. */
  private subscribe(content: Extract<Content, { kind: 'session' }>): void {
    const { session } = content;
    const batcher = new EventBatcher((events) => this.channel?.notify('run/events', { runId: session.runId, events }));
    this.liveBatcher = batcher;
    this.contentDisposables.push(
      {
        dispose: () => {
          batcher.dispose();
          if (this.liveBatcher === batcher) this.liveBatcher = undefined;
        },
      },
      session.onEvent((event) => {
        batcher.push(event);
        if (isEndEvent(event)) {
          content.ended = true;
          if (this.panel) this.panel.title = this.title();
        }
      }),
    );
  }

  /** Forwards a server run's events after its trace to the webview, at most one post per frame. */
  private followServerRun(content: Extract<Content, { kind: 'server' }>): void {
    const runId = content.run.trace.started.runId;
    const batcher = new EventBatcher((events) => this.channel?.notify('run/events', { runId, events }));
    this.liveBatcher = batcher;
    const follower = followAfterTrace(this.server!, content.location, content.run.trace, {
      onEvent: (event) => batcher.push(event),
      onEnd: () => {
        content.live = false;
        if (this.panel && this.content === content) this.panel.title = this.title();
      },
      onError: (message) => this.log?.warn(`run panel: following ${content.location}: ${message}`),
    });
    this.contentDisposables.push({
      dispose: () => {
        follower.dispose();
        batcher.dispose();
        if (this.liveBatcher === batcher) this.liveBatcher = undefined;
      },
    });
  }

  /** The batcher of the live session shown, if any. */
  private liveBatcher: EventBatcher | undefined;

  // ─── The panel ────────────────────────────────────────────────────────────

  private ensurePanel(fromRun: boolean): void {
    if (this.panel) {
      // A run starting should not steal focus from the editor it was started in.
      if (!this.panel.visible) this.panel.reveal(undefined, fromRun);
      return;
    }
    const panel = vscode.window.createWebviewPanel(PANEL_VIEW_TYPE, this.title(), { viewColumn: vscode.ViewColumn.Beside, preserveFocus: fromRun }, {});
    this.adopt(panel);
  }

  private adopt(panel: vscode.WebviewPanel): void {
    this.disposePanel();
    this.panel = panel;
    panel.title = this.title();
    panel.webview.options = { enableScripts: true, enableCommandUris: false, localResourceRoots: [this.webviewRoot] };
    const handlers: ChannelHandlers = {
      onReady: () => this.sendContent(),
      onCommand: (message) => {
        switch (message.method) {
          case 'step/reveal':
            void this.revealStep(message.params.stepId);
            break;
          case 'link/open':
            if (isOpenableLink(message.params.href)) void vscode.env.openExternal(vscode.Uri.parse(message.params.href, true));
            break;
          case 'webview/error':
            this.log?.error(`run panel: ${message.params.message}`);
            break;
          case 'step/move': {
            const shown = this.shownWorkflow();
            if (shown) void vscode.commands.executeCommand('orchestrate.step.moveTo', { uri: shown.uri, ...message.params });
            break;
          }
          case 'eval/open': {
            // By the row's key: the webview never names a file to open.
            const kept = this.evals.get(message.params.id);
            const trace = kept?.traces.get(message.params.key);
            if (kept && trace) void this.showTrace(trace, { id: kept.id, title: kept.title });
            break;
          }
          case 'eval/back':
            this.showEval(message.params.id);
            break;
        }
      },
      requests: {
        'run/control': async ({ runId, action }) => ({ accepted: await this.control(runId, action) }),
        'run/rerun': async ({ runId, stepId }) => {
          const file = this.workflowFileOf(runId);
          if (!file) throw new Error('This run’s workflow file is not known or no longer exists.');
          const session = await this.manager.start(vscode.Uri.file(file), 'run-from-here', stepId);
          if (!session) throw new Error('The run did not start (see the Orchestrate output).');
          return { runId: session.runId };
        },
        'clipboard/write': async ({ text }) => {
          await vscode.env.clipboard.writeText(text);
          return {};
        },
      },
      onInvalid: (message) => this.log?.warn(`run panel: ignored a malformed message: ${JSON.stringify(message)?.slice(0, 200)}`),
    };
    const channel = new PanelChannel(panel.webview, handlers);
    this.channel = channel;
    this.panelDisposables.push(
      channel,
      // A hidden panel loses its page (no retainContextWhenHidden: it costs memory for every run
      // shown); when shown again the page reloads and says `ready`, and gets everything again.
      panel.onDidChangeViewState(() => {
        if (!panel.visible) channel.reset();
      }),
      panel.onDidDispose(() => {
        // Closed by the person: stop forwarding; the next run opens a new panel.
        this.panel = undefined;
        this.disposePanel();
        vscode.Disposable.from(...this.contentDisposables).dispose();
        this.contentDisposables = [];
        if (this.content.kind === 'session') this.content = { kind: 'empty', message: NOTHING_YET };
      }),
    );
    panel.webview.html = this.html(panel.webview);
  }

  private html(webview: vscode.Webview): string {
    const asset = (name: string) => webview.asWebviewUri(vscode.Uri.joinPath(this.webviewRoot, name)).toString();
    // A fresh nonce each time the HTML is set: a nonce is only worth anything while it is unguessable.
    return panelHtml({
      cspSource: webview.cspSource,
      nonce: newNonce(),
      scriptUri: asset('panel.js'),
      styleUri: asset('panel.css'),
      codiconUri: asset('codicon.css'),
      title: 'Orchestrate run',
    });
  }

  private title(): string {
    switch (this.content.kind) {
      case 'session':
        return `${this.content.ended ? '' : '▶ '}Run: ${this.content.session.workflow.name}`;
      case 'trace':
        return `Run: ${this.content.run.trace.started.workflow.name}`;
      case 'server':
        return `${this.content.live ? '▶ ' : ''}Run: ${this.content.run.trace.started.workflow.name}`;
      case 'compare':
        return `Compare: ${this.content.left.trace.started.workflow.name}`;
      case 'eval':
        return `Results: ${this.evals.get(this.content.id)?.title ?? 'tests'}`;
      default:
        return 'Orchestrate run';
    }
  }

  /** Posts the whole picture (after `ready`, or when the content changes). */
  private sendContent(): void {
    const channel = this.channel;
    if (!channel?.isReady) return;
    const content = this.content;
    switch (content.kind) {
      case 'empty':
        channel.notify('panel/empty', { message: content.message });
        break;
      case 'session':
        // `run/show` carries every event so far, so what waits in the batcher would arrive twice.
        this.liveBatcher?.clear();
        channel.notify('run/show', sessionShowParams(content.session, outlineOf(content.session.workflow), content.ended));
        break;
      case 'trace':
        channel.notify('run/show', content.fromEval ? { ...traceShowParams(content.run), fromEval: content.fromEval } : traceShowParams(content.run));
        break;
      case 'eval': {
        const kept = this.evals.get(content.id);
        if (kept) channel.notify('eval/show', this.evals.params(kept));
        else channel.notify('panel/empty', { message: NOTHING_YET });
        break;
      }
      case 'server': {
        // `run/show` carries every event so far, so what waits in the batcher would arrive twice.
        this.liveBatcher?.clear();
        const params = traceShowParams(content.run);
        // Re-run from a step runs here, not on the server: offered for local runs only.
        channel.notify('run/show', { ...params, header: { ...params.header, live: content.live, canRerun: false } });
        break;
      }
      case 'compare': {
        const source: PanelSource = { kind: 'compare', left: content.left.trace.file, right: content.right.trace.file };
        channel.notify('compare/show', { left: compareSide(content.left, source), right: compareSide(content.right, source) });
        break;
      }
    }
  }

  // ─── Requests ─────────────────────────────────────────────────────────────

  private control(runId: string, action: ControlAction): boolean | Promise<boolean> {
    const content = this.content;
    if (content.kind === 'server' && content.run.trace.started.runId === runId) {
      if (!content.live || !this.server) return false;
      // The server's API offers cancel only; the webview shows this message where the button is.
      if (action !== 'stop') throw new Error('A run on a server can be stopped from here, not paused or stepped.');
      return this.server.cancel(content.location);
    }
    const session = this.manager.sessionFor(runId);
    if (!session || session.events.some(isEndEvent)) return false;
    const { control } = session;
    if (action === 'pause') control.pause();
    else if (action === 'resume') control.resume();
    else if (action === 'step') control.step();
    else control.cancel('stopped from the run panel');
    return true;
  }

  private workflowFileOf(runId: string): string | undefined {
    const content = this.content;
    if (content.kind === 'session' && content.session.runId === runId) return content.session.workflowFile.fsPath;
    if (content.kind === 'trace' && content.run.trace.started.runId === runId && content.run.workflow) return content.run.workflowFile;
    return this.manager.sessionFor(runId)?.workflowFile.fsPath;
  }

  private shownWorkflow(): { workflow: Workflow; uri: vscode.Uri } | undefined {
    const content = this.content;
    if (content.kind === 'session') return { workflow: content.session.workflow, uri: content.session.workflowFile };
    if ((content.kind === 'trace' || content.kind === 'server') && content.run.workflow) return { workflow: content.run.workflow, uri: vscode.Uri.file(content.run.workflowFile) };
    return undefined;
  }

  /** Shows the step's `id:` in the workflow file, in the editor already showing it or the first column. */
  private async revealStep(stepId: string): Promise<void> {
    const shown = this.shownWorkflow();
    const step = shown?.workflow.stepsById.get(stepId);
    if (!shown || !step) return;
    const { start, end } = step.idRange;
    const range = new vscode.Range(start.line - 1, start.column - 1, end.line - 1, end.column - 1);
    const visible = vscode.window.visibleTextEditors.find((e) => e.document.uri.toString() === shown.uri.toString());
    const column = visible?.viewColumn ?? (this.panel?.viewColumn === vscode.ViewColumn.One ? vscode.ViewColumn.Two : vscode.ViewColumn.One);
    const editor = await vscode.window.showTextDocument(shown.uri, { viewColumn: column, selection: range, preserveFocus: false });
    editor.revealRange(range, vscode.TextEditorRevealType.InCenterIfOutsideViewport);
  }

  private disposePanel(): void {
    vscode.Disposable.from(...this.panelDisposables).dispose();
    this.panelDisposables = [];
    this.channel = undefined;
  }

  dispose(): void {
    clearTimeout(this.evalFlush);
    vscode.Disposable.from(...this.contentDisposables).dispose();
    this.contentDisposables = [];
    const panel = this.panel;
    this.panel = undefined;
    this.disposePanel();
    panel?.dispose();
    vscode.Disposable.from(...this.disposables).dispose();
  }
}

function isEndEvent(event: RunEvent): boolean {
  return event.type === 'run.completed' || event.type === 'run.failed' || event.type === 'run.cancelled';
}
