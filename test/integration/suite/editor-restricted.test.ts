// Restricted Mode (run-in-server.ts --restricted: workspace trust on, the folder not trusted):
// authoring works as usual; runs are refused, and the CodeLens shows a lock instead of run buttons.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import type { RunSession } from '../../../src/extension/runs/session';
import { activateApi, codeLenses, diagnosticsWhen, Fixtures, screenshot, withCursor } from './editor-helpers';

const WORKFLOW = `name: Restricted
steps:
  - id: first
    prompt: Hello
    mock: hi
  - id: second
    prompt: Use {{ steps.frist.output }}
`;

describe('editor in restricted mode', function () {
  this.timeout(60_000);
  const fixtures = new Fixtures();
  after(() => fixtures.cleanup());

  it('runs in an untrusted workspace', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('still shows diagnostics and completes', async () => {
    const api = await activateApi();
    const uri = await fixtures.write('it-restricted.workflow.yaml', WORKFLOW);
    await vscode.window.showTextDocument(uri);
    const diagnostics = await diagnosticsWhen(uri, (d) => d.length > 0, 'diagnostics in restricted mode');
    assert.deepEqual(diagnostics.map((d) => d.code), ['unknown-step-ref']);
    assert.ok(api.documents.isWorkflow(await vscode.workspace.openTextDocument(uri)));

    const { text, line, character } = withCursor(WORKFLOW.replace('{{ steps.frist.output }}', '{{ steps.¦ }}'));
    const completeUri = await fixtures.write('it-restricted-complete.workflow.yaml', text);
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', completeUri, new vscode.Position(line, character));
    assert.deepEqual(list.items.map((i) => i.label), ['first', 'second']);
  });

  it('shows a lock instead of run lenses', async () => {
    const uri = await fixtures.write('it-restricted-lens.workflow.yaml', WORKFLOW.replace('frist', 'first'));
    await vscode.window.showTextDocument(uri);
    const titles = (await codeLenses(uri)).map((l) => l.command?.title);
    assert.deepEqual(titles, ['$(lock) Running is disabled in Restricted Mode']);
    await screenshot('editor-restricted', '.codelens-decoration');
  });

  it('refuses to run, with a message saying why', async () => {
    const api = await activateApi();
    const uri = await fixtures.write('it-restricted-run.workflow.yaml', WORKFLOW.replace('frist', 'first'));
    const starts: RunSession[] = [];
    const listener = api.runs.onDidStartRun((s) => starts.push(s));
    try {
      const fromCommand = await vscode.commands.executeCommand<RunSession | undefined>('orchestrate.workflow.run', uri);
      const fromManager = await api.runs.start(uri, 'run-step', 'first');
      assert.equal(fromCommand, undefined);
      assert.equal(fromManager, undefined);
      assert.equal(starts.length, 0);
    } finally {
      listener.dispose();
    }
  });
});
