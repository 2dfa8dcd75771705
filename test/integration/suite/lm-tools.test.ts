// The workspace's workflows as language-model tools, called the way agent mode calls them
// (`vscode.lm.invokeTool`): listed with their inputs, run through the RunManager (so the run
// shows in the panel and records a trace) on the mock provider, refused with a clear message
// for a bad path or bad inputs, and cancelled with the call. VS Code answers a tool's
// confirmation itself inside an extension test run (its dialog service confirms there).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as vscode from 'vscode';
import type { RunEvent } from '../../../src/engine';
import type { RunSession } from '../../../src/extension/runs/session';
import { activateApi, Fixtures, waitForEvent } from './editor-helpers';

const GREET = `name: Greet for agents
description: Greets someone, in a tone.
inputs:
  who:
    description: Who to greet.
    required: true
  times:
    type: number
    default: 1
  tone:
    choices: [plain, warm]
    default: plain
steps:
  - id: hello
    prompt: "Greet {{ inputs.who }} {{ inputs.times }} times, {{ inputs.tone }}."
    mock: "Hello {{ inputs.who }} ×{{ inputs.times }} ({{ inputs.tone }})"
outputs:
  greeting: "{{ steps.hello.output }}"
  times: "{{ inputs.times }}"
`;

const WAITING = `name: Waits for a person
steps:
  - id: pick
    input: Which one?
    choices: [red, green]
outputs:
  picked: "{{ steps.pick.output }}"
`;

const BROKEN = `name: Broken for agents
steps:
  - id: a
    prompt: "{{ steps.nope.output }}"
`;

function resultText(result: vscode.LanguageModelToolResult): string {
  return result.content.map((part) => (part instanceof vscode.LanguageModelTextPart ? part.value : '')).join('');
}

async function rejection(promise: Thenable<unknown>): Promise<Error> {
  try {
    await promise;
  } catch (error) {
    return error instanceof Error ? error : new Error(String(error));
  }
  throw new Error('the call succeeded; it should have been refused');
}

function eventOf(session: RunSession, predicate: (event: RunEvent) => boolean, what: string): Promise<RunEvent> {
  const past = session.events.find(predicate);
  return past ? Promise.resolve(past) : waitForEvent(session.onEvent, predicate, what);
}

