// Restricted Mode and the shared history: an untrusted workspace never connects to a server —
// not from the setting, not from the command — and the runs view says why on one row.
import * as assert from 'node:assert/strict';
import { createServer, type Server } from 'node:http';
import * as vscode from 'vscode';
import { activateApi, waitForEvent } from './editor-helpers';

describe('shared history in Restricted Mode', () => {
  let server: Server;
  let requests = 0;
  let url = '';

  before(async () => {
    server = createServer((_request, response) => {
      requests++;
      response.setHeader('content-type', 'application/json');
      response.end('{"runs":[]}');
    });
    await new Promise<void>((resolve) => server.listen(0, '127.0.0.1', resolve));
    const address = server.address();
    url = `http://127.0.0.1:${typeof address === 'object' && address ? address.port : 0}`;
  });
  after(async () => {
    await vscode.workspace.getConfiguration('orchestrate').update('server.url', undefined, vscode.ConfigurationTarget.Global);
    server.close();
  });

  it('a server address in the settings is not contacted, the command refuses, and the view says why', async () => {
    assert.equal(vscode.workspace.isTrusted, false);
    const api = await activateApi();
    const restricted = waitForEvent(api.server.onDidChange, () => api.server.status.kind === 'restricted', 'the connection to stay off');
    await vscode.workspace.getConfiguration('orchestrate').update('server.url', url, vscode.ConfigurationTarget.Global);
    await restricted;
    assert.equal(await vscode.commands.executeCommand('orchestrate.server.connect', { url }), false);
    await vscode.commands.executeCommand('orchestrate.runs.refresh');

    const roots = await api.runsView.getChildren();
    const node = roots.find((n) => n.kind === 'server');
    assert.ok(node);
    const [row] = await api.runsView.getChildren(node);
    assert.match(String(api.runsView.getTreeItem(row).label), /not connected in Restricted Mode/);
    assert.equal(requests, 0, 'nothing was sent to the server');
  });
});
