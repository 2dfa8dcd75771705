// A prompt's `tools:` loop: on the mock provider (scripted `$tool_calls`), and through
// the real `openai` client against the loopback OpenAI-protocol server, with the real
// filesystem and everything MCP servers: parallel calls, a tool that errors, an unknown
// tool, bad arguments, max_turns, and a cancel during a call.
import assert from 'node:assert/strict';
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, beforeEach, describe, test } from 'node:test';
import { RunControl, SimulatedClock, type RunEvent, type Workflow } from '../../../src/engine';
import { MockProvider } from '../../../src/engine/providers/mock';
import { OpenAIProvider } from '../../../src/engine/providers/openai';
import { ToolSession } from '../../../src/engine/run/tool-session';
import { createRunTools } from '../../../src/engine/tools';
import { startFakeOpenAI, type FakeOpenAI } from '../../support/fake-openai-server';
import { load, run } from '../../support/engine';
import { EVERYTHING_BIN, FILESYSTEM_BIN } from './servers';

let folder: string;
let fake: FakeOpenAI;

before(async () => {
  folder = mkdtempSync(path.join(tmpdir(), 'orchestrate-tool-loop-'));
  writeFileSync(path.join(folder, 'a.txt'), 'alpha');
  writeFileSync(path.join(folder, 'b.txt'), 'beta');
  fake = await startFakeOpenAI();
});
after(async () => {
  rmSync(folder, { recursive: true, force: true });
  await fake.close();
});
beforeEach(() => fake.reset());

function mcp(): string {
  return `mcp:
  files:
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(FILESYSTEM_BIN)}, ${JSON.stringify(folder)}]
    approval: { read_only: allow }
  everything:
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(EVERYTHING_BIN)}, stdio]
    approval: allow
`.split('\n').join('\n      ');
}

function session(workflow: Workflow): ToolSession {
  return new ToolSession({
    open: async () => {
      const tools = await createRunTools({ workflow: workflow.mcp!, workspaceFolder: folder, env: {} });
      return { host: tools.host, policy: tools.policy };
    },
  });
}

const file = (name: string) => JSON.stringify({ path: path.join(folder, name) });

function ofType<T extends RunEvent['type']>(events: RunEvent[], type: T): Extract<RunEvent, { type: T }>[] {
  return events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);
}

describe('tools: on the mock provider', () => {
  test('scripted $tool_calls run in parallel and their results reach the next turn', async () => {
    const workflow = load(`
      name: mock loop
      ${mcp()}
      steps:
        - id: answer
          prompt: Read both files.
          tools: [files.read_text_file]
          mock:
            - $tool_calls:
                - { name: files.read_text_file, arguments: { path: ${JSON.stringify(path.join(folder, 'a.txt'))} } }
                - { name: files__read_text_file, arguments: { path: ${JSON.stringify(path.join(folder, 'b.txt'))} } }
            - both read
    `);
    const provider = new MockProvider();
    const seen: string[][] = [];
    const spy = { id: 'mock', complete: (request: Parameters<MockProvider['complete']>[0]) => (seen.push(request.messages.map((m) => `${m.role}:${m.content}`)), provider.complete(request)) };
    const { result, events } = await run(workflow, spy, { tools: session(workflow) });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.equal(result.steps.answer.output, 'both read');
    assert.equal(seen.length, 2);
    assert.deepEqual(seen[1].slice(-2), ['tool:alpha', 'tool:beta']);
    const started = ofType(events, 'tool.started');
    assert.deepEqual(started.map((e) => [e.turn, e.tool]), [[1, 'read_text_file'], [1, 'read_text_file']]);
    const completed = ofType(events, 'step.completed')[0];
    assert.equal(completed.call?.messages.filter((m) => m.role === 'tool').length, 2);
  });
});

