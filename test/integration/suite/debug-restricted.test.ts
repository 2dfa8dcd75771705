// Restricted Mode: a debug run is a run (keys, traces, the cache), so none starts.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateApi, codeLenses, Fixtures } from './editor-helpers';

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
    // Step through is the debugger too: refused the same way.
    assert.equal(await vscode.commands.executeCommand<boolean>('orchestrate.workflow.stepThrough', uri), false);
    assert.equal(vscode.debug.activeDebugSession, undefined);
    assert.equal(api.runs.all.length, before, 'no run started');
  });

  it('shows no lens that runs or debugs, only why not', async () => {
    const uri = await fixtures.write('it-debug-restricted-lenses.workflow.yaml', 'name: R\nsteps:\n  - id: a\n    set: x\n  - id: b\n    set: y\n');
    await vscode.window.showTextDocument(uri);
    const lenses = await codeLenses(uri);
    assert.deepEqual(
      lenses.map((l) => [l.command?.title, l.command?.command]),
      [['$(lock) Running is disabled in Restricted Mode', 'workbench.trust.manage']],
    );
  });
});
