// Debugging a workflow in a real VS Code: a breakpoint beside a step, F5's configuration,
// the editor stopped at that line, an input read in the Variables view, step over,
// continue to the end; the Step through lens starting the debugger, and the lenses and the
// run's state (the one the run panel shows) following it. The adapter runs inline in the
// extension host on the mock provider.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { activateApi, codeLenses, Fixtures, screenshot, until, waitForEvent, workspaceFolder } from './editor-helpers';

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

  it('Step through starts the debugger before the first step; the lenses and the run state follow it, and their controls act through it', async () => {
    vscode.debug.removeBreakpoints(vscode.debug.breakpoints);
    const uri = await fixtures.write('debug-lens.workflow.yaml', WORKFLOW);
    await vscode.window.showTextDocument(uri);
    const api = await activateApi();
    const lineOf = (id: string) => WORKFLOW.split('\n').findIndex((l) => l.trim() === `- id: ${id}`);
    const lensesWhen = async (predicate: (titles: string[]) => boolean, what: string) => {
      const deadline = Date.now() + 20_000;
      for (;;) {
        // Listen before looking, so a refresh between the two is not missed.
        const changed = waitForEvent(api.codeLenses.onDidChangeCodeLenses, () => true, what, Math.max(1, deadline - Date.now())).catch(() => undefined);
        const lenses = await codeLenses(uri);
        const titles = lenses.map((l) => l.command?.title ?? '');
        if (predicate(titles)) return lenses;
        if (Date.now() > deadline) throw new Error(`timed out waiting for ${what}; lenses: ${titles.join(' | ')}`);
        await changed;
      }
    };
    const before = stops.length;

    const lens = (await codeLenses(uri)).find((l) => l.command?.title === '$(debug-step-over) Step through');
    assert.ok(lens?.command);
    assert.equal(lens.command.command, 'orchestrate.workflow.debug');
    const started = waitForEvent(vscode.debug.onDidStartDebugSession, (s) => s.type === 'orchestrate', 'the debug session to start');
    const runStarted = waitForEvent(api.runs.onDidStartRun, (r) => r.workflowFile.toString() === uri.toString(), 'the debug run to start');
    await vscode.commands.executeCommand(lens.command.command, ...(lens.command.arguments ?? []));
    const session = await started;
    const run = await runStarted;
    /** The run's one state (the run panel's) once it holds `stepId`. */
    const heldAt = async (stepId: string) => {
      if (!run.state.held?.some((h) => h.stepId === stepId)) await waitForEvent(run.onEvent, (e) => e.type === 'step.held' && e.stepId === stepId, `the run state to hold ${stepId}`);
      return run.state;
    };
    let state = await heldAt('draft');
    await until(() => stops.length === before + 1, 'the stopped event of the entry');
    assert.equal(stops[before].reason, 'entry');
    assert.equal(state.status, 'paused');
    let lenses = await lensesWhen((t) => t.includes('$(debug-stackframe) paused in debugger before this step') && t.includes('$(debug-step-over) Next step'), 'the held step’s lens and the Next step lens');
    assert.equal(lenses.find((l) => l.command?.title.startsWith('$(debug-stackframe)'))?.range.start.line, lineOf('draft'));

    // The Next step lens (as the run panel's button) steps over through the debugger: VS Code's own stop moves with it.
    const next = lenses.find((l) => l.command?.title === '$(debug-step-over) Next step');
    assert.ok(next?.command);
    await vscode.commands.executeCommand(next.command.command, ...(next.command.arguments ?? []));
    state = await heldAt('polish');
    assert.deepEqual(state.held?.map((h) => h.stepId), ['polish']);
    await until(() => stops.length === before + 2, 'the stopped event of the step');
    assert.equal(stops[before + 1].reason, 'step');
    lenses = await lensesWhen((t) => t.includes('$(debug-stackframe) paused in debugger before this step') && t.some((x) => x.startsWith('✓ succeeded')), 'the lenses to follow the step');
    assert.equal(lenses.find((l) => l.command?.title.startsWith('$(debug-stackframe)'))?.range.start.line, lineOf('polish'));
    await until(() => vscode.window.activeTextEditor?.selection.active.line === lineOf('polish'), 'the editor to show the new stop');
    await screenshot('debug-step-through-lens', ['.debug-top-stack-frame-line', '.codelens-decoration:has-text("paused in debugger")']);

    // Resume (the lens, the run panel, the title bar) continues the debug run to its end.
    const ended = waitForEvent(vscode.debug.onDidTerminateDebugSession, (s) => s.id === session.id, 'the debug session to end');
    await vscode.commands.executeCommand('orchestrate.run.resume', uri);
    await ended;
    assert.equal((await run.result).status, 'succeeded');
    assert.equal(run.state.held, undefined);
    await lensesWhen((t) => t.includes('$(debug-step-over) Step through') && !t.some((x) => x.startsWith('$(debug-stackframe)')), 'the idle lenses back');
  });
});