describe('tools: through the openai client', () => {
  function openai(): OpenAIProvider {
    return new OpenAIProvider({ id: 'openai', baseURL: fake.url, apiKey: 'sk-test-0123456789', maxRetries: 0 });
  }

  function workflow(extra = ''): Workflow {
    return load(`
      name: openai loop
      ${mcp()}
      model: { provider: openai, name: gpt-4o-mini }
      steps:
        - id: answer
          prompt: Use the tools.
          tools: [files.read_text_file, everything.*]
          ${extra}
    `);
  }

  test('streamed calls (whole and in pieces), run in parallel, answered as tool messages', async () => {
    fake.script(
      { kind: 'tool-calls', calls: [{ name: 'files__read_text_file', arguments: file('a.txt') }, { name: 'files__read_text_file', arguments: file('b.txt') }], pieces: 3 },
      { kind: 'tool-calls', calls: [{ name: 'everything__echo', arguments: '{"message":"hi"}' }] },
      { kind: 'reply', content: 'alpha and beta' },
    );
    const wf = workflow();
    const { result, events } = await run(wf, openai(), { tools: session(wf) });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.equal(result.steps.answer.output, 'alpha and beta');
    const bodies = fake.requests.filter((r) => r.path.endsWith('/chat/completions')).map((r) => r.body!);
    assert.equal(bodies.length, 3);
    const offered = (bodies[0].tools as { function: { name: string } }[]).map((t) => t.function.name);
    assert.ok(offered.includes('files__read_text_file') && offered.includes('everything__echo'), offered.join());
    assert.ok(!offered.includes('files__write_file'));
    const second = bodies[1].messages;
    const assistant = second.find((m) => m.role === 'assistant')!;
    assert.equal(assistant.tool_calls?.length, 2);
    const tools = second.filter((m) => m.role === 'tool');
    assert.deepEqual(tools.map((m) => [m.tool_call_id, m.content]), [
      [assistant.tool_calls![0].id, 'alpha'],
      [assistant.tool_calls![1].id, 'beta'],
    ]);
    assert.equal(bodies[2].messages.filter((m) => m.role === 'tool').at(-1)?.content, 'Echo: hi');
    assert.equal(ofType(events, 'tool.completed').length, 3);
  });

  test('a tool that errors, an unknown tool and bad arguments are told to the model, which goes on', async () => {
    fake.script(
      {
        kind: 'tool-calls',
        calls: [
          { name: 'files__read_text_file', arguments: file('missing.txt') },
          { name: 'files__write_file', arguments: '{}' },
          { name: 'files__read_text_file', arguments: '{"path": "a.t' },
          { name: 'files__read_text_file', arguments: '["a.txt"]' },
        ],
      },
      { kind: 'reply', content: 'recovered' },
    );
    const wf = workflow();
    const { result, events } = await run(wf, openai(), { tools: session(wf) });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    const answers = fake.requests.filter((r) => r.path.endsWith('/chat/completions'))[1].body!.messages.filter((m) => m.role === 'tool').map((m) => m.content);
    assert.match(answers[0], /^error: .*(ENOENT|no such file|not found)/i);
    assert.match(answers[1], /^error: there is no tool `files__write_file`/);
    assert.match(answers[2], /^error: the arguments .* are not valid JSON/);
    assert.match(answers[3], /^error: the arguments .* must be a JSON object/);
    // Only the call that was made is an event; the others never reached a server.
    assert.equal(ofType(events, 'tool.started').length, 1);
  });

  test('a model that keeps asking fails the step at max_turns', async () => {
    const ask = { kind: 'tool-calls' as const, calls: [{ name: 'everything__echo', arguments: '{"message":"again"}' }] };
    fake.script(ask, ask, ask);
    const wf = workflow('max_turns: 2');
    const { result } = await run(wf, openai(), { tools: session(wf) });
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'max-turns');
    assert.match(result.error!.message, /after 2 model calls, its `max_turns`/);
    assert.equal(fake.calls, 2);
  });

  test('cancel during a tool call stops the call and the run', async () => {
    fake.script({ kind: 'tool-calls', calls: [{ name: 'everything__trigger-long-running-operation', arguments: '{"duration": 600, "steps": 600}' }] });
    const wf = workflow();
    const control = new RunControl();
    const { result, events } = await run(wf, openai(), {
      tools: session(wf),
      control,
      onEvent: (event) => {
        if (event.type === 'tool.started') control.cancel('stop now');
      },
    });
    assert.equal(result.status, 'cancelled');
    const failed = ofType(events, 'tool.failed');
    assert.equal(failed.length, 1);
    assert.equal(failed[0].error.code, 'cancelled');
    assert.equal(fake.calls, 1);
  });
});

