// The workspace's workflows as language-model tools, called the way agent mode calls them
// (`vscode.lm.invokeTool`): listed with their inputs, run through the RunManager (so the run
// shows in the panel and records a trace) on the mock provider, refused with a clear message
// for a bad path or bad inputs, and cancelled with the call. VS Code answers a tool's
// confirmation itself inside an extension test run (its dialog service confirms there).
import * as assert from 'node:assert/strict';
import * as fs from 'node:fs';
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import * as vscode from 'vscode';
import type { ModelRequest, RunEvent } from '../../../src/engine';
import { mcpApi, registerMcpServerProvider, type McpApi } from '../../../src/extension/agent/mcp-provider';
import type { RunSession } from '../../../src/extension/runs/session';
import { LanguageModelProvider } from '../../../src/extension/runs/vscode-lm';
import { activateApi, EXTENSION_ID, Fixtures, waitForEvent } from './editor-helpers';

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

/** The model, scripted (the one thing tests may fake): replies with the parts given and keeps what it was sent. */
class ScriptedModel implements vscode.LanguageModelChat {
  readonly name = 'Scripted';
  readonly id = 'scripted';
  readonly vendor = 'test';
  readonly family = 'scripted';
  readonly version = '1';
  readonly maxInputTokens = 100_000;
  readonly requests: { messages: vscode.LanguageModelChatMessage[]; options?: vscode.LanguageModelChatRequestOptions }[] = [];

  constructor(private readonly parts: readonly unknown[]) {}

  countTokens(text: string | vscode.LanguageModelChatMessage): Thenable<number> {
    return Promise.resolve(typeof text === 'string' ? text.length : 1);
  }

  sendRequest(messages: vscode.LanguageModelChatMessage[], options?: vscode.LanguageModelChatRequestOptions): Thenable<vscode.LanguageModelChatResponse> {
    this.requests.push({ messages, options });
    const parts = this.parts;
    return Promise.resolve({
      stream: (async function* () {
        yield* parts;
      })(),
      text: (async function* () {
        for (const part of parts) if (part instanceof vscode.LanguageModelTextPart) yield part.value;
      })(),
    });
  }
}

describe('provider: vscode-lm with tools', () => {
  const request = (messages: ModelRequest['messages'], extra: Partial<ModelRequest> = {}): ModelRequest => ({
    provider: 'vscode-lm',
    model: '',
    params: {},
    stepId: 'ask',
    attempt: 1,
    signal: new AbortController().signal,
    messages,
    tools: [{ type: 'function', function: { name: 'files__read', description: 'Reads a file', parameters: { type: 'object', properties: { path: { type: 'string' } } } } }],
    ...extra,
  });

  it('offers the tools, sends the loop so far as call and result parts, and reads the new calls from the stream', async () => {
    const model = new ScriptedModel([new vscode.LanguageModelTextPart('Reading b.'), new vscode.LanguageModelToolCallPart('call-9', 'files__read', { path: 'b.txt' })]);
    const provider = new LanguageModelProvider(() => Promise.resolve([model]));
    const deltas: string[] = [];
    const response = await provider.complete(
      request(
        [
          { role: 'system', content: 'Be brief.' },
          { role: 'user', content: 'Read a and b' },
          { role: 'assistant', content: '', toolCalls: [{ id: 'call-1', name: 'files__read', arguments: '{"path":"a.txt"}' }] },
          { role: 'tool', toolCallId: 'call-1', content: 'A' },
        ],
        { onDelta: (d) => deltas.push(d) },
      ),
    );
    assert.equal(response.text, 'Reading b.');
    assert.deepEqual(deltas, ['Reading b.']);
    assert.deepEqual(response.toolCalls, [{ id: 'call-9', name: 'files__read', arguments: '{"path":"b.txt"}' }]);

    const [sent] = model.requests;
    assert.deepEqual(sent!.options?.tools, [{ name: 'files__read', description: 'Reads a file', inputSchema: { type: 'object', properties: { path: { type: 'string' } } } }]);
    assert.deepEqual(
      sent!.messages.map((m) => m.role),
      [vscode.LanguageModelChatMessageRole.User, vscode.LanguageModelChatMessageRole.User, vscode.LanguageModelChatMessageRole.Assistant, vscode.LanguageModelChatMessageRole.User],
    );
    const call = sent!.messages[2]!.content[0];
    assert.ok(call instanceof vscode.LanguageModelToolCallPart);
    assert.equal(call.callId, 'call-1');
    assert.deepEqual(call.input, { path: 'a.txt' });
    const result = sent!.messages[3]!.content[0];
    assert.ok(result instanceof vscode.LanguageModelToolResultPart);
    assert.equal(result.callId, 'call-1');
    const resultText = result.content[0];
    assert.ok(resultText instanceof vscode.LanguageModelTextPart);
    assert.equal(resultText.value, 'A');
  });

  it('checks the output schema on the final reply only, and sends no tools when there are none', async () => {
    const schema = { type: 'object', properties: { answer: { type: 'string' } }, required: ['answer'] };
    const asking = new LanguageModelProvider(() => Promise.resolve([new ScriptedModel([new vscode.LanguageModelToolCallPart('c', 'files__read', {})])]));
    const first = await asking.complete(request([{ role: 'user', content: 'q' }], { outputSchema: schema }));
    assert.equal(first.json, undefined);
    assert.equal(first.toolCalls?.length, 1);

    const answering = new ScriptedModel([new vscode.LanguageModelTextPart('{"answer": "42"}')]);
    const last = await new LanguageModelProvider(() => Promise.resolve([answering])).complete(request([{ role: 'user', content: 'q' }], { outputSchema: schema, tools: [] }));
    assert.deepEqual(last.json, { answer: '42' });
    assert.equal(last.toolCalls, undefined);
    assert.equal(answering.requests[0]!.options?.tools, undefined);
  });
});

