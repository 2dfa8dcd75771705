// The shared history: the runs view connects to a real `orchestrate serve` (started here, on
// loopback, over a temp folder), lists its runs under "Server: host:port", opens one in the run
// panel from its trace, follows a running one through its events until the server cancels it,
// and shows one clear row when the server is down.
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import * as vscode from 'vscode';
import { startServer, type RunningServer } from '../../../src/serve/server';
import type { OrchestrateApi } from '../../../src/extension/extension';
import type { RunsNode } from '../../../src/extension/runs-view/runs-tree';
import { activateApi, until, waitForEvent } from './editor-helpers';

const WORKFLOW = `name: shared greeting
inputs:
  who: { type: string, default: team }
steps:
  - id: hello
    prompt: "Say hello to {{ inputs.who }}"
  - id: polish
    prompt: "Polish: {{ steps.hello.output }}"
outputs:
  text: "{{ steps.polish.output }}"
`;

async function startRun(server: RunningServer): Promise<string> {
  const response = await fetch(`${server.url}/v1/runs`, { method: 'POST', headers: { 'content-type': 'application/json' }, body: JSON.stringify({ workflow: 'greeting.workflow.yaml' }) });
  assert.equal(response.status, 201);
  return ((await response.json()) as { id: string }).id;
}

/** Reads the run's event stream to its end: the run is over when this returns. */
async function runEnded(server: RunningServer, id: string): Promise<void> {
  await (await fetch(`${server.url}/v1/runs/${id}/events`)).text();
}

async function serverChildren(api: OrchestrateApi): Promise<RunsNode[]> {
  const roots = await api.runsView.getChildren();
  const node = roots.find((n) => n.kind === 'server');
  assert.ok(node, `the runs view has a server row; it has ${roots.map((n) => api.runsView.getTreeItem(n).label).join(', ')}`);
  assert.equal(api.runsView.getTreeItem(node).label, `Server: ${api.server.status.kind === 'none' ? '' : api.server.status.address.replace('http://', '')}`);
  return api.runsView.getChildren(node);
}

describe('shared history: runs of an orchestrate serve server', () => {
  let folder: string;
  const servers: RunningServer[] = [];

  before(() => {
    folder = fs.mkdtempSync(path.join(os.tmpdir(), 'orchestrate-shared-'));
    fs.writeFileSync(path.join(folder, 'greeting.workflow.yaml'), WORKFLOW);
  });
  after(async () => {
    await vscode.commands.executeCommand('orchestrate.server.disconnect');
    for (const server of servers) await server.close({ cancel: true });
    fs.rmSync(folder, { recursive: true, force: true });
  });

  it('connects, lists a server run grouped by workflow with its status, and opens it in the panel from its trace', async () => {
    const api = await activateApi();
    const server = await startServer({ root: folder, port: 0, mock: true, env: {}, log: () => undefined });
    servers.push(server);
    const id = await startRun(server);
    await runEnded(server, id);

    const listed = waitForEvent(api.server.onDidChange, () => api.server.runs().some((run) => run.id === id), 'the server run to be listed');
    assert.equal(await vscode.commands.executeCommand('orchestrate.server.connect', { url: server.url }), true);
    if (!api.server.runs().some((run) => run.id === id)) await listed;
    assert.equal(vscode.workspace.getConfiguration('orchestrate').get('server.url'), server.url);

    const [group] = await serverChildren(api);
    assert.equal(group.kind, 'workflow');
    assert.equal(api.runsView.getTreeItem(group).label, 'greeting');
    const [runNode] = await api.runsView.getChildren(group);
    assert.ok(runNode.kind === 'run');
    assert.equal(runNode.summary.id, id);
    const item = api.runsView.getTreeItem(runNode);
    assert.equal((item.iconPath as vscode.ThemeIcon).id, 'pass');
    assert.match(String(item.description), /tokens|·/);
    assert.match(String(item.contextValue), /\bserverRun\b/);
    assert.doesNotMatch(String(item.contextValue), /\bdeletable\b/);

    await vscode.commands.executeCommand('orchestrate.run.open', runNode);
    const shown = api.panel.shown;
    assert.equal(shown.kind, 'server');
    assert.equal(shown.runId, id);
    assert.equal(shown.location, `${server.url}/v1/runs/${id}`);
    assert.equal(shown.live, false);
    assert.ok(shown.events >= 6, `the trace's events are shown (${shown.events})`);
  });

  it('follows a running server run live until it ends, and stops it on the server', async () => {
    const api = await activateApi();
    const slow = await startServer({ root: folder, port: 0, mock: true, mockDelayMs: 60_000, env: {}, log: () => undefined });
    servers.push(slow);
    const id = await startRun(slow);
    const listed = waitForEvent(api.server.onDidChange, () => api.server.runs().some((run) => run.id === id), 'the running run to be listed');
    await vscode.commands.executeCommand('orchestrate.server.connect', { url: slow.url });
    if (!api.server.runs().some((run) => run.id === id)) await listed;
    const run = api.server.runs().find((r) => r.id === id)!;
    assert.equal(run.status, 'running');

    await vscode.commands.executeCommand('orchestrate.run.open', run.file);
    assert.equal(api.panel.shown.kind, 'server');
    assert.equal(api.panel.shown.live, true);
    const before = api.panel.shown.events;
    assert.equal(await api.server.cancel(run.file), true);
    await until(() => !api.panel.shown.live, 'the panel to see the run end through its events');
    assert.ok(api.panel.shown.events > before, 'the end arrived as an event after the trace');
    const response = await fetch(`${slow.url}/v1/runs/${id}`);
    assert.equal(((await response.json()) as { status: string }).status, 'cancelled');
  });

  it('a server that needs a token: a wrong one is refused, the right one lists its runs and stays out of the settings', async () => {
    const api = await activateApi();
    const token = 'team-token-7f3a';
    const guarded = await startServer({ root: folder, port: 0, mock: true, token, env: {}, log: () => undefined });
    servers.push(guarded);
    assert.equal(await vscode.commands.executeCommand('orchestrate.server.connect', { url: guarded.url, token: 'wrong' }), false);
    const connected = waitForEvent(api.server.onDidChange, () => api.server.status.kind === 'connected' && api.server.status.address === guarded.url, 'the guarded server to answer');
    assert.equal(await vscode.commands.executeCommand('orchestrate.server.connect', { url: guarded.url, token }), true);
    if (api.server.status.kind !== 'connected' || api.server.status.address !== guarded.url) await connected;
    assert.equal(vscode.workspace.getConfiguration('orchestrate').get('server.url'), guarded.url);
    assert.doesNotMatch(JSON.stringify(vscode.workspace.getConfiguration('orchestrate')), new RegExp(token));
  });

  it('a server that is down is one row saying so, not an error popup', async () => {
    const api = await activateApi();
    const server = servers[0];
    await vscode.commands.executeCommand('orchestrate.server.connect', { url: server.url });
    await server.close({ cancel: true });
    await vscode.commands.executeCommand('orchestrate.runs.refresh');
    await until(() => api.server.status.kind === 'failed', 'the connection to notice the server is gone');
    const children = await serverChildren(api);
    assert.equal(children.length, 1);
    const [row] = children;
    assert.equal(row.kind, 'message');
    assert.equal(api.runsView.getTreeItem(row).label, `cannot reach ${server.url}: connection refused`);
  });
});
