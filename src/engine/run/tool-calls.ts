/**
 * One tool call as a step makes it: answered from the recording when the run has one
 * for this call id (replay, resume), else through the run's ToolSession and
 * `invokeTool` (approval, the call, its `tool.*` events).
 */
import { capValue, recordResult } from '../tools/events';
import { ToolCallError, type ToolResult } from '../tools/host';
import { invokeTool } from '../tools/invoke';
import type { StepRef } from '../types';
import { StepError } from './errors';
import type { Runner, UnstampedEvent } from './runner';

export interface StepToolCall {
  callId: string;
  server: string;
  tool: string;
  arguments: Record<string, unknown>;
  signal: AbortSignal;
  timeoutMs?: number;
  turn?: number;
  modelCallId?: string;
}

/** Codes worth another attempt: the server may come back, or answer in time. */
const RETRYABLE = new Set(['tool-server-unavailable', 'tool-timeout']);

/** The tool's result; throws StepError (code from ToolCallError) when the call could not be made. */
export async function callStepTool(runner: Runner, ref: StepRef, call: StepToolCall, emit: (event: UnstampedEvent) => void, stepId: string): Promise<ToolResult> {
  const identity = { callId: call.callId, server: call.server, tool: call.tool, ...(call.turn !== undefined ? { turn: call.turn } : {}), ...(call.modelCallId !== undefined ? { modelCallId: call.modelCallId } : {}) };
  const session = runner.options.tools;
  if (!session) {
    throw new StepError({ code: 'tool-server-unknown', stepId, message: `step \`${stepId}\` calls \`${call.server}.${call.tool}\`, and this run has no tools (run it with \`orchestrate run\`, or in the editor)` }, false);
  }
  const recorded = session.recorded(call.callId);
  if (recorded) {
    emit({ type: 'tool.started', ...ref, ...identity, arguments: capValue(call.arguments), approvedBy: 'recorded' });
    emit({ type: 'tool.completed', ...ref, ...identity, result: await recordResult(recorded), latencyMs: 0 });
    return recorded;
  }
  if (session.replayOnly) {
    throw new StepError({ code: 'replay-missing', stepId, message: `no result recorded for tool call \`${call.callId}\` (\`${call.server}.${call.tool}\`): the run took a path the recording did not, or the recording stopped before it` }, false);
  }
  let opened;
  try {
    opened = await session.tools(runner.workflow);
  } catch (error) {
    if (error instanceof ToolCallError) throw new StepError({ code: error.code, stepId: stepId, message: `step \`${stepId}\`: ${error.message}` }, false);
    throw new StepError({ code: 'tool-server-config', stepId, message: `step \`${stepId}\`: cannot set up tools: ${error instanceof Error ? error.message : String(error)}` }, false);
  }
  try {
    return await invokeTool(call, {
      host: opened.host,
      policy: opened.policy,
      clock: runner.clock,
      storeResult: opened.storeResult,
      emit: (payload) => emit({ ...ref, ...payload }),
    });
  } catch (error) {
    if (error instanceof ToolCallError) {
      throw new StepError({ code: error.code, stepId, message: `step \`${stepId}\`: ${error.message}` }, RETRYABLE.has(error.code));
    }
    throw error;
  }
}
