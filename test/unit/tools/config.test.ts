// Server declarations from the files VS Code, Claude and Orchestrate keep, and the
// variables in them: names in the file, values from the environment or the person.
import assert from 'node:assert/strict';
import { mkdirSync, mkdtempSync, writeFileSync } from 'node:fs';
import { homedir, tmpdir } from 'node:os';
import * as path from 'node:path';
import { describe, test } from 'node:test';
import fc from 'fast-check';
import {
  addServers,
  EDITOR_SOURCES,
  expandDeclaration,
  loadWorkspaceServers,
  McpToolHost,
  parseServerDeclaration,
  VariableError,
  type DeclarationOrigin,
  type ServerRegistry,
} from '../../../src/engine/tools';
import { EVERYTHING_BIN } from './servers';

function folderWith(files: Record<string, string>): string {
  const dir = mkdtempSync(path.join(tmpdir(), 'orchestrate-config-'));
  for (const [name, text] of Object.entries(files)) {
    mkdirSync(path.dirname(path.join(dir, name)), { recursive: true });
    writeFileSync(path.join(dir, name), text);
  }
  return dir;
}

function commandOf(registry: ServerRegistry, name: string): string | undefined {
  const declaration = registry.servers.get(name);
  return declaration?.transport === 'stdio' ? declaration.command : undefined;
}

const workflowOrigin: DeclarationOrigin = { file: 'a.workflow.yaml', kind: 'workflow', path: 'mcp.x' };

