/**
 * The tools each MCP server offers, for the editor: completion, hover and the checks in
 * tool-references.ts read it. A server is started through the engine's McpToolHost,
 * asked `tools/list` once, and closed again; the list is kept per declaration, keyed
 * by its resolved configuration (variables expanded), so two workflows that declare
 * the same server share one list, and an edit that changes nothing real reuses it.
 *
 * Starting a stdio server runs code: the editor only builds a catalog in a trusted
 * workspace. Variables come from the environment as at run time; `${input:…}` is never
 * asked for here (opening a file must not prompt), so such a server is reported as not
 * checked. Messages never carry a variable's value.
 */
import { createHash } from 'node:crypto';
import { systemClock } from '../engine/clock';
import type { Clock } from '../engine/types';
import type { ServerDeclaration } from '../engine/tools/declarations';
import type { ToolInfo } from '../engine/tools/host';
import { McpToolHost } from '../engine/tools/mcp-host';
import { expandDeclaration, VariableError } from '../engine/tools/variables';
import type { ServerLookup } from '../engine/tools/workflow-servers';
import type { ServerTools, ToolCatalogView } from './tool-references';

export interface ToolCatalogOptions {
  /** Where `${env:…}` values come from: the editor's environment, as for a run. */
  env: Record<string, string | undefined>;
  /** How long a server may take to start and list its tools. */
  timeoutMs?: number;
  clock?: Clock;
  /** A server's stderr lines, for the output channel. */
  onServerLog?: (server: string, line: string) => void;
  /** Told whenever a server's state changes (its list arrived, it failed, a refresh). */
  onDidChange?: () => void;
}

export const DEFAULT_LIST_TIMEOUT_MS = 20_000;

interface Entry {
  state: ServerTools;
  /** Aborted by refresh and close: the listing stops and its server is closed. */
  stop: AbortController;
  done: Promise<void>;
  /** Its server has been stopped (after listing, or by a refresh): nothing left to wait for. */
  stopped?: boolean;
  /** The list renamed for each server name that asked (`files.x`, `fs.x`). */
  renamed: Map<string, readonly ToolInfo[]>;
}

export class ToolCatalog {
  /** By resolved configuration. */
  private entries = new Map<string, Entry>();
  /** Declaration as written → its configuration key, or why it could not be resolved. */
  private resolved = new Map<string, { key: string } | { reason: string } | { pending: Promise<void> }>();
  private closed = false;

  constructor(private readonly options: ToolCatalogOptions) {}

  /**
   * What is known now of the server `name` declared by `declaration`; the first ask
   * starts listing it (unless `start` is false), and `onDidChange` tells when the answer is in.
   */
  tools(name: string, declaration: ServerDeclaration, workspaceFolder: string, options: { start?: boolean } = {}): ServerTools {
    if (this.closed) return { state: 'pending' };
    const written = writtenKey(declaration, workspaceFolder);
    const resolution = this.resolved.get(written);
    if (resolution === undefined) {
      if (options.start === false) return { state: 'unsaved' };
      const pending = this.resolve(written, declaration, workspaceFolder);
      this.resolved.set(written, { pending });
      return { state: 'pending' };
    }
    if ('pending' in resolution) return { state: 'pending' };
    if ('reason' in resolution) return { state: 'unreachable', reason: resolution.reason };
    let entry = this.entries.get(resolution.key);
    if (!entry) {
      // Forgotten after it failed (retryUnreachable): list it again.
      if (options.start === false) return { state: 'unsaved' };
      entry = this.list(resolution.key, declaration, workspaceFolder);
      this.entries.set(resolution.key, entry);
    }
    if (entry.state.state !== 'listed') return entry.state;
    let tools = entry.renamed.get(name);
    if (!tools) {
      tools = entry.state.tools.map((tool) => ({ ...tool, server: name, qualifiedName: `${name}.${tool.name}` }));
      entry.renamed.set(name, tools);
    }
    return { state: 'listed', tools };
  }

  /** A workflow's view: its `mcp:` names looked up as a run would (its own declarations, then the workspace's). */
  view(lookup: Pick<ServerLookup, 'get'>, workspaceFolder: string, options: { start?: (declaration: ServerDeclaration) => boolean } = {}): ToolCatalogView {
    return (server) => {
      const declaration = lookup.get(server);
      if (!declaration) return { state: 'unreachable', reason: `no server \`${server}\` is configured in .vscode/mcp.json or .mcp.json; declare it here with \`command\` or \`url\`` };
      return this.tools(server, declaration, workspaceFolder, { start: options.start?.(declaration) ?? true });
    };
  }

  /** Resolves once nothing is being listed and every server it started has stopped (tests, and callers that want final answers). */
  async settled(): Promise<void> {
    for (;;) {
      const pending = [...this.resolved.values()].flatMap((r) => ('pending' in r ? [r.pending] : []));
      const listing = [...this.entries.values()].filter((e) => !e.stopped);
      pending.push(...listing.map((e) => e.done));
      if (pending.length === 0) return;
      await Promise.all(pending);
      for (const entry of listing) entry.stopped = true;
    }
  }

  /** Forgets every list and stops every listing under way; the next ask starts afresh. */
  refresh(): void {
    this.stopAll();
    this.options.onDidChange?.();
  }

