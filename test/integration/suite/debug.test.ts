// Debugging a workflow in a real VS Code: a breakpoint beside a step, F5's configuration,
// the editor stopped at that line, an input read in the Variables view, step over,
// continue to the end. The adapter runs inline in the extension host on the mock provider.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateApi, Fixtures, screenshot, until, waitForEvent, workspaceFolder } from './editor-helpers';

const WORKFLOW = `name: Debug Test
inputs:
  topic:
    default: rockets
steps:
  - id: draft
    prompt: Write about {{ inputs.topic }}
    mock: A draft about {{ inputs.topic }}.
  - id: polish
    prompt: Polish {{ steps.draft.output }}
    mock: A polished draft.
  - id: done
    set: "{{ steps.polish.output }}"
outputs:
  result: "{{ steps.done.output }}"
`;

interface StoppedBody {
  reason: string;
  threadId: number;
}

describe('debugging', function () {
  this.timeout(60_000);
  const fixtures = new Fixtures();
  const stops: StoppedBody[] = [];
  let tracker: vscode.Disposable;

  before(async () => {
    await activateApi();
    tracker = vscode.debug.registerDebugAdapterTrackerFactory('orchestrate', {
      createDebugAdapterTracker: () => ({
        onDidSendMessage: (message: { type: string; event?: string; body?: StoppedBody }) => {
          if (message.type === 'event' && message.event === 'stopped' && message.body) stops.push(message.body);
        },
      }),
    });
  });
  after(async () => {
    tracker.dispose();
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    await fixtures.cleanup();
  });

  it('stops at a breakpoint on a step, shows the inputs, steps over and runs to the end', async () => {
    const uri = await fixtures.write('debug-test.workflow.yaml', WORKFLOW);
    const editor = await vscode.window.showTextDocument(uri);
    const line = WORKFLOW.split('\n').findIndex((l) => l.trim() === '- id: polish');
    vscode.debug.addBreakpoints([new vscode.SourceBreakpoint(new vscode.Location(uri, new vscode.Position(line + 1, 0)))]);

    const started = waitForEvent(vscode.debug.onDidStartDebugSession, (s) => s.type === 'orchestrate', 'the debug session to start');
    assert.ok(await vscode.debug.startDebugging(vscode.workspace.getWorkspaceFolder(workspaceFolder()), { type: 'orchestrate', request: 'launch', name: 'Debug test', workflow: uri.fsPath, mock: true }));
    const session = await started;
    await until(() => stops.length === 1, 'the run to stop at the breakpoint');
    assert.equal(stops[0].reason, 'breakpoint');

    const frames = (await session.customRequest('stackTrace', { threadId: stops[0].threadId })) as { stackFrames: { id: number; line: number; name: string }[] };
    assert.equal(frames.stackFrames[0].name, 'polish');
    assert.equal(frames.stackFrames[0].line, line + 1, 'the breakpoint is verified to the step’s id line');
    await until(() => vscode.window.activeTextEditor?.document.uri.toString() === uri.toString() && vscode.window.activeTextEditor.selection.active.line === line, 'the editor to show the stopped line');
    assert.equal(editor.document.uri.toString(), uri.toString());

    const scopes = (await session.customRequest('scopes', { frameId: frames.stackFrames[0].id })) as { scopes: { name: string; variablesReference: number }[] };
    const inputs = scopes.scopes.find((s) => s.name === 'Inputs');
    assert.ok(inputs, 'an Inputs scope');
    const variables = (await session.customRequest('variables', { variablesReference: inputs.variablesReference })) as { variables: { name: string; value: string }[] };
    assert.deepEqual(variables.variables.map((v) => [v.name, v.value]), [['topic', '"rockets"']]);
    await vscode.commands.executeCommand('workbench.debug.action.focusVariablesView');
    await screenshot('debug-stopped-at-breakpoint', '.debug-top-stack-frame-line');

    await session.customRequest('next', { threadId: stops[0].threadId });
    await until(() => stops.length === 2, 'the run to stop at the next step');
    const next = (await session.customRequest('stackTrace', { threadId: stops[1].threadId })) as { stackFrames: { name: string }[] };
    assert.equal(next.stackFrames[0].name, 'done');

    const ended = waitForEvent(vscode.debug.onDidTerminateDebugSession, (s) => s.id === session.id, 'the debug session to end');
    await session.customRequest('continue', { threadId: stops[1].threadId });
    await ended;
  });
});
