// McpToolHost against real MCP servers from npm: the filesystem server over stdio in
// a temp folder, and server-everything over stdio and streamable HTTP.
import assert from 'node:assert/strict';
import { mkdtempSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { after, before, describe, test } from 'node:test';
import { McpToolHost, ToolCallError, type ServerDeclaration } from '../../../src/engine/tools';
import { alive, everythingServer, filesystemServer, freePort, startEverythingHttp } from './servers';

function hostWith(declarations: ServerDeclaration[], env: Record<string, string> = {}): McpToolHost {
  const byName = new Map(declarations.map((d) => [d.name, d]));
  return new McpToolHost({ servers: (name) => byName.get(name), env, workspaceFolder: tmpdir() });
}

async function rejectsWith(promise: Promise<unknown>, code: string, message: RegExp): Promise<void> {
  await assert.rejects(promise, (error: unknown) => {
    assert.ok(error instanceof ToolCallError, String(error));
    assert.equal(error.code, code);
    assert.match(error.message, message);
    return true;
  });
}

describe('McpToolHost with the filesystem server over stdio', () => {
  const folder = mkdtempSync(path.join(tmpdir(), 'orchestrate-fs-'));
  writeFileSync(path.join(folder, 'notes.txt'), 'first line\nsecond line\n');
  const host = hostWith([filesystemServer('files', folder)]);
  after(() => host.close());

  test('lists the tools with their schemas and annotations', async () => {
    const tools = await host.list('files');
    const read = tools.find((t) => t.name === 'read_text_file')!;
    assert.equal(read.qualifiedName, 'files.read_text_file');
    assert.equal(read.annotations?.readOnlyHint, true);
    assert.deepEqual(read.inputSchema.required, ['path']);
    assert.equal(tools.find((t) => t.name === 'write_file')!.annotations?.destructiveHint, true);
  });

  test('calls a tool: structured content when the tool gives it, and its text', async () => {
    const result = await host.call('files', 'read_text_file', { path: path.join(folder, 'notes.txt') });
    assert.equal(result.isError, false);
    assert.equal(result.text, 'first line\nsecond line\n');
    assert.deepEqual(result.structuredContent, { content: 'first line\nsecond line\n' });
  });

  test('a tool that fails is a result with isError and the server’s message', async () => {
    const result = await host.call('files', 'read_text_file', { path: '/etc/passwd' });
    assert.equal(result.isError, true);
    assert.match(result.text, /outside allowed directories/i);
  });

  test('an unknown tool and bad arguments are errors with stable codes', async () => {
    await rejectsWith(host.call('files', 'rm_rf', {}), 'tool-unknown', /server `files` has no tool `rm_rf`; it has `read_file`, `read_text_file`/);
    await rejectsWith(host.call('files', 'read_txt_file', {}), 'tool-unknown', /server `files` has no tool `read_txt_file`; did you mean `read_text_file`\?/);
    const bad = await host.call('files', 'read_text_file', { path: 42 }).catch((error: unknown) => error);
    // Servers report invalid arguments either as a tool error or as a protocol error.
    if (bad instanceof ToolCallError) assert.equal(bad.code, 'tool-protocol');
    else assert.equal((bad as { isError: boolean }).isError, true);
  });

  test('reuses one connection: one server process however many calls', async () => {
    await host.call('files', 'list_allowed_directories', {});
    await host.call('files', 'list_allowed_directories', {});
    assert.equal(host.processIds.length, 1);
  });
});

describe('McpToolHost with server-everything over stdio', () => {
  const host = hostWith([everythingServer('everything', { GREETING: '${env:ORCH_TEST_GREETING}' })], { ORCH_TEST_GREETING: 'hello from the environment', OPENAI_API_KEY: 'sk-never-passed-on' });
  after(() => host.close());

  test('echo', async () => {
    const result = await host.call('everything', 'echo', { message: 'hi' });
    assert.deepEqual({ text: result.text, isError: result.isError }, { text: 'Echo: hi', isError: false });
  });

  test('the server gets the variables its declaration names, from our environment, and none of our keys', async () => {
    const result = await host.call('everything', 'get-env', {});
    const env = JSON.parse(result.text) as Record<string, string>;
    assert.equal(env.GREETING, 'hello from the environment');
    assert.equal(env.OPENAI_API_KEY, undefined);
    assert.equal(env.ORCH_TEST_GREETING, undefined);
  });

  test('binary content is described, not inlined', async () => {
    const result = await host.call('everything', 'get-tiny-image', {});
    assert.match(result.text, /\[image image\/png, [\d.]+ (B|KB)\]/);
    assert.ok(result.text.length < 500);
  });

  test('progress notifications reach the caller, and cancelling stops the call', async () => {
    const controller = new AbortController();
    const seen: number[] = [];
    const call = host.call('everything', 'trigger-long-running-operation', { duration: 600, steps: 600 }, {
      signal: controller.signal,
      onProgress: (p) => {
        seen.push(p.progress);
        controller.abort();
      },
    });
    await rejectsWith(call, 'cancelled', /tool `everything.trigger-long-running-operation`: cancelled/);
    assert.deepEqual(seen, [1]);
    // The connection survives a cancelled call.
    assert.equal((await host.call('everything', 'echo', { message: 'still here' })).text, 'Echo: still here');
  });

  test('a call past its timeout fails with tool-timeout', async () => {
    await rejectsWith(host.call('everything', 'trigger-long-running-operation', { duration: 600, steps: 1 }, { timeoutMs: 20 }), 'tool-timeout', /did not answer within 20 ms/);
  });

  test('structured content', async () => {
    const result = await host.call('everything', 'get-structured-content', { location: 'Chicago' });
    assert.equal(typeof result.structuredContent?.temperature, 'number');
  });
});

describe('McpToolHost with server-everything over streamable HTTP', () => {
  let server: Awaited<ReturnType<typeof startEverythingHttp>>;
  let host: McpToolHost;
  before(async () => {
    server = await startEverythingHttp();
    host = hostWith([{ name: 'remote', transport: 'http', url: server.url, headers: { 'x-trace': '${env:TRACE_ID}' }, origin: { file: 'x', kind: 'workflow', path: 'mcp' } }], { TRACE_ID: 'abc' });
  });
  after(async () => {
    await host?.close();
    await server?.stop();
  });

  test('lists and calls tools, with progress', async () => {
    assert.ok((await host.list('remote')).some((t) => t.name === 'echo'));
    assert.equal((await host.call('remote', 'echo', { message: 'over http' })).text, 'Echo: over http');
    const seen: number[] = [];
    await host.call('remote', 'trigger-long-running-operation', { duration: 0.02, steps: 2 }, { onProgress: (p) => seen.push(p.progress) });
    assert.deepEqual(seen, [1, 2]);
  });
});

describe('McpToolHost failures and shutdown', () => {
  test('an undeclared server, a missing variable, a command that does not exist', async () => {
    const host = hostWith([
      { ...everythingServer('needs-key'), env: { API_KEY: '${env:ORCH_TEST_UNSET_KEY}' } },
      { ...everythingServer('ghost'), command: '/nonexistent/orchestrate-test-server' },
      { ...everythingServer('input'), env: { TOKEN: '${input:github-token}' } },
    ]);
    try {
      await rejectsWith(host.list('constructor'), 'tool-server-unknown', /no MCP server named `constructor`/);
      await rejectsWith(host.list('needs-key'), 'tool-server-config', /`env.API_KEY` needs the environment variable ORCH_TEST_UNSET_KEY, which is not set/);
      await rejectsWith(host.list('ghost'), 'tool-server-unavailable', /MCP server `ghost` \(`\/nonexistent\/orchestrate-test-server .*`\) could not be started/);
      await rejectsWith(host.list('input'), 'tool-server-config', /needs `\$\{input:github-token\}`, which only the editor can ask for/);
    } finally {
      await host.close();
    }
  });

  test('a misspelt server name gets a suggestion; an unreachable URL a clear message', async () => {
    const port = await freePort();
    const declarations = [everythingServer('everything'), { name: 'remote', transport: 'http' as const, url: `http://127.0.0.1:${port}/mcp`, headers: {}, origin: everythingServer('x').origin }];
    const byName = new Map(declarations.map((d) => [d.name, d]));
    const host = new McpToolHost({ servers: (name) => byName.get(name), serverNames: () => byName.keys(), env: {}, workspaceFolder: tmpdir() });
    try {
      await rejectsWith(host.list('everthing'), 'tool-server-unknown', /no MCP server named `everthing`; did you mean `everything`\?/);
      await rejectsWith(host.list('remote'), 'tool-server-unavailable', new RegExp(`MCP server \`remote\` \\(http://127.0.0.1:${port}/mcp\\) could not be started`));
    } finally {
      await host.close();
    }
  });

  test('close() stops every server process it started, and later calls fail clearly', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'orchestrate-fs-'));
    const host = hostWith([filesystemServer('a', folder), everythingServer('b')]);
    await Promise.all([host.list('a'), host.list('b')]);
    const pids = host.processIds;
    assert.equal(pids.length, 2);
    await host.close();
    assert.deepEqual(host.processIds, []);
    for (const pid of pids) assert.equal(alive(pid), false, `process ${pid} is gone`);
    await rejectsWith(host.call('a', 'list_allowed_directories', {}), 'tool-server-unavailable', /the run has finished/);
    await host.close();
  });

  test('a server that dies mid-run fails the call, and the next call starts it again', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'orchestrate-fs-'));
    writeFileSync(path.join(folder, 'a.txt'), 'A');
    const host = hostWith([filesystemServer('files', folder)]);
    try {
      await host.list('files');
      const [pid] = host.processIds;
      process.kill(pid!, 'SIGKILL');
      const read = () => host.call('files', 'read_text_file', { path: path.join(folder, 'a.txt') });
      // Depending on when the exit is noticed, the first call fails or already restarts the server.
      const first = await read().catch((e: unknown) => e);
      if (first instanceof ToolCallError) assert.equal(first.code, 'tool-server-unavailable');
      else assert.equal((first as { text: string }).text, 'A');
      assert.equal((await read()).text, 'A');
      assert.equal(host.processIds.length, 1);
      assert.notEqual(host.processIds[0], pid);
    } finally {
      await host.close();
    }
  });
});

