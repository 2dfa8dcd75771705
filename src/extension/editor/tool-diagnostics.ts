/**
 * The editor's tool problems (src/authoring/tool-references.ts) as diagnostics: checked
 * when a workflow opens or changes, and again whenever a server's tools arrive. They
 * are a collection of their own because they come later than the analyzer's (a server
 * takes a while to start), with the same source and codes as every other problem.
 */
import * as vscode from 'vscode';
import { checkToolReferences } from '../../authoring/tool-references';
import { PerDocumentDebounce } from './debounce';
import { toDiagnostics } from './diagnostics';
import type { WorkflowDocuments } from './documents';
import type { EditorToolCatalog } from './tool-catalog';

export class ToolDiagnostics implements vscode.Disposable {
  private readonly collection = vscode.languages.createDiagnosticCollection('orchestrate-tools');
  private readonly debounce = new PerDocumentDebounce((document) => this.update(document));
  private readonly subscriptions: vscode.Disposable[] = [];

  constructor(
    private readonly documents: WorkflowDocuments,
    private readonly tools: EditorToolCatalog,
  ) {
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
      documents.onDidChangeSelector(() => this.updateAll()),
      tools.onDidChange(() => this.updateAll()),
    );
    this.updateAll();
  }

  private update(document: vscode.TextDocument): void {
    this.cancel(document.uri);
    if (!this.documents.isWorkflow(document)) {
      this.collection.delete(document.uri);
      return;
    }
    const parsed = this.documents.get(document);
    const workflow = parsed.workflow;
    const problems = workflow ? checkToolReferences(workflow, this.tools.viewFor(document, workflow)) : [];
    this.collection.set(document.uri, toDiagnostics(problems, parsed.text, document));
  }

  private schedule(document: vscode.TextDocument): void {
    if (this.documents.isWorkflow(document)) this.debounce.schedule(document);
  }

  private cancel(uri: vscode.Uri): void {
    this.debounce.cancel(uri);
  }

  private updateAll(): void {
    for (const document of vscode.workspace.textDocuments) this.update(document);
  }

  dispose(): void {
    this.debounce.dispose();
    this.subscriptions.forEach((s) => s.dispose());
  }
}
