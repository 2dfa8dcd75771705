/**
 * The step commands (palette, code actions, the panel): add, remove, move up/down,
 * duplicate, extract into a sub-workflow, inline. Each works on the step at the cursor
 * (or the one named by its arguments) and applies one undoable WorkspaceEdit.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import {
  addStep,
  duplicateStep,
  extractSteps,
  inlineStep,
  layoutOf,
  moveStep,
  moveStepOnto,
  moveStepTo,
  removeStep,
  STEP_KINDS,
  stepAt,
  type AddableKind,
  type EditResult,
} from '../../authoring/edits';
import type { WorkflowDocuments } from '../editor/documents';
import { workflowFileName } from '../editor/documents';
import { applyAuthoringEdit } from './apply-edit';

/** What a step command is called with: nothing (the cursor decides), or a document and a step id. */
export interface StepTarget {
  uri: vscode.Uri;
  stepId: string;
}

const KIND_LABELS: Record<AddableKind, string> = {
  prompt: 'prompt — one model call',
  set: 'set — compute a value, no model call',
  input: 'input — ask the person running it',
  switch: 'switch — jump by an expression',
  parallel: 'parallel — branches that run at once',
  workflow: 'workflow — run another workflow file (uses:)',
};

export function registerStepCommands(documents: WorkflowDocuments): vscode.Disposable[] {
  const on = (name: string, handler: (editor: vscode.TextEditor, stepId: string | undefined) => Promise<unknown>) =>
    vscode.commands.registerCommand(name, async (target?: StepTarget) => {
      const editor = await editorFor(documents, target?.uri);
      if (!editor) return false;
      const stepId = target?.stepId ?? stepIdAtCursor(editor);
      return handler(editor, stepId);
    });
  const needStep = (stepId: string | undefined): stepId is string => {
    if (stepId) return true;
    void vscode.window.showWarningMessage('Put the cursor inside a step first.');
    return false;
  };
  const file = (editor: vscode.TextEditor) => workflowFileName(editor.document.uri);
  const text = (editor: vscode.TextEditor) => editor.document.getText();
  const simple = (name: string, edit: (editor: vscode.TextEditor, stepId: string) => EditResult) =>
    on(name, async (editor, stepId) => needStep(stepId) && applyAuthoringEdit(editor, () => edit(editor, stepId)));

  return [
    on('orchestrate.step.add', async (editor, _stepId) => {
      const picked = await vscode.window.showQuickPick(
        STEP_KINDS.map((stepKind) => ({ label: stepKind, description: KIND_LABELS[stepKind].split(' — ')[1], stepKind })),
        { title: 'Add a step', placeHolder: 'The kind of step (it goes after the step at the cursor)' },
      );
      if (!picked) return false;
      const at = editor.document.offsetAt(editor.selection.active);
      return applyAuthoringEdit(editor, () => addStep(text(editor), { kind: picked.stepKind, at }));
    }),
    on('orchestrate.step.remove', async (editor, stepId) => {
      if (!needStep(stepId)) return false;
      // Nothing refers to it: nothing to choose.
      const referenced = documents.get(editor.document).occurrences.some((o) => o.target === 'step' && o.name === stepId && o.role !== 'definition');
      if (!referenced) return applyAuthoringEdit(editor, () => removeStep(text(editor), file(editor), stepId, 'flag'));
      const choice = await vscode.window.showQuickPick(
        [
          { label: 'Rewire references', description: 'jumps go to the next step; reads take the previous step’s output', mode: 'rewire' as const },
          { label: 'Leave references flagged', description: 'the Problems view lists each one to fix by hand', mode: 'flag' as const },
        ],
        { title: `Remove step \`${stepId}\`` },
      );
      if (!choice) return false;
      return applyAuthoringEdit(editor, () => removeStep(text(editor), file(editor), stepId, choice.mode));
    }),
    simple('orchestrate.step.moveUp', (editor, stepId) => moveStep(text(editor), stepId, 'up')),
    simple('orchestrate.step.moveDown', (editor, stepId) => moveStep(text(editor), stepId, 'down')),
    simple('orchestrate.step.duplicate', (editor, stepId) => duplicateStep(text(editor), file(editor), stepId)),
    on('orchestrate.step.extract', async (editor) => {
      const run = selectedRun(editor);
      if (!run) return false;
      const id = await vscode.window.showInputBox({ title: 'Extract into a sub-workflow', prompt: 'The id of the step that will run it', value: `${run.from}_sub`, validateInput: (v) => (/^[A-Za-z_][A-Za-z0-9_]*$/.test(v) ? undefined : 'letters, digits and _, not starting with a digit') });
      if (!id) return false;
      const where = await vscode.window.showInputBox({ title: 'Extract into a sub-workflow', prompt: 'The new file, relative to this one', value: `./${id}.workflow.yaml` });
      if (!where) return false;
      return applyAuthoringEdit(editor, () => extractSteps(text(editor), file(editor), { ...run, id, path: where }));
    }),
    on('orchestrate.step.inline', async (editor, stepId) => {
      if (!needStep(stepId)) return false;
      return applyAuthoringEdit(editor, async () => {
        const uses = documents.get(editor.document).workflow?.stepsById.get(stepId);
        const subPath = uses?.kind === 'workflow' ? uses.uses.path : '';
        const subUri = vscode.Uri.file(path.resolve(path.dirname(editor.document.uri.fsPath), subPath || '.'));
        const subText = subPath ? new TextDecoder().decode(await vscode.workspace.fs.readFile(subUri)) : '';
        return inlineStep(text(editor), file(editor), stepId, { file: subPath, text: subText });
      });
    }),
    // The panel's drag and drop: the same move, to a sibling's place (`toStepId`) or an index among the siblings.
    vscode.commands.registerCommand('orchestrate.step.moveTo', async (target: StepTarget & { toIndex?: number; toStepId?: string }) => {
      const editor = await editorFor(documents, target.uri);
      if (!editor) return false;
      const { stepId, toStepId, toIndex } = target;
      return applyAuthoringEdit(editor, () => (toStepId !== undefined ? moveStepOnto(text(editor), stepId, toStepId) : moveStepTo(text(editor), stepId, toIndex ?? -1)));
    }),
  ];
}

