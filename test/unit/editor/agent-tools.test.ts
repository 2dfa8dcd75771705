// The pure parts of the agent tools (src/extension/agent): the run tool's input, which
// listed workflow a path names, the confirmation (model-written inputs shown inert), the
// texts an agent reads back, and the MCP server launch — run as the editor would start it.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, it } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import fc from 'fast-check';
import MarkdownIt from 'markdown-it';
import type { RunResult } from '../../../src/engine';
import { hasMcpProviderApi, workflowServerLaunch } from '../../../src/extension/agent/mcp-launch';
import { AgentToolError, codeBlock, confirmation, matchWorkflow, parseRunInput, runFailureText, runResultText, type ListedWorkflow } from '../../../src/extension/agent/tool-text';

const REPO_ROOT = path.resolve(__dirname, '../../..');

describe('the run tool\'s input', () => {
  it('takes a path and an object of inputs (or JSON text of one, as some models send)', () => {
    assert.deepEqual(parseRunInput({ workflow: ' a.workflow.yaml ', inputs: { x: 1 } }), { workflow: 'a.workflow.yaml', inputs: { x: 1 } });
    assert.deepEqual(parseRunInput({ workflow: 'a.workflow.yaml' }), { workflow: 'a.workflow.yaml', inputs: {} });
    assert.deepEqual(parseRunInput({ workflow: 'a.workflow.yaml', inputs: null }), { workflow: 'a.workflow.yaml', inputs: {} });
    assert.deepEqual(parseRunInput({ workflow: 'a.workflow.yaml', inputs: '{"x": [1]}' }), { workflow: 'a.workflow.yaml', inputs: { x: [1] } });
  });

  it('refuses anything else with what to send instead', () => {
    const refusal = (input: unknown) => {
      try {
        parseRunInput(input);
      } catch (error) {
        assert.ok(error instanceof AgentToolError);
        return error.message;
      }
      assert.fail(`accepted ${JSON.stringify(input)}`);
    };
    assert.match(refusal(null), /takes an object: \{ "workflow"/);
    assert.match(refusal([]), /takes an object/);
    assert.match(refusal({}), /needs `workflow`/);
    assert.match(refusal({ workflow: '   ' }), /needs `workflow`/);
    assert.match(refusal({ workflow: 3 }), /needs `workflow`/);
    assert.match(refusal({ workflow: 'a', who: 'Ada' }), /not `who`; the workflow's own inputs go inside `inputs`/);
    assert.match(refusal({ workflow: 'a', inputs: [1] }), /`inputs` must be an object/);
    assert.match(refusal({ workflow: 'a', inputs: 'who=Ada' }), /not text that is not JSON/);
    assert.match(refusal({ workflow: 'a', inputs: '"Ada"' }), /`inputs` must be an object/);
    // An inherited `workflow` is not the caller's.
    assert.match(refusal(Object.create({ workflow: 'a' }) as object), /needs `workflow`/);
  });

  it('property: never throws anything but a worded refusal, whatever arrives', () => {
    fc.assert(
      fc.property(fc.anything({ withNullPrototype: true, withObjectString: true }), (input) => {
        try {
          parseRunInput(input);
        } catch (error) {
          assert.ok(error instanceof AgentToolError, String(error));
        }
      }),
    );
  });
});

describe('which workflow a path names', () => {
  const root = path.join(tmpdir(), 'ws');
  const listed: ListedWorkflow[] = [
    { path: 'greet.workflow.yaml', within: 'greet.workflow.yaml', absolute: path.join(root, 'greet.workflow.yaml') },
    { path: 'lib/summarize.workflow.yaml', within: 'lib/summarize.workflow.yaml', absolute: path.join(root, 'lib/summarize.workflow.yaml') },
  ];

  it('as listed, with ./ or backslashes, or absolute', () => {
    for (const given of ['lib/summarize.workflow.yaml', './lib/summarize.workflow.yaml', 'lib\\summarize.workflow.yaml', path.join(root, 'lib/summarize.workflow.yaml')]) {
      assert.equal(matchWorkflow(given, listed), listed[1], given);
    }
  });

  it('an unknown path: the closest one and the list; none at all: says so', () => {
    assert.throws(() => matchWorkflow('lib/sumarize.workflow.yaml', listed), /there is no workflow `lib\/sumarize\.workflow\.yaml` in this workspace; did you mean `lib\/summarize\.workflow\.yaml`\? The workflows are `greet\.workflow\.yaml`, `lib\/summarize\.workflow\.yaml`\./);
    assert.throws(() => matchWorkflow('nothing-like-it.yaml', listed), /in this workspace\. The workflows are/);
    assert.throws(() => matchWorkflow('a.workflow.yaml', []), /this workspace has no workflow files/);
  });

  it('multi-root: a path inside one folder is enough when only one folder has it', () => {
    const multi: ListedWorkflow[] = [
      { path: 'app/flow.workflow.yaml', within: 'flow.workflow.yaml', absolute: '/w/app/flow.workflow.yaml' },
      { path: 'docs/flow.workflow.yaml', within: 'flow.workflow.yaml', absolute: '/w/docs/flow.workflow.yaml' },
      { path: 'docs/only.workflow.yaml', within: 'only.workflow.yaml', absolute: '/w/docs/only.workflow.yaml' },
    ];
    assert.equal(matchWorkflow('docs/flow.workflow.yaml', multi), multi[1]);
    assert.equal(matchWorkflow('only.workflow.yaml', multi), multi[2]);
    assert.throws(() => matchWorkflow('flow.workflow.yaml', multi), /in more than one workspace folder: say which, as `app\/flow\.workflow\.yaml` or `docs\/flow\.workflow\.yaml`/);
  });

  it('property: only a listed file is ever named — no path reaches anything else', () => {
    const hostile = fc.oneof(fc.string(), fc.constantFrom('../greet.workflow.yaml', '/etc/passwd', 'lib/../greet.workflow.yaml', '__proto__', 'constructor', '', '.', './', '\\\\server\\share'));
    fc.assert(
      fc.property(hostile, (given) => {
        try {
          assert.ok(listed.includes(matchWorkflow(given, listed)));
        } catch (error) {
          assert.ok(error instanceof AgentToolError);
        }
      }),
    );
  });
});

describe('the confirmation', () => {
  const md = new MarkdownIt({ html: false });

  it('names the workflow, its path and the inputs it gets', () => {
    const { title, message } = confirmation('Greet', 'agents/greet.workflow.yaml', { who: 'Ada', times: 2 });
    assert.equal(title, 'Run the workflow “Greet”?');
    assert.match(message, /^Orchestrate runs `agents\/greet\.workflow\.yaml`: its steps call models/);
    assert.match(message, /Inputs:\n\n```json\n\{\n {2}"who": "Ada",\n {2}"times": 2\n\}\n```$/);
    assert.match(confirmation('Greet', 'g.workflow.yaml', {}).message, /It takes no inputs\.$/);
  });

  it('property: a model\'s inputs stay inside the code block, whatever they hold', () => {
    fc.assert(
      fc.property(fc.dictionary(fc.string(), fc.oneof(fc.string(), fc.constantFrom('```', '````\n# Heading', '</code><img src=x onerror=alert(1)>', '[run](command:workbench.action.terminal.new)')), { minKeys: 1 }), (inputs) => {
        const { message } = confirmation('W', 'w.workflow.yaml', inputs);
        const tokens = md.parse(message, {});
        const fences = tokens.filter((t) => t.type === 'fence');
        assert.equal(fences.length, 1);
        // Everything after "Inputs:" is that one code block: nothing became a heading, link or HTML.
        const afterInputs = tokens.slice(tokens.findIndex((t) => t.type === 'fence'));
        assert.deepEqual(afterInputs.map((t) => t.type), ['fence']);
        const json = JSON.stringify(inputs, null, 2);
        assert.equal(fences[0]!.content, `${json.length > 2000 ? `${json.slice(0, 2000)}\n… (${json.length - 2000} more characters)` : json}\n`);
      }),
    );
  });

  it('a long path or name is one line, and a fence outgrows any backticks inside', () => {
    assert.equal(codeBlock('a ```` b'), '`````\na ```` b\n`````');
    const { title } = confirmation(`A\n# heading ${'x'.repeat(300)}`, 'p', {});
    assert.ok(!title.includes('\n'));
    assert.ok(title.length <= 140, title);
  });
});

describe('what the agent reads back', () => {
  const base: RunResult = { runId: 'r-1', status: 'succeeded', outputs: { greeting: 'hi', n: 2 }, steps: {}, durationMs: 5, usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } };

  it('the outputs as JSON, with the run id and the trace', () => {
    assert.deepEqual(JSON.parse(runResultText('g.workflow.yaml', base, '.orchestrate/runs/r-1.jsonl')), {
      workflow: 'g.workflow.yaml',
      runId: 'r-1',
      status: 'succeeded',
      outputs: { greeting: 'hi', n: 2 },
      trace: '.orchestrate/runs/r-1.jsonl',
    });
    assert.equal('trace' in (JSON.parse(runResultText('g', base, undefined)) as object), false);
  });

  it('a failure names the step and the chain of causes; a cancel says so', () => {
    const failed: RunResult = { ...base, status: 'failed', error: { code: 'schema', message: 'step `b` failed', stepId: 'b', cause: { code: 'server', message: 'the server said no' } } };
    assert.equal(runFailureText('g.workflow.yaml', failed, 't.jsonl'), 'the workflow `g.workflow.yaml` failed at step `b`: step `b` failed ← the server said no (run r-1, trace t.jsonl)');
    assert.equal(runFailureText('g.workflow.yaml', { ...base, status: 'failed' }, undefined), 'the workflow `g.workflow.yaml` failed (run r-1)');
    assert.equal(runFailureText('g.workflow.yaml', { ...base, status: 'cancelled', error: { code: 'cancelled', message: 'stopped by the user' } }, undefined), 'the run of `g.workflow.yaml` was cancelled: stopped by the user (run r-1)');
  });
});

describe('the MCP server for agents', () => {
  it('the API is there from VS Code 1.101', () => {
    assert.equal(hasMcpProviderApi('1.100.3'), false);
    assert.equal(hasMcpProviderApi('1.101.0'), true);
    assert.equal(hasMcpProviderApi('1.101.0-insider'), true);
    assert.equal(hasMcpProviderApi('1.99.9'), false);
    assert.equal(hasMcpProviderApi('2.0.0'), true);
    assert.equal(hasMcpProviderApi('nonsense'), false);
  });

  it('runs this extension\'s CLI with the editor\'s Node, recording where the editor\'s runs go', () => {
    const folder = { name: 'ws', fsPath: path.join(tmpdir(), 'ws') };
    const launch = workflowServerLaunch({ nodePath: '/editor/node', cliScript: '/ext/bin/orchestrate.js', folder, traceFolder: '.orchestrate', cache: 'reuse', multiRoot: false });
    assert.deepEqual(launch, {
      label: 'Orchestrate workflows',
      command: '/editor/node',
      args: ['/ext/bin/orchestrate.js', 'mcp', folder.fsPath, '--traces', path.join(folder.fsPath, '.orchestrate'), '--cache', 'reuse'],
      env: { ELECTRON_RUN_AS_NODE: '1' },
      cwd: folder.fsPath,
    });
    const off = workflowServerLaunch({ nodePath: 'n', cliScript: 'c', folder, traceFolder: '', cache: 'refresh', multiRoot: true });
    assert.deepEqual(off.args.slice(3), ['--no-trace', '--cache', 'off']);
    assert.equal(off.label, 'Orchestrate workflows (ws)');
    const absolute = workflowServerLaunch({ nodePath: 'n', cliScript: 'c', folder, traceFolder: path.join(tmpdir(), 'elsewhere'), cache: 'off', multiRoot: false });
    assert.deepEqual(absolute.args.slice(3, 5), ['--traces', path.join(tmpdir(), 'elsewhere')]);
  });

  it('the launch works: an MCP client lists the folder\'s workflows and runs one', { skip: !existsSync(path.join(REPO_ROOT, 'dist/cli.js')) && 'run `npm run build` first' }, async () => {
    const dir = mkdtempSync(path.join(tmpdir(), 'orchestrate-agent-'));
    writeFileSync(path.join(dir, 'greet.workflow.yaml'), 'name: Greet\ninputs:\n  who: { required: true }\nsteps:\n  - id: hi\n    prompt: "Greet {{ inputs.who }}"\n    mock: "Hello {{ inputs.who }}"\noutputs:\n  greeting: "{{ steps.hi.output }}"\n');
    const launch = workflowServerLaunch({ nodePath: process.execPath, cliScript: path.join(REPO_ROOT, 'bin/orchestrate.js'), folder: { name: 'ws', fsPath: dir }, traceFolder: '.orchestrate', cache: 'reuse', multiRoot: false });
    // The bundle's coverage would break the test runner's report: the child writes its own elsewhere.
    const env = { ...launch.env, ORCHESTRATE_USE_MOCK: 'true', PATH: process.env.PATH ?? '', NODE_V8_COVERAGE: mkdtempSync(path.join(tmpdir(), 'orchestrate-agent-coverage-')) };
    const transport = new StdioClientTransport({ command: launch.command, args: launch.args, env, cwd: launch.cwd, stderr: 'pipe' });
    const client = new Client({ name: 'agent-test', version: '1.0.0' });
    await client.connect(transport);
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name), ['greet']);
      const result = await client.callTool({ name: 'greet', arguments: { who: 'Ada' } });
      assert.deepEqual(result.structuredContent, { greeting: 'Hello Ada' });
      // Recorded where the editor's runs of that folder are.
      assert.equal(readdirSync(path.join(dir, '.orchestrate', 'runs')).filter((f) => f.endsWith('.jsonl')).length, 1);
    } finally {
      await client.close();
    }
  });
});
