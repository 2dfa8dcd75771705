/**
 * A workflow's own `mcp:` key, for the loader: each entry declares a server (`command`
 * or `url`) or, with neither, refers to one the workspace already configures — either
 * way it may carry the server's `approval:`. The result is what a run needs: a lookup
 * of servers by name (the workflow's first, then the workspace's) and the approval
 * policy's rules.
 *
 * ```yaml
 * mcp:
 *   files:                              # from .vscode/mcp.json, .mcp.json or orchestrate.config.json
 *     approval: { read_only: allow }
 *   notes:
 *     command: npx
 *     args: [-y, "@modelcontextprotocol/server-filesystem", "${workspaceFolder}/notes"]
 *     approval: { tools: { write_file: ask } }
 * ```
 */
import { parseApproval, type ApprovalRule } from './approval';
import { isRecord, parseServerDeclaration, SERVER_NAME, type ServerDeclaration } from './declarations';
import type { ServerRegistry } from './workspace-servers';

/** A problem at a key path of the workflow (`['mcp', 'files', 'approval']`); the loader turns the path into a range. */
export interface WorkflowMcpProblem {
  path: string[];
  code: 'mcp-server-invalid' | 'mcp-server-name' | 'mcp-literal-secret' | 'mcp-approval' | 'mcp-server-unknown';
  severity: 'error' | 'warning';
  message: string;
}

export interface WorkflowMcp {
  /** Servers the workflow declares itself. */
  declarations: Map<string, ServerDeclaration>;
  /** Names it takes from the workspace. */
  references: string[];
  rules: ApprovalRule[];
  /** Servers whose `readOnlyHint` the workflow trusts. */
  trustReadOnlyHints: Set<string>;
  problems: WorkflowMcpProblem[];
}

const APPROVAL_KEY = 'approval';

export function parseWorkflowMcp(raw: unknown, file: string): WorkflowMcp {
  const out: WorkflowMcp = { declarations: new Map(), references: [], rules: [], trustReadOnlyHints: new Set(), problems: [] };
  if (raw === undefined || raw === null) return out;
  if (!isRecord(raw)) {
    out.problems.push({ path: ['mcp'], code: 'mcp-server-invalid', severity: 'error', message: '`mcp` maps server names to their declarations (`command` or `url`), or to `{}` for a server the workspace configures' });
    return out;
  }
  for (const [name, entry] of Object.entries(raw)) {
    const at = ['mcp', name];
    if (!SERVER_NAME.test(name)) {
      out.problems.push({ path: at, code: 'mcp-server-name', severity: 'error', message: `server name \`${name}\` may only hold letters, digits, \`_\` and \`-\`` });
      continue;
    }
    const body = entry === null || entry === true ? {} : entry;
    if (!isRecord(body)) {
      out.problems.push({ path: at, code: 'mcp-server-invalid', severity: 'error', message: `server \`${name}\` must be a map: \`command\`/\`args\` or \`url\` to declare it, nothing (or only \`approval\`) to use the workspace's` });
      continue;
    }
    const { [APPROVAL_KEY]: approval, ...declaration } = body;
    const parsed = parseApproval(name, approval);
    out.rules.push(...parsed.rules);
    if (parsed.trustReadOnlyHints) out.trustReadOnlyHints.add(name);
    for (const message of parsed.problems) out.problems.push({ path: [...at, APPROVAL_KEY], code: 'mcp-approval', severity: 'error', message });
    if (Object.keys(declaration).length === 0) {
      out.references.push(name);
      continue;
    }
    const result = parseServerDeclaration(name, declaration, { file, kind: 'workflow', path: `mcp.${name}` });
    for (const problem of result.problems) out.problems.push({ path: at, code: problem.code === 'mcp-config-syntax' ? 'mcp-server-invalid' : problem.code, severity: problem.severity, message: problem.message });
    if (result.declaration && !result.problems.some((p) => p.severity === 'error')) out.declarations.set(name, result.declaration);
  }
  return out;
}

/** Servers by name: the workflow's own declarations, then the workspace's. */
export interface ServerLookup {
  get(name: string): ServerDeclaration | undefined;
  names(): string[];
}

export function serverLookup(workflow: Pick<WorkflowMcp, 'declarations'>, workspace: ServerRegistry): ServerLookup {
  return {
    get: (name) => workflow.declarations.get(name) ?? workspace.servers.get(name),
    names: () => [...new Set([...workflow.declarations.keys(), ...workspace.servers.keys()])],
  };
}

/**
 * A warning per `mcp:` reference the workspace does not configure (a warning: the file
 * may be meant for another workspace, and the call will say so clearly if it happens).
 */
export function missingReferences(workflow: Pick<WorkflowMcp, 'references'>, workspace: ServerRegistry): WorkflowMcpProblem[] {
  return workflow.references
    .filter((name) => !workspace.servers.has(name))
    .map((name) => ({
      path: ['mcp', name],
      code: 'mcp-server-unknown' as const,
      severity: 'warning' as const,
      message: `no server \`${name}\` is configured in .vscode/mcp.json, .mcp.json or orchestrate.config.json; declare it here with \`command\` or \`url\``,
    }));
}
