// The editor's tool catalog against real MCP servers from npm over stdio
// (server-everything, server-filesystem in a temp folder), and against servers that
// cannot be reached: a missing program, a missing variable, one that never answers.
import assert from 'node:assert/strict';
import { mkdtempSync, readdirSync, readFileSync, writeFileSync } from 'node:fs';
import { tmpdir } from 'node:os';
import * as path from 'node:path';
import { pathToFileURL } from 'node:url';
import { after, describe, test } from 'node:test';
import { ToolCatalog, type ToolCatalogOptions } from '../../../src/authoring/tool-catalog';
import type { ServerTools } from '../../../src/authoring/tool-references';
import { SimulatedClock } from '../../../src/engine/clock';
import type { ServerDeclaration, StdioServerDeclaration } from '../../../src/engine/tools';
import { EVERYTHING_BIN, everythingServer, filesystemServer } from '../tools/servers';

const WORKSPACE = mkdtempSync(path.join(tmpdir(), 'orchestrate-catalog-'));

/** Live child processes of this test process other than tsx's esbuild service: the servers a catalog started. */
function childProcesses(): number {
  let count = 0;
  for (const pid of readdirSync('/proc').filter((name) => /^\d+$/.test(name))) {
    try {
      const stat = readFileSync(`/proc/${pid}/stat`, 'utf8');
      // `pid (comm) state ppid …`; comm may hold spaces, so read after its closing parenthesis.
      const [state, ppid] = stat.slice(stat.lastIndexOf(')') + 2).split(' ');
      if (Number(ppid) !== process.pid || state === 'Z') continue;
      if (readFileSync(`/proc/${pid}/cmdline`, 'utf8').includes('esbuild')) continue;
      count++;
    } catch {
      // Gone while we looked.
    }
  }
  return count;
}

function catalogWith(options: Partial<ToolCatalogOptions> = {}): { catalog: ToolCatalog; changed: () => Promise<void> } {
  let waiters: (() => void)[] = [];
  const catalog = new ToolCatalog({
    env: {},
    ...options,
    onDidChange: () => {
      const now = waiters;
      waiters = [];
      now.forEach((w) => w());
    },
  });
  return { catalog, changed: () => new Promise<void>((resolve) => waiters.push(resolve)) };
}

function listed(state: ServerTools): NonNullable<Extract<ServerTools, { state: 'listed' }>['tools']> {
  assert.equal(state.state, 'listed', JSON.stringify(state));
  return (state as Extract<ServerTools, { state: 'listed' }>).tools;
}

function unreachable(state: ServerTools): string {
  assert.equal(state.state, 'unreachable', JSON.stringify(state));
  return (state as Extract<ServerTools, { state: 'unreachable' }>).reason;
}

function stdio(name: string, command: string, args: string[], env: Record<string, string> = {}, file = 'a.workflow.yaml'): StdioServerDeclaration {
  return { name, transport: 'stdio', command, args, env, origin: { file, kind: 'workflow', path: `mcp.${name}` } };
}

