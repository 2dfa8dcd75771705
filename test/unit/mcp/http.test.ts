// `orchestrate mcp --http` as a real process: the SDK's client over streamable HTTP,
// with and without the bearer token, and the guards of a loopback server.
import assert from 'node:assert/strict';
import { request } from 'node:http';
import { mkdtempSync, readFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import { CallToolResultSchema } from '@modelcontextprotocol/sdk/types.js';
import { main, type Io } from '../../../src/cli/main';
import { startHttp, SUMMARISE, TWO_STEPS, workspace, type HttpServerProcess } from './support';

async function connect(url: string, headers: Record<string, string> = {}): Promise<Client> {
  const client = new Client({ name: 'orchestrate-test', version: '1.0.0' });
  await client.connect(new StreamableHTTPClientTransport(new URL(url), { requestInit: { headers } }));
  return client;
}

/** A raw POST, to send what a well-behaved client would not. */
function post(url: string, headers: Record<string, string>): Promise<{ status: number; body: string }> {
  return new Promise((resolve, reject) => {
    const req = request(url, { method: 'POST', headers: { 'content-type': 'application/json', accept: 'application/json, text/event-stream', ...headers } }, (res) => {
      let body = '';
      res.on('data', (chunk: Buffer) => (body += chunk.toString()));
      res.on('end', () => resolve({ status: res.statusCode ?? 0, body }));
    });
    req.on('error', reject);
    req.end(JSON.stringify({ jsonrpc: '2.0', id: 1, method: 'initialize', params: { protocolVersion: '2025-06-18', capabilities: {}, clientInfo: { name: 'raw', version: '1' } } }));
  });
}

describe('orchestrate mcp --http on loopback, no token', () => {
  const dir = workspace({ 'summarise.workflow.yaml': SUMMARISE, 'two.workflow.yaml': TWO_STEPS });
  let server: HttpServerProcess;
  before(async () => {
    server = await startHttp(dir);
  });
  after(async () => {
    await server?.stop();
  });

  test('binds 127.0.0.1 and serves the workflows to the SDK client, with progress', async () => {
    assert.match(server.url, /^http:\/\/127\.0\.0\.1:\d+\/mcp$/);
    const client = await connect(server.url);
    try {
      const { tools } = await client.listTools();
      assert.deepEqual(tools.map((t) => t.name).sort(), ['summarise_text', 'two_steps']);
      const progress: string[] = [];
      const result = await client.callTool({ name: 'two_steps', arguments: {} }, CallToolResultSchema, { onprogress: (p) => progress.push(p.message ?? '') });
      assert.deepEqual(result.structuredContent, { result: 'two' });
      assert.equal(progress.length, 4);
    } finally {
      await client.close();
    }
  });

  test('refuses a request addressed to another host name (DNS rebinding) and a foreign Origin', async () => {
    assert.equal((await post(server.url, { host: 'evil.example:80' })).status, 403);
    assert.equal((await post(server.url, { origin: 'https://evil.example' })).status, 403);
    assert.equal((await post(server.url, { origin: 'http://localhost:5173' })).status, 200);
  });

  test('answers 404 off /mcp', async () => {
    assert.equal((await post(server.url.replace(/\/mcp$/, '/other'), {})).status, 404);
  });
});

describe('orchestrate mcp --http with ORCHESTRATE_MCP_TOKEN', () => {
  const dir = workspace({ 'two.workflow.yaml': TWO_STEPS });
  const token = 'test-token-0123456789';
  let server: HttpServerProcess;
  before(async () => {
    server = await startHttp(dir, [], { ORCHESTRATE_MCP_TOKEN: token });
  });
  after(async () => {
    await server?.stop();
  });

  test('a client without the token is refused with 401', async () => {
    await assert.rejects(connect(server.url), /401|unauthorized/i);
    assert.equal((await post(server.url, { authorization: 'Bearer wrong' })).status, 401);
    assert.equal((await post(server.url, { authorization: `Bearer ${token}x` })).status, 401);
  });

  test('a client with the token runs a workflow', async () => {
    const client = await connect(server.url, { authorization: `Bearer ${token}` });
    try {
      const result = await client.callTool({ name: 'two_steps', arguments: {} });
      assert.deepEqual(result.structuredContent, { result: 'two' });
    } finally {
      await client.close();
    }
  });

  test('the token never appears in what the server prints', () => {
    assert.doesNotMatch(server.stderr(), new RegExp(token));
  });
});

describe('cancelling over HTTP', () => {
  test('reaches the run through the session: its trace ends in run.cancelled with the client’s reason', async () => {
    const dir = workspace({ 'two.workflow.yaml': TWO_STEPS });
    // Each mock reply takes ten minutes, so the call is still running when we cancel it.
    const server = await startHttp(dir, ['--mock-delay', '600000']);
    const client = await connect(server.url);
    try {
      const controller = new AbortController();
      const call = client.callTool({ name: 'two_steps', arguments: {} }, CallToolResultSchema, {
        signal: controller.signal,
        onprogress: (p) => {
          if (p.message === '`first` started') controller.abort('changed my mind');
        },
      });
      await assert.rejects(call, /changed my mind/);
      // Another call on the same session still works.
      assert.equal((await client.listTools()).tools.length, 1);
    } finally {
      await client.close();
    }
    // Stopping the server waits for its runs to finish recording.
    assert.equal(await server.stop(), 0);
    const index = readFileSync(path.join(dir, '.orchestrate/runs/index.jsonl'), 'utf8');
    const trace = /"file":"([^"]+)"/.exec(index)?.[1] ?? '';
    const file = path.isAbsolute(trace) ? trace : path.join(dir, '.orchestrate/runs', trace);
    const last = JSON.parse(readFileSync(file, 'utf8').trim().split('\n').at(-1)!) as { type: string; reason: string };
    assert.deepEqual([last.type, last.reason], ['run.cancelled', 'cancelled by the MCP client: changed my mind']);
  });
});

describe('binding beyond loopback', () => {
  test('is refused without a token, with a message that says why and what to do', async () => {
    let err = '';
    const io: Io = { out: () => undefined, err: (t) => (err += t), color: false, env: { ORCHESTRATE_USE_MOCK: 'true' }, cwd: mkdtempSync(path.join(tmpdir(), 'orchestrate-mcp-')) };
    const code = await main(['mcp', '.', '--http', '--host', '0.0.0.0', '--port', '0'], io);
    assert.equal(code, 2);
    assert.match(err, /refusing to serve on 0\.0\.0\.0 without a token.*ORCHESTRATE_MCP_TOKEN/);
  });

  test('bad options are usage errors', async () => {
    const cwd = mkdtempSync(path.join(tmpdir(), 'orchestrate-mcp-'));
    for (const [args, message] of [
      [['mcp', '.', '--port', '80'], /--port and --host go with --http/],
      [['mcp', '.', '--http', '--port', '70000'], /--port takes a port number/],
      [['mcp', 'nowhere'], /nowhere: no such folder/],
      [['mcp', 'a', 'b'], /at most one folder/],
    ] as const) {
      let err = '';
      const code = await main([...args], { out: () => undefined, err: (t) => (err += t), color: false, env: {}, cwd });
      assert.equal(code, 2, args.join(' '));
      assert.match(err, message);
    }
  });
});
