import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { RunControl, type RunResult } from '../engine';
import { CACHE_POLICIES, CacheStore, cachingResolver, type CachePolicy } from '../engine/cache';
import { recordedRun } from '../engine/trace';
import { headlessToolSession } from '../engine/run/headless-tools';
import { createWorkflowServer, type WorkflowRunner } from '../mcp/server';
import { HttpConfigError, serveHttp } from '../mcp/http';
import { serveStdio } from '../mcp/stdio';
import { parseArgs, UsageError } from './args';
import { loadFromDisk } from './files';
import type { Io } from './main';
import { cliProviders } from './providers';
import { displayPath, secretsOf, storeFor, TRACES_HELP, TRACES_OPTION } from './stores';
import { ALLOW_TOOLS_HELP, ALLOW_TOOLS_OPTION, allowToolsOf } from './tool-options';

export const DEFAULT_MCP_PORT = 7317;

const USAGE = `Usage: orchestrate mcp [DIR] [options]

Serves every workflow under DIR (default: the current folder) as a tool of the Model
Context Protocol, so agents (VS Code, Claude, Cursor…) can run them: the tool's name and
description come from the workflow, its arguments from \`inputs:\`, its structured result
from \`outputs:\`. Each call is a run like \`orchestrate run\`: recorded as a trace, with
progress notifications per step; cancelling the call cancels the run.

Over stdio by default (the agent starts the process). With --http, over streamable HTTP
at http://HOST:PORT/mcp.

Options:
  --http                   serve over streamable HTTP instead of stdio
  --port N                 the HTTP port (default ${DEFAULT_MCP_PORT}; 0 picks a free one)
  --host H                 the address to bind (default 127.0.0.1). Any other address
                           requires a token: set ORCHESTRATE_MCP_TOKEN, and clients send
                           Authorization: Bearer <token>. With the variable set, loopback
                           requires it too.
  --mock                   run every step on the mock provider (also ORCHESTRATE_USE_MOCK=true)
  --mock-delay MS          how long each mock reply takes (streamed), default 0
${TRACES_HELP}
  --no-trace               do not record runs
  --cache reuse|refresh|off
                           the model-call cache (default reuse)
${ALLOW_TOOLS_HELP}
                           (servers come from each workflow's mcp: and DIR's .vscode/mcp.json,
                           .mcp.json and orchestrate.config.json)

Notes go to stderr; in stdio mode stdout carries the protocol only.
`;