describe('workflows as language-model tools', function () {
  this.timeout(60_000);
  const fixtures = new Fixtures();
  after(() => fixtures.cleanup());

  before(async () => {
    await activateApi();
    await fixtures.write('agent-greet.workflow.yaml', GREET);
    await fixtures.write('agent-waiting.workflow.yaml', WAITING);
    await fixtures.write('agent-broken.workflow.yaml', BROKEN);
  });

  it('are in vscode.lm.tools, with their input schemas', () => {
    const names = vscode.lm.tools.map((t) => t.name);
    assert.ok(names.includes('orchestrate_listWorkflows'), `tools: ${names.join(', ')}`);
    assert.ok(names.includes('orchestrate_runWorkflow'), `tools: ${names.join(', ')}`);
    const run = vscode.lm.tools.find((t) => t.name === 'orchestrate_runWorkflow')!;
    assert.deepEqual((run.inputSchema as { required?: string[] }).required, ['workflow']);
  });

  it('list the workspace\'s workflows with their inputs, and the problems of a broken one', async () => {
    const listed = JSON.parse(resultText(await vscode.lm.invokeTool('orchestrate_listWorkflows', { input: {}, toolInvocationToken: undefined }))) as { workflows: Record<string, unknown>[] };
    const greet = listed.workflows.find((w) => w.path === 'agent-greet.workflow.yaml');
    assert.deepEqual(greet, {
      path: 'agent-greet.workflow.yaml',
      name: 'Greet for agents',
      description: 'Greets someone, in a tone.',
      inputs: {
        properties: { who: { type: 'string', description: 'Who to greet.' }, times: { type: 'number', default: 1 }, tone: { type: 'string', default: 'plain', enum: ['plain', 'warm'] } },
        required: ['who'],
      },
      outputs: ['greeting', 'times'],
    });
    const broken = listed.workflows.find((w) => w.path === 'agent-broken.workflow.yaml');
    assert.ok(broken && Array.isArray(broken.problems), JSON.stringify(broken));
    assert.match(String((broken.problems as string[])[0]), /^agent-broken\.workflow\.yaml:4:\d+: unknown-step-ref: /);
    // The examples copied into the workspace are listed too.
    assert.ok(listed.workflows.length > 3);
  });

  it('run a workflow through the RunManager and return its outputs and run id', async () => {
    const api = await activateApi();
    const started = waitForEvent(api.runs.onDidStartRun, (s) => s.workflowFile.path.endsWith('/agent-greet.workflow.yaml'), 'the agent\'s run to start');
    const result = await vscode.lm.invokeTool('orchestrate_runWorkflow', { input: { workflow: 'agent-greet.workflow.yaml', inputs: { who: 'Ada', times: 2 } }, toolInvocationToken: undefined });
    const session = await started;
    const answer = JSON.parse(resultText(result)) as { runId: string; status: string; outputs: Record<string, unknown>; trace?: string; workflow: string };
    assert.equal(answer.status, 'succeeded');
    assert.equal(answer.runId, session.runId);
    assert.equal(answer.workflow, 'agent-greet.workflow.yaml');
    assert.deepEqual(answer.outputs, { greeting: 'Hello Ada ×2 (plain)', times: 2 });
    // Recorded like any editor run: the trace is on disk and ends with the run.
    assert.ok(session.traceFile && answer.trace, 'the run has a trace');
    const events = fs.readFileSync(session.traceFile.fsPath, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string });
    assert.equal(events.at(-1)?.type, 'run.completed');
    assert.equal(api.runs.sessionFor(session.runId), session, 'the run is one of the window\'s runs (panel, runs view)');
  });

  it('take the path in the forms an agent writes it', async () => {
    for (const workflow of ['./agent-greet.workflow.yaml', vscode.Uri.joinPath(vscode.workspace.workspaceFolders![0].uri, 'agent-greet.workflow.yaml').fsPath]) {
      const result = await vscode.lm.invokeTool('orchestrate_runWorkflow', { input: { workflow, inputs: { who: 'Bo' } }, toolInvocationToken: undefined });
      assert.equal((JSON.parse(resultText(result)) as { outputs: { greeting: string } }).outputs.greeting, 'Hello Bo ×1 (plain)', workflow);
    }
  });

  it('refuse bad calls with a message the agent can act on, and start no run', async () => {
    const api = await activateApi();
    const starts: RunSession[] = [];
    const listener = api.runs.onDidStartRun((s) => starts.push(s));
    const call = (input: object) => rejection(vscode.lm.invokeTool('orchestrate_runWorkflow', { input, toolInvocationToken: undefined }));
    try {
      assert.match((await call({ workflow: 'agent-greet.workflow.yaml', inputs: { who: 'Ada', times: 'many' } })).message, /`agent-greet\.workflow\.yaml`: input `times` must be a number, not `many`/);
      assert.match((await call({ workflow: 'agent-greet.workflow.yaml', inputs: { who: 'Ada', tone: 'angry' } })).message, /input `tone`/);
      assert.match((await call({ workflow: 'agent-greet.workflow.yaml', inputs: {} })).message, /input `who` is required \(Who to greet\.\)/);
      assert.match((await call({ workflow: 'agent-greet.workflow.yaml', inputs: { who: 'Ada', constructor: 1 } })).message, /there is no input `constructor`; the inputs are `who`, `times`, `tone`/);
      assert.match((await call({ workflow: 'agent-gret.workflow.yaml', inputs: {} })).message, /there is no workflow `agent-gret\.workflow\.yaml` in this workspace; did you mean `agent-greet\.workflow\.yaml`\?/);
      assert.match((await call({ workflow: '../../etc/passwd' })).message, /there is no workflow `\.\.\/\.\.\/etc\/passwd` in this workspace/);
      assert.match((await call({ workflow: 'agent-broken.workflow.yaml' })).message, /`agent-broken\.workflow\.yaml` has a problem to fix before it can run:\nagent-broken\.workflow\.yaml:4:\d+: unknown-step-ref/);
      assert.match((await call({ inputs: {} })).message, /needs `workflow`/);
      assert.deepEqual(starts, []);
    } finally {
      listener.dispose();
    }
  });

  it('cancel the run when the call is cancelled', async () => {
    const api = await activateApi();
    const started = waitForEvent(api.runs.onDidStartRun, (s) => s.workflowFile.path.endsWith('/agent-waiting.workflow.yaml'), 'the agent\'s run to start');
    const cancel = new vscode.CancellationTokenSource();
    const call = vscode.lm.invokeTool('orchestrate_runWorkflow', { input: { workflow: 'agent-waiting.workflow.yaml' }, toolInvocationToken: undefined }, cancel.token);
    const outcome = rejection(call);
    const session = await started;
    // The run waits on the person's answer; the agent gives up.
    await eventOf(session, (e) => e.type === 'step.started' && e.stepId === 'pick', 'the input step');
    cancel.cancel();
    const error = await outcome;
    assert.ok(error instanceof vscode.CancellationError || /cancel/i.test(error.message), error.message);
    const result = await session.result;
    assert.equal(result.status, 'cancelled');
    assert.equal(session.events.at(-1)?.type, 'run.cancelled');
    cancel.dispose();
  });
});
