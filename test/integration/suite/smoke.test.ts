// Smoke test: the extension loads and activates in a real VS Code 1.100 extension host, and a
// workflow file opens as YAML (with no other extension installed: no Red Hat YAML, no Copilot).
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';

const EXTENSION_ID = 'orchestrate.orchestrate';

const SAMPLE_WORKFLOW = `# Created by the smoke test
name: smoke
steps: []
`;

describe('smoke', () => {
  const created: vscode.Uri[] = [];

  after(async () => {
    await vscode.commands.executeCommand('workbench.action.closeAllEditors');
    for (const uri of created) await vscode.workspace.fs.delete(uri).then(undefined, () => undefined);
  });

  it('runs in VS Code 1.100', () => {
    assert.match(vscode.version, /^1\.100\./);
  });

  it('sees the environment the launcher set (mock LLM provider)', () => {
    // Both launchers start VS Code with ORCHESTRATE_USE_MOCK=true; the extension host inherits it.
    assert.equal(process.env.ORCHESTRATE_USE_MOCK, 'true');
  });

  it(`finds the extension ${EXTENSION_ID}`, () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext, `${EXTENSION_ID} is not loaded; extensions: ${vscode.extensions.all.map((e) => e.id).join(', ')}`);
    assert.equal(ext.packageJSON.publisher, 'orchestrate');
  });

  it('activates the extension', async () => {
    const ext = vscode.extensions.getExtension(EXTENSION_ID);
    assert.ok(ext);
    await ext.activate();
    assert.equal(ext.isActive, true);
  });

  it('opens a *.workflow.yaml file as a YAML document', async () => {
    const folder = vscode.workspace.workspaceFolders?.[0];
    assert.ok(folder, 'no workspace folder is open');
    let [uri] = await vscode.workspace.findFiles('**/*.workflow.yaml', '**/node_modules/**', 1);
    if (!uri) {
      // examples/ has no workflow yet: write one into the (temporary) workspace.
      uri = vscode.Uri.joinPath(folder.uri, 'smoke-test.workflow.yaml');
      await vscode.workspace.fs.writeFile(uri, new TextEncoder().encode(SAMPLE_WORKFLOW));
      created.push(uri);
    }
    const doc = await vscode.workspace.openTextDocument(uri);
    const editor = await vscode.window.showTextDocument(doc);
    assert.equal(doc.languageId, 'yaml');
    assert.equal(editor.document.uri.toString(), uri.toString());
    assert.ok(doc.lineCount > 0);
  });
});
