/**
 * A diagnostics collection that follows the open workflow files: checked when one opens,
 * again a moment after each edit (the latest edit wins, a closed file is skipped),
 * cleared when it closes, and checked again whenever one of `refreshOn` fires. The
 * analyzer's problems and the tool checks are two of these, told apart by what they
 * check (`problemsOf`) and when else they refresh.
 */
import * as vscode from 'vscode';
import type { Problem } from '../../engine';
import type { ParsedWorkflow } from '../language/parsed';
import { toDiagnosticSpecs } from '../language/quick-fixes';
import type { WorkflowDocuments } from './documents';

/** Every collection's problems carry this source: quick fixes know them by it. */
export const DIAGNOSTIC_SOURCE = 'orchestrate';

const DEBOUNCE_MS = 150;

const SEVERITY: Record<Problem['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export class DocumentDiagnostics implements vscode.Disposable {
  readonly collection: vscode.DiagnosticCollection;
  private readonly timers = new Map<string, ReturnType<typeof setTimeout>>();
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    name: string,
    private readonly documents: WorkflowDocuments,
    private readonly problemsOf: (document: vscode.TextDocument, parsed: ParsedWorkflow) => Problem[],
    refreshOn: readonly vscode.Event<unknown>[],
  ) {
    this.collection = vscode.languages.createDiagnosticCollection(name);
    this.subscriptions.push(
      this.collection,
      vscode.workspace.onDidOpenTextDocument((document) => this.update(document)),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.contentChanges.length > 0 && documents.isWorkflow(event.document)) this.schedule(event.document);
      }),
      vscode.workspace.onDidCloseTextDocument((document) => {
        this.cancel(document.uri);
        this.collection.delete(document.uri);
      }),
      ...refreshOn.map((event) => event(() => this.refreshAll())),
    );
    this.refreshAll();
  }

  /** Checks now (when it is a workflow) and publishes the problems; returns them. */
  update(document: vscode.TextDocument): Problem[] {
    this.cancel(document.uri);
    if (!this.documents.isWorkflow(document)) {
      this.collection.delete(document.uri);
      return [];
    }
    const parsed = this.documents.get(document);
    const problems = this.problemsOf(document, parsed);
    this.collection.set(document.uri, toDiagnostics(problems, parsed.text, document));
    return problems;
  }

  private schedule(document: vscode.TextDocument): void {
    this.cancel(document.uri);
    const key = document.uri.toString();
    this.timers.set(
      key,
      setTimeout(() => {
        this.timers.delete(key);
        if (!document.isClosed) this.update(document);
      }, DEBOUNCE_MS),
    );
  }

  private cancel(uri: vscode.Uri): void {
    const key = uri.toString();
    clearTimeout(this.timers.get(key));
    this.timers.delete(key);
  }

  private refreshAll(): void {
    for (const document of vscode.workspace.textDocuments) this.update(document);
  }

  dispose(): void {
    for (const timer of this.timers.values()) clearTimeout(timer);
    this.timers.clear();
    this.subscriptions.forEach((s) => s.dispose());
  }
}

export function toDiagnostics(problems: readonly Problem[], text: string, document: vscode.TextDocument): vscode.Diagnostic[] {
  return toDiagnosticSpecs(problems, text).map((spec) => diagnostic(spec, new vscode.Range(document.positionAt(spec.offset), document.positionAt(spec.endOffset))));
}

export function diagnostic(spec: ReturnType<typeof toDiagnosticSpecs>[number], range: vscode.Range): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(range, spec.message, SEVERITY[spec.severity]);
  diagnostic.code = spec.code;
  diagnostic.source = DIAGNOSTIC_SOURCE;
  if (spec.code === 'unreachable-step') diagnostic.tags = [vscode.DiagnosticTag.Unnecessary];
  return diagnostic;
}
