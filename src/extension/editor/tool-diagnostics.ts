/**
 * The editor's tool problems (src/authoring/tool-references.ts) as diagnostics: checked
 * when a workflow opens or changes, and again whenever a server's tools arrive. They
 * are a collection of their own because they come later than the analyzer's (a server
 * takes a while to start), with the same source and codes as every other problem.
 */
import type * as vscode from 'vscode';
import { checkToolReferences } from '../../authoring/tool-references';
import { DocumentDiagnostics } from './document-diagnostics';
import type { WorkflowDocuments } from './documents';
import type { EditorToolCatalog } from './tool-catalog';

export function toolDiagnostics(documents: WorkflowDocuments, tools: EditorToolCatalog): vscode.Disposable {
  return new DocumentDiagnostics(
    'orchestrate-tools',
    documents,
    (document, parsed) => (parsed.workflow ? checkToolReferences(parsed.workflow, tools.viewFor(document, parsed.workflow)) : []),
    [documents.onDidChangeSelector, tools.onDidChange],
  );
}
