/**
 * Variables in server declarations, expanded only when a server starts so the file
 * holds names, never values: `${env:NAME}` (the environment), `${input:id}` (asked of
 * the person, or taken from the editor's secret storage — never from the file),
 * `${workspaceFolder}`, `${workflowFolder}` (in a workflow's `mcp:`), `${userHome}`, and in `.mcp.json` Claude's `${NAME}` and
 * `${NAME:-default}`.
 */
import * as os from 'node:os';
import * as path from 'node:path';
import type { HttpServerDeclaration, ServerDeclaration, StdioServerDeclaration } from './declarations';

export interface VariableContext {
  env: Record<string, string | undefined>;
  /** The folder `${workspaceFolder}` names, and relative `cwd`s are resolved against. */
  workspaceFolder: string;
  /**
   * Answers `${input:id}`: the editor asks the person or reads its secret storage.
   * Headless runs have none, and a declaration that needs one fails with a clear message.
   */
  askInput?: (request: { server: string; id: string }) => Promise<string | undefined>;
}

export class VariableError extends Error {
  constructor(
    message: string,
    readonly code: 'mcp-variable-missing' | 'mcp-variable-unknown',
  ) {
    super(message);
    this.name = 'VariableError';
  }
}

const VARIABLE = /\$\{([^}]*)\}/g;

/** A copy of the declaration with every variable replaced by its value. */
export async function expandDeclaration(declaration: ServerDeclaration, context: VariableContext): Promise<ServerDeclaration> {
  const expand = (text: string, where: string) => expandText(text, declaration, where, context);
  if (declaration.transport === 'stdio') {
    const out: StdioServerDeclaration = {
      ...declaration,
      command: await expand(declaration.command, 'command'),
      args: await Promise.all(declaration.args.map((arg, i) => expand(arg, `args[${i}]`))),
      env: await expandRecord(declaration.env, (value, key) => expand(value, `env.${key}`)),
    };
    if (declaration.cwd !== undefined) out.cwd = path.resolve(context.workspaceFolder, await expand(declaration.cwd, 'cwd'));
    return out;
  }
  const out: HttpServerDeclaration = {
    ...declaration,
    url: await expand(declaration.url, 'url'),
    headers: await expandRecord(declaration.headers, (value, key) => expand(value, `headers.${key}`)),
  };
  return out;
}

async function expandRecord(record: Record<string, string>, expand: (value: string, key: string) => Promise<string>): Promise<Record<string, string>> {
  // A null-prototype object: a variable named `__proto__` is a plain key here.
  const out: Record<string, string> = Object.create(null) as Record<string, string>;
  for (const [key, value] of Object.entries(record)) out[key] = await expand(value, key);
  return out;
}

async function expandText(text: string, declaration: ServerDeclaration, where: string, context: VariableContext): Promise<string> {
  const matches = [...text.matchAll(VARIABLE)];
  if (matches.length === 0) return text;
  let out = '';
  let last = 0;
  for (const match of matches) {
    out += text.slice(last, match.index) + (await valueOf(match[1]!, declaration, where, context));
    last = match.index! + match[0].length;
  }
  return out + text.slice(last);
}

async function valueOf(name: string, declaration: ServerDeclaration, where: string, context: VariableContext): Promise<string> {
  const server = declaration.name;
  const at = `server \`${server}\` (${declaration.origin.file}), \`${where}\``;
  const colon = name.indexOf(':');
  const prefix = colon === -1 ? undefined : name.slice(0, colon);
  if (prefix === 'env') {
    const variable = name.slice(colon + 1);
    const value = ownValue(context.env, variable);
    if (value === undefined) throw new VariableError(`${at} needs the environment variable ${variable}, which is not set`, 'mcp-variable-missing');
    return value;
  }
  if (prefix === 'input') {
    const id = name.slice(colon + 1);
    const value = context.askInput ? await context.askInput({ server, id }) : undefined;
    if (value === undefined) {
      throw new VariableError(
        context.askInput
          ? `${at} needs \`\${input:${id}}\`, and no value was given`
          : `${at} needs \`\${input:${id}}\`, which only the editor can ask for; outside it, set an environment variable and write \`\${env:NAME}\``,
        'mcp-variable-missing',
      );
    }
    return value;
  }
  if (name === 'workspaceFolder') return context.workspaceFolder;
  if (name === 'workspaceFolderBasename') return path.basename(context.workspaceFolder);
  // A workflow's own servers may name files beside the workflow, wherever it is run from.
  if (name === 'workflowFolder' && declaration.origin.kind === 'workflow') return path.resolve(context.workspaceFolder, path.dirname(declaration.origin.file));
  if (name === 'userHome') return os.homedir();
  if (name === 'pathSeparator' || name === '/') return path.sep;
  // Claude's `.mcp.json` writes environment variables bare, with an optional default.
  if ((declaration.origin.kind === 'mcp-json' && colon === -1) || name.includes(':-')) {
    const [variable, fallback] = splitDefault(name);
    if (/^[A-Za-z_][A-Za-z0-9_]*$/.test(variable)) {
      const value = ownValue(context.env, variable) ?? fallback;
      if (value === undefined) throw new VariableError(`${at} needs the environment variable ${variable}, which is not set`, 'mcp-variable-missing');
      return value;
    }
  }
  throw new VariableError(`${at}: \`\${${name}}\` is not a variable Orchestrate knows; use \`\${env:NAME}\`, \`\${input:id}\`, \`\${workspaceFolder}\` or \`\${userHome}\``, 'mcp-variable-unknown');
}

function splitDefault(name: string): [string, string | undefined] {
  const at = name.indexOf(':-');
  return at === -1 ? [name, undefined] : [name.slice(0, at), name.slice(at + 2)];
}

/** Own properties only: `${env:constructor}` must not find Object.prototype.constructor. */
function ownValue(env: Record<string, string | undefined>, name: string): string | undefined {
  return Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined;
}
