// The official MCP client connects to `orchestrate mcp` over stdio (a real process),
// lists the workflows, runs one with progress notifications, and cancels one mid-run.
import assert from 'node:assert/strict';
import { existsSync, readFileSync } from 'node:fs';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import * as path from 'node:path';
import { after, describe, test } from 'node:test';
import { CallToolResultSchema, ElicitRequestSchema, type ElicitRequest } from '@modelcontextprotocol/sdk/types.js';
import { BROKEN, CONFIRM, connectStdio, REPO_ROOT, SUMMARISE, TWO_STEPS, workspace, type StdioServer } from './support';

function text(result: object): string {
  return (((result as { content?: unknown }).content ?? []) as { type: string; text?: string }[]).map((c) => c.text ?? '').join('\n');
}

describe('orchestrate mcp over stdio', () => {
  const dir = workspace({ 'summarise.workflow.yaml': SUMMARISE, 'nested/two.workflow.yml': TWO_STEPS, 'broken.workflow.yaml': BROKEN, 'notes.yaml': 'name: not a workflow' });
  let server: StdioServer;
  after(async () => {
    await server?.client.close();
  });

  test('lists every valid workflow under the folder, with schemas from inputs and outputs', async () => {
    server = await connectStdio(dir);
    const { tools } = await server.client.listTools();
    assert.deepEqual(tools.map((t) => t.name).sort(), ['summarise_text', 'two_steps']);
    const summarise = tools.find((t) => t.name === 'summarise_text')!;
    assert.equal(summarise.description, 'Summarises a text in one line.');
    assert.equal(summarise.title, 'Summarise Text');
    assert.deepEqual(summarise.inputSchema.required, ['text']);
    assert.deepEqual(summarise.inputSchema.properties, {
      text: { type: 'string', description: 'The text to summarise.' },
      words: { type: 'number', default: 12 },
      tone: { type: 'string', default: 'plain', enum: ['plain', 'warm'] },
    });
    assert.equal(summarise.inputSchema.additionalProperties, false);
    assert.deepEqual(Object.keys(summarise.outputSchema!.properties!), ['summary', 'facts', 'words', 'label']);
    assert.equal(summarise.annotations?.readOnlyHint, false);
    // The broken file is reported on stderr with its position, not served.
    assert.match(server.stderr(), /broken\.workflow\.yaml:4:\d+: unknown-step-ref/);
  });

  test('runs a workflow: progress per step, outputs as structured content, the run id and trace in the result', async () => {
    const progress: string[] = [];
    const result = await server.client.callTool({ name: 'summarise_text', arguments: { text: 'The cat sat.', words: 5 } }, CallToolResultSchema, {
      onprogress: (p) => progress.push(p.message ?? ''),
    });
    assert.equal(result.isError, undefined);
    assert.deepEqual(result.structuredContent, { summary: 'Short: The cat sat.', facts: { facts: ['one', 'two'] }, words: 5, label: 'summary of 12 characters' });
    assert.deepEqual(progress, ['`summary` started', '`summary` succeeded', '`facts` started', '`facts` succeeded']);
    const runId = (result._meta as Record<string, string>)['orchestrate/runId'];
    const trace = (result._meta as Record<string, string>)['orchestrate/trace'];
    assert.match(text(result), new RegExp(`run ${runId} · trace `));
    const file = path.resolve(dir, trace);
    assert.ok(existsSync(file), `the trace ${file} exists`);
    const events = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string });
    assert.equal(events.at(-1)!.type, 'run.completed');
  });

  test('calls in parallel are separate runs, each with its own trace', async () => {
    const results = await Promise.all(['a', 'b', 'c'].map((t) => server.client.callTool({ name: 'summarise_text', arguments: { text: t } })));
    assert.deepEqual(results.map((r) => (r.structuredContent as { summary: string }).summary), ['Short: a', 'Short: b', 'Short: c']);
    const ids = results.map((r) => (r._meta as Record<string, string>)['orchestrate/runId']);
    assert.equal(new Set(ids).size, 3);
  });

  test('bad arguments are a tool error that names the input, and the run never starts', async () => {
    const cases: [Record<string, unknown>, RegExp][] = [
      [{}, /input `text` is required \(The text to summarise\.\)/],
      [{ text: 'x', words: 'many' }, /input `words` must be a number, not `many`/],
      [{ text: 'x', words: [1] }, /input `words` must be a number, not a list/],
      [{ text: 'x', tone: 'angry' }, /input `tone` must be one of `plain`, `warm`, not `angry`/],
      [{ text: 'x', __proto__: 1, constructor: 2 }, /there is no input `constructor`; the inputs are `text`, `words`, `tone`/],
    ];
    for (const [args, message] of cases) {
      const result = await server.client.callTool({ name: 'summarise_text', arguments: args });
      assert.equal(result.isError, true, JSON.stringify(args));
      assert.match(text(result), message);
    }
    // The SDK drops a JSON `__proto__` key on the way in: it can neither pollute nor set an input.
    const smuggled = await server.client.callTool({ name: 'summarise_text', arguments: JSON.parse('{"text":"x","__proto__":{"words":1}}') as Record<string, unknown> });
    assert.equal((smuggled.structuredContent as { words: number }).words, 12);
    const unknown = await server.client.callTool({ name: 'toString', arguments: {} });
    assert.equal(unknown.isError, true);
    assert.match(text(unknown), /there is no workflow tool `toString`; the tools are `two_steps`, `summarise_text`/);
  });

  test('a workflow that fails is a tool error with the step, the message and the trace', async () => {
    const failing = workspace({
      'fails.workflow.yaml': 'name: Fails\nsteps:\n  - id: ask\n    prompt: hi\n    mock: { $error: the model is down }\n',
    });
    const own = await connectStdio(failing);
    try {
      const result = await own.client.callTool({ name: 'fails', arguments: {} });
      assert.equal(result.isError, true);
      assert.match(text(result), /the workflow failed at step `ask`: .*the model is down/);
      assert.match(text(result), /run \S+ · trace \.orchestrate\/runs\//);
    } finally {
      await own.client.close();
    }
  });

  test('closing the connection ends the server process', async () => {
    const own = await connectStdio(dir);
    const pid = own.transport.pid!;
    await own.client.close();
    await own.exited;
    assert.throws(() => process.kill(pid, 0), /ESRCH/);
  });
});

