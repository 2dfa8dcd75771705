// Restricted Mode: listing a stdio server's tools would start it, which runs code, so the
// editor lists nothing and warns about no tool; the analyzer's own checks still run.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { activateApi, diagnosticsWhen, Fixtures, withCursor } from './editor-helpers';

describe('tool authoring in restricted mode', function () {
  this.timeout(60_000);
  const fixtures = new Fixtures();
  const marker = path.join(fs.mkdtempSync(path.join(os.tmpdir(), 'orchestrate-restricted-tools-')), 'started');
  after(() => fixtures.cleanup());

  it('starts no server, offers no tool and warns about none', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    const api = await activateApi();
    // A "server" that only leaves a mark that it was started.
    const script = `require('fs').writeFileSync(${JSON.stringify(marker)}, 'started')`;
    const { text, line, character } = withCursor(`name: Restricted tools
mcp:
  marker:
    command: ${JSON.stringify(process.execPath)}
    args: [-e, ${JSON.stringify(script)}]
steps:
  - id: call
    tool: marker.anything
    with:
      x: 1
      ¦
  - id: other
    tool: nowhere.thing
`);
    const uri = await fixtures.write('tool-authoring-restricted.workflow.yaml', text);
    await vscode.window.showTextDocument(uri);
    const diagnostics = await diagnosticsWhen(uri, (ds) => ds.some((d) => d.code === 'unknown-tool-server'), 'the analyzer’s problems');
    const list = await vscode.commands.executeCommand<vscode.CompletionList>('vscode.executeCompletionItemProvider', uri, new vscode.Position(line, character));
    await api.tools.settled();
    assert.deepEqual(diagnostics.map((d) => d.code), ['unknown-tool-server']);
    assert.ok(!list.items.some((i) => i.kind === vscode.CompletionItemKind.Function), 'no tool offered');
    assert.equal(fs.existsSync(marker), false, 'the server was never started');
  });
});
