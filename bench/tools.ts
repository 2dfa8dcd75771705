/**
 * Tool-call benchmarks against server-everything's `echo` over stdio (a real server
 * process from npm):
 *
 * 1. Overhead: what a call through McpToolHost (tool lookup, result conversion) costs
 *    on top of the SDK's `client.callTool` on its own connection to the same server.
 * 2. Guarded: the same call through `invokeTool` (approval policy, capped arguments and
 *    result, `tool.*` events) — what a workflow's tool call will cost.
 * 3. A 100-call tool loop: a prompt step with `tools:` on the mock provider scripting 100
 *    turns of one `echo` call each (and, apart, one turn asking for 100 calls at once),
 *    run by the runner through the headless tool session — from the first call to the
 *    step's end, next to 100 direct SDK calls in a row; and what stopping the server adds
 *    to the run's end.
 *
 * BENCH_QUICK=1 runs 100 calls per series instead of 1000.
 */
import * as path from 'node:path';
import { Client } from '@modelcontextprotocol/sdk/client/index.js';
import { StdioClientTransport } from '@modelcontextprotocol/sdk/client/stdio.js';
import { checkWorkflow, runWorkflow, systemClock, type RunEvent } from '../src/engine';
import { createResolver } from '../src/engine/providers';
import { headlessToolSession } from '../src/engine/run/headless-tools';
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
      toolLoop: await benchToolLoop(direct),
    };
  } finally {
    await client.close();
    await host.close();
  }
}

const LOOP_CALLS = 100;

/** A prompt whose mock replies ask for `echo` 100 times: one call a turn, or all in the first turn. */
function loopWorkflow(parallel: boolean): string {
  const call = (i: number) => `{ name: everything.echo, arguments: { message: "call ${i}" } }`;
  const turns = parallel
    ? [`      - $tool_calls: [${Array.from({ length: LOOP_CALLS }, (_, i) => call(i + 1)).join(', ')}]`]
    : Array.from({ length: LOOP_CALLS }, (_, i) => `      - $tool_calls: [${call(i + 1)}]`);
  return `name: tool loop
mcp:
  everything:
    command: ${JSON.stringify(process.execPath)}
    args: [${JSON.stringify(EVERYTHING)}, stdio]
    approval: allow
steps:
  - id: loop
    prompt: Echo a hundred times.
    tools: [everything.echo]
    max_turns: ${LOOP_CALLS + 1}
    mock:
${turns.join('\n')}
      - done
`;
}

/**
 * Wall time of the loop (first tool call to the step's end), of stopping the server (the
 * step's end to the run's: the run closes its servers before its last event), and of the
 * whole run (server start and stop included), over a few runs.
 */
async function benchToolLoop(direct: () => Promise<unknown>): Promise<Record<string, unknown>> {
  const runs = process.env.BENCH_QUICK === '1' ? 3 : 10;
  const directMs: number[] = [];
  for (let r = 0; r < runs; r++) {
    const start = performance.now();
    for (let i = 0; i < LOOP_CALLS; i++) await direct();
    directMs.push(performance.now() - start);
  }
  const series = async (parallel: boolean) => {
    const { workflow } = checkWorkflow(loopWorkflow(parallel), path.join(__dirname, 'tool-loop.workflow.yaml'));
    if (!workflow) throw new Error('the benchmark workflow does not load');
    const loopMs: number[] = [];
    const stopMs: number[] = [];
    const runMs: number[] = [];
    for (let r = 0; r < runs + 1; r++) {
      let firstCall: number | undefined;
      let stepEnd = 0;
      let calls = 0;
      const start = performance.now();
      const result = await runWorkflow(workflow, {
        providers: createResolver({}, { forceMock: true }),
        tools: await headlessToolSession({ workspaceFolder: process.cwd(), env: {} }),
        onEvent: (event: RunEvent) => {
          if (event.type === 'tool.started') {
            firstCall ??= performance.now();
            calls++;
          }
          if (event.type === 'step.completed') stepEnd = performance.now();
        },
      });
      const end = performance.now();
      if (result.status !== 'succeeded' || calls !== LOOP_CALLS) throw new Error(`the tool loop ${result.status} after ${calls} calls: ${result.error?.message ?? ''}`);
      // The first run warms the JIT and the package cache; it is not counted.
      if (r === 0) continue;
      loopMs.push(stepEnd - firstCall!);
      stopMs.push(end - stepEnd);
      runMs.push(end - start);
    }
    return { loopMs: stats(loopMs), serverStopMs: stats(stopMs), wholeRunMs: stats(runMs) };
  };
  const sequential = await series(false);
  const parallel = await series(true);
  return {
    calls: LOOP_CALLS,
    runs,
    direct100SdkCallsMs: stats(directMs),
    oneCallPerTurn: sequential,
    allCallsInOneTurn: parallel,
    perTurnOverheadMsP50: round((sequential.loopMs.p50 - stats(directMs).p50) / LOOP_CALLS),
  };
}