describe('cancelling a call', () => {
  test('reaches the run: the trace ends in run.cancelled, and the server goes on serving', async () => {
    const dir = workspace({ 'two.workflow.yaml': TWO_STEPS });
    // Each mock reply takes ten minutes, so the call is still running when we cancel it.
    const server = await connectStdio(dir, ['--mock-delay', '600000']);
    const controller = new AbortController();
    const call = server.client.callTool({ name: 'two_steps', arguments: {} }, CallToolResultSchema, {
      signal: controller.signal,
      onprogress: (p) => {
        if (p.message === '`first` started') controller.abort('enough');
      },
    });
    await assert.rejects(call, /enough/);
    // The server is still usable after a cancel.
    assert.equal((await server.client.listTools()).tools.length, 1);
    await server.client.close();
    await server.exited;
    const index = readFileSync(path.join(dir, '.orchestrate/runs/index.jsonl'), 'utf8');
    const trace = /"file":"([^"]+)"/.exec(index)?.[1] ?? '';
    const file = path.isAbsolute(trace) ? trace : path.join(dir, '.orchestrate/runs', trace);
    const events = readFileSync(file, 'utf8').trim().split('\n').map((line) => JSON.parse(line) as { type: string; reason?: string });
    const last = events.at(-1)!;
    assert.equal(last.type, 'run.cancelled');
    assert.equal(last.reason, 'cancelled by the MCP client: enough');
  });
});

describe('the built CLI', () => {
  const bin = path.join(REPO_ROOT, 'bin/orchestrate.js');
  const built = existsSync(path.join(REPO_ROOT, 'dist/cli.js'));
  test('bin/orchestrate.js mcp serves a workflow (the bundle carries the SDK)', { skip: built ? false : 'dist/cli.js is missing: run `npm run build`' }, async () => {
    const dir = workspace({ 'two.workflow.yaml': TWO_STEPS });
    const client = new Client({ name: 'orchestrate-test', version: '1.0.0' });
    await client.connect(new StdioClientTransport({ command: process.execPath, args: [bin, 'mcp', dir, '--mock'], cwd: dir, stderr: 'pipe' }));
    try {
      const result = await client.callTool({ name: 'two_steps', arguments: {} });
      assert.deepEqual(result.structuredContent, { result: 'two' });
    } finally {
      await client.close();
    }
  });
});

describe('input: steps', () => {
  const dir = workspace({ 'publish.workflow.yaml': CONFIRM });

  test('are asked of the person through the client when it supports elicitation', async () => {
    const asked: ElicitRequest['params'][] = [];
    const server = await connectStdio(
      dir,
      [],
      {},
      (client) =>
        client.setRequestHandler(ElicitRequestSchema, async (request) => {
          asked.push(request.params);
          return { action: 'accept', content: { answer: 'yes' } };
        }),
      { elicitation: {} },
    );
    try {
      const result = await server.client.callTool({ name: 'publish', arguments: { title: 'Q3 report' } });
      assert.deepEqual(result.structuredContent, { answer: 'yes' });
      assert.equal(asked.length, 1);
      assert.equal(asked[0]!.message, 'Publish Q3 report?');
      assert.deepEqual((asked[0] as { requestedSchema: unknown }).requestedSchema, { type: 'object', properties: { answer: { type: 'string', title: 'confirm', enum: ['yes', 'no'] } }, required: ['answer'] });
    } finally {
      await server.client.close();
    }
  });

  test('a declined question fails the step; a client that cannot ask gets the argument to pass', async () => {
    const declining = await connectStdio(dir, [], {}, (client) => client.setRequestHandler(ElicitRequestSchema, async () => ({ action: 'decline' })), { elicitation: {} });
    try {
      const result = await declining.client.callTool({ name: 'publish', arguments: { title: 'x' } });
      assert.equal(result.isError, true);
      assert.match(text(result), /the workflow failed at step `confirm`/);
    } finally {
      await declining.client.close();
    }
    const mute = await connectStdio(dir);
    try {
      const result = await mute.client.callTool({ name: 'publish', arguments: { title: 'x' } });
      assert.equal(result.isError, true);
      assert.match(text(result), /step `confirm` asks "Publish x\?"/);
      const answered = await mute.client.callTool({ name: 'publish', arguments: { title: 'x', confirm: 'no' } });
      assert.deepEqual(answered.structuredContent, { answer: 'no' });
    } finally {
      await mute.client.close();
    }
  });
});
