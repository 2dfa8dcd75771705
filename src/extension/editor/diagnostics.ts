/**
 * Problems from `checkWorkflow` as diagnostics, live as you type (a burst of keystrokes
 * costs one analysis: see DocumentDiagnostics), and for files that are not open when
 * the validate command checks the workspace.
 */
import * as vscode from 'vscode';
import type { Problem } from '../../engine';
import { toDiagnosticSpecs } from '../language/quick-fixes';
import { diagnostic, DIAGNOSTIC_SOURCE, DocumentDiagnostics } from './document-diagnostics';
import { analyze, workflowFileName, type WorkflowDocuments } from './documents';

export { DIAGNOSTIC_SOURCE };

export class WorkflowDiagnostics implements vscode.Disposable {
  private readonly live: DocumentDiagnostics;

  constructor(documents: WorkflowDocuments) {
    this.live = new DocumentDiagnostics(DIAGNOSTIC_SOURCE, documents, (_document, parsed) => parsed.problems, [documents.onDidChangeSelector, documents.onDidChangeFiles]);
  }

  /** Analyzes now (when it is a workflow) and publishes the problems; returns them. */
  update(document: vscode.TextDocument): Problem[] {
    return this.live.update(document);
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
    this.live.collection.set(
      uri,
      toDiagnosticSpecs(parsed.problems, text).map((spec) => diagnostic(spec, new vscode.Range(positionAt(spec.offset), positionAt(spec.endOffset)))),
    );
    return parsed.problems;
  }

  dispose(): void {
    this.live.dispose();
  }
}