describe('workspace server files', () => {
  test('reads .vscode/mcp.json (JSON with comments), .mcp.json and orchestrate.config.json; the first name wins', async () => {
    const dir = folderWith({
      '.vscode/mcp.json': `{
        // VS Code writes comments and trailing commas
        "inputs": [{ "type": "promptString", "id": "token", "password": true }],
        "servers": {
          "files": { "type": "stdio", "command": "npx", "args": ["-y", "@modelcontextprotocol/server-filesystem", "\${workspaceFolder}"] },
          "remote": { "type": "http", "url": "https://example.com/mcp", "headers": { "Authorization": "Bearer \${input:token}" } },
        },
      }`,
      '.mcp.json': JSON.stringify({ mcpServers: { files: { command: 'other' }, claude: { command: 'node', args: ['x.js'], env: { KEY: '${MY_KEY:-none}' } } } }),
      'orchestrate.config.json': JSON.stringify({ providers: [], mcp: { files: { command: 'mine' } } }),
    });
    const cli = await loadWorkspaceServers(dir);
    assert.deepEqual(cli.problems, []);
    assert.deepEqual([...cli.servers.keys()], ['files', 'remote', 'claude']);
    assert.equal(commandOf(cli, 'files'), 'mine');
    assert.equal(cli.servers.get('files')!.origin.kind, 'orchestrate');
    const editor = await loadWorkspaceServers(dir, EDITOR_SOURCES);
    assert.equal(commandOf(editor, 'files'), 'npx');
    assert.equal(editor.servers.get('remote')!.transport, 'http');
  });

  test('a missing file is fine; a broken one is a located problem', async () => {
    assert.deepEqual(await loadWorkspaceServers(folderWith({})), { servers: new Map(), problems: [] });
    const broken = await loadWorkspaceServers(folderWith({ '.mcp.json': '{\n  "mcpServers": {\n    "a": { "command": "x" ]\n}' }));
    assert.equal(broken.problems.length, 1);
    assert.equal(broken.problems[0]!.code, 'mcp-config-syntax');
    assert.match(broken.problems[0]!.message, /\.mcp\.json:3:\d+: not valid JSON \(/);
  });

  test('prototype names are server names like any other', () => {
    const registry: ServerRegistry = { servers: new Map(), problems: [] };
    addServers(registry, JSON.stringify({ mcpServers: { constructor: { command: 'a' }, toString: { command: 'b' } } }), { kind: 'mcp-json', file: '.mcp.json', key: 'mcpServers' });
    addServers(registry, '{"mcpServers": {"__proto__": {"command": "c"}}}', { kind: 'mcp-json', file: '.mcp.json', key: 'mcpServers' });
    assert.deepEqual([...registry.servers.keys()].sort(), ['__proto__', 'constructor', 'toString']);
    assert.equal(registry.servers.get('hasOwnProperty'), undefined);
  });
});

describe('server declarations', () => {
  const parse = (raw: unknown, name = 'x', kind: DeclarationOrigin['kind'] = 'workflow') => parseServerDeclaration(name, raw, { ...workflowOrigin, kind });
  const messages = (raw: unknown, name?: string) => parse(raw, name).problems.map((p) => p.message);

  test('mistakes get one clear message each', () => {
    assert.deepEqual(messages({ command: 'a', url: 'http://b' }), ['server `x` needs exactly one of `command` (a local server) and `url` (a remote one)']);
    assert.deepEqual(messages({}), ['server `x` needs exactly one of `command` (a local server) and `url` (a remote one)']);
    assert.deepEqual(messages('npx server'), ['server `x` must be an object with a `command` (a local server) or a `url` (a remote one)']);
    assert.deepEqual(messages({ command: 'a', args: 'b' }), ['server `x`: `args` must be a list of strings']);
    assert.deepEqual(messages({ command: 'a', env: { N: 1 } }), ['server `x`: `env` must map variable names to strings']);
    assert.deepEqual(messages({ url: 'ftp://b' }), ['server `x`: `url` must be an http:// or https:// address']);
    assert.deepEqual(messages({ type: 'websocket', url: 'ws://b' }), ["server `x`: type `websocket` is not one Orchestrate can reach; use `stdio` (with `command`) or `http` (with `url`)"]);
    assert.match(messages({ command: 'a' }, 'my.files')[0]!, /server name `my.files` may only hold letters, digits, `_` and `-`.*`my_files.read_text_file`/);
  });

  test('a credential written into the file: an error in Orchestrate’s files, a warning in files other tools own', () => {
    const secret = { command: 'a', env: { GITHUB_TOKEN: 'ghp_literal' } };
    const own = parse(secret);
    assert.equal(own.problems[0]!.severity, 'error');
    assert.equal(own.problems[0]!.code, 'mcp-literal-secret');
    assert.match(own.problems[0]!.message, /`env.GITHUB_TOKEN` holds a credential written into the file; put it in the environment and write `\$\{env:GITHUB_TOKEN\}` instead/);
    assert.equal(parse(secret, 'x', 'vscode').problems[0]!.severity, 'warning');
    assert.equal(parse({ url: 'https://a', headers: { Authorization: 'Bearer abc' } }).problems[0]!.code, 'mcp-literal-secret');
    assert.deepEqual(parse({ url: 'https://a', headers: { Authorization: 'Bearer ${env:TOKEN}' } }).problems, []);
    assert.deepEqual(parse({ command: 'a', env: { API_KEY: '${input:key}', PATH_PREFIX: '/x' } }).problems, []);
  });
});

describe('variables', () => {
  const stdio = (env: Record<string, string>, kind: DeclarationOrigin['kind'] = 'workflow') => {
    const { declaration } = parseServerDeclaration('s', { command: 'run', args: ['${workspaceFolder}/a', '${userHome}'], env }, { ...workflowOrigin, kind });
    return declaration!;
  };

  test('expand from the environment and the workspace; nothing else', async () => {
    const expanded = await expandDeclaration(stdio({ A: '${env:ORCH_A}-x', B: '${MY_B:-fallback}' }, 'mcp-json'), { env: { ORCH_A: 'a' }, workspaceFolder: '/ws' });
    assert.ok(expanded.transport === 'stdio');
    assert.deepEqual(expanded.args, ['/ws/a', homedir()]);
    assert.deepEqual({ ...expanded.env }, { A: 'a-x', B: 'fallback' });
  });

  test('prototype names are never found in an empty environment', async () => {
    for (const name of ['constructor', 'toString', '__proto__', 'hasOwnProperty']) {
      await assert.rejects(expandDeclaration(stdio({ X: `\${env:${name}}` }), { env: {}, workspaceFolder: '/ws' }), (e: unknown) => e instanceof VariableError && e.code === 'mcp-variable-missing');
    }
  });

  test('`${input:x}` comes from the editor’s port, never from the file', async () => {
    const declaration = stdio({ TOKEN: '${input:tok}' });
    const asked: string[] = [];
    const expanded = await expandDeclaration(declaration, { env: {}, workspaceFolder: '/ws', askInput: async ({ id }) => (asked.push(id), 'from-secret-storage') });
    assert.equal(expanded.transport === 'stdio' && expanded.env.TOKEN, 'from-secret-storage');
    assert.deepEqual(asked, ['tok']);
    await assert.rejects(expandDeclaration(declaration, { env: {}, workspaceFolder: '/ws', askInput: async () => undefined }), /needs `\$\{input:tok\}`, and no value was given/);
  });

  test('an unknown variable says which ones exist; bare names are env only in .mcp.json', async () => {
    await assert.rejects(expandDeclaration(stdio({ X: '${HOME}' }), { env: { HOME: '/h' }, workspaceFolder: '/ws' }), /`\$\{HOME\}` is not a variable Orchestrate knows; use `\$\{env:NAME\}`/);
    await assert.rejects(expandDeclaration(stdio({ X: '${config:a.b}' }), { env: {}, workspaceFolder: '/ws' }), (e: unknown) => e instanceof VariableError && e.code === 'mcp-variable-unknown');
  });

  test('text without variables passes through unchanged (property)', async () => {
    await fc.assert(
      fc.asyncProperty(fc.string().filter((s) => !s.includes('${')), async (text) => {
        const expanded = await expandDeclaration(stdio({ V: text }), { env: {}, workspaceFolder: '/ws' });
        return expanded.transport === 'stdio' && expanded.env.V === text;
      }),
    );
  });

  test('a server started from .mcp.json gets its variables from our environment', async () => {
    const dir = folderWith({ '.mcp.json': JSON.stringify({ mcpServers: { everything: { command: process.execPath, args: [EVERYTHING_BIN, 'stdio'], env: { GREETING: '${ORCH_GREETING}' } } } }) });
    const { servers } = await loadWorkspaceServers(dir);
    const host = new McpToolHost({ servers: (name) => servers.get(name), env: { ORCH_GREETING: 'hi' }, workspaceFolder: dir });
    try {
      const env = JSON.parse((await host.call('everything', 'get-env', {})).text) as Record<string, string>;
      assert.equal(env.GREETING, 'hi');
    } finally {
      await host.close();
    }
  });
});
