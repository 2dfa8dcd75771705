/**
 * Everything a run needs to call tools, from what the faces know: the workflow's `mcp:`
 * key, the workspace folder, the environment, `--allow-tools` (CLI) or the consent
 * port (editor), and workspace trust. One per run; `host.close()` when the run ends.
 */
import { ApprovalPolicy, type ConsentPort } from './approval';
import type { DeclarationProblem } from './declarations';
import { McpToolHost } from './mcp-host';
import { parsePatternList } from './patterns';
import type { VariableContext } from './variables';
import { missingReferences, serverLookup, type WorkflowMcp, type WorkflowMcpProblem } from './workflow-servers';
import { CLI_SOURCES, loadWorkspaceServers, type ServerSource } from './workspace-servers';

export interface RunToolsOptions extends VariableContext {
  /** The workflow's parsed `mcp:` key (parseWorkflowMcp). */
  workflow: WorkflowMcp;
  /** Which workspace files to read: CLI_SOURCES (default) or EDITOR_SOURCES. */
  sources?: readonly ServerSource[];
  /** `--allow-tools` values as given (comma-separated patterns, repeatable). */
  allowTools?: readonly string[];
  consent?: ConsentPort;
  /** False in an untrusted workspace: no tool runs. */
  trusted?: boolean;
  onServerLog?: (server: string, line: string) => void;
}

export interface RunTools {
  host: McpToolHost;
  policy: ApprovalPolicy;
  /** Broken workspace server files, and `mcp:` references no file configures (warnings). */
  problems: (DeclarationProblem | WorkflowMcpProblem)[];
}

/** Throws PatternError for a bad `--allow-tools` pattern (a usage error). */
export async function createRunTools(options: RunToolsOptions): Promise<RunTools> {
  const allowed = parsePatternList(options.allowTools ?? []);
  const workspace = await loadWorkspaceServers(options.workspaceFolder, options.sources ?? CLI_SOURCES);
  const lookup = serverLookup(options.workflow, workspace);
  const host = new McpToolHost({
    servers: (name) => lookup.get(name),
    serverNames: () => lookup.names(),
    env: options.env,
    workspaceFolder: options.workspaceFolder,
    askInput: options.askInput,
    onServerLog: options.onServerLog,
  });
  const policy = new ApprovalPolicy({
    rules: options.workflow.rules,
    trustReadOnlyHints: options.workflow.trustReadOnlyHints,
    allowed,
    consent: options.consent,
    trusted: options.trusted,
  });
  return { host, policy, problems: [...workspace.problems, ...missingReferences(options.workflow, workspace)] };
}
