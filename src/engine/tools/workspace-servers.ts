/**
 * The MCP servers a workspace already has configured, so a workflow can name one
 * (`files`) instead of declaring it again: VS Code's `.vscode/mcp.json` (`servers`,
 * JSON with comments), Claude's `.mcp.json` (`mcpServers`), and for the CLI
 * `orchestrate.config.json` (`mcp`). A workflow's own `mcp:` declarations come first.
 */
import { readFile } from 'node:fs/promises';
import * as path from 'node:path';
// The ES module build: the package's default UMD build loads its parts with a dynamic
// require that esbuild cannot bundle.
import { parseTree, printParseErrorCode, type Node, type ParseError } from 'jsonc-parser/lib/esm/main.js';
import { isRecord, parseServerDeclaration, type DeclarationOrigin, type DeclarationProblem, type ServerDeclaration } from './declarations';

export type ServerSource = 'orchestrate' | 'vscode' | 'mcp-json';

interface SourceFile {
  kind: ServerSource;
  file: string;
  /** The key that holds the servers. */
  key: string;
}

/** Which files to read, first match of a name wins. */
export const CLI_SOURCES: readonly ServerSource[] = ['orchestrate', 'vscode', 'mcp-json'];
export const EDITOR_SOURCES: readonly ServerSource[] = ['vscode', 'mcp-json'];

const FILES: Record<ServerSource, Omit<SourceFile, 'kind'>> = {
  orchestrate: { file: 'orchestrate.config.json', key: 'mcp' },
  vscode: { file: path.join('.vscode', 'mcp.json'), key: 'servers' },
  'mcp-json': { file: '.mcp.json', key: 'mcpServers' },
};

export interface ServerRegistry {
  /** Servers by name. A null-prototype map: a server named `constructor` is just a name. */
  servers: Map<string, ServerDeclaration>;
  problems: DeclarationProblem[];
}

/** Reads the workspace's server files; a missing file is not a problem, a broken one is. */
export async function loadWorkspaceServers(workspaceFolder: string, sources: readonly ServerSource[] = CLI_SOURCES): Promise<ServerRegistry> {
  const registry: ServerRegistry = { servers: new Map(), problems: [] };
  for (const kind of sources) {
    const { file, key } = FILES[kind];
    const full = path.join(workspaceFolder, file);
    let text: string;
    try {
      text = await readFile(full, 'utf8');
    } catch {
      continue;
    }
    addServers(registry, text, { kind, file: full, key });
  }
  return registry;
}

/** Parses one file's text into the registry (exported for tests and for the editor's open documents). */
export function addServers(registry: ServerRegistry, text: string, source: SourceFile): void {
  const fileOrigin: DeclarationOrigin = { file: source.file, kind: source.kind, path: source.key };
  const errors: ParseError[] = [];
  const tree = parseTree(text, errors, { allowTrailingComma: true });
  if (errors.length > 0) {
    const first = errors[0]!;
    const { line, column } = lineColumn(text, first.offset);
    registry.problems.push({
      origin: fileOrigin,
      severity: 'error',
      code: 'mcp-config-syntax',
      message: `${source.file}:${line}:${column}: not valid JSON (${describeParseError(printParseErrorCode(first.error))})`,
    });
    return;
  }
  const root = tree ? valueOf(tree) : undefined;
  if (!isRecord(root)) return;
  const servers = root[source.key];
  if (servers === undefined) return;
  if (!isRecord(servers)) {
    registry.problems.push({ origin: fileOrigin, severity: 'error', code: 'mcp-server-invalid', message: `${source.file}: \`${source.key}\` must map server names to their declarations` });
    return;
  }
  for (const [name, raw] of Object.entries(servers)) {
    if (registry.servers.has(name)) continue;
    const { declaration, problems } = parseServerDeclaration(name, raw, { ...fileOrigin, path: `${source.key}.${name}` });
    registry.problems.push(...problems);
    if (declaration && !problems.some((p) => p.severity === 'error')) registry.servers.set(name, declaration);
  }
}

/**
 * The parser's own `getNodeValue` assigns keys to plain objects, so a server named
 * `__proto__` would vanish into the prototype; null-prototype objects keep it a name.
 */
function valueOf(node: Node): unknown {
  switch (node.type) {
    case 'object': {
      const out = Object.create(null) as Record<string, unknown>;
      for (const property of node.children ?? []) {
        const [key, value] = property.children ?? [];
        if (key && value) out[String(key.value)] = valueOf(value);
      }
      return out;
    }
    case 'array':
      return (node.children ?? []).map(valueOf);
    default:
      return node.value;
  }
}

/** `InvalidSymbol` → `invalid symbol`: the parser's codes, in words. */
function describeParseError(code: string): string {
  return code.replace(/([a-z])([A-Z])/g, '$1 $2').toLowerCase();
}

function lineColumn(text: string, offset: number): { line: number; column: number } {
  const before = text.slice(0, offset);
  const line = before.split('\n').length;
  return { line, column: offset - before.lastIndexOf('\n') };
}
