// Runs only in restricted mode (run-in-server.ts --restricted: workspace trust is on and the
// folder is not trusted). Whatever the extension offers there must not fail.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'orchestrate.orchestrate';

describe('restricted mode', () => {
  it('the workspace is not trusted', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('the extension is known to VS Code', () => {
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID), `${EXTENSION_ID} is not loaded`);
  });
});
