// `tool:` steps end to end against the real filesystem MCP server (over stdio, in a
// temp folder): outputs, failures with the server's words, retries and on_failure,
// approval (a write never happens without consent), the reducer's tool calls, replay
// from recorded results, one host per workflow of the run (a sub-workflow has its own), closed after.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { checkWorkflow, type RunEvent, type Workflow } from '../../../src/engine';
import { initialRunState, reduceEvents as fold } from '../../../src/engine/state';
import { ToolSession, type OpenedTools } from '../../../src/engine/run/tool-session';
import { createRunTools, McpToolHost, recordedResults, type ToolHost, type ToolResult } from '../../../src/engine/tools';
import { load, run, ScriptedProvider } from '../../support/engine';
import { alive, FILESYSTEM_BIN } from '../tools/servers';

let folder: string;

before(() => {
  folder = mkdtempSync(path.join(tmpdir(), 'orchestrate-tool-steps-'));
  writeFileSync(path.join(folder, 'notes.txt'), 'first line\nsecond line\n');
});
after(() => rmSync(folder, { recursive: true, force: true }));

/** The `mcp:` block declaring the filesystem server on the temp folder, with extra approval YAML. */
function mcp(approval = '{ read_only: allow }'): string {
  return `mcp:
  files:
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(FILESYSTEM_BIN)}, ${JSON.stringify(folder)}]
    approval: ${approval}
`;
}

interface Session {
  session: ToolSession;
  opened: number;
  hosts: ToolHost[];
}

function sessionFor(workflow: Workflow, options: { allowTools?: string[]; recorded?: Map<string, ToolResult>; replayOnly?: boolean; trusted?: boolean } = {}): Session {
  const out: Session = { session: undefined!, opened: 0, hosts: [] };
  out.session = new ToolSession({
    recorded: options.recorded,
    replayOnly: options.replayOnly,
    open: async (scoped): Promise<OpenedTools> => {
      out.opened++;
      const tools = await createRunTools({ workflow: (scoped.mcp ?? workflow.mcp)!, workspaceFolder: folder, env: {}, allowTools: options.allowTools, trusted: options.trusted ?? true });
      out.hosts.push(tools.host);
      return { host: tools.host, policy: tools.policy };
    },
  });
  return out;
}

const noModel = new ScriptedProvider(() => 'unused');

function reduceEvents(events: RunEvent[]) {
  return fold(initialRunState({ name: 'test', file: 'test.workflow.yaml' }), events);
}

function ofType<T extends RunEvent['type']>(events: RunEvent[], type: T): Extract<RunEvent, { type: T }>[] {
  return events.filter((e): e is Extract<RunEvent, { type: T }> => e.type === type);
}

