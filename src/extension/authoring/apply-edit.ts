/**
 * Turns an authoring edit into one WorkspaceEdit (text edits plus any new file), so a
 * single undo takes it all back; the diagnostics re-analyze the changed document.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { AuthoringError, type EditResult } from '../../authoring/edits';

export function toWorkspaceEdit(document: vscode.TextDocument, result: EditResult): vscode.WorkspaceEdit {
  const edit = new vscode.WorkspaceEdit();
  for (const extra of result.newFiles) {
    const uri = vscode.Uri.file(path.resolve(path.dirname(document.uri.fsPath), extra.path));
    edit.createFile(uri, { overwrite: false, contents: new TextEncoder().encode(extra.text) });
  }
  // Edits are computed with \n; a CRLF file keeps its line ends.
  const eol = (text: string) => (document.eol === vscode.EndOfLine.CRLF ? text.replace(/\r?\n/g, '\r\n') : text);
  for (const change of result.edits) {
    edit.replace(document.uri, new vscode.Range(document.positionAt(change.offset), document.positionAt(change.endOffset)), eol(change.newText));
  }
  return edit;
}

/** Applies the edit, puts the cursor where the edit says, and shows its notes. */
export async function applyAuthoringEdit(editor: vscode.TextEditor, compute: () => EditResult | Promise<EditResult>): Promise<boolean> {
  let result: EditResult;
  try {
    result = await compute();
  } catch (error) {
    if (error instanceof AuthoringError) {
      void vscode.window.showWarningMessage(error.message);
      return false;
    }
    throw error;
  }
  if (result.edits.length === 0) return true;
  const document = editor.document;
  const applied = await vscode.workspace.applyEdit(toWorkspaceEdit(document, result));
  if (!applied) {
    void vscode.window.showWarningMessage('The edit could not be applied (the file changed, or the new file already exists).');
    return false;
  }
  if (result.focus !== undefined) {
    const position = document.positionAt(result.focus);
    editor.selection = new vscode.Selection(position, position);
    editor.revealRange(new vscode.Range(position, position));
  }
  if (result.notes.length > 0) void vscode.window.showInformationMessage(result.notes.join(' · '));
  return true;
}