describe('a server that cannot start', () => {
  test('is reported as declared: no value of an ${env:…} variable reaches the message (it is recorded in traces)', async () => {
    const secret = 'sk-very-secret-4242';
    const origin = { file: 'test', kind: 'workflow' as const, path: 'mcp.broken' };
    const host = hostWith(
      [
        { name: 'broken', transport: 'stdio', command: '/nonexistent/${env:TOOL_TOKEN}/server', args: ['--token=${env:TOOL_TOKEN}'], env: { TOKEN: '${env:TOOL_TOKEN}' }, origin },
        { name: 'remote', transport: 'http', url: 'http://127.0.0.1:1/mcp?key=${env:TOOL_TOKEN}', headers: { Authorization: 'Bearer ${env:TOOL_TOKEN}' }, origin },
      ],
      { TOOL_TOKEN: secret },
    );
    try {
      for (const server of ['broken', 'remote']) {
        await assert.rejects(host.list(server), (error: unknown) => {
          assert.ok(error instanceof ToolCallError);
          assert.equal(error.code, 'tool-server-unavailable');
          assert.doesNotMatch(error.message, new RegExp(secret), error.message);
          assert.match(error.message, /\$\{env:TOOL_TOKEN\}/);
          return true;
        });
      }
    } finally {
      await host.close();
    }
  });
});
