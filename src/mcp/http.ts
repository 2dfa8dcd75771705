/**
 * `orchestrate mcp --http`: the workflow server over MCP's streamable HTTP, at `/mcp`.
 * It binds loopback unless told otherwise; bound anywhere else it refuses to start
 * without a bearer token, since every call spends the owner's model budget. On loopback
 * it checks the Host and Origin headers, so a web page cannot reach it by DNS rebinding.
 */
import { createHash, randomUUID, timingSafeEqual } from 'node:crypto';
import { createServer, type IncomingMessage, type ServerResponse } from 'node:http';
import type { AddressInfo } from 'node:net';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StreamableHTTPServerTransport } from '@modelcontextprotocol/sdk/server/streamableHttp.js';

export interface HttpServeOptions {
  host: string;
  /** 0 picks a free port. */
  port: number;
  /** Required on every request when set; required to be set when `host` is not loopback. */
  token?: string;
  /** A fresh MCP server per session. */
  createServer: () => Server;
  log: (line: string) => void;
}

export interface HttpServing {
  url: string;
  /** Ends every session (cancelling their runs) and stops listening. */
  close(): Promise<void>;
}

export class HttpConfigError extends Error {}

const LOOPBACK_NAMES = new Set(['localhost', '127.0.0.1', '::1', '[::1]']);

export function isLoopback(host: string): boolean {
  return LOOPBACK_NAMES.has(host.toLowerCase()) || /^127(\.\d{1,3}){3}$/.test(host);
}

interface Session {
  transport: StreamableHTTPServerTransport;
  server: Server;
}

export async function serveHttp(options: HttpServeOptions): Promise<HttpServing> {
  const loopback = isLoopback(options.host);
  if (!loopback && !options.token) {
    throw new HttpConfigError(
      `refusing to serve on ${options.host} without a token: anyone who can reach it could run your workflows on your keys. Set ORCHESTRATE_MCP_TOKEN, or bind to 127.0.0.1 (the default)`,
    );
  }
  const expected = options.token === undefined ? undefined : digest(`Bearer ${options.token}`);
  const sessions = new Map<string, Session>();

  const handle = async (req: IncomingMessage, res: ServerResponse): Promise<void> => {
    const url = new URL(req.url ?? '/', 'http://localhost');
    if (url.pathname !== '/mcp') return reply(res, 404, 'not found: the MCP endpoint is /mcp');
    if (loopback && !loopbackRequest(req)) return reply(res, 403, 'forbidden: this server only answers requests addressed to loopback');
    if (expected && !sameDigest(expected, digest(req.headers.authorization ?? ''))) {
      res.setHeader('www-authenticate', 'Bearer');
      return reply(res, 401, 'unauthorized: send Authorization: Bearer <ORCHESTRATE_MCP_TOKEN>');
    }
    const sessionId = req.headers['mcp-session-id'];
    if (typeof sessionId === 'string') {
      const session = sessions.get(sessionId);
      if (!session) return reply(res, 404, 'unknown session: start a new one with initialize');
      return session.transport.handleRequest(req, res);
    }
    if (req.method !== 'POST') return reply(res, 400, 'no session: start one by POSTing initialize');
    const server = options.createServer();
    const transport: StreamableHTTPServerTransport = new StreamableHTTPServerTransport({
      sessionIdGenerator: () => randomUUID(),
      onsessioninitialized: (id) => {
        sessions.set(id, { transport, server });
      },
    });
    transport.onclose = () => {
      if (transport.sessionId !== undefined) sessions.delete(transport.sessionId);
      void server.close().catch(() => undefined);
    };
    await server.connect(transport);
    await transport.handleRequest(req, res);
  };

  const http = createServer((req, res) => {
    handle(req, res).catch((error: unknown) => {
      options.log(`http: ${error instanceof Error ? error.message : String(error)}`);
      if (!res.headersSent) reply(res, 500, 'internal error');
      else res.end();
    });
  });
  await new Promise<void>((resolve, reject) => {
    http.once('error', reject);
    http.listen(options.port, options.host, () => {
      http.removeListener('error', reject);
      resolve();
    });
  });
  const address = http.address() as AddressInfo;
  const hostInUrl = address.family === 'IPv6' ? `[${address.address}]` : address.address;
  return {
    url: `http://${hostInUrl}:${address.port}/mcp`,
    async close() {
      const open = [...sessions.values()];
      sessions.clear();
      await Promise.all(open.map(({ transport, server }) => Promise.all([transport.close(), server.close()]).catch(() => undefined)));
      http.closeAllConnections();
      await new Promise<void>((resolve) => http.close(() => resolve()));
    },
  };
}

/** Host names a loopback server may be addressed by; anything else is a rebinding attempt. */
function loopbackRequest(req: IncomingMessage): boolean {
  const host = hostName(req.headers.host ?? '');
  if (!isLoopback(host)) return false;
  const origin = req.headers.origin;
  if (origin === undefined || origin === 'null') return origin === undefined;
  try {
    return isLoopback(new URL(origin).hostname);
  } catch {
    return false;
  }
}

function hostName(hostHeader: string): string {
  if (hostHeader.startsWith('[')) return hostHeader.slice(0, hostHeader.indexOf(']') + 1);
  const colon = hostHeader.lastIndexOf(':');
  return colon === -1 ? hostHeader : hostHeader.slice(0, colon);
}

/** Hashes make the comparison constant-time whatever the lengths. */
function digest(text: string): Buffer {
  return createHash('sha256').update(text).digest();
}

function sameDigest(a: Buffer, b: Buffer): boolean {
  return timingSafeEqual(a, b);
}

function reply(res: ServerResponse, status: number, message: string): void {
  res.writeHead(status, { 'content-type': 'application/json' });
  res.end(JSON.stringify({ jsonrpc: '2.0', error: { code: -32000, message }, id: null }));
}
