// Every headless face runs workflows with tools, through the one session factory
// (src/engine/run/headless-tools.ts): `orchestrate test`, `serve` (embedded and with a
// worker on a real Redis), `mcp` and `debug-adapter`. A write needs `--allow-tools`:
// without it the step fails with `tool-denied` naming the flag and nothing is written;
// with it the file is written. After each run no server process it started is left.
import assert from 'node:assert/strict';
import { existsSync, mkdtempSync, readdirSync, readFileSync, rmSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { describe, test } from 'node:test';
import { DebugClient } from '@vscode/debugadapter-testsupport';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { main, type Io } from '../../../src/cli/main';
import type { ServedRunState } from '../../../src/serve/run-state';
import type { RunEvent } from '../../../src/engine';
import { TraceStore } from '../../../src/engine/trace';
import { Executor } from '../../../src/serve/execute';
import { startServer } from '../../../src/serve/server';
import { loadServedWorkflow } from '../../../src/serve/workflows';
import { connectStdio } from '../mcp/support';
import { api, redisMissing, spawnWorker, startRedis, waitForEnd } from '../serve/helpers';
import { FILESYSTEM_BIN } from './servers';

const REPO_ROOT = path.resolve(__dirname, '../../..');
const TSX = pathToFileURL(require.resolve('tsx')).href;

/** A folder with one workflow that writes `out.txt` into it through the filesystem server. */
function writer(extra = ''): { dir: string; file: string; target: string } {
  const dir = mkdtempSync(path.join(tmpdir(), 'orchestrate-faces-'));
  const target = path.join(dir, 'out.txt');
  const file = path.join(dir, 'writer.workflow.yaml');
  writeFileSync(
    file,
    `name: writer
mcp:
  files:
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(FILESYSTEM_BIN)}, ${JSON.stringify(dir)}]
    approval: { read_only: allow }
steps:
  - id: look
    tool: files.list_allowed_directories
    with: {}
  - id: write
    tool: files.write_file
    with: { path: ${JSON.stringify(target)}, content: written }
outputs:
  done: "yes"
${extra}`,
  );
  return { dir, file, target };
}

/** Filesystem server processes serving `dir` that are still alive (Linux: /proc). */
function serversOf(dir: string): number[] {
  const pids: number[] = [];
  for (const entry of readdirSync('/proc')) {
    if (!/^\d+$/.test(entry)) continue;
    let cmdline: string;
    try {
      cmdline = readFileSync(`/proc/${entry}/cmdline`, 'utf8');
    } catch {
      continue;
    }
    const args = cmdline.split('\0');
    if (args.includes(FILESYSTEM_BIN) && args.includes(dir)) pids.push(Number(entry));
  }
  return pids;
}

async function cli(args: string[], cwd: string): Promise<{ code: number; out: string; err: string }> {
  let out = '';
  let err = '';
  const io: Io = { out: (t) => (out += t), err: (t) => (err += t), color: false, env: { ORCHESTRATE_USE_MOCK: 'true', PATH: process.env.PATH }, cwd };
  const code = await main(args, io);
  return { code, out, err };
}

const DENIED = /needs consent and nobody can give it here: pass `--allow-tools files\.write_file`/;

describe('orchestrate test runs tool steps', () => {
  const tests = `tests:
  - name: writes the file
    expect:
      - output: done
        equals: "yes"
`;

  test('without --allow-tools the case fails with the consent message; with it the file is written; no server is left', async () => {
    const { dir, file, target } = writer(tests);
    try {
      const denied = await cli(['test', file, '--no-trace', '--quiet', '--reporter', 'json'], dir);
      assert.equal(denied.code, 1, denied.err);
      assert.match(denied.out, /tool-denied|needs consent/);
      assert.match(denied.out, /--allow-tools files\.write_file/);
      assert.equal(existsSync(target), false);

      const allowed = await cli(['test', file, '--no-trace', '--quiet', '--allow-tools', 'files.write_file'], dir);
      assert.equal(allowed.code, 0, allowed.out + allowed.err);
      assert.equal(readFileSync(target, 'utf8'), 'written');
      assert.deepEqual(serversOf(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });

  test('a bad --allow-tools pattern is a usage error', async () => {
    const { dir, file } = writer(tests);
    try {
      const { code, err } = await cli(['test', file, '--allow-tools', 'files.'], dir);
      assert.equal(code, 2);
      assert.match(err, /--allow-tools: tool pattern `files\.` needs a server and a tool/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('--allow-tools on every command', () => {
  test('serve, worker, mcp and debug-adapter refuse a bad pattern before starting, as run and test do', async () => {
    const { dir } = writer();
    try {
      for (const args of [['serve', dir, '--port', '0'], ['worker', dir, '--redis', 'redis://127.0.0.1:1'], ['mcp', dir], ['debug-adapter']]) {
        const { code, err } = await cli([...args, '--allow-tools', 'files.'], dir);
        assert.equal(code, 2, `${args[0]}: ${err}`);
        assert.match(err, /--allow-tools: tool pattern `files\.` needs a server and a tool/, args[0]);
      }
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('orchestrate serve runs tool steps (embedded)', () => {
  test('--allow-tools is the consent of served runs; without it the step fails naming the flag; no server is left', async () => {
    const { dir, target } = writer();
    const denying = await startServer({ root: dir, port: 0, mock: true, env: {}, log: () => undefined });
    const allowing = await startServer({ root: dir, port: 0, mock: true, env: {}, log: () => undefined, allowTools: ['files.write_file'] });
    try {
      const first = await api<{ id: string }>(denying.url, 'POST', '/v1/runs', { workflow: 'writer.workflow.yaml', inputs: {} });
      const deniedState: ServedRunState = await waitForEnd(denying.url, first.body.id);
      assert.equal(deniedState.status, 'failed');
      assert.match(JSON.stringify(deniedState), DENIED);
      assert.equal(existsSync(target), false);
      assert.deepEqual(serversOf(dir), []);

      const second = await api<{ id: string }>(allowing.url, 'POST', '/v1/runs', { workflow: 'writer.workflow.yaml', inputs: {} });
      const state = await waitForEnd(allowing.url, second.body.id);
      assert.equal(state.status, 'succeeded', JSON.stringify(state));
      assert.equal(readFileSync(target, 'utf8'), 'written');
      assert.deepEqual(serversOf(dir), []);
    } finally {
      await denying.close({ cancel: true });
      await allowing.close({ cancel: true });
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('a served run continued by another delivery', () => {
  test('answers the calls the first delivery finished from their events, never repeating them', async () => {
    const { dir, target } = writer();
    try {
      const executor = new Executor({ root: dir, store: new TraceStore(path.join(dir, '.orchestrate')), env: {}, mock: true, cache: 'off', warn: () => undefined, allowTools: ['files.write_file'] });
      const served = loadServedWorkflow(dir, 'writer.workflow.yaml');
      const first: RunEvent[] = [];
      const firstRun = await executor.execute({ served, inputs: {}, runId: 'first-delivery', signal: new AbortController().signal, onEvent: (event) => first.push(event) });
      assert.equal(firstRun.status, 'succeeded', JSON.stringify(firstRun.error));
      rmSync(target);
      const second: RunEvent[] = [];
      const again = await executor.execute({ served, inputs: {}, runId: 'second-delivery', recordedTools: first, signal: new AbortController().signal, onEvent: (event) => second.push(event) });
      assert.equal(again.status, 'succeeded', JSON.stringify(again.error));
      assert.deepEqual(
        second.filter((e) => e.type === 'tool.started').map((e) => (e as Extract<RunEvent, { type: 'tool.started' }>).approvedBy),
        ['recorded', 'recorded'],
      );
      // The write was answered from the record, not made again.
      assert.equal(existsSync(target), false);
      assert.deepEqual(serversOf(dir), []);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('orchestrate worker runs tool steps', { skip: redisMissing() }, () => {
  test('a worker started with --allow-tools runs the write; its server process is gone after the run', async () => {
    const { dir, target } = writer();
    const redis = await startRedis();
    const server = await startServer({ root: dir, port: 0, redisUrl: redis.url, env: {}, log: () => undefined });
    const worker = await spawnWorker(dir, redis.url, ['--mock', '--allow-tools', 'files.write_file']);
    try {
      const created = await api<{ id: string }>(server.url, 'POST', '/v1/runs', { workflow: 'writer.workflow.yaml', inputs: {} });
      const state = await waitForEnd(server.url, created.body.id);
      assert.equal(state.status, 'succeeded', `${JSON.stringify(state)}\n${worker.output()}`);
      assert.equal(readFileSync(target, 'utf8'), 'written');
      assert.deepEqual(serversOf(dir), []);
    } finally {
      worker.child.kill('SIGTERM');
      await worker.exited;
      await server.close({ cancel: true });
      await redis.stop();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('orchestrate mcp runs tool steps', () => {
  test('without --allow-tools the tool result is an error naming the flag; with it the write happens; no server is left', async () => {
    const { dir, target } = writer();
    const denying = await connectStdio(dir, ['--no-trace']);
    try {
      const denied = await denying.client.callTool({ name: 'writer', arguments: {} }, CallToolResultSchema);
      assert.equal(denied.isError, true);
      assert.match(JSON.stringify(denied.content), DENIED);
      assert.equal(existsSync(target), false);
      assert.deepEqual(serversOf(dir), []);
    } finally {
      await denying.client.close();
    }
    const allowing = await connectStdio(dir, ['--no-trace', '--allow-tools', 'files.write_file']);
    try {
      const result = await allowing.client.callTool({ name: 'writer', arguments: {} }, CallToolResultSchema);
      assert.notEqual(result.isError, true, JSON.stringify(result.content) + allowing.stderr());
      assert.equal(readFileSync(target, 'utf8'), 'written');
      assert.deepEqual(serversOf(dir), []);
    } finally {
      await allowing.client.close();
      rmSync(dir, { recursive: true, force: true });
    }
  });
});

describe('orchestrate debug-adapter runs tool steps', () => {
  const entry = path.join(REPO_ROOT, 'test/unit/debug/adapter-entry.ts');

  async function debugRun(dir: string, file: string, launch: Record<string, unknown>): Promise<string> {
    const dc = new DebugClient('node', entry, 'orchestrate', { cwd: dir, env: { ...process.env, NODE_OPTIONS: `--import ${TSX}`, ORCHESTRATE_USE_MOCK: 'true' } });
    dc.defaultTimeout = 20_000;
    const output: string[] = [];
    dc.on('output', (event: DebugProtocol.OutputEvent) => output.push(event.body.output));
    await dc.start();
    try {
      const ended = dc.waitForEvent('terminated');
      await Promise.all([dc.waitForEvent('initialized').then(() => dc.configurationDoneRequest()), dc.launch({ workflow: file, mock: true, trace: false, noDebug: true, ...launch })]);
      await ended;
      return output.join('');
    } finally {
      await dc.stop();
    }
  }

  test('the launch’s allowTools lets the write run; without it the step fails naming the flag; no server is left', async () => {
    const { dir, file, target } = writer();
    try {
      const denied = await debugRun(dir, file, {});
      assert.match(denied, DENIED);
      assert.equal(existsSync(target), false);
      assert.deepEqual(serversOf(dir), []);

      const allowed = await debugRun(dir, file, { allowTools: ['files.write_file'] });
      assert.match(allowed, /succeeded/);
      assert.equal(readFileSync(target, 'utf8'), 'written');
      assert.deepEqual(serversOf(dir), []);

      const bad = await debugRun(dir, file, { allowTools: ['files.'] });
      assert.match(bad, /launch `allowTools`: tool pattern `files\.` needs a server and a tool/);
    } finally {
      rmSync(dir, { recursive: true, force: true });
    }
  });
});
