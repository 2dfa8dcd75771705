/**
 * Refactorings offered on the step at the cursor (the light bulb): move, duplicate,
 * remove, extract the selected steps, inline a sub-workflow call. Each runs the
 * matching step command, so code actions and the palette make the same edit.
 */
import * as vscode from 'vscode';
import { layoutOf, stepAt } from '../../authoring/edits';
import type { WorkflowDocuments } from '../editor/documents';
import type { StepTarget } from './step-commands';

export function registerStepCodeActions(documents: WorkflowDocuments): vscode.Disposable {
  const provider: vscode.CodeActionProvider = {
    provideCodeActions(document, range) {
      if (!documents.isWorkflow(document)) return [];
      let found;
      try {
        found = stepAt(layoutOf(document.getText()), document.offsetAt(range.start));
      } catch {
        return [];
      }
      if (!found) return [];
      const { list, index, block } = found;
      const target: StepTarget = { uri: document.uri, stepId: block.id };
      const action = (title: string, command: string, kind = vscode.CodeActionKind.RefactorRewrite) => {
        const a = new vscode.CodeAction(title, kind);
        a.command = { title, command, arguments: [target] };
        return a;
      };
      const actions: vscode.CodeAction[] = [];
      if (index > 0) actions.push(action(`Move \`${block.id}\` up`, 'orchestrate.step.moveUp'));
      if (index < list.blocks.length - 1) actions.push(action(`Move \`${block.id}\` down`, 'orchestrate.step.moveDown'));
      actions.push(action(`Duplicate \`${block.id}\``, 'orchestrate.step.duplicate'));
      if (list.blocks.length > 1) actions.push(action(`Remove \`${block.id}\`…`, 'orchestrate.step.remove'));
      const extract = new vscode.CodeAction(range.isEmpty ? `Extract \`${block.id}\` into a sub-workflow…` : 'Extract the selected steps into a sub-workflow…', vscode.CodeActionKind.RefactorExtract);
      extract.command = { title: extract.title, command: 'orchestrate.step.extract' };
      actions.push(extract);
      if (block.node.has('uses')) actions.push(action(`Inline the sub-workflow of \`${block.id}\``, 'orchestrate.step.inline', vscode.CodeActionKind.RefactorInline));
      return actions;
    },
  };
  return vscode.languages.registerCodeActionsProvider({ language: 'yaml', scheme: 'file' }, provider, {
    providedCodeActionKinds: [vscode.CodeActionKind.RefactorRewrite, vscode.CodeActionKind.RefactorExtract, vscode.CodeActionKind.RefactorInline],
  });
}