describe('ToolCatalog with real servers over stdio', () => {
  const { catalog } = catalogWith();
  after(() => catalog.close());

  test('lists server-everything and server-filesystem, named as the workflow names them, and stops both servers', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'orchestrate-catalog-fs-'));
    assert.equal(catalog.tools('everything', everythingServer('everything'), WORKSPACE).state, 'pending');
    assert.equal(catalog.tools('files', filesystemServer('files', folder), WORKSPACE).state, 'pending');
    await catalog.settled();
    const everything = listed(catalog.tools('everything', everythingServer('everything'), WORKSPACE));
    const echo = everything.find((t) => t.name === 'echo')!;
    assert.equal(echo.qualifiedName, 'everything.echo');
    assert.deepEqual(echo.inputSchema.required, ['message']);
    const files = listed(catalog.tools('files', filesystemServer('files', folder), WORKSPACE));
    assert.equal(files.find((t) => t.name === 'read_text_file')?.annotations?.readOnlyHint, true);
    // Another workflow's name for the same server gets the same tools under its name.
    assert.equal(listed(catalog.tools('fs', filesystemServer('fs', folder), WORKSPACE)).find((t) => t.name === 'write_file')?.qualifiedName, 'fs.write_file');
    assert.equal(childProcesses(), 0, 'every server stopped once listed');
  });

  test('one list per resolved configuration: the same server declared in another file is not started again', async () => {
    const first = everythingServer('e');
    const elsewhere: ServerDeclaration = { ...first, origin: { ...first.origin, file: 'other.workflow.yaml' } };
    catalog.tools('e', first, WORKSPACE);
    await catalog.settled();
    const tools = listed(catalog.tools('e', first, WORKSPACE));
    assert.equal(catalog.tools('e', elsewhere, WORKSPACE).state, 'pending', 'a new declaration is resolved first');
    await catalog.settled();
    assert.equal(listed(catalog.tools('e', elsewhere, WORKSPACE)), tools, 'the very same list');
    // A variable that resolves to the same value is the same configuration too.
    const viaVariable = { ...first, args: [first.args[0]!, '${env:EVERYTHING_TRANSPORT}'] };
    const withEnv = catalogWith({ env: { EVERYTHING_TRANSPORT: 'stdio' } }).catalog;
    try {
      withEnv.tools('e', first, WORKSPACE);
      withEnv.tools('v', viaVariable, WORKSPACE);
      await withEnv.settled();
      assert.deepEqual(listed(withEnv.tools('v', viaVariable, WORKSPACE)).map((t) => t.name), listed(withEnv.tools('e', first, WORKSPACE)).map((t) => t.name));
    } finally {
      await withEnv.close();
    }
  });

  test('with `start: false` (text not saved yet) nothing starts, but a list already made is used', async () => {
    const { catalog: fresh } = catalogWith();
    try {
      assert.equal(fresh.tools('e', everythingServer('e'), WORKSPACE, { start: false }).state, 'unsaved');
      await fresh.settled();
      assert.equal(childProcesses(), 0);
      assert.equal(fresh.tools('e', everythingServer('e'), WORKSPACE, { start: false }).state, 'unsaved', 'still nothing started');
      fresh.tools('e', everythingServer('e'), WORKSPACE);
      await fresh.settled();
      assert.ok(listed(fresh.tools('e', everythingServer('e'), WORKSPACE, { start: false })).length > 0);
    } finally {
      await fresh.close();
    }
  });

  test('refresh forgets the lists and lists again on the next ask', async () => {
    const { catalog: fresh, changed } = catalogWith();
    try {
      fresh.tools('e', everythingServer('e'), WORKSPACE);
      await fresh.settled();
      listed(fresh.tools('e', everythingServer('e'), WORKSPACE));
      const told = changed();
      fresh.refresh();
      await told;
      assert.equal(fresh.tools('e', everythingServer('e'), WORKSPACE).state, 'pending');
      await fresh.settled();
      assert.ok(listed(fresh.tools('e', everythingServer('e'), WORKSPACE)).some((t) => t.name === 'get-sum'));
    } finally {
      await fresh.close();
    }
  });
});

