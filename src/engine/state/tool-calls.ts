/**
 * How `tool.*` events fold into an execution's list of tool calls: pure, returning a
 * new list (the reducer copies on write), so the panel can hold old states unchanged.
 */
import type { ToolEvent } from '../tools/events';
import type { ToolCallState } from './run-state';

/** The list after one tool event of the execution's attempt `attempt`. */
export function foldToolCall(list: readonly ToolCallState[] | undefined, event: ToolEvent & { time: number }, attempt: number): ToolCallState[] {
  const calls = [...(list ?? [])];
  let at = -1;
  for (let i = calls.length - 1; i >= 0; i--) {
    if (calls[i].callId === event.callId) {
      at = i;
      break;
    }
  }
  const base: ToolCallState =
    at >= 0
      ? { ...calls[at] }
      : {
          callId: event.callId,
          server: event.server,
          tool: event.tool,
          attempt,
          status: 'running',
          startedAt: event.time,
          ...(event.turn !== undefined ? { turn: event.turn } : {}),
        };
  switch (event.type) {
    case 'tool.started':
      base.status = 'running';
      base.arguments = event.arguments;
      base.approvedBy = event.approvedBy;
      break;
    case 'tool.completed':
      base.status = event.result.isError ? 'error' : 'succeeded';
      base.result = event.result;
      base.latencyMs = event.latencyMs;
      break;
    case 'tool.failed':
      base.status = event.error.code === 'cancelled' ? 'cancelled' : 'failed';
      base.error = event.error;
      base.latencyMs = event.latencyMs;
      if (event.arguments && !base.arguments) base.arguments = event.arguments;
      break;
  }
  if (at >= 0) calls[at] = base;
  else calls.push(base);
  return calls;
}

/** Calls still running when their run or step stopped are cancelled. */
export function settleToolCalls(list: readonly ToolCallState[] | undefined): ToolCallState[] | undefined {
  if (!list?.some((call) => call.status === 'running')) return undefined;
  return list.map((call) => (call.status === 'running' ? { ...call, status: 'cancelled' as const } : call));
}