async function editorFor(documents: WorkflowDocuments, uri: vscode.Uri | undefined): Promise<vscode.TextEditor | undefined> {
  if (uri) {
    const visible = vscode.window.visibleTextEditors.find((editor) => editor.document.uri.toString() === uri.toString());
    if (visible) return visible;
    const document = await vscode.workspace.openTextDocument(uri);
    return vscode.window.showTextDocument(document, { preserveFocus: true, preview: false });
  }
  const editor = vscode.window.activeTextEditor;
  if (editor && documents.isWorkflow(editor.document)) return editor;
  void vscode.window.showWarningMessage('Open a workflow file (*.workflow.yaml) first.');
  return undefined;
}

/** The id of the innermost step at the cursor, or undefined. */
export function stepIdAtCursor(editor: vscode.TextEditor): string | undefined {
  try {
    return stepAt(layoutOf(editor.document.getText()), editor.document.offsetAt(editor.selection.active))?.block.id;
  } catch {
    return undefined;
  }
}

/** The first and last step the selection touches (one step when the selection is empty). */
function selectedRun(editor: vscode.TextEditor): { from: string; to: string } | undefined {
  try {
    const layout = layoutOf(editor.document.getText());
    const first = stepAt(layout, editor.document.offsetAt(editor.selection.start));
    const endOffset = Math.max(editor.document.offsetAt(editor.selection.start), editor.document.offsetAt(editor.selection.end) - 1);
    const last = stepAt(layout, endOffset);
    if (first && last) return { from: first.block.id, to: last.block.id };
  } catch {
    // Falls through to the message below.
  }
  void vscode.window.showWarningMessage('Select the steps to extract (or put the cursor in one).');
  return undefined;
}
