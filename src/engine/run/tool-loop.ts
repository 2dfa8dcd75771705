/**
 * A prompt's `tools:` loop: offer the listed tools to the model, run the calls it asks
 * for (together, when it asks for several), send the results back, and call it again —
 * until a reply asks for nothing (that reply is the step's) or `max_turns` model calls
 * have been made (a `max-turns` failure). What the model sends is untrusted: a name it
 * was not offered, arguments that are not a JSON object, a denied or failed call — each
 * is answered to the model as an error, never run; only a cancel stops the loop.
 */
import { refKey } from '../state/run-state';
import { toFunctionTools, type FunctionToolSet } from '../tools/function-tools';
import { ToolCallError, type ToolInfo } from '../tools/host';
import { ToolPattern } from '../tools/patterns';
import type { ChatMessage, ModelResponse, ModelToolCall, PromptStep, StepRef } from '../types';
import { StepError } from './errors';
import type { Runner, UnstampedEvent } from './runner';
import { callStepTool } from './tool-calls';

/** One model call of the loop, with the messages so far and the tools offered. */
export type CallModel = (messages: ChatMessage[], tools: FunctionToolSet) => Promise<ModelResponse>;

export interface LoopResult {
  response: ModelResponse;
  messages: ChatMessage[];
  turns: number;
}

/** Tool results sent back to the model are capped: a huge file costs tokens on every later turn. */
const MAX_RESULT_CHARS = 100_000;

export async function runToolLoop(runner: Runner, step: PromptStep, ref: StepRef, attempt: number, signal: AbortSignal, first: ChatMessage[], callModel: CallModel, emit: (event: UnstampedEvent) => void): Promise<LoopResult> {
  const offered = await offeredTools(runner, step, signal);
  const messages = [...first];
  for (let turn = 1; ; turn++) {
    const response = await callModel(messages, offered);
    const calls = response.toolCalls ?? [];
    if (calls.length === 0) return { response, messages, turns: turn };
    if (turn >= step.maxTurns) {
      throw new StepError(
        {
          code: 'max-turns',
          stepId: step.id,
          message: `step \`${step.id}\`: the model still asked for tools (${calls.map((c) => `\`${c.name}\``).join(', ')}) after ${step.maxTurns} model call${step.maxTurns === 1 ? '' : 's'}, its \`max_turns\`; raise \`max_turns\` or make the prompt say when to stop`,
          range: step.tools?.range ?? step.idRange,
        },
        false,
      );
    }
    messages.push({ role: 'assistant', content: response.text, toolCalls: calls });
    const results = await withSignalPerCall(signal, calls.length, (signals) => Promise.all(calls.map((call, index) => answer(runner, step, ref, attempt, turn, index, call, offered, signals[index]!, emit))));
    if (signal.aborted) throw signal.reason;
    calls.forEach((call, index) => messages.push({ role: 'tool', toolCallId: call.id, content: results[index] }));
  }
}

/**
 * One signal per call of a turn, all aborted with `signal`: each call's client listens on
 * its own, so a turn of many calls does not pile listeners onto the step's signal (Node
 * warns past ten), and the step's signal holds one listener for the whole turn.
 */
async function withSignalPerCall<T>(signal: AbortSignal, count: number, run: (signals: AbortSignal[]) => Promise<T>): Promise<T> {
  const controllers = Array.from({ length: count }, () => new AbortController());
  const abort = () => controllers.forEach((controller) => controller.abort(signal.reason));
  if (signal.aborted) abort();
  else signal.addEventListener('abort', abort, { once: true });
  try {
    return await run(controllers.map((controller) => controller.signal));
  } finally {
    signal.removeEventListener('abort', abort);
  }
}

