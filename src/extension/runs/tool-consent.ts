/**
 * A run's tools in the editor: servers from the workflow's `mcp:`, `.vscode/mcp.json`
 * and `.mcp.json`; consent asked with a modal (allow once, allow for this run, or
 * deny by dismissing it); `${input:…}` asked as a password box; and nothing at all in
 * an untrusted workspace (no server is started).
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { ToolSession } from '../../engine/run/tool-session';
import { createRunTools, EDITOR_SOURCES, parseWorkflowMcp, type ConsentPort } from '../../engine/tools';

const ALLOW_ONCE = 'Allow once';
const ALLOW_RUN = 'Allow for this run';
/** Arguments are a model's or a workflow's text: shown cut short, never rendered as markup. */
const MAX_SHOWN = 600;

export const askConsent: ConsentPort = async (request, signal) => {
  if (signal.aborted) return 'deny';
  const args = JSON.stringify(request.arguments, null, 2) ?? '{}';
  const shown = args.length > MAX_SHOWN ? `${args.slice(0, MAX_SHOWN)}…` : args;
  const what = request.tool.description ? `\n\n${request.tool.description.slice(0, 300)}` : '';
  const answer = await Promise.race([
    vscode.window.showWarningMessage(`Let the workflow call the tool ${request.tool.qualifiedName}?`, { modal: true, detail: `Arguments:\n${shown}${what}` }, ALLOW_ONCE, ALLOW_RUN),
    new Promise<undefined>((resolve) => signal.addEventListener('abort', () => resolve(undefined), { once: true })),
  ]);
  return answer === ALLOW_ONCE ? 'once' : answer === ALLOW_RUN ? 'run' : 'deny';
};

/** The session of a run of `file` (its workspace folder's servers); each workflow of the run, sub-workflows too, gets its own servers. */
export function editorToolSession(file: vscode.Uri, secrets: vscode.SecretStorage, log: (line: string) => void): ToolSession {
  const folder = vscode.workspace.getWorkspaceFolder(file)?.uri.fsPath ?? vscode.workspace.workspaceFolders?.[0]?.uri.fsPath ?? path.dirname(file.fsPath);
  return new ToolSession({
    trusted: vscode.workspace.isTrusted,
    open: async (workflow) => {
      const tools = await createRunTools({
        workflow: workflow.mcp ?? parseWorkflowMcp(undefined, workflow.file),
        sources: EDITOR_SOURCES,
        workspaceFolder: folder,
        env: process.env,
        consent: askConsent,
        trusted: vscode.workspace.isTrusted,
        askInput: ({ server, id }) => serverInput(secrets, server, id),
        onServerLog: (server, line) => log(`[${server}] ${line}`),
      });
      for (const problem of tools.problems) log(problem.message);
      return { host: tools.host, policy: tools.policy };
    },
  });
}

/**
 * A server's `${input:id}`: asked once in a password box, then kept in the editor's secret
 * storage (per server and id), as VS Code keeps its own mcp.json inputs. Command
 * "Orchestrate: Forget MCP Server Inputs" clears them.
 */
async function serverInput(secrets: vscode.SecretStorage, server: string, id: string): Promise<string | undefined> {
  const key = `${INPUT_KEY_PREFIX}${server}:${id}`;
  const stored = await secrets.get(key);
  if (stored !== undefined) return stored;
  const answer = await vscode.window.showInputBox({ prompt: `${id} for the MCP server ${server} (kept in the editor's secret storage)`, password: true, ignoreFocusOut: true });
  if (answer) {
    await secrets.store(key, answer);
    await rememberInputKey(secrets, key);
  }
  return answer;
}

const INPUT_KEY_PREFIX = 'orchestrate.mcp-input:';
/** SecretStorage cannot list its keys: the keys of stored inputs are kept under this one (names, not values). */
const INPUT_KEYS = 'orchestrate.mcp-input-keys';

async function rememberInputKey(secrets: vscode.SecretStorage, key: string): Promise<void> {
  const keys = new Set<string>(JSON.parse((await secrets.get(INPUT_KEYS)) ?? '[]') as string[]);
  if (keys.has(key)) return;
  keys.add(key);
  await secrets.store(INPUT_KEYS, JSON.stringify([...keys]));
}

/** Forgets every stored `${input:…}` answer; returns how many there were. */
export async function forgetServerInputs(secrets: vscode.SecretStorage): Promise<number> {
  const keys = JSON.parse((await secrets.get(INPUT_KEYS)) ?? '[]') as string[];
  await Promise.all(keys.map((key) => secrets.delete(key)));
  await secrets.delete(INPUT_KEYS);
  return keys.length;
}
