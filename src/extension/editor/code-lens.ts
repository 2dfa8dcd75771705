/**
 * CodeLens adapter: the lenses come from `computeLenses` over the cached analysis and
 * this file's run state; they refresh (at most every 100 ms) as runs emit events, when
 * workspace trust is granted, and when the globs change.
 */
import * as vscode from 'vscode';
import { computeLenses } from '../language/lenses';
import type { RunSessions, RunStatusIndex } from '../runs/session';
import type { WorkflowDocuments } from './documents';

const REFRESH_MS = 100;

export class WorkflowCodeLens implements vscode.CodeLensProvider, vscode.Disposable {
  private readonly changed = new vscode.EventEmitter<void>();
  readonly onDidChangeCodeLenses = this.changed.event;
  private timer: NodeJS.Timeout | undefined;
  private readonly subscriptions: vscode.Disposable[] = [];
  private registration: vscode.Disposable;

  constructor(
    private readonly documents: WorkflowDocuments,
    private readonly runs: RunSessions & RunStatusIndex,
  ) {
    this.registration = vscode.languages.registerCodeLensProvider(documents.selector, this);
    this.subscriptions.push(
      this.changed,
      runs.onDidChange(() => this.refreshSoon()),
      vscode.workspace.onDidGrantWorkspaceTrust(() => this.changed.fire()),
      documents.onDidChangeSelector(() => {
        this.registration.dispose();
        this.registration = vscode.languages.registerCodeLensProvider(documents.selector, this);
      }),
    );
  }

  provideCodeLenses(document: vscode.TextDocument): vscode.CodeLens[] {
    const parsed = this.documents.get(document);
    const specs = computeLenses(parsed, {
      trusted: vscode.workspace.isTrusted,
      status: this.runs.statusFor(document.uri),
      active: this.runs.activeFor(document.uri),
    });
    const lines = new Map<number, vscode.Range>();
    return specs.map((spec) => {
      const line = document.positionAt(spec.offset).line;
      let range = lines.get(line);
      if (!range) lines.set(line, (range = new vscode.Range(line, 0, line, 0)));
      const args = spec.command.startsWith('orchestrate.') ? [document.uri, ...spec.args] : spec.args;
      return new vscode.CodeLens(range, { title: spec.title, command: spec.command, arguments: args, tooltip: spec.tooltip });
    });
  }

  /** Run events can come by the hundred per second; the editor needs a few refreshes. */
  private refreshSoon(): void {
    if (this.timer) return;
    this.timer = setTimeout(() => {
      this.timer = undefined;
      this.changed.fire();
    }, REFRESH_MS);
  }

  dispose(): void {
    clearTimeout(this.timer);
    this.registration.dispose();
    this.subscriptions.forEach((s) => s.dispose());
  }
}