/** The tools `tools:` names, listed from their servers (the first listing starts them). */
async function offeredTools(runner: Runner, step: PromptStep, signal: AbortSignal): Promise<FunctionToolSet> {
  const session = runner.options.tools;
  let patterns: ToolPattern[];
  try {
    patterns = (step.tools?.patterns ?? []).map((source) => ToolPattern.parse(source));
  } catch (error) {
    throw new StepError({ code: 'tool-unknown', stepId: step.id, message: `step \`${step.id}\`: ${error instanceof Error ? error.message : String(error)}`, range: step.tools?.range }, false);
  }
  if (!session) throw new StepError({ code: 'tool-server-unknown', stepId: step.id, message: `step \`${step.id}\` offers tools to the model, and this run has no tools (run it with \`orchestrate run\`, or in the editor)` }, false);
  // A replay never starts a server: the recorded replies and results answer everything.
  if (session.replayOnly) return toFunctionTools([]);
  const mcp = runner.workflow.mcp;
  const servers = [...new Set([...(mcp?.declarations.keys() ?? []), ...(mcp?.references ?? [])])];
  let opened;
  try {
    opened = await session.tools(runner.workflow);
  } catch (error) {
    if (error instanceof ToolCallError) throw new StepError({ code: error.code, stepId: step.id, message: `step \`${step.id}\`: ${error.message}` }, false);
    throw new StepError({ code: 'tool-server-config', stepId: step.id, message: `step \`${step.id}\`: cannot set up tools: ${error instanceof Error ? error.message : String(error)}` }, false);
  }
  const tools: ToolInfo[] = [];
  for (const server of servers) {
    if (!patterns.some((p) => p.matchesServer(server))) continue;
    let listed: ToolInfo[];
    try {
      listed = await opened.host.list(server, { signal });
    } catch (error) {
      throw new StepError({ code: 'tool-server-unavailable', stepId: step.id, message: `step \`${step.id}\`: cannot list the tools of \`${server}\`: ${error instanceof Error ? error.message : String(error)}` }, true);
    }
    tools.push(...listed.filter((tool) => patterns.some((p) => p.matches(tool.server, tool.name))));
  }
  if (tools.length === 0) {
    throw new StepError({ code: 'tool-unknown', stepId: step.id, message: `step \`${step.id}\`: no tool matches \`tools: [${step.tools?.patterns.join(', ')}]\``, range: step.tools?.range }, false);
  }
  return toFunctionTools(tools);
}

/** The text the model gets back for one call: the result, or what went wrong. */
async function answer(runner: Runner, step: PromptStep, ref: StepRef, attempt: number, turn: number, index: number, call: ModelToolCall, offered: FunctionToolSet, signal: AbortSignal, emit: (event: UnstampedEvent) => void): Promise<string> {
  const tool = resolve(call.name, offered, runner.options.tools?.replayOnly === true);
  if (!tool) return `error: there is no tool \`${call.name}\`; call one of: ${offered.definitions.map((d) => d.function.name).join(', ') || '(none)'}`;
  let args: unknown;
  try {
    args = call.arguments.trim() === '' ? {} : JSON.parse(call.arguments);
  } catch {
    return `error: the arguments of \`${call.name}\` are not valid JSON; send a JSON object`;
  }
  if (typeof args !== 'object' || args === null || Array.isArray(args)) return `error: the arguments of \`${call.name}\` must be a JSON object`;
  try {
    const result = await callStepTool(
      runner,
      ref,
      { callId: `${refKey(ref)}.a${attempt}.t${turn}.${index + 1}`, server: tool.server, tool: tool.name, arguments: args as Record<string, unknown>, signal, turn, modelCallId: call.id },
      emit,
      step.id,
    );
    const text = result.text !== '' || result.structuredContent === undefined ? result.text : JSON.stringify(result.structuredContent);
    const capped = text.length > MAX_RESULT_CHARS ? `${text.slice(0, MAX_RESULT_CHARS)}\n[… ${text.length - MAX_RESULT_CHARS} more characters cut]` : text;
    return result.isError ? `error: ${capped}` : capped;
  } catch (error) {
    if (signal.aborted) throw error;
    return `error: ${error instanceof Error ? error.message : String(error)}`;
  }
}

/** The function name the model sent, or the `server.tool` name (the mock provider's scripts use those). */
function resolve(name: string, offered: FunctionToolSet, replay: boolean): { server: string; name: string } | undefined {
  const tool = offered.resolve(name) ?? offered.definitions.map((d) => offered.resolve(d.function.name)!).find((t) => t.qualifiedName === name);
  if (tool) return { server: tool.server, name: tool.name };
  if (!replay) return undefined;
  // A replay offers nothing (no server runs): the name stands for itself.
  const dot = name.indexOf('.');
  const sep = name.indexOf('__');
  if (dot > 0) return { server: name.slice(0, dot), name: name.slice(dot + 1) };
  if (sep > 0) return { server: name.slice(0, sep), name: name.slice(sep + 2) };
  return undefined;
}

