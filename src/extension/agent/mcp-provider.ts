/**
 * The workspace's workflows for every agent, as an MCP server the editor knows without
 * an `mcp.json`: an MCP server definition provider that offers `orchestrate mcp <folder>`
 * for each workspace folder (./mcp-launch.ts), in a trusted workspace only.
 *
 * The API arrived in VS Code 1.101 and this extension supports 1.100, so it is found at
 * run time: the few types it needs are declared here, and where it is missing nothing is
 * registered (the language-model tools still work, and `.vscode/mcp.json` can name
 * `orchestrate mcp` by hand — docs/tools.md). 1.100 has a draft of it under the same
 * name that wants another contribution point and throws: the version decides, and a
 * registration that fails anyway is logged, never fatal to activation.
 */
import { existsSync } from 'node:fs';
import * as vscode from 'vscode';
import { settings } from '../settings';
import { hasMcpProviderApi, workflowServerLaunch } from './mcp-launch';

export const MCP_PROVIDER_ID = 'orchestrate.workflows';

/** `vscode.McpStdioServerDefinition` (1.101). */
interface StdioServerDefinition {
  readonly label: string;
  cwd?: vscode.Uri;
  command: string;
  args: string[];
  env: Record<string, string | number | null>;
  version?: string;
}

type StdioServerDefinitionClass = new (label: string, command: string, args?: string[], env?: Record<string, string | number | null>, version?: string) => StdioServerDefinition;

/** `vscode.McpServerDefinitionProvider` (1.101), for stdio definitions. */
interface ServerDefinitionProvider {
  readonly onDidChangeMcpServerDefinitions?: vscode.Event<void>;
  provideMcpServerDefinitions(token: vscode.CancellationToken): vscode.ProviderResult<StdioServerDefinition[]>;
}

type RegisterProvider = (id: string, provider: ServerDefinitionProvider) => vscode.Disposable;

export interface McpApi {
  register: RegisterProvider;
  StdioServerDefinition: StdioServerDefinitionClass;
}

/** The editor's MCP API, when it has one. */
export function mcpApi(): McpApi | undefined {
  if (!hasMcpProviderApi(vscode.version)) return undefined;
  const lm: object = vscode.lm;
  const api: object = vscode;
  const register: unknown = Reflect.get(lm, 'registerMcpServerDefinitionProvider');
  const definition: unknown = Reflect.get(api, 'McpStdioServerDefinition');
  if (typeof register !== 'function' || typeof definition !== 'function') return undefined;
  return {
    register: (id, provider) => (register as RegisterProvider).call(lm, id, provider),
    StdioServerDefinition: definition as StdioServerDefinitionClass,
  };
}

/** This extension's CLI (`bin/orchestrate.js`) and version, which tells the editor when the server changed. */
export interface BundledCli {
  script: string;
  version: string;
}

/** Registers the provider where the editor supports it; says in the log either way. */
export function registerMcpServerProvider(cli: BundledCli, log: Pick<vscode.LogOutputChannel, 'info' | 'warn'>, api: McpApi | undefined = mcpApi()): vscode.Disposable[] {
  if (!api) {
    log.info(`this editor (VS Code ${vscode.version}) has no MCP server definition API (1.101+): agents reach the workflows through the language-model tools, or through \`orchestrate mcp\` named in .vscode/mcp.json`);
    return [];
  }
  const cliScript = cli.script;
  const changed = new vscode.EventEmitter<void>();
  const provider: ServerDefinitionProvider = {
    onDidChangeMcpServerDefinitions: changed.event,
    provideMcpServerDefinitions: () => {
      // An agent's run calls models with the person's keys: never for a folder they have not trusted.
      if (!vscode.workspace.isTrusted) return [];
      if (!existsSync(cliScript)) {
        log.warn(`the Orchestrate CLI is not in this installation (${cliScript}): no MCP server for agents`);
        return [];
      }
      const folders = (vscode.workspace.workspaceFolders ?? []).filter((f) => f.uri.scheme === 'file');
      return folders.map((folder) => {
        const launch = workflowServerLaunch({
          nodePath: process.execPath,
          cliScript,
          folder: { name: folder.name, fsPath: folder.uri.fsPath },
          traceFolder: settings.traceFolder(folder.uri),
          cache: settings.cache(folder.uri),
          multiRoot: folders.length > 1,
        });
        const definition = new api.StdioServerDefinition(launch.label, launch.command, launch.args, launch.env, cli.version);
        definition.cwd = vscode.Uri.file(launch.cwd);
        return definition;
      });
    },
  };
  let registration: vscode.Disposable;
  try {
    registration = api.register(MCP_PROVIDER_ID, provider);
  } catch (error) {
    changed.dispose();
    log.warn(`cannot offer the workflows to agents as an MCP server: ${error instanceof Error ? error.message : String(error)}`);
    return [];
  }
  return [
    changed,
    registration,
    vscode.workspace.onDidGrantWorkspaceTrust(() => changed.fire()),
    vscode.workspace.onDidChangeWorkspaceFolders(() => changed.fire()),
    vscode.workspace.onDidChangeConfiguration((event) => {
      if (event.affectsConfiguration('orchestrate.traceFolder') || event.affectsConfiguration('orchestrate.cache')) changed.fire();
    }),
  ];
}
