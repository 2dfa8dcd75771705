/**
 * The tool port: what a run needs from tool servers, whatever speaks to them. The
 * runner (a `tool:` step, a prompt's `tools:` loop) talks to a `ToolHost`; McpToolHost
 * implements it over MCP; tests and replays can supply their own.
 */
import { didYouMean } from '../suggest';

/** MCP's behaviour hints. Hints from a server are claims, not guarantees (see approval.ts). */
export interface ToolAnnotations {
  title?: string;
  readOnlyHint?: boolean;
  destructiveHint?: boolean;
  idempotentHint?: boolean;
  openWorldHint?: boolean;
}

/** One tool a server offers, as `tools/list` describes it. */
export interface ToolInfo {
  server: string;
  /** The tool's name on its server, e.g. `read_text_file`. */
  name: string;
  /** `server.name`, how workflows write it. */
  qualifiedName: string;
  title?: string;
  description?: string;
  /** A JSON Schema of type object. */
  inputSchema: Record<string, unknown>;
  outputSchema?: Record<string, unknown>;
  annotations?: ToolAnnotations;
}

export interface ToolCallOptions {
  /** Aborted on cancel; the server is told (`notifications/cancelled`). */
  signal?: AbortSignal;
  /** How long the call may take; past it the call fails with `tool-timeout`. */
  timeoutMs?: number;
  /** The server's progress notifications for this call. */
  onProgress?: (progress: { progress: number; total?: number; message?: string }) => void;
}

/**
 * What a tool returned. `isError` is the tool saying it failed (a bad path, a refused
 * write): the call itself worked. Calls that could not be made throw ToolCallError.
 */
export interface ToolResult {
  /** The tool's structured result, when it gives one. */
  structuredContent?: Record<string, unknown>;
  /** Its text content joined, with non-text parts described (`[image image/png, 2 KB]`). */
  text: string;
  isError: boolean;
}

export interface ToolHost {
  /** The server's tools; the first call connects, later calls reuse the connection and the list. */
  list(server: string, options?: { signal?: AbortSignal }): Promise<ToolInfo[]>;
  call(server: string, tool: string, args: Record<string, unknown>, options?: ToolCallOptions): Promise<ToolResult>;
  /** Closes every connection and stops every server process it started. Safe to call twice. */
  close(): Promise<void>;
}

export type ToolErrorCode =
  /** No server by that name is declared or configured. */
  | 'tool-server-unknown'
  /** The server could not be started or reached, or its connection broke. */
  | 'tool-server-unavailable'
  /** A variable in the server's declaration has no value. */
  | 'tool-server-config'
  /** The server has no tool by that name. */
  | 'tool-unknown'
  /** The server rejected the request (bad arguments, an internal error). */
  | 'tool-protocol'
  | 'tool-timeout'
  | 'tool-denied'
  | 'cancelled';

/** A tool call that could not be made, with a stable code and a message for the workflow's author. */
export class ToolCallError extends Error {
  constructor(
    readonly code: ToolErrorCode,
    message: string,
    readonly server?: string,
    readonly tool?: string,
  ) {
    super(message);
    this.name = 'ToolCallError';
  }
}

/** Names the closest tool when there is one, else lists what the server has. */
export function unknownToolMessage(server: string, tool: string, tools: readonly ToolInfo[]): string {
  const names = tools.map((t) => t.name);
  const hint = didYouMean(tool, names);
  if (hint) return `server \`${server}\` has no tool \`${tool}\`${hint}`;
  return `server \`${server}\` has no tool \`${tool}\`${names.length > 0 ? `; it has ${names.map((n) => `\`${n}\``).join(', ')}` : ''}`;
}
