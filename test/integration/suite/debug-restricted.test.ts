// Restricted Mode: a debug run is a run (keys, traces, the cache), so none starts.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateApi, Fixtures } from './editor-helpers';

describe('debugging in restricted mode', function () {
  this.timeout(60_000);
  const fixtures = new Fixtures();
  after(() => fixtures.cleanup());

  it('refuses to start a debug session', async () => {
    const api = await activateApi();
    assert.equal(vscode.workspace.isTrusted, false);
    const uri = await fixtures.write('it-debug-restricted.workflow.yaml', 'name: R\nsteps:\n  - id: a\n    set: x\n');
    await vscode.window.showTextDocument(uri);
    const before = api.runs.all.length;
    // Through the extension's command: VS Code's own startDebugging would wait on its trust dialog.
    const started = await vscode.commands.executeCommand<boolean>('orchestrate.workflow.debug', uri);
    assert.equal(started, false);
    assert.equal(vscode.debug.activeDebugSession, undefined);
    assert.equal(api.runs.all.length, before, 'no run started');
  });
});
