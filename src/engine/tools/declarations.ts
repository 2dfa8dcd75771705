/**
 * MCP server declarations: how to reach a server (a local process over stdio, or a
 * streamable-HTTP endpoint), as written in a workflow's `mcp:` key, in
 * `orchestrate.config.json`, in VS Code's `.vscode/mcp.json` or in `.mcp.json`.
 * Values may hold variables (`${env:NAME}`, `${input:id}`); they are expanded when
 * the server is started (see variables.ts), so no secret ever has to sit in a file.
 */
import { isHttpUrl, isRecord } from '../guards';

/** Where a declaration was read from, for messages that say which file to fix. */
export interface DeclarationOrigin {
  /** The file, as the user would open it. */
  file: string;
  /** `workflow` and `orchestrate` are Orchestrate's own files; the others belong to other tools. */
  kind: 'workflow' | 'orchestrate' | 'vscode' | 'mcp-json';
  /** A JSON path or YAML key path inside the file, e.g. `servers.files`. */
  path: string;
}

export interface StdioServerDeclaration {
  name: string;
  transport: 'stdio';
  command: string;
  args: string[];
  /** Added to the small default environment the SDK passes (PATH, HOME…), never the whole of ours. */
  env: Record<string, string>;
  cwd?: string;
  origin: DeclarationOrigin;
}

export interface HttpServerDeclaration {
  name: string;
  transport: 'http';
  url: string;
  headers: Record<string, string>;
  origin: DeclarationOrigin;
}

export type ServerDeclaration = StdioServerDeclaration | HttpServerDeclaration;

/** A declaration that could not be read, worded for whoever wrote the file. */
export interface DeclarationProblem {
  origin: DeclarationOrigin;
  severity: 'error' | 'warning';
  code: 'mcp-server-invalid' | 'mcp-server-name' | 'mcp-literal-secret' | 'mcp-config-syntax';
  message: string;
}

/**
 * Server names become the first part of a tool's qualified name (`files.read_text_file`),
 * so they cannot hold a dot; tool names can.
 */
export const SERVER_NAME = /^[A-Za-z0-9_-]{1,64}$/;

/** Names of variables and headers whose values are credentials. */
const SECRET_NAME = /(KEY|TOKEN|SECRET|PASSWORD|PASSWD|CREDENTIAL|AUTH)/i;
const SECRET_HEADER = /^(authorization|proxy-authorization|x-api-key|api-key|cookie)$|(token|secret|key)$/i;
/** A value that is only variables and fixed text around them, e.g. `Bearer ${env:TOKEN}`. */
const HAS_VARIABLE = /\$\{[^}]+\}/;

/**
 * Reads one server entry. Accepts the shapes VS Code and Claude write (`type:
 * stdio|http|sse`, or none, `command`/`args`/`env`/`cwd`, `url`/`headers`).
 */
export function parseServerDeclaration(name: string, raw: unknown, origin: DeclarationOrigin): { declaration?: ServerDeclaration; problems: DeclarationProblem[] } {
  const problems: DeclarationProblem[] = [];
  const problem = (message: string, code: DeclarationProblem['code'] = 'mcp-server-invalid', severity: DeclarationProblem['severity'] = 'error') =>
    problems.push({ origin, severity, code, message });
  if (!SERVER_NAME.test(name)) {
    problem(`server name \`${name}\` may only hold letters, digits, \`_\` and \`-\` (it prefixes tool names, as in \`${name.replace(/[^A-Za-z0-9_-]/g, '_') || 'files'}.read_text_file\`)`, 'mcp-server-name');
    return { problems };
  }
  if (!isRecord(raw)) {
    problem(`server \`${name}\` must be an object with a \`command\` (a local server) or a \`url\` (a remote one)`);
    return { problems };
  }
  const type = raw.type;
  if (type !== undefined && type !== 'stdio' && type !== 'http' && type !== 'sse' && type !== 'streamable-http') {
    problem(`server \`${name}\`: type \`${String(type)}\` is not one Orchestrate can reach; use \`stdio\` (with \`command\`) or \`http\` (with \`url\`)`);
    return { problems };
  }
  const hasCommand = raw.command !== undefined;
  const hasUrl = raw.url !== undefined;
  if (hasCommand === hasUrl) {
    problem(`server \`${name}\` needs exactly one of \`command\` (a local server) and \`url\` (a remote one)`);
    return { problems };
  }
  if (hasCommand) {
    const command = raw.command;
    const args = raw.args ?? [];
    const env = raw.env ?? {};
    if (typeof command !== 'string' || command.trim() === '') problem(`server \`${name}\`: \`command\` must be the program to start, e.g. \`npx\``);
    if (!Array.isArray(args) || !args.every((a) => typeof a === 'string')) problem(`server \`${name}\`: \`args\` must be a list of strings`);
    if (!isStringRecord(env)) problem(`server \`${name}\`: \`env\` must map variable names to strings`);
    if (raw.cwd !== undefined && typeof raw.cwd !== 'string') problem(`server \`${name}\`: \`cwd\` must be a folder path`);
    if (problems.length > 0) return { problems };
    for (const [key, value] of Object.entries(env as Record<string, string>)) {
      if (SECRET_NAME.test(key) && !HAS_VARIABLE.test(value) && value !== '') literalSecret(problem, origin, name, `env.${key}`, key);
    }
    return {
      declaration: {
        name,
        transport: 'stdio',
        command: command as string,
        args: args as string[],
        env: { ...(env as Record<string, string>) },
        ...(typeof raw.cwd === 'string' ? { cwd: raw.cwd } : {}),
        origin,
      },
      problems,
    };
  }
  const url = raw.url;
  const headers = raw.headers ?? {};
  if (typeof url !== 'string' || !isHttpUrl(url.replace(/\$\{[^}]+\}/g, 'x'))) problem(`server \`${name}\`: \`url\` must be an http:// or https:// address`);
  if (!isStringRecord(headers)) problem(`server \`${name}\`: \`headers\` must map header names to strings`);
  if (type === 'sse') problem(`server \`${name}\` uses the old HTTP+SSE transport; Orchestrate speaks streamable HTTP, which most servers also offer`, 'mcp-server-invalid', 'warning');
  if (problems.some((p) => p.severity === 'error')) return { problems };
  for (const [key, value] of Object.entries(headers as Record<string, string>)) {
    if (SECRET_HEADER.test(key) && !HAS_VARIABLE.test(value)) literalSecret(problem, origin, name, `headers.${key}`, key);
  }
  return { declaration: { name, transport: 'http', url: url as string, headers: { ...(headers as Record<string, string>) }, origin }, problems };
}

/**
 * A credential written into a file ends up in version control. Orchestrate's own files
 * refuse it; files that other tools own only get a warning, since we do not own them.
 */
function literalSecret(problem: (message: string, code: DeclarationProblem['code'], severity: DeclarationProblem['severity']) => void, origin: DeclarationOrigin, server: string, where: string, key: string): void {
  const own = origin.kind === 'workflow' || origin.kind === 'orchestrate';
  const variable = key.toUpperCase().replace(/[^A-Z0-9]+/g, '_');
  problem(
    `server \`${server}\`: \`${where}\` holds a credential written into the file; put it in the environment and write \`\${env:${variable}}\` instead`,
    'mcp-literal-secret',
    own ? 'error' : 'warning',
  );
}

export { isRecord };

function isStringRecord(value: unknown): value is Record<string, string> {
  return isRecord(value) && Object.values(value).every((v) => typeof v === 'string');
}