describe('tools: in a replay', () => {
  test('a recorded tool loop replays turn by turn, its tool results from the recording, with no server started', async () => {
    const { replayResolver } = await import('../../../src/engine/trace');
    const { recordedResults } = await import('../../../src/engine/tools');
    const wf = load(`
      name: replay loop
      ${mcp()}
      steps:
        - id: answer
          prompt: Read a.
          tools: [files.read_text_file]
          mock:
            - $tool_calls: [{ name: files.read_text_file, arguments: { path: ${JSON.stringify(path.join(folder, 'a.txt'))} } }]
            - read it
    `);
    const first = await run(wf, new MockProvider(), { tools: session(wf) });
    assert.equal(first.result.status, 'succeeded', JSON.stringify(first.result.error));
    let opened = 0;
    const replaySession = new ToolSession({
      recorded: await recordedResults(first.events, path.join(folder, 'x.jsonl')),
      replayOnly: true,
      open: () => {
        opened++;
        return Promise.reject(new Error('a replay starts no server'));
      },
    });
    const replayed = await run(wf, new MockProvider(), { tools: replaySession, providers: replayResolver(first.events) });
    assert.equal(replayed.result.status, 'succeeded', JSON.stringify(replayed.result.error));
    assert.equal(replayed.result.steps.answer.output, 'read it');
    assert.equal(opened, 0);
    assert.deepEqual(ofType(replayed.events, 'tool.started').map((e) => e.approvedBy), ['recorded']);
  });
});

describe('tools: on resume', () => {
  test('a tool call the failed run finished is answered from its recording, never made again', async () => {
    const { recordedResults } = await import('../../../src/engine/tools');
    const wf = load(`
      name: resume loop
      ${mcp()}
      steps:
        - id: answer
          prompt: Read a.
          tools: [files.read_text_file]
          mock:
            - $tool_calls: [{ name: files.read_text_file, arguments: { path: ${JSON.stringify(path.join(folder, 'a.txt'))} } }]
            - $error: the model went away
    `);
    const failed = await run(wf, new MockProvider(), { tools: session(wf) });
    assert.equal(failed.result.status, 'failed');
    assert.equal(ofType(failed.events, 'tool.completed').length, 1);
    const resumedSession = new ToolSession({
      recorded: await recordedResults(failed.events, path.join(folder, 'x.jsonl')),
      open: async () => {
        const tools = await createRunTools({ workflow: wf.mcp!, workspaceFolder: folder, env: {} });
        return { host: tools.host, policy: tools.policy };
      },
    });
    const fixed = load(`
      name: resume loop
      ${mcp()}
      steps:
        - id: answer
          prompt: Read a.
          tools: [files.read_text_file]
          mock:
            - $tool_calls: [{ name: files.read_text_file, arguments: { path: ${JSON.stringify(path.join(folder, 'a.txt'))} } }]
            - read it this time
    `);
    const resumed = await run(fixed, new MockProvider(), { tools: resumedSession });
    assert.equal(resumed.result.status, 'succeeded', JSON.stringify(resumed.result.error));
    assert.deepEqual(ofType(resumed.events, 'tool.started').map((e) => e.approvedBy), ['recorded']);
  });
});

describe('tool: steps and time', () => {
  test('a tool that hangs past the step timeout fails the step with timeout, and the call is cancelled', async () => {
    const wf = load(`
      name: hang
      ${mcp()}
      steps:
        - id: slow
          tool: everything.trigger-long-running-operation
          with: { duration: 600, steps: 600 }
          timeout: 5s
    `);
    const clock = new SimulatedClock(1000);
    const { result, events } = await run(wf, new MockProvider(), {
      tools: session(wf),
      clock,
      onEvent: (event) => {
        // The call is in flight: let the step's simulated time run out.
        if (event.type === 'tool.started') void clock.advance(5000);
      },
    });
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'timeout');
    assert.match(result.error!.message, /took longer than its `timeout` of 5s/);
    assert.equal(ofType(events, 'tool.failed')[0]?.error.code, 'cancelled');
  });
});
