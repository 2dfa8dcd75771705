/** Writing a generated or imported workflow into the workspace and opening it. */
import * as path from 'node:path';
import * as vscode from 'vscode';

/** A file name no file in `dir` has yet: `name.workflow.yaml`, `name-2.workflow.yaml`… */
export async function freeUri(dir: vscode.Uri, stem: string): Promise<vscode.Uri> {
  const clean = stem.toLowerCase().replace(/[^a-z0-9]+/g, '-').replace(/^-+|-+$/g, '').slice(0, 48) || 'workflow';
  for (let n = 1; ; n++) {
    const uri = vscode.Uri.joinPath(dir, `${clean}${n === 1 ? '' : `-${n}`}.workflow.yaml`);
    try {
      await vscode.workspace.fs.stat(uri);
    } catch {
      return uri;
    }
  }
}

/** Creates the file with one WorkspaceEdit (undoable) and opens it. */
export async function createAndOpen(uri: vscode.Uri, text: string): Promise<vscode.TextEditor | undefined> {
  const edit = new vscode.WorkspaceEdit();
  edit.createFile(uri, { overwrite: false, contents: new TextEncoder().encode(text) });
  if (!(await vscode.workspace.applyEdit(edit))) {
    void vscode.window.showWarningMessage(`Could not create ${path.basename(uri.fsPath)}.`);
    return undefined;
  }
  const document = await vscode.workspace.openTextDocument(uri);
  await document.save();
  return vscode.window.showTextDocument(document);
}

/** The first workspace folder, or undefined in an empty window. */
export function workspaceDir(): vscode.Uri | undefined {
  return vscode.workspace.workspaceFolders?.[0]?.uri;
}
