// Runs only in restricted mode (run-in-server.ts --restricted: workspace trust is on and the
// folder is not trusted). Whatever the extension offers there must not fail.
import * as assert from 'node:assert/strict';
import * as vscode from 'vscode';
import { registerMcpServerProvider, type McpApi } from '../../../src/extension/agent/mcp-provider';

const EXTENSION_ID = 'orchestrate.orchestrate';

describe('restricted mode', () => {
  it('the workspace is not trusted', () => {
    assert.equal(vscode.workspace.isTrusted, false);
  });

  it('the extension is known to VS Code', () => {
    assert.ok(vscode.extensions.getExtension(EXTENSION_ID), `${EXTENSION_ID} is not loaded`);
  });

  it('offers agents the workflow listing, not the run tool, which refuses if called anyway', async () => {
    await vscode.extensions.getExtension(EXTENSION_ID)!.activate();
    const names = vscode.lm.tools.map((t) => t.name);
    assert.ok(names.includes('orchestrate_listWorkflows'), `tools: ${names.join(', ')}`);
    assert.ok(!names.includes('orchestrate_runWorkflow'), 'the run tool is hidden in Restricted Mode');
    await assert.rejects(
      Promise.resolve(vscode.lm.invokeTool('orchestrate_runWorkflow', { input: { workflow: 'smart-router.workflow.yaml' }, toolInvocationToken: undefined })),
      /does not run workflows in Restricted Mode/,
    );
  });

  it('offers agents no MCP server for the folder', async () => {
    let provider: Parameters<McpApi['register']>[1] | undefined;
    const api: McpApi = {
      register: (_id, p) => ((provider = p), new vscode.Disposable(() => undefined)),
      StdioServerDefinition: class {
        constructor(
          readonly label: string,
          public command: string,
          public args: string[] = [],
          public env: Record<string, string | number | null> = {},
        ) {}
      },
    };
    const log = { info: () => undefined, warn: () => undefined };
    const owned = registerMcpServerProvider({ script: __filename, version: '1' }, log, api);
    try {
      assert.deepEqual(await provider!.provideMcpServerDefinitions(new vscode.CancellationTokenSource().token), []);
    } finally {
      owned.forEach((d) => d.dispose());
    }
  });
});
