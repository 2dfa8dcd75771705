// Step edits from the command palette in a real editor: one undoable edit each,
// references kept, comments elsewhere untouched.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateApi, Fixtures } from './editor-helpers';

const WORKFLOW = `name: Edits
# a comment the edits must keep
steps:
  - id: draft
    prompt: Write about owls
  - id: review
    prompt: "Review {{ steps.draft.output }}"
outputs:
  review: "{{ steps.review.output }}"
`;

describe('step edits', function () {
  this.timeout(60_000);
  const fixtures = new Fixtures();
  after(() => fixtures.cleanup());

  it('duplicates and moves a step as single undoable edits that keep comments', async () => {
    await activateApi();
    const uri = await fixtures.write('it-edits.workflow.yaml', WORKFLOW);
    const editor = await vscode.window.showTextDocument(uri);
    const document = editor.document;

    assert.notEqual(await vscode.commands.executeCommand('orchestrate.step.duplicate', { uri, stepId: 'draft' }), false);
    const duplicated = document.getText();
    assert.match(duplicated, /- id: draft_copy\n    prompt: Write about owls/);
    assert.ok(duplicated.includes('# a comment the edits must keep'));
    await vscode.commands.executeCommand('undo');
    assert.equal(document.getText(), WORKFLOW, 'one undo restores the file');

    assert.notEqual(await vscode.commands.executeCommand('orchestrate.step.moveDown', { uri, stepId: 'draft' }), false);
    const moved = document.getText();
    assert.ok(moved.indexOf('id: review') < moved.indexOf('id: draft'), 'draft now follows review');
    await vscode.commands.executeCommand('undo');
    assert.equal(document.getText(), WORKFLOW);
  });
});
