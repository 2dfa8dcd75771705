/**
 * The ToolHost over MCP, on the official SDK: one connection per server per run,
 * opened on first use and closed with the run, so no server process outlives it.
 */
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { StreamableHTTPClientTransport } from '@modelcontextprotocol/sdk/client/streamableHttp.js';
import type { Transport } from '@modelcontextprotocol/sdk/shared/transport.js';
import { ErrorCode, McpError, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import { didYouMean } from '../suggest';
import type { ServerDeclaration } from './declarations';
import { ToolCallError, unknownToolMessage, type ToolCallOptions, type ToolHost, type ToolInfo, type ToolResult } from './host';
import { resultText } from './result-text';
import { expandDeclaration, VariableError, type VariableContext } from './variables';

export interface McpToolHostOptions extends VariableContext {
  /** The declaration of a server by name: the workflow's own, then the workspace's. */
  servers: (name: string) => ServerDeclaration | undefined;
  /** Every name `servers` knows, to suggest one when a name is misspelt. */
  serverNames?: () => Iterable<string>;
  /** How Orchestrate introduces itself to servers. */
  clientInfo?: { name: string; version: string };
  /** A server's stderr lines (its logs), for the CLI's `--verbose` or the editor's output channel. */
  onServerLog?: (server: string, line: string) => void;
}

interface Connection {
  client: Client;
  transport: Transport;
  tools?: Promise<ToolInfo[]>;
  /** Told when the connection closes by itself (the server exited). */
  onLost?: () => void;
}

/** setTimeout's ceiling: a larger "no limit" would fire at once. */
const NO_TIMEOUT_MS = 2 ** 31 - 1;

export class McpToolHost implements ToolHost {
  private readonly connections = new Map<string, Promise<Connection>>();
  private readonly children = new Set<number>();
  /** Transports still starting: close() stops them too, so a server that never answers is not waited for. */
  private readonly starting = new Set<Transport>();
  private closed = false;
  /** If the process exits without close() (a crash, process.exit), its server processes go with it. */
  private readonly killChildren = (): void => {
    for (const pid of this.children) {
      try {
        process.kill(pid, 'SIGKILL');
      } catch {
        // Already gone.
      }
    }
  };

  constructor(private readonly options: McpToolHostOptions) {}

  /** The server processes running now: none once `close()` has returned. */
  get processIds(): readonly number[] {
    return [...this.children];
  }

  async list(server: string, options: { signal?: AbortSignal } = {}): Promise<ToolInfo[]> {
    const connection = await this.connection(server);
    connection.tools ??= this.listAll(server, connection.client, options.signal);
    try {
      return await connection.tools;
    } catch (error) {
      connection.tools = undefined;
      throw this.toCallError(error, server, undefined, options.signal);
    }
  }

  async call(server: string, tool: string, args: Record<string, unknown>, options: ToolCallOptions = {}): Promise<ToolResult> {
    options.signal?.throwIfAborted();
    const tools = await this.list(server, { signal: options.signal });
    if (!tools.some((t) => t.name === tool)) {
      throw new ToolCallError('tool-unknown', unknownToolMessage(server, tool, tools), server, tool);
    }
    const { client } = await this.connection(server);
    let result: CallToolResult;
    try {
      result = (await client.callTool({ name: tool, arguments: args }, undefined, {
        signal: options.signal,
        timeout: options.timeoutMs ?? NO_TIMEOUT_MS,
        resetTimeoutOnProgress: false,
        onprogress: options.onProgress ? (p) => options.onProgress!({ progress: p.progress, total: p.total, message: p.message }) : undefined,
      })) as CallToolResult;
    } catch (error) {
      throw this.toCallError(error, server, tool, options.signal, options.timeoutMs);
    }
    return {
      ...(isObject(result.structuredContent) ? { structuredContent: result.structuredContent } : {}),
      text: resultText(result.content ?? []),
      isError: result.isError === true,
    };
  }

  async close(): Promise<void> {
    this.closed = true;
    const pending = [...this.connections.values()];
    this.connections.clear();
    await Promise.all([...this.starting].map((transport) => transport.close().catch(() => undefined)));
    await Promise.all(
      pending.map(async (connecting) => {
        try {
          const { client } = await connecting;
          await client.close();
        } catch {
          // A server that never started has nothing to close.
        }
      }),
    );
    this.killChildren();
    this.children.clear();
    process.removeListener('exit', this.killChildren);
  }

  private connection(server: string): Promise<Connection> {
    if (this.closed) return Promise.reject(new ToolCallError('tool-server-unavailable', `the run has finished; server \`${server}\` is closed`, server));
    let connecting = this.connections.get(server);
    if (!connecting) {
      connecting = this.connect(server);
      this.connections.set(server, connecting);
      // A failed start is not cached: the next call (a retry) tries again.
      const forget = () => {
        if (this.connections.get(server) === connecting) this.connections.delete(server);
      };
      // A server that exits is started again by the next call (a retry) rather than failing every call after it.
      connecting.then((connection) => (connection.onLost = forget), forget);
    }
    return connecting;
  }

  private async connect(server: string): Promise<Connection> {
    const declared = this.options.servers(server);
    if (!declared) {
      const hint = this.options.serverNames ? didYouMean(server, this.options.serverNames()) : '';
      throw new ToolCallError('tool-server-unknown', `no MCP server named \`${server}\`${hint || ': declare it under `mcp:` in the workflow, or in .vscode/mcp.json, .mcp.json or orchestrate.config.json'}`, server);
    }
    let declaration: ServerDeclaration;
    try {
      declaration = await expandDeclaration(declared, this.options);
    } catch (error) {
      if (error instanceof VariableError) throw new ToolCallError('tool-server-config', error.message, server);
      throw error;
    }
    const transport = this.transportFor(declaration);
    const client = new Client(this.options.clientInfo ?? { name: 'orchestrate', version: '0.1.0' });
    this.starting.add(transport);
    try {
      await client.connect(transport);
    } catch (error) {
      await transport.close().catch(() => undefined);
      if (this.closed) throw new ToolCallError('tool-server-unavailable', `the run has finished; server \`${server}\` is closed`, server);
      // Said as declared: the expanded command, URL or environment may hold `${env:…}` secrets, and this message reaches traces.
      const where = declared.transport === 'stdio' ? `\`${[declared.command, ...declared.args].join(' ')}\`` : declared.url;
      throw new ToolCallError('tool-server-unavailable', `MCP server \`${server}\` (${where}) could not be started: ${asDeclared(messageOf(error), declared, declaration)}`, server);
    } finally {
      this.starting.delete(transport);
    }
    const connection: Connection = { client, transport };
    const pid = transport instanceof StdioClientTransport ? transport.pid : null;
    if (pid !== null) {
      if (this.children.size === 0) process.on('exit', this.killChildren);
      this.children.add(pid);
    }
    client.onclose = chain(client.onclose, () => {
      if (pid !== null) this.children.delete(pid);
      connection.onLost?.();
    });
    if (this.closed) {
      await client.close();
      throw new ToolCallError('tool-server-unavailable', `the run has finished; server \`${server}\` is closed`, server);
    }
    return connection;
  }

  private transportFor(declaration: ServerDeclaration): Transport {
    if (declaration.transport === 'http') {
      return new StreamableHTTPClientTransport(new URL(declaration.url), { requestInit: { headers: declaration.headers } });
    }
    const transport = new StdioClientTransport({
      command: declaration.command,
      args: declaration.args,
      env: declaration.env,
      cwd: declaration.cwd ?? this.options.workspaceFolder,
      stderr: 'pipe',
    });
    const onLog = this.options.onServerLog;
    let pending = '';
    transport.stderr?.on('data', (chunk: Buffer) => {
      if (!onLog) return;
      pending += chunk.toString('utf8');
      const lines = pending.split('\n');
      pending = lines.pop() ?? '';
      for (const line of lines) if (line.trim() !== '') onLog(declaration.name, line);
    });
    return transport;
  }

  private async listAll(server: string, client: Client, signal: AbortSignal | undefined): Promise<ToolInfo[]> {
    const tools: ToolInfo[] = [];
    let cursor: string | undefined;
    // A server that pages forever must not hang the run.
    for (let page = 0; page < 100; page++) {
      const result = await client.listTools(cursor === undefined ? {} : { cursor }, { signal });
      tools.push(...result.tools.map((tool) => toToolInfo(server, tool)));
      cursor = result.nextCursor;
      if (cursor === undefined) break;
    }
    return tools;
  }

  private toCallError(error: unknown, server: string, tool: string | undefined, signal?: AbortSignal, timeoutMs?: number): ToolCallError {
    if (error instanceof ToolCallError) return error;
    const subject = tool === undefined ? `server \`${server}\`` : `tool \`${server}.${tool}\``;
    if (signal?.aborted) return new ToolCallError('cancelled', `${subject}: cancelled`, server, tool);
    if (error instanceof McpError) {
      if (error.code === ErrorCode.RequestTimeout) return new ToolCallError('tool-timeout', `${subject} did not answer within ${timeoutMs ?? NO_TIMEOUT_MS} ms`, server, tool);
      if (error.code === ErrorCode.ConnectionClosed) return new ToolCallError('tool-server-unavailable', `${subject}: the server closed the connection`, server, tool);
      // The SDK prefixes its own code (`MCP error -32602: …`); the server's words are what help.
      return new ToolCallError('tool-protocol', `${subject}: ${error.message.replace(/^MCP error -?\d+: /, '')}`, server, tool);
    }
    return new ToolCallError('tool-server-unavailable', `${subject}: ${messageOf(error)}`, server, tool);
  }
}

function toToolInfo(server: string, tool: Tool): ToolInfo {
  const info: ToolInfo = { server, name: tool.name, qualifiedName: `${server}.${tool.name}`, inputSchema: tool.inputSchema as Record<string, unknown> };
  const title = tool.title ?? tool.annotations?.title;
  if (title !== undefined) info.title = title;
  if (tool.description !== undefined) info.description = tool.description;
  if (tool.outputSchema !== undefined) info.outputSchema = tool.outputSchema as Record<string, unknown>;
  if (tool.annotations) info.annotations = { ...tool.annotations };
  return info;
}

function chain(first: (() => void) | undefined, second: () => void): () => void {
  return () => {
    first?.();
    second();
  };
}

function isObject(value: unknown): value is Record<string, unknown> {
  return typeof value === 'object' && value !== null && !Array.isArray(value);
}

function messageOf(error: unknown): string {
  return error instanceof Error ? error.message : String(error);
}

/** `text` with every expanded value of the declaration put back as written (`--token=${env:TOKEN}`). */
export function asDeclared(text: string, declared: ServerDeclaration, expanded: ServerDeclaration): string {
  const pairs: [string, string][] = [];
  const add = (written: string | undefined, value: string | undefined) => {
    if (written !== undefined && value !== undefined && written !== value && value.length >= 4) pairs.push([value, written]);
  };
  if (declared.transport === 'stdio' && expanded.transport === 'stdio') {
    add(declared.command, expanded.command);
    declared.args.forEach((arg, i) => add(arg, expanded.args[i]));
    for (const [name, value] of Object.entries(expanded.env)) add(Object.hasOwn(declared.env, name) ? declared.env[name] : '${…}', value);
    add(declared.cwd, expanded.cwd);
  } else if (declared.transport === 'http' && expanded.transport === 'http') {
    add(declared.url, expanded.url);
    for (const [name, value] of Object.entries(expanded.headers)) add(Object.hasOwn(declared.headers, name) ? declared.headers[name] : '${…}', value);
  }
  // Longest first, so a value inside another is not replaced inside it first.
  return pairs.sort(([a], [b]) => b.length - a.length).reduce((out, [value, written]) => out.split(value).join(written), text);
}