describe('the MCP server definition for agents', function () {
  this.timeout(60_000);
  const owned: vscode.Disposable[] = [];
  after(() => owned.forEach((d) => d.dispose()));

  it('is not looked for on VS Code 1.100, whose draft of the API throws', () => {
    assert.equal(mcpApi(), undefined);
  });

  it('where the API exists: `orchestrate mcp` for the folder, run by the editor\'s Node, and an MCP client can run a workflow through it', async () => {
    await activateApi();
    const registered: { id: string; provider: Parameters<McpApi['register']>[1] }[] = [];
    const api: McpApi = {
      register: (id, provider) => {
        registered.push({ id, provider });
        return new vscode.Disposable(() => undefined);
      },
      StdioServerDefinition: class {
        cwd?: vscode.Uri;
        constructor(
          readonly label: string,
          public command: string,
          public args: string[] = [],
          public env: Record<string, string | number | null> = {},
          public version?: string,
        ) {}
      },
    };
    const logged: string[] = [];
    const log = { info: (line: string) => logged.push(line), warn: (line: string) => logged.push(line) };
    const script = path.join(vscode.extensions.getExtension(EXTENSION_ID)!.extensionPath, 'bin', 'orchestrate.js');
    owned.push(...registerMcpServerProvider({ script, version: '9.9.9' }, log, api));
    assert.deepEqual(registered.map((r) => r.id), ['orchestrate.workflows']);

    const folder = vscode.workspace.workspaceFolders![0]!.uri;
    const definitions = (await registered[0]!.provider.provideMcpServerDefinitions(new vscode.CancellationTokenSource().token)) ?? [];
    assert.equal(definitions.length, 1);
    const [definition] = definitions;
    assert.equal(definition!.label, 'Orchestrate workflows');
    assert.equal(definition!.command, process.execPath);
    assert.deepEqual(definition!.args, [script, 'mcp', folder.fsPath, '--traces', path.join(folder.fsPath, '.orchestrate'), '--cache', 'reuse']);
    assert.deepEqual(definition!.env, { ELECTRON_RUN_AS_NODE: '1' });
    assert.equal(definition!.cwd?.fsPath, folder.fsPath);
    assert.equal(definition!.version, '9.9.9');

    // Started as the editor starts a stdio server (with the extension host's environment).
    const env = Object.fromEntries(Object.entries({ ...process.env, ...definition!.env }).filter((e): e is [string, string] => typeof e[1] === 'string'));
    const transport = new StdioClientTransport({ command: definition!.command, args: definition!.args, env, cwd: definition!.cwd!.fsPath, stderr: 'pipe' });
    const client = new Client({ name: 'orchestrate-integration', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      assert.ok(tools.some((t) => t.name === 'smart_router'), tools.map((t) => t.name).join(', '));
      const result = await client.callTool({ name: 'smart_router', arguments: { message: 'I was charged twice' } });
      assert.notEqual(result.isError, true, JSON.stringify(result.content));
      const meta = result._meta as Record<string, string>;
      // Recorded in the folder the editor's own runs use.
      assert.ok(fs.existsSync(path.resolve(folder.fsPath, meta['orchestrate/trace']!)), meta['orchestrate/trace']);
    } finally {
      await client.close();
    }
    assert.deepEqual(logged, []);
  });
});
