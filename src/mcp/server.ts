/**
 * Workflows served as MCP tools: `tools/list` lists every valid workflow under the
 * folder, `tools/call` runs one — progress notifications per step, cancellation that
 * reaches the run, the outputs as structured content and the run's id and trace in the
 * result. A failed run is a tool result with `isError`, never a protocol error: the
 * agent reads the message and can act on it.
 */
import { Server } from '@modelcontextprotocol/sdk/server/index.js';
import { CallToolRequestSchema, ElicitResultSchema, ListToolsRequestSchema, type CallToolResult, type Tool } from '@modelcontextprotocol/sdk/types.js';
import type { Asker, ErrorInfo, RunEvent, RunResult } from '../engine';
import { workflowArguments } from '../engine/tools';
import { loadCatalog, type CatalogEntry } from './catalog';
import { elicitingAsker } from './elicit';
import { progressMessage } from './progress';

/** Runs a workflow as the CLI does (providers, cache, trace); `orchestrate mcp` supplies it. */
export type WorkflowRunner = (
  entry: CatalogEntry,
  inputs: Record<string, unknown>,
  /** `ask` is there when the client can put questions to its user (elicitation). */
  options: { signal: AbortSignal; onEvent: (event: RunEvent) => void; ask?: Asker },
) => Promise<{ result: RunResult; trace?: string }>;

export interface WorkflowServerOptions {
  dir: string;
  run: WorkflowRunner;
  /** Notes for the person running the server (stderr): skipped files, runs started and ended. */
  log: (line: string) => void;
  version: string;
}

export function createWorkflowServer(options: WorkflowServerOptions): Server {
  const server = new Server({ name: 'orchestrate', title: 'Orchestrate workflows', version: options.version }, { capabilities: { tools: { listChanged: false } } });
  const reported = new Set<string>();
  const catalog = () => {
    const loaded = loadCatalog(options.dir);
    // Each broken file is reported once, not on every list.
    for (const problem of loaded.problems) {
      if (!reported.has(problem)) options.log(problem);
      reported.add(problem);
    }
    return loaded;
  };

  server.setRequestHandler(ListToolsRequestSchema, () => ({
    tools: catalog().entries.map(({ definition }): Tool => ({
      name: definition.name,
      title: definition.title,
      description: definition.description,
      inputSchema: definition.inputSchema,
      outputSchema: definition.outputSchema,
      // A workflow calls models and maybe tools: an agent should ask before running it.
      annotations: { readOnlyHint: false, openWorldHint: true },
    })),
  }));

  server.setRequestHandler(CallToolRequestSchema, async (request, extra): Promise<CallToolResult> => {
    const { entries } = catalog();
    const entry = entries.find((e) => e.definition.name === request.params.name);
    if (!entry) {
      const names = entries.map((e) => `\`${e.definition.name}\``).join(', ');
      return errorResult(`there is no workflow tool \`${request.params.name}\`; ${names ? `the tools are ${names}` : `no valid workflow is under ${options.dir}`}`);
    }
    const checked = workflowArguments(entry.workflow, request.params.arguments ?? {});
    if ('error' in checked) return errorResult(`${entry.definition.name}: ${checked.error}`);

    const progressToken = request.params._meta?.progressToken;
    let progress = 0;
    const onEvent = (event: RunEvent) => {
      const message = progressToken === undefined ? undefined : progressMessage(event);
      if (message === undefined) return;
      progress++;
      extra
        .sendNotification({ method: 'notifications/progress', params: { progressToken: progressToken!, progress, message } })
        // The client may have gone; the run goes on and its trace records it.
        .catch(() => undefined);
    };
    const ask = server.getClientCapabilities()?.elicitation
      ? elicitingAsker((params, signal) => extra.sendRequest({ method: 'elicitation/create', params }, ElicitResultSchema, { signal }))
      : undefined;
    options.log(`${entry.definition.name}: running ${entry.workflow.file}`);
    let outcome: { result: RunResult; trace?: string };
    try {
      outcome = await options.run(entry, checked.values, { signal: extra.signal, onEvent, ask });
    } catch (error) {
      return errorResult(`${entry.definition.name} could not run: ${error instanceof Error ? error.message : String(error)}`);
    }
    const { result, trace } = outcome;
    options.log(`${entry.definition.name}: ${result.status} (run ${result.runId}${trace ? `, trace ${trace}` : ''})`);
    const meta = { 'orchestrate/runId': result.runId, ...(trace ? { 'orchestrate/trace': trace } : {}) };
    const runLine = `run ${result.runId}${trace ? ` · trace ${trace}` : ''}`;
    if (result.status !== 'succeeded') {
      return { ...errorResult(`${describeFailure(result)}\n${runLine}`), _meta: meta };
    }
    return {
      content: [
        { type: 'text', text: outputsText(result.outputs) },
        { type: 'text', text: runLine },
      ],
      structuredContent: result.outputs,
      _meta: meta,
    };
  });
  return server;
}

function errorResult(message: string): CallToolResult {
  return { content: [{ type: 'text', text: message }], isError: true };
}

/** Spec: a tool with structured content also returns it as JSON text, for clients that read only text. */
function outputsText(outputs: Record<string, unknown>): string {
  return JSON.stringify(outputs, null, 2);
}

function describeFailure(result: RunResult): string {
  if (result.status === 'cancelled') return `the run was cancelled${result.error ? `: ${result.error.message}` : ''}`;
  const error = result.error;
  if (!error) return 'the workflow failed';
  return `the workflow failed${error.stepId ? ` at step \`${error.stepId}\`` : ''}: ${chain(error)}`;
}

function chain(error: ErrorInfo): string {
  const parts = [error.message];
  for (let cause = error.cause; cause && parts.length < 5; cause = cause.cause) parts.push(cause.message);
  return parts.join(' ← ');
}
