/**
 * The RunEvents a tool call adds, as payloads: the runner adds `runId`, `seq` and `time`
 * (EventBase) and the StepRef of the step making the call, exactly as for `step.*`
 * events, so traces, replay, resume and the panel see tool calls without special cases.
 *
 * One call is `tool.started` then `tool.completed` or `tool.failed`, tied by `callId`.
 * A call the approval policy refused is a lone `tool.failed` (code `tool-denied`): it
 * never started. Results (and arguments) are capped in the event; the whole result is
 * stored beside the trace and `result.ref` names it.
 */
import type { ErrorInfo, StepRef } from '../types';
import type { ApprovalVerdict } from './approval';
import type { ToolResult } from './host';

/** Which call this is, inside the step execution the StepRef names. */
export interface ToolCallIdentity {
  /** Unique within the run, e.g. `review#1.t3`; replay and resume match recorded calls on it. */
  callId: string;
  server: string;
  tool: string;
  /** The prompt's tool-loop turn that asked for the call (1-based); absent for a `tool:` step. */
  turn?: number;
  /** The id the model gave the call (OpenAI's `tool_call_id`), to pair the reply in the messages. */
  modelCallId?: string;
}

/** A JSON value cut to size for an event, with how big it really was. */
export interface CappedValue {
  /** The value when it fits; otherwise the start of its JSON text. */
  value: unknown;
  truncated: boolean;
  /** Size of the whole value's JSON text, in UTF-8 bytes. */
  bytes: number;
}

export interface ToolResultRecord {
  /** The text content, cut to the cap. */
  text: string;
  /** The structured content, when the tool gave one and it fits the cap. */
  structuredContent?: Record<string, unknown>;
  isError: boolean;
  truncated: boolean;
  bytes: number;
  /** Where the whole result is kept, relative to the trace file's folder, when it was cut. */
  ref?: string;
}

export interface ToolStartedPayload extends ToolCallIdentity {
  type: 'tool.started';
  arguments: CappedValue;
  /** Who allowed the call; `recorded`: answered from a recorded run (replay, resume), never sent. */
  approvedBy: Extract<ApprovalVerdict, { allowed: true }>['by'] | 'recorded';
}

export interface ToolCompletedPayload extends ToolCallIdentity {
  type: 'tool.completed';
  /** `result.isError` is the tool reporting failure; the step decides what that means. */
  result: ToolResultRecord;
  latencyMs: number;
}

export interface ToolFailedPayload extends ToolCallIdentity {
  type: 'tool.failed';
  /** `code` is a ToolErrorCode: tool-denied, tool-timeout, tool-unknown, tool-server-unavailable, cancelled… */
  error: ErrorInfo;
  latencyMs: number;
  /** Present when the call was refused before it started. */
  arguments?: CappedValue;
}

export type ToolEventPayload = ToolStartedPayload | ToolCompletedPayload | ToolFailedPayload;

/** The events as they join RunEvent: `(EventBase & ToolEvent)` in the union in types.ts. */
export type ToolEvent = StepRef & ToolEventPayload;

/** Events hold at most this much of a result or of arguments; the trace stays readable. */
export const DEFAULT_EVENT_CAP_BYTES = 16 * 1024;

export function capValue(value: unknown, capBytes = DEFAULT_EVENT_CAP_BYTES): CappedValue {
  const json = JSON.stringify(value) ?? 'null';
  const bytes = Buffer.byteLength(json, 'utf8');
  if (bytes <= capBytes) return { value, truncated: false, bytes };
  return { value: cutUtf8(json, capBytes), truncated: true, bytes };
}

/** The record an event carries; `store` keeps the whole result when it does not fit. */
export async function recordResult(
  result: ToolResult,
  options: { capBytes?: number; store?: (whole: ToolResult) => Promise<string | undefined> } = {},
): Promise<ToolResultRecord> {
  const cap = options.capBytes ?? DEFAULT_EVENT_CAP_BYTES;
  const bytes = Buffer.byteLength(JSON.stringify(result), 'utf8');
  const structuredBytes = result.structuredContent === undefined ? 0 : Buffer.byteLength(JSON.stringify(result.structuredContent), 'utf8');
  const keepStructured = result.structuredContent !== undefined && structuredBytes <= cap / 2;
  const text = cutUtf8(result.text, keepStructured ? cap - structuredBytes : cap);
  const truncated = text.length < result.text.length || (result.structuredContent !== undefined && !keepStructured);
  const record: ToolResultRecord = { text, isError: result.isError, truncated, bytes };
  if (keepStructured) record.structuredContent = result.structuredContent;
  if (truncated && options.store) {
    const ref = await options.store(result);
    if (ref !== undefined) record.ref = ref;
  }
  return record;
}

/** The longest prefix of `text` whose UTF-8 encoding fits in `maxBytes`, never splitting a character. */
export function cutUtf8(text: string, maxBytes: number): string {
  if (maxBytes <= 0) return '';
  if (Buffer.byteLength(text, 'utf8') <= maxBytes) return text;
  let low = 0;
  let high = Math.min(text.length, maxBytes);
  while (low < high) {
    const mid = Math.ceil((low + high) / 2);
    if (Buffer.byteLength(text.slice(0, mid), 'utf8') <= maxBytes) low = mid;
    else high = mid - 1;
  }
  // Do not end on half of a surrogate pair.
  const code = text.charCodeAt(low - 1);
  return code >= 0xd800 && code <= 0xdbff ? text.slice(0, low - 1) : text.slice(0, low);
}
