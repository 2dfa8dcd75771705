/**
 * Problems from `checkWorkflow` as diagnostics, live as you type: each edit restarts a
 * short timer per document, so a burst of keystrokes costs one analysis.
 */
import * as vscode from 'vscode';
import type { Problem } from '../../engine';
import { toDiagnosticSpecs } from '../language/quick-fixes';
import { PerDocumentDebounce } from './debounce';
import { analyze, workflowFileName, type WorkflowDocuments } from './documents';

export const DIAGNOSTIC_SOURCE = 'orchestrate';

const SEVERITY: Record<Problem['severity'], vscode.DiagnosticSeverity> = {
  error: vscode.DiagnosticSeverity.Error,
  warning: vscode.DiagnosticSeverity.Warning,
  info: vscode.DiagnosticSeverity.Information,
};

export class WorkflowDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection(DIAGNOSTIC_SOURCE);
  private readonly debounce = new PerDocumentDebounce((document) => this.update(document));
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(private readonly documents: WorkflowDocuments) {
    this.subscriptions.push(
      this.collection,
      vscode.workspace.onDidOpenTextDocument((document) => this.update(document)),
      vscode.workspace.onDidChangeTextDocument((event) => {
        if (event.contentChanges.length > 0) this.schedule(event.document);
      }),
      vscode.workspace.onDidCloseTextDocument((document) => {
        this.cancel(document.uri);
        this.collection.delete(document.uri);
      }),
      documents.onDidChangeSelector(() => this.refreshAll()),
      documents.onDidChangeFiles(() => this.refreshAll()),
    );
    this.refreshAll();
  }

  /** Analyzes now (when it is a workflow) and publishes the problems; returns them. */
  update(document: vscode.TextDocument): Problem[] {
    this.cancel(document.uri);
    if (!this.documents.isWorkflow(document)) {
      this.collection.delete(document.uri);
      return [];
    }
    const parsed = this.documents.get(document);
    this.collection.set(document.uri, toDiagnostics(parsed.problems, parsed.text, document));
    return parsed.problems;
  }

  /** Checks a file that may not be open (the validate command over the workspace). */
  async updateFile(uri: vscode.Uri): Promise<Problem[]> {
    const open = vscode.workspace.textDocuments.find((d) => d.uri.toString() === uri.toString());
    if (open) return this.update(open);
    const text = new TextDecoder().decode(await vscode.workspace.fs.readFile(uri));
    const parsed = analyze(text, workflowFileName(uri));
    const lines = text.split(/\r?\n/);
    // No TextDocument for a closed file: convert offsets by counting lines ourselves.
    const positionAt = (offset: number) => {
      const position = parsed.result.source.position(offset);
      return new vscode.Position(position.line - 1, Math.min(position.column - 1, lines[position.line - 1]?.length ?? 0));
    };
    this.collection.set(
      uri,
      toDiagnosticSpecs(parsed.problems, text).map((spec) => diagnostic(spec, new vscode.Range(positionAt(spec.offset), positionAt(spec.endOffset)))),
    );
    return parsed.problems;
  }

  private schedule(document: vscode.TextDocument): void {
    if (this.documents.isWorkflow(document)) this.debounce.schedule(document);
  }

  private cancel(uri: vscode.Uri): void {
    this.debounce.cancel(uri);
  }

  private refreshAll(): void {
    for (const document of vscode.workspace.textDocuments) this.update(document);
  }

  dispose(): void {
    this.debounce.dispose();
    this.subscriptions.forEach((s) => s.dispose());
  }
}

export function toDiagnostics(problems: readonly Problem[], text: string, document: vscode.TextDocument): vscode.Diagnostic[] {
  return toDiagnosticSpecs(problems, text).map((spec) => diagnostic(spec, new vscode.Range(document.positionAt(spec.offset), document.positionAt(spec.endOffset))));
}

function diagnostic(spec: ReturnType<typeof toDiagnosticSpecs>[number], range: vscode.Range): vscode.Diagnostic {
  const diagnostic = new vscode.Diagnostic(range, spec.message, SEVERITY[spec.severity]);
  diagnostic.code = spec.code;
  diagnostic.source = DIAGNOSTIC_SOURCE;
  if (spec.code === 'unreachable-step') diagnostic.tags = [vscode.DiagnosticTag.Unnecessary];
  return diagnostic;
}
