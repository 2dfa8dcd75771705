// createRunTools: a workflow's mcp: key plus the workspace's server files, end to end
// against server-everything started from .mcp.json.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import { SimulatedClock } from '../../../src/engine';
import { createRunTools, invokeTool, parseWorkflowMcp, ToolCallError, type ToolEventPayload } from '../../../src/engine/tools';
import { EVERYTHING_BIN } from './servers';

describe('createRunTools', () => {
  test('a workflow refers to a workspace server, trusts its read-only hints, and asks for the rest', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'orchestrate-run-tools-'));
    writeFileSync(path.join(folder, '.mcp.json'), JSON.stringify({ mcpServers: { everything: { command: process.execPath, args: [EVERYTHING_BIN, 'stdio'] } } }));
    const workflow = parseWorkflowMcp({ everything: { approval: { read_only: 'allow' } }, missing: {} }, 'w.workflow.yaml');
    const { host, policy, problems } = await createRunTools({ workflow, workspaceFolder: folder, env: {}, allowTools: [] });
    assert.deepEqual(problems.map((p) => p.code), ['mcp-server-unknown']);
    const events: ToolEventPayload[] = [];
    const call = (tool: string, args: Record<string, unknown>) =>
      invokeTool({ callId: tool, server: 'everything', tool, arguments: args, signal: new AbortController().signal }, { host, policy, clock: new SimulatedClock(0), emit: (e) => events.push(e) });
    try {
      assert.equal((await call('echo', { message: 'read-only' })).text, 'Echo: read-only');
      // toggle-simulated-logging is not read-only: nobody can consent headless.
      await assert.rejects(call('toggle-simulated-logging', {}), (e: unknown) => e instanceof ToolCallError && e.code === 'tool-denied');
      assert.deepEqual(
        events.map((e) => [e.type, e.tool]),
        [
          ['tool.started', 'echo'],
          ['tool.completed', 'echo'],
          ['tool.failed', 'toggle-simulated-logging'],
        ],
      );
    } finally {
      await host.close();
    }
  });

  test('a bad --allow-tools pattern is an error before anything starts', async () => {
    await assert.rejects(createRunTools({ workflow: parseWorkflowMcp(undefined, 'w'), workspaceFolder: tmpdir(), env: {}, allowTools: ['files.'] }), /needs a server and a tool around the dot/);
  });
});