export const mcpCommand = {
  summary: 'serve the workflows under a folder as MCP tools (stdio, or streamable HTTP)',
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { positionals, options } = parseArgs(argv, {
      http: { type: 'boolean' },
      port: { type: 'string' },
      host: { type: 'string' },
      mock: { type: 'boolean' },
      'mock-delay': { type: 'string' },
      ...TRACES_OPTION,
      trace: { type: 'boolean' },
      cache: { type: 'string' },
      ...ALLOW_TOOLS_OPTION,
    });
    if (positionals.length > 1) throw new UsageError('name at most one folder');
    const dir = path.resolve(io.cwd, positionals[0] ?? '.');
    if (!existsSync(dir) || !statSync(dir).isDirectory()) {
      io.err(`${positionals[0]}: no such folder\n`);
      return 2;
    }
    if (!options.http && (options.port !== undefined || options.host !== undefined)) throw new UsageError('--port and --host go with --http');
    const port = options.port === undefined ? DEFAULT_MCP_PORT : Number(options.port);
    if (!Number.isInteger(port) || port < 0 || port > 65535) throw new UsageError(`--port takes a port number (0–65535), not \`${String(options.port)}\``);
    const mockDelay = options['mock-delay'] === undefined ? undefined : Number(options['mock-delay']);
    if (mockDelay !== undefined && !(mockDelay >= 0)) throw new UsageError('--mock-delay takes a number of milliseconds');
    const policy = (options.cache as string | undefined) ?? 'reuse';
    if (!CACHE_POLICIES.includes(policy as CachePolicy)) throw new UsageError(`--cache takes reuse, refresh or off, not \`${policy}\``);
    const allowTools = allowToolsOf(options);

    const log = (line: string) => io.err(`orchestrate mcp: ${line}\n`);
    const store = storeFor(io, options.traces);
    const warn = (message: string) => log(`warning: ${message}`);
    const base = await cliProviders({ io, forceMock: options.mock === true, mockDelayMs: mockDelay });
    const providers = cachingResolver(base, new CacheStore(store.cacheDir, { onWarning: warn }), policy as CachePolicy, { onWarning: warn });

    const inFlight = new Set<Promise<unknown>>();
    const run: WorkflowRunner = (entry, inputs, { signal, onEvent, ask }) => {
      const running = (async () => {
        const recording = recordedRun(entry.workflow, {
          store: options.trace !== false ? store : undefined,
          workflowText: entry.text,
          secrets: secretsOf(io.env),
          onError: (e) => warn(`a trace stopped recording: ${e.message}`),
          onUnrecorded: (error) => warn(`cannot record runs in ${displayPath(store.runsDir, io)}: ${error.message}`),
        });
        const control = new RunControl();
        const cancel = () => control.cancel(cancelReason(signal.reason));
        if (signal.aborted) cancel();
        else signal.addEventListener('abort', cancel, { once: true });
        let result: RunResult;
        try {
          const tools = await headlessToolSession({ workspaceFolder: dir, env: io.env, allowTools, traceFile: recording.trace, warn });
          result = await recording.run({ inputs, providers, ask, loadWorkflow: loadFromDisk, control, onEvent, tools });
        } finally {
          signal.removeEventListener('abort', cancel);
        }
        return { result, trace: recording.trace ? displayPath(recording.trace, io) : undefined };
      })();
      inFlight.add(running);
      void running.finally(() => inFlight.delete(running)).catch(() => undefined);
      return running;
    };
    const createServer = () => createWorkflowServer({ dir, run, log, version: VERSION });
    // Runs cancelled by a shutdown still write the end of their traces before we exit.
    const settle = () => Promise.allSettled([...inFlight]);

    if (!options.http) {
      // Stdout carries JSON-RPC: a stray console.log from any library would break the client.
      const { log: consoleLog, info: consoleInfo } = console;
      console.log = console.info = (...args: unknown[]) => console.error(...args);
      const serving = await serveStdio(createServer(), process.stdin, process.stdout);
      const stop = () => void serving.stop();
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
      log(`serving the workflows under ${displayPath(dir, io) || '.'} over stdio`);
      await serving.closed;
      process.removeListener('SIGINT', stop);
      process.removeListener('SIGTERM', stop);
      await settle();
      console.log = consoleLog;
      console.info = consoleInfo;
      return 0;
    }

    const host = (options.host as string | undefined) ?? '127.0.0.1';
    const token = io.env.ORCHESTRATE_MCP_TOKEN || undefined;
    let serving;
    try {
      serving = await serveHttp({ host, port, token, createServer, log });
    } catch (error) {
      if (error instanceof HttpConfigError) {
        io.err(`orchestrate mcp: ${error.message}\n`);
        return 2;
      }
      throw error;
    }
    log(`serving the workflows under ${displayPath(dir, io) || '.'} at ${serving.url}${token ? ' (bearer token required)' : ''}`);
    await new Promise<void>((resolve) => {
      const stop = () => {
        process.removeListener('SIGINT', stop);
        process.removeListener('SIGTERM', stop);
        resolve();
      };
      process.once('SIGINT', stop);
      process.once('SIGTERM', stop);
    });
    await serving.close();
    await settle();
    return 0;
  },
};

/**
 * The client's reason (`notifications/cancelled`), for the trace; a closed connection
 * aborts with no reason. The text is the client's, so it is kept short and on one line.
 */
function cancelReason(reason: unknown): string {
  if (typeof reason !== 'string' || reason.trim() === '') return 'cancelled by the MCP client';
  const line = reason.replace(/\s+/g, ' ').trim();
  return `cancelled by the MCP client: ${line.length > 200 ? `${line.slice(0, 199)}…` : line}`;
}

declare const ORCHESTRATE_VERSION: string | undefined;
const VERSION = typeof ORCHESTRATE_VERSION === 'string' ? ORCHESTRATE_VERSION : 'dev';
