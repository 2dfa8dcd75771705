/**
 * How the editor starts `orchestrate mcp` for a workspace folder: this extension's own
 * CLI, run by the Node that the editor ships (its executable is Electron on the desktop,
 * hence `ELECTRON_RUN_AS_NODE`), with the trace folder and cache policy the editor's
 * runs use — so the agents' runs land in the same Runs view. Free of `vscode`.
 */
import * as path from 'node:path';
import type { CachePolicy } from '../../engine/cache';

export interface WorkflowServerLaunch {
  label: string;
  command: string;
  args: string[];
  env: Record<string, string>;
  cwd: string;
}

export interface LaunchOptions {
  /** The editor's Node (`process.execPath` in the extension host). */
  nodePath: string;
  /** This extension's `bin/orchestrate.js`. */
  cliScript: string;
  folder: { name: string; fsPath: string };
  /** The `orchestrate.traceFolder` setting: relative to the folder, absolute, or empty for none. */
  traceFolder: string;
  cache: CachePolicy;
  /** More than one folder: the label says which. */
  multiRoot: boolean;
}

export function workflowServerLaunch(options: LaunchOptions): WorkflowServerLaunch {
  const { folder } = options;
  const recording =
    options.traceFolder === ''
      ? // No trace folder: the editor records nothing and caches nothing; nor does the server.
        ['--no-trace', '--cache', 'off']
      : ['--traces', path.resolve(folder.fsPath, options.traceFolder), '--cache', options.cache];
  return {
    label: options.multiRoot ? `Orchestrate workflows (${folder.name})` : 'Orchestrate workflows',
    command: options.nodePath,
    args: [options.cliScript, 'mcp', folder.fsPath, ...recording],
    env: { ELECTRON_RUN_AS_NODE: '1' },
    cwd: folder.fsPath,
  };
}

/** VS Code 1.101 made the MCP server definition provider API final; `version` is `vscode.version` (`1.100.3`, `1.101.0-insider`). */
export function hasMcpProviderApi(version: string): boolean {
  const match = /^(\d+)\.(\d+)/.exec(version);
  if (!match) return false;
  const [major, minor] = [Number(match[1]), Number(match[2])];
  return major > 1 || (major === 1 && minor >= 101);
}
