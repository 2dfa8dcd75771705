// A minimal MCP server over stdio, spoken by hand (newline-delimited JSON-RPC) so that
// nothing between the wire and this file rebuilds the arguments: its one tool,
// `echo_arguments`, answers with the raw `arguments` of the request as JSON text. Tests
// use it to see exactly what a client sent (keys like `max-results` or `__proto__`).
import { createInterface } from 'node:readline';

const send = (message: unknown) => process.stdout.write(`${JSON.stringify(message)}\n`);

createInterface({ input: process.stdin }).on('line', (line) => {
  if (line.trim() === '') return;
  const message = JSON.parse(line) as { id?: number | string; method?: string; params?: { protocolVersion?: string; arguments?: unknown } };
  if (message.id === undefined) return;
  switch (message.method) {
    case 'initialize':
      send({ jsonrpc: '2.0', id: message.id, result: { protocolVersion: message.params?.protocolVersion ?? '2025-06-18', capabilities: { tools: {} }, serverInfo: { name: 'echo-arguments', version: '1.0.0' } } });
      return;
    case 'tools/list':
      send({ jsonrpc: '2.0', id: message.id, result: { tools: [{ name: 'echo_arguments', description: 'Answers with the arguments it got.', inputSchema: { type: 'object', additionalProperties: true }, annotations: { readOnlyHint: true } }] } });
      return;
    case 'tools/call': {
      // The raw text of `arguments` as it arrived: re-serialising the parsed line keeps every own key, `__proto__` too.
      const raw = JSON.stringify(message.params?.arguments ?? null);
      send({ jsonrpc: '2.0', id: message.id, result: { content: [{ type: 'text', text: raw }], isError: false } });
      return;
    }
    default:
      send({ jsonrpc: '2.0', id: message.id, error: { code: -32601, message: `no method ${message.method}` } });
  }
});