describe('ToolCatalog with servers it cannot reach', () => {
  test('a program that does not exist: unreachable, and the message holds no variable’s value', async () => {
    const secret = 's3cr3t-token-value';
    const { catalog } = catalogWith({ env: { API_TOKEN: secret } });
    try {
      const declaration = stdio('broken', 'orchestrate-no-such-program', ['--token', '${env:API_TOKEN}']);
      catalog.tools('broken', declaration, WORKSPACE);
      await catalog.settled();
      const reason = unreachable(catalog.tools('broken', declaration, WORKSPACE));
      assert.match(reason, /could not be started/);
      assert.ok(!reason.includes(secret), reason);
      assert.match(reason, /\$\{env:API_TOKEN\}/);
    } finally {
      await catalog.close();
    }
  });

  test('a variable that is not set, and an ${input:…}, are named without starting anything', async () => {
    const { catalog } = catalogWith();
    try {
      const needsEnv = stdio('gh', process.execPath, ['x'], { GITHUB_TOKEN: '${env:GITHUB_TOKEN}' });
      const needsInput = stdio('db', process.execPath, ['x'], { DB_PASSWORD: '${input:db-password}' });
      catalog.tools('gh', needsEnv, WORKSPACE);
      catalog.tools('db', needsInput, WORKSPACE);
      await catalog.settled();
      assert.match(unreachable(catalog.tools('gh', needsEnv, WORKSPACE)), /needs the environment variable GITHUB_TOKEN, which is not set/);
      assert.match(unreachable(catalog.tools('db', needsInput, WORKSPACE)), /\$\{input:db-password\}.*a run asks for it/);
      assert.equal(childProcesses(), 0);
    } finally {
      await catalog.close();
    }
  });

  test('a server that never answers is unreachable after the timeout, and close() stops it at once', async () => {
    const clock = new SimulatedClock();
    const { catalog, changed } = catalogWith({ clock, timeoutMs: 5_000 });
    const silent = stdio('silent', process.execPath, ['-e', 'setInterval(() => {}, 1 << 30)']);
    const resolved = changed();
    catalog.tools('silent', silent, WORKSPACE);
    await resolved;
    assert.equal(catalog.tools('silent', silent, WORKSPACE).state, 'pending');
    const timedOut = changed();
    await clock.advance(5_000);
    await timedOut;
    assert.match(unreachable(catalog.tools('silent', silent, WORKSPACE)), /did not list its tools within 5 s/);
    await catalog.close();
    assert.equal(childProcesses(), 0, 'the silent server was stopped');
  });

  test('retryUnreachable lists a server that failed again: one that works by now is listed', async () => {
    const folder = mkdtempSync(path.join(tmpdir(), 'orchestrate-catalog-retry-'));
    const wrapper = path.join(folder, 'server.mjs');
    const { catalog } = catalogWith();
    try {
      const declaration = stdio('late', process.execPath, [wrapper]);
      catalog.tools('late', declaration, WORKSPACE);
      await catalog.settled();
      unreachable(catalog.tools('late', declaration, WORKSPACE));
      // The server appears (installed, built…) and the person's files change.
      writeFileSync(wrapper, `process.argv.push('stdio');\nawait import(${JSON.stringify(pathToFileURL(EVERYTHING_BIN).href)});\n`);
      catalog.retryUnreachable();
      assert.equal(catalog.tools('late', declaration, WORKSPACE).state, 'pending');
      await catalog.settled();
      assert.ok(listed(catalog.tools('late', declaration, WORKSPACE)).some((t) => t.qualifiedName === 'late.echo'));
    } finally {
      await catalog.close();
    }
  });

  test('retryUnreachable tries a failed server again; close() while listing leaves no process', async () => {
    const env: Record<string, string> = {};
    const { catalog, changed } = catalogWith({ env });
    const declaration = stdio('e', process.execPath, [everythingServer('e').args[0]!, '${env:MODE}']);
    catalog.tools('e', declaration, WORKSPACE);
    await catalog.settled();
    unreachable(catalog.tools('e', declaration, WORKSPACE));
    env.MODE = 'stdio';
    catalog.retryUnreachable();
    const resolved = changed();
    assert.equal(catalog.tools('e', declaration, WORKSPACE).state, 'pending');
    await resolved;
    await catalog.close();
    assert.equal(catalog.tools('e', declaration, WORKSPACE).state, 'pending', 'a closed catalog starts nothing');
    assert.equal(childProcesses(), 0);
  });
});
