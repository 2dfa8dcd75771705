/**
 * One tool call as the runner makes it: ask the approval policy, call through the
 * ToolHost, and report `tool.*` events with capped arguments and result and the
 * latency from the run's clock. A `tool:` step and a prompt's tool loop both use it.
 */
import type { Clock, ErrorInfo } from '../types';
import type { ApprovalPolicy } from './approval';
import { capValue, recordResult, type ToolCallIdentity, type ToolEventPayload } from './events';
import { ToolCallError, unknownToolMessage, type ToolHost, type ToolResult } from './host';

export interface ToolInvocation extends ToolCallIdentity {
  arguments: Record<string, unknown>;
  signal: AbortSignal;
  timeoutMs?: number;
}

export interface InvokeOptions {
  host: ToolHost;
  policy: ApprovalPolicy;
  clock: Clock;
  /** Receives each event's payload; the runner stamps it and adds the StepRef. */
  emit: (event: ToolEventPayload) => void;
  /** Keeps a whole result that is too big for its event; returns its reference. */
  storeResult?: (callId: string, result: ToolResult) => Promise<string | undefined>;
  capBytes?: number;
}

/** Calls the tool; throws ToolCallError (after its `tool.failed`) when the call could not be made or was denied. */
export async function invokeTool(call: ToolInvocation, options: InvokeOptions): Promise<ToolResult> {
  const identity: ToolCallIdentity = { callId: call.callId, server: call.server, tool: call.tool };
  if (call.turn !== undefined) identity.turn = call.turn;
  if (call.modelCallId !== undefined) identity.modelCallId = call.modelCallId;
  const args = capValue(call.arguments, options.capBytes);
  const started = options.clock.now();
  const fail = (error: ToolCallError, withArguments: boolean): never => {
    options.emit({ type: 'tool.failed', ...identity, error: toErrorInfo(error), latencyMs: options.clock.now() - started, ...(withArguments ? { arguments: args } : {}) });
    throw error;
  };

  let tools;
  try {
    tools = await options.host.list(call.server, { signal: call.signal });
  } catch (error) {
    return fail(asCallError(error, call), true);
  }
  const tool = tools.find((t) => t.name === call.tool);
  if (!tool) {
    return fail(new ToolCallError('tool-unknown', unknownToolMessage(call.server, call.tool, tools), call.server, call.tool), true);
  }
  const verdict = await options.policy.authorize(tool, call.arguments, call.signal);
  if (!verdict.allowed) return fail(new ToolCallError('tool-denied', verdict.message, call.server, call.tool), true);

  options.emit({ type: 'tool.started', ...identity, arguments: args, approvedBy: verdict.by });
  const callStarted = options.clock.now();
  let result: ToolResult;
  try {
    result = await options.host.call(call.server, call.tool, call.arguments, { signal: call.signal, timeoutMs: call.timeoutMs });
  } catch (error) {
    options.emit({ type: 'tool.failed', ...identity, error: toErrorInfo(asCallError(error, call)), latencyMs: options.clock.now() - callStarted });
    throw asCallError(error, call);
  }
  const latencyMs = options.clock.now() - callStarted;
  const store = options.storeResult;
  const record = await recordResult(result, { capBytes: options.capBytes, store: store ? (whole) => store(call.callId, whole) : undefined });
  options.emit({ type: 'tool.completed', ...identity, result: record, latencyMs });
  return result;
}

function asCallError(error: unknown, call: ToolInvocation): ToolCallError {
  if (error instanceof ToolCallError) return error;
  if (call.signal.aborted) return new ToolCallError('cancelled', `tool \`${call.server}.${call.tool}\`: cancelled`, call.server, call.tool);
  return new ToolCallError('tool-server-unavailable', `tool \`${call.server}.${call.tool}\`: ${error instanceof Error ? error.message : String(error)}`, call.server, call.tool);
}

function toErrorInfo(error: ToolCallError): ErrorInfo {
  return { code: error.code, message: error.message };
}