describe('tool: steps', () => {
  test('a tool step outputs the structured content, with templated arguments; the state lists the call', async () => {
    const workflow = load(`
      name: read
      inputs:
        file: { default: notes.txt }
      ${indent(mcp())}
      steps:
        - id: read
          tool: files.read_text_file
          with:
            path: ${JSON.stringify(`${folder}/{{ inputs.file }}`)}
        - id: show
          set: "{{ steps.read.output.content }}"
      outputs:
        text: "{{ steps.show.output }}"
    `);
    const tools = sessionFor(workflow);
    const { result, events } = await run(workflow, noModel, { tools: tools.session });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.equal(result.outputs.text, 'first line\nsecond line\n');
    const started = ofType(events, 'tool.started');
    assert.equal(started.length, 1);
    assert.equal(started[0].stepId, 'read');
    assert.equal(started[0].approvedBy, 'read-only');
    assert.deepEqual(started[0].arguments.value, { path: path.join(folder, 'notes.txt') });
    const state = reduceEvents(events);
    const calls = state.steps.read.executions[0].tools!;
    assert.equal(calls.length, 1);
    assert.equal(calls[0].status, 'succeeded');
    assert.equal(state.steps.read.toolCalls, 1);
    assert.equal(tools.opened, 1);
  });

  test('the run closes its host: no server process outlives it', async () => {
    const workflow = load(`
      name: closes
      ${indent(mcp())}
      steps:
        - id: list
          tool: files.list_directory
          with: { path: ${JSON.stringify(folder)} }
    `);
    const tools = sessionFor(workflow);
    const pids: number[] = [];
    const onEvent = (event: RunEvent) => {
      if (event.type === 'tool.completed') for (const host of tools.hosts) if (host instanceof McpToolHost) pids.push(...host.processIds);
    };
    const { result } = await run(workflow, noModel, { tools: tools.session, onEvent });
    assert.equal(result.status, 'succeeded');
    assert.ok(pids.length > 0);
    for (const pid of pids) assert.equal(alive(pid), false);
    await assert.rejects(tools.session.tools(workflow), /closed/);
  });

  test('a workflow that calls no tool starts no server', async () => {
    const workflow = load(`
      name: none
      ${indent(mcp())}
      steps:
        - id: a
          set: 1
    `);
    const tools = sessionFor(workflow);
    const { result } = await run(workflow, noModel, { tools: tools.session });
    assert.equal(result.status, 'succeeded');
    assert.equal(tools.opened, 0);
  });

  test("a tool's error fails the step with the server's message, after its retries, and on_failure routes it", async () => {
    const workflow = load(`
      name: missing
      ${indent(mcp())}
      steps:
        - id: read
          tool: files.read_text_file
          with: { path: ${JSON.stringify(path.join(folder, 'nope.txt'))} }
          retries: 1
          retry_delay: 0s
          on_failure: fallback
        - id: done
          set: read
          end: true
        - id: fallback
          set: fell back
      outputs:
        error: "{{ steps.fallback.output }}"
    `);
    const tools = sessionFor(workflow);
    const { result, events } = await run(workflow, noModel, { tools: tools.session });
    assert.equal(result.status, 'succeeded');
    assert.equal(result.outputs.error, 'fell back');
    const failed = ofType(events, 'step.failed').find((e) => e.stepId === 'read')!;
    assert.equal(failed.error.code, 'tool-error');
    assert.equal(failed.attempt, 2);
    assert.match(failed.error.message, /files\.read_text_file` failed: .*(ENOENT|no such file|not found)/i);
    assert.equal(ofType(events, 'tool.completed').length, 2);
    const state = reduceEvents(events);
    assert.deepEqual(state.steps.read.executions[0].tools!.map((c) => [c.attempt, c.status]), [[1, 'error'], [2, 'error']]);
  });

  test('an unknown tool is a step failure naming what the server has', async () => {
    const workflow = load(`
      name: unknown
      ${indent(mcp())}
      steps:
        - id: read
          tool: files.read_txt_file
          with: { path: x }
    `);
    const { result } = await run(workflow, noModel, { tools: sessionFor(workflow).session });
    assert.equal(result.status, 'failed');
    assert.equal(result.error?.code, 'tool-unknown');
    assert.match(result.error!.message, /read_text_file/);
  });

  test('a write never happens without consent; --allow-tools gives it; a deny rule beats it; untrusted runs nothing', async () => {
    const target = path.join(folder, 'written.txt');
    const yaml = (approval: string) => `
      name: write
      ${indent(mcp(approval))}
      steps:
        - id: write
          tool: files.write_file
          with: { path: ${JSON.stringify(target)}, content: hello }
    `;
    const headless = load(yaml('{ read_only: allow }'));
    const denied = await run(headless, noModel, { tools: sessionFor(headless).session });
    assert.equal(denied.result.error?.code, 'tool-denied');
    assert.match(denied.result.error!.message, /--allow-tools files\.write_file/);
    assert.equal(existsSync(target), false);
    assert.equal(ofType(denied.events, 'tool.started').length, 0);
    assert.equal(reduceEvents(denied.events).steps.write.executions[0].tools![0].status, 'failed');

    const untrusted = await run(headless, noModel, { tools: sessionFor(headless, { allowTools: ['*'], trusted: false }).session });
    assert.equal(untrusted.result.error?.code, 'tool-denied');
    assert.equal(existsSync(target), false);

    const ruled = load(yaml('{ tools: { write_file: deny } }'));
    const overruled = await run(ruled, noModel, { tools: sessionFor(ruled, { allowTools: ['files.*'] }).session });
    assert.equal(overruled.result.error?.code, 'tool-denied');
    assert.equal(existsSync(target), false);

    const allowed = await run(headless, noModel, { tools: sessionFor(headless, { allowTools: ['files.write_*'] }).session });
    assert.equal(allowed.result.status, 'succeeded', JSON.stringify(allowed.result.error));
    assert.equal(existsSync(target), true);
    rmSync(target);
  });

  test('replay answers tool calls from the recording and never opens a server; a call it lacks fails', async () => {
    const workflow = load(`
      name: replay
      ${indent(mcp())}
      steps:
        - id: read
          tool: files.read_text_file
          with: { path: ${JSON.stringify(path.join(folder, 'notes.txt'))} }
    `);
    const first = await run(workflow, noModel, { tools: sessionFor(workflow).session });
    const recorded = await recordedResults(first.events, path.join(folder, 'trace.jsonl'));
    assert.equal(recorded.size, 1);
    const replay = sessionFor(workflow, { recorded, replayOnly: true });
    const again = await run(workflow, noModel, { tools: replay.session });
    assert.deepEqual(again.result.outputs, first.result.outputs);
    assert.equal(replay.opened, 0);
    assert.equal(ofType(again.events, 'tool.started')[0].approvedBy, 'recorded');

    const empty = sessionFor(workflow, { recorded: new Map(), replayOnly: true });
    const missing = await run(workflow, noModel, { tools: empty.session });
    assert.equal(missing.result.error?.code, 'replay-missing');
    assert.equal(empty.opened, 0);
  });

  test('a sub-workflow gets its own host from its own `mcp:` (one per workflow file), and both are closed after the run', async () => {
    const child = load(`
      name: child
      ${indent(mcp())}
      steps:
        - id: read
          tool: files.read_text_file
          with: { path: ${JSON.stringify(path.join(folder, 'notes.txt'))} }
      outputs:
        text: "{{ steps.read.output.content }}"
    `, path.join(folder, 'child.workflow.yaml'));
    const parent = load(`
      name: parent
      ${indent(mcp())}
      steps:
        - id: list
          tool: files.list_directory
          with: { path: ${JSON.stringify(folder)} }
        - id: sub
          uses: child.workflow.yaml
    `, path.join(folder, 'parent.workflow.yaml'));
    const tools = sessionFor(parent);
    const { result, events } = await run(parent, noModel, { tools: tools.session, loadWorkflow: () => Promise.resolve(child) });
    assert.equal(result.status, 'succeeded', JSON.stringify(result.error));
    assert.equal(tools.opened, 2);
    assert.deepEqual(ofType(events, 'tool.completed').map((e) => e.stepId), ['list', 'sub/read']);
    for (const host of tools.hosts) if (host instanceof McpToolHost) assert.deepEqual(host.processIds.filter(alive), []);
  });

  test('an untrusted workspace starts no server at all', async () => {
    const workflow = load(`
      name: untrusted
      ${indent(mcp())}
      steps:
        - id: read
          tool: files.read_text_file
          with: { path: ${JSON.stringify(path.join(folder, 'notes.txt'))} }
    `);
    let opened = 0;
    const session = new ToolSession({
      trusted: false,
      open: () => {
        opened++;
        return Promise.reject(new Error('never'));
      },
    });
    const { result } = await run(workflow, noModel, { tools: session });
    assert.equal(result.error?.code, 'tool-denied');
    assert.match(result.error!.message, /untrusted workspace/);
    assert.equal(opened, 0);
  });

  test('a run without tools fails a tool step clearly', async () => {
    const workflow = load(`
      name: bare
      ${indent(mcp())}
      steps:
        - id: read
          tool: files.read_text_file
          with: { path: x }
    `);
    const { result } = await run(workflow, noModel);
    assert.equal(result.status, 'failed');
    assert.match(result.error!.message, /has no tools/);
  });
});

describe('tool: in the loader and analyzer', () => {
  test('an unknown server is a located problem with a suggestion', () => {
    const text = `name: x\nmcp:\n  files: {}\nsteps:\n  - id: read\n    tool: file.read_text_file\n`;
    const { problems } = checkWorkflow(text, 'x.workflow.yaml');
    const problem = problems.find((p) => p.code === 'unknown-tool-server');
    assert.ok(problem, JSON.stringify(problems));
    assert.equal(problem.range.start.line, 6);
    assert.match(problem.message, /files/);
  });

  test('a tool without a server part, and keys of other kinds, are problems', () => {
    const { problems } = checkWorkflow(`name: x\nmcp:\n  files: {}\nsteps:\n  - id: read\n    tool: read_text_file\n    tools: [files.*]\n`, 'x.workflow.yaml');
    assert.ok(problems.some((p) => p.code === 'schema' && p.range.start.line === 6), JSON.stringify(problems));
    assert.ok(problems.some((p) => p.code === 'misplaced-key' && p.range.start.line === 7), JSON.stringify(problems));
  });

  test('mcp: problems are located at their key', () => {
    const { problems } = checkWorkflow(`name: x\nmcp:\n  files:\n    command: npx\n    approval: sometimes\nsteps:\n  - id: a\n    set: 1\n`, 'x.workflow.yaml');
    const problem = problems.find((p) => p.code === 'mcp-approval');
    assert.ok(problem, JSON.stringify(problems));
    assert.equal(problem.range.start.line, 5);
  });

  test('prototype names as servers and tools are only unknown', () => {
    for (const name of ['constructor', '__proto__', 'toString']) {
      const { problems } = checkWorkflow(`name: x\nmcp:\n  files: {}\nsteps:\n  - id: a\n    tool: ${name}.${name}\n`, 'x.workflow.yaml');
      assert.ok(problems.some((p) => p.code === 'unknown-tool-server'), `${name}: ${JSON.stringify(problems)}`);
    }
  });
});

/** Indents a block for inline YAML in a template (the first line sits after the caller's indent). */
function indent(block: string): string {
  return block.trimEnd().split('\n').join('\n      ');
}