  /** Forgets servers that could not be listed, so the next ask tries them again (their files changed). */
  retryUnreachable(): void {
    let changed = false;
    for (const [written, resolution] of this.resolved) {
      if ('reason' in resolution) {
        this.resolved.delete(written);
        changed = true;
      }
    }
    for (const [key, entry] of this.entries) {
      if (entry.state.state === 'unreachable') {
        this.entries.delete(key);
        changed = true;
      }
    }
    if (changed) this.options.onDidChange?.();
  }

  /** Stops every server it started; safe to call twice. */
  async close(): Promise<void> {
    this.closed = true;
    const done = [...this.entries.values()].map((e) => e.done);
    this.stopAll();
    await Promise.all(done);
  }

  private stopAll(): void {
    for (const entry of this.entries.values()) entry.stop.abort();
    this.entries = new Map();
    this.resolved = new Map();
  }

  private async resolve(written: string, declaration: ServerDeclaration, workspaceFolder: string): Promise<void> {
    const resolved = this.resolved;
    let result: { key: string } | { reason: string };
    try {
      const expanded = await expandDeclaration(declaration, { env: this.options.env, workspaceFolder, askInput: () => Promise.resolve(undefined) });
      result = { key: configKey(expanded) };
    } catch (error) {
      const asks = error instanceof VariableError && /\$\{input:/.test(error.message) ? ' (a run asks for it when it starts)' : '';
      result = { reason: `${redact(messageOf(error), declaration, this.options.env)}${asks}` };
    }
    // A refresh while this was resolving started a new map: this answer is stale.
    if (this.resolved !== resolved || this.closed) return;
    resolved.set(written, result);
    if ('key' in result && !this.entries.has(result.key)) this.entries.set(result.key, this.list(result.key, declaration, workspaceFolder));
    this.options.onDidChange?.();
  }

  private list(key: string, declaration: ServerDeclaration, workspaceFolder: string): Entry {
    const stop = new AbortController();
    const entry: Entry = { state: { state: 'pending' }, stop, done: Promise.resolve(), renamed: new Map() };
    const host = new McpToolHost({
      servers: () => declaration,
      env: this.options.env,
      workspaceFolder,
      askInput: () => Promise.resolve(undefined),
      onServerLog: this.options.onServerLog,
    });
    const timeoutMs = this.options.timeoutMs ?? DEFAULT_LIST_TIMEOUT_MS;
    const clock = this.options.clock ?? systemClock;
    const timer = new AbortController();
    const timedOut = clock.sleep(timeoutMs, timer.signal).then(
      () => 'timeout' as const,
      () => 'stopped' as const,
    );
    const stopped = new Promise<'stopped'>((resolve) => stop.signal.addEventListener('abort', () => resolve('stopped'), { once: true }));
    const listing = host.list(declaration.name, { signal: stop.signal }).then(
      (tools) => ({ tools }),
      (error: unknown) => ({ error }),
    );
    entry.done = (async () => {
      const outcome = await Promise.race([listing, timedOut, stopped]);
      timer.abort();
      if (outcome !== 'stopped' && this.entries.get(key) === entry) {
        if (outcome === 'timeout') entry.state = { state: 'unreachable', reason: `it did not list its tools within ${formatSeconds(timeoutMs)}` };
        else if ('tools' in outcome) entry.state = { state: 'listed', tools: outcome.tools };
        else entry.state = { state: 'unreachable', reason: redact(messageOf(outcome.error), declaration, this.options.env) };
        this.options.onDidChange?.();
      }
      // The list is all the editor needs: the server is stopped at once.
      await host.close();
    })();
    return entry;
  }
}

/** The declaration as written, and where it is resolved: `${workspaceFolder}` and `${workflowFolder}` depend on both. */
function writtenKey(declaration: ServerDeclaration, workspaceFolder: string): string {
  const { name: _name, origin, ...rest } = declaration;
  return stableJson({ rest, kind: origin.kind, file: origin.file, workspaceFolder });
}

/** The resolved configuration, hashed: it may hold secrets, which are never kept as text. */
function configKey(expanded: ServerDeclaration): string {
  const { name: _name, origin: _origin, ...rest } = expanded;
  return createHash('sha256').update(stableJson(rest)).digest('hex');
}

function stableJson(value: unknown): string {
  if (Array.isArray(value)) return `[${value.map(stableJson).join(',')}]`;
  if (typeof value === 'object' && value !== null) {
    const record = value as Record<string, unknown>;
    return `{${Object.keys(record)
      .sort()
      .map((key) => `${JSON.stringify(key)}:${stableJson(record[key])}`)
      .join(',')}}`;
  }
  return JSON.stringify(value) ?? 'null';
}

/**
 * A failed start's message names the command with its arguments expanded, and an
 * argument may be a `${env:TOKEN}`: every value a variable of the declaration stands
 * for is put back as the variable's name.
 */
export function redact(message: string, declaration: ServerDeclaration, env: Record<string, string | undefined>): string {
  const texts = declaration.transport === 'stdio' ? [declaration.command, ...declaration.args, ...Object.values(declaration.env), declaration.cwd ?? ''] : [declaration.url, ...Object.values(declaration.headers)];
  let out = message;
  for (const text of texts) {
    for (const match of text.matchAll(/\$\{(?:env:)?([A-Za-z_][A-Za-z0-9_]*)(?::-[^}]*)?\}/g)) {
      const name = match[1]!;
      const value = Object.prototype.hasOwnProperty.call(env, name) ? env[name] : undefined;
      if (value !== undefined && value.length >= 4) out = out.split(value).join(`\${env:${name}}`);
    }
  }
  return out;
}

function formatSeconds(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000} s` : `${ms} ms`;
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}
