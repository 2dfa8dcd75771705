/**
 * Tool-call benchmarks against server-everything's `echo` over stdio (a real server
 * process from npm):
 *
 * 1. Overhead: what a call through McpToolHost (tool lookup, result conversion) costs
 *    on top of the SDK's `client.callTool` on its own connection to the same server.
 * 2. Guarded: the same call through `invokeTool` (approval policy, capped arguments and
 *    result, `tool.*` events) — what a workflow's tool call will cost.
 *
 * BENCH_QUICK=1 runs 100 calls per series instead of 1000.
 */
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { systemClock } from '../src/engine';
import { ApprovalPolicy, invokeTool, McpToolHost, parsePatternList, type ServerDeclaration } from '../src/engine/tools';
import { round, stats } from './stats';

const EVERYTHING = path.join(__dirname, '../node_modules/@modelcontextprotocol/server-everything/dist/index.js');


async function time(fn: () => Promise<unknown>, n: number, into: number[]): Promise<void> {
  for (let i = 0; i < n; i++) {
    const start = performance.now();
    await fn();
    into.push(performance.now() - start);
  }
}

export async function benchTools(): Promise<Record<string, unknown>> {
  const calls = process.env.BENCH_QUICK === '1' ? 100 : 1000;
  const declaration: ServerDeclaration = { name: 'everything', transport: 'stdio', command: process.execPath, args: [EVERYTHING, 'stdio'], env: {}, origin: { file: 'bench', kind: 'workflow', path: 'mcp' } };
  const client = new Client({ name: 'bench', version: '1' });
  await client.connect(new StdioClientTransport({ command: process.execPath, args: [EVERYTHING, 'stdio'], stderr: 'ignore' }));
  await client.listTools();
  const host = new McpToolHost({ servers: () => declaration, env: {}, workspaceFolder: process.cwd() });
  const policy = new ApprovalPolicy({ allowed: parsePatternList(['everything.echo']) });
  try {
    const args = { message: 'benchmark me' };
    const direct = () => client.callTool({ name: 'echo', arguments: args });
    const viaHost = () => host.call('everything', 'echo', args);
    let seq = 0;
    const guarded = () =>
      invokeTool({ callId: `c${++seq}`, server: 'everything', tool: 'echo', arguments: args, signal: new AbortController().signal }, { host, policy, clock: systemClock, emit: () => undefined });
    // Warm every path (JIT, the host's connection and tool list).
    for (let i = 0; i < 30; i++) {
      await direct();
      await viaHost();
      await guarded();
    }
    // Alternate blocks so drift and other work on the machine hit every series alike.
    const d: number[] = [];
    const h: number[] = [];
    const g: number[] = [];
    for (let done = 0; done < calls; done += 50) {
      const n = Math.min(50, calls - done);
      await time(direct, n, d);
      await time(viaHost, n, h);
      await time(guarded, n, g);
    }
    const ds = stats(d);
    const hs = stats(h);
    const gs = stats(g);
    return {
      server: '@modelcontextprotocol/server-everything echo, stdio',
      calls,
      directSdkMs: ds,
      toolHostMs: hs,
      invokeToolMs: gs,
      toolHostOverheadMsP50: round(hs.p50 - ds.p50),
      invokeToolOverheadMsP50: round(gs.p50 - ds.p50),
    };
  } finally {
    await client.close();
    await host.close();
  }
}
