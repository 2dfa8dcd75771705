/**
 * `orchestrate mcp` over stdio, as agents launch it: JSON-RPC on stdin/stdout, notes on
 * stderr. Ends when the client closes stdin; closing cancels the runs in flight.
 */
import type { Readable, Writable } from 'node:stream';
import type { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { StdioServerTransport } from '@modelcontextprotocol/sdk/server/stdio.js';

/** Serves until the input ends or `stop` is called; resolves once the connection is closed. */
export async function serveStdio(server: Server, input: Readable, output: Writable): Promise<{ closed: Promise<void>; stop: () => Promise<void> }> {
  const transport = new StdioServerTransport(input, output);
  const closed = new Promise<void>((resolve) => {
    server.onclose = () => resolve();
  });
  // The SDK's transport does not watch for the end of its input: a client that exits
  // would leave us running forever.
  const onEnd = () => void server.close().catch(() => undefined);
  input.once('end', onEnd);
  input.once('close', onEnd);
  await server.connect(transport);
  return {
    closed: closed.finally(() => {
      input.removeListener('end', onEnd);
      input.removeListener('close', onEnd);
    }),
    stop: () => server.close(),
  };
}
