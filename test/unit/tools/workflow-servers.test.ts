// A workflow's `mcp:` key: declarations, references to the workspace's servers, approval.
import assert from 'node:assert/strict';
import { describe, test } from 'node:test';
import { parse } from 'yaml';
import { ApprovalPolicy, missingReferences, parseWorkflowMcp, serverLookup, type ServerRegistry } from '../../../src/engine/tools';

const mcp = (yaml: string) => parseWorkflowMcp((parse(yaml) as { mcp: unknown }).mcp, 'w.workflow.yaml');

describe('a workflow’s mcp: key', () => {
  test('declares servers, refers to the workspace’s, and collects approval rules', async () => {
    const parsed = mcp(`
mcp:
  files:
    approval: { read_only: allow, tools: { write_file: deny } }
  github:
  notes:
    command: npx
    args: [-y, "@modelcontextprotocol/server-filesystem", "\${workspaceFolder}/notes"]
    approval: ask
`);
    assert.deepEqual(parsed.problems, []);
    assert.deepEqual(parsed.references, ['files', 'github']);
    assert.deepEqual([...parsed.declarations.keys()], ['notes']);
    assert.deepEqual([...parsed.trustReadOnlyHints], ['files']);
    const workspace: ServerRegistry = { servers: new Map([['files', { name: 'files', transport: 'stdio', command: 'x', args: [], env: {}, origin: { file: '.mcp.json', kind: 'mcp-json', path: 'mcpServers.files' } }]]), problems: [] };
    const lookup = serverLookup(parsed, workspace);
    assert.equal(lookup.get('notes')?.origin.kind, 'workflow');
    assert.equal(lookup.get('files')?.origin.kind, 'mcp-json');
    assert.deepEqual(lookup.names(), ['notes', 'files']);
    assert.deepEqual(missingReferences(parsed, workspace).map((p) => [p.path.join('.'), p.severity]), [['mcp.github', 'warning']]);
    const policy = new ApprovalPolicy({ rules: parsed.rules, trustReadOnlyHints: parsed.trustReadOnlyHints });
    assert.equal(policy.ruleFor('files', 'write_file')?.decision, 'deny');
    assert.equal(policy.ruleFor('notes', 'anything')?.decision, 'ask');
  });

  test('mistakes come with the key path they are at', () => {
    const parsed = mcp(`
mcp:
  bad.name: {}
  list: [a]
  secret:
    url: https://x.example/mcp
    headers: { Authorization: Bearer literal }
  policy:
    approval: { tools: { write_file: maybe } }
`);
    assert.deepEqual(
      parsed.problems.map((p) => [p.path.join('.'), p.code, p.severity]),
      [
        ['mcp.bad.name', 'mcp-server-name', 'error'],
        ['mcp.list', 'mcp-server-invalid', 'error'],
        ['mcp.secret', 'mcp-literal-secret', 'error'],
        ['mcp.policy.approval', 'mcp-approval', 'error'],
      ],
    );
    assert.deepEqual(parsed.declarations.size, 0);
    assert.deepEqual(mcp('mcp: [files]').problems.map((p) => p.code), ['mcp-server-invalid']);
    assert.deepEqual(mcp('other: 1').problems, []);
  });
});
