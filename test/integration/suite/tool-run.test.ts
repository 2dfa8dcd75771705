// A workflow that acts through tools, run from its CodeLens in real VS Code on the mock
// provider against the real server-everything (over stdio, from node_modules): a `tool:`
// step and a prompt whose scripted reply asks for a call. The run records each call, the
// lenses count them, and the panel shows the run. The workflow pre-approves `echo`, so no
// consent dialog is involved (approval itself is tested in test/unit/tools).
import * as assert from 'node:assert/strict';
import * as path from 'node:path';
import * as vscode from 'vscode';
import type { RunEvent } from '../../../src/engine';
import { activateApi, codeLenses, EXTENSION_ID, Fixtures, screenshot, until, waitForEvent } from './editor-helpers';

function workflowText(): string {
  const extension = vscode.extensions.getExtension(EXTENSION_ID);
  assert.ok(extension);
  const server = path.join(extension.extensionPath, 'node_modules', '@modelcontextprotocol', 'server-everything', 'dist', 'index.js');
  return `name: Tool run
model: { provider: mock, name: mock-model }
mcp:
  everything:
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(server)}, stdio]
    approval: { tools: { echo: allow } }
steps:
  - id: shout
    tool: everything.echo
    with: { message: hello from a step }
  - id: ask
    prompt: "Echo something, then say what came back. The step said: {{ steps.shout.output }}"
    tools: [everything.echo]
    mock:
      - { $tool_calls: [{ name: everything.echo, arguments: { message: from the model } }] }
      - The tool echoed it back.
outputs:
  step: "{{ steps.shout.output }}"
  answer: "{{ steps.ask.output }}"
`;
}

describe('A workflow with tools, run from its CodeLens', function () {
  // Starting server-everything (node) on a loaded machine.
  this.timeout(90_000);
  const fixtures = new Fixtures();

  after(() => fixtures.cleanup());

  it('calls the tool step and the model’s tool call on the real server, records both, and the lenses count them', async () => {
    const api = await activateApi();
    const uri = await fixtures.write('tool-run.workflow.yaml', workflowText());
    await vscode.window.showTextDocument(uri);
    const lens = (await codeLenses(uri)).find((l) => l.command?.title === '$(play) Run workflow');
    assert.ok(lens?.command, 'the Run workflow lens');
    const started = waitForEvent(api.runs.onDidStartRun, (s) => s.workflowFile.toString() === uri.toString(), 'the run to start');
    await vscode.commands.executeCommand(lens.command.command, ...(lens.command.arguments ?? []));
    const session = await started;
    const result = await session.result;
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.match(JSON.stringify(result.outputs.step), /hello from a step/);
    assert.equal(result.outputs.answer, 'The tool echoed it back.');

    const calls = session.events.filter((e): e is Extract<RunEvent, { type: 'tool.completed' }> => e.type === 'tool.completed');
    assert.deepEqual(
      calls.map((c) => [c.stepId, `${c.server}.${c.tool}`]),
      [
        ['shout', 'everything.echo'],
        ['ask', 'everything.echo'],
      ],
    );

    const titles = async () => (await codeLenses(uri)).map((l) => l.command?.title ?? '');
    await until(async () => (await titles()).filter((t) => t.startsWith('✓ succeeded') && t.includes('1 tool call')).length === 2, 'a lens per step counting its tool call');

    // The panel follows the run it started.
    await until(() => api.panel.shown.runId === session.runId, 'the panel to show the run');
    await screenshot('editor-tool-run', '.codelens-decoration:has-text("tool call")');
  });
});
