/**
 * The Variables view at a frame: the execution itself (status, attempts, item, the
 * rendered request, the reply, usage, cost, its tool calls, the error), the inputs, every step as
 * `steps.<id>` gives it (a step's `output` can be set), and the run's totals.
 */
import { fromCel, setEntry } from '../engine/expressions';
import type { InspectionPoint } from '../engine/run';
import type { AttemptState, RunState, ToolCallState } from '../engine/state/run-state';
import { executionAt, stepOf } from '../engine/state/selectors';
import type { ModelCallRecord } from '../engine/types';
import type { Execution } from './lanes';
import type { Container } from './variables';
import type { Stop } from './workflow-debugger';

export interface FrameScope {
  name: string;
  container: Container;
  expensive: boolean;
}

export function frameScopes(frame: { stop: Stop; execution: Execution; call: boolean }, state: RunState, trace: string | undefined): FrameScope[] {
  const here = frame.execution === frame.stop.execution;
  const point = here ? frame.stop.point : frame.execution.point;
  const scopes: FrameScope[] = [{ name: frame.call ? 'Model call' : `Step ${point.ref.stepId}`, container: { value: executionView(point, state, here ? frame.stop : undefined) }, expensive: false }];
  scopes.push({ name: 'Inputs', container: { value: plain(point.scope.inputs) ?? {} }, expensive: false });
  scopes.push({ name: 'Steps', container: stepsContainer(point), expensive: false });
  const run: Record<string, unknown> = { id: state.runId ?? null, status: state.status, usage: state.totals.usage, cost: state.totals.costUsd ?? null, calls: state.totals.calls, cacheHits: state.totals.cacheHits };
  if (trace) run.trace = trace;
  scopes.push({ name: 'Run', container: { value: run }, expensive: false });
  return scopes;
}

/** `steps.<id>` as expressions see it; `steps.<id>.output` takes a new value (a what-if for the steps after). */
function stepsContainer(point: InspectionPoint): Container {
  return {
    value: plain(point.scope.steps) ?? {},
    child: (stepId, value) => ({
      value,
      set: (name, output) => {
        if (name !== 'output' || !point.setStepOutput(stepId, output)) throw new Error(`only \`steps.${stepId}.output\` can be changed`);
      },
    }),
  };
}

function executionView(point: InspectionPoint, state: RunState, stop: Stop | undefined): Record<string, unknown> {
  const view: Record<string, unknown> = Object.create(null) as Record<string, unknown>;
  const put = (key: string, value: unknown) => {
    if (value !== undefined) setEntry(view, key, value);
  };
  const { ref, step } = point;
  const execution: AttemptState | undefined = executionAt(state, ref);
  put('step', ref.stepId);
  put('kind', step.kind);
  put('status', execution?.status ?? 'pending');
  put('visit', ref.visit);
  put('visits', stepOf(state, ref.stepId)?.visits);
  put('attempt', stop?.attempt ?? execution?.attempt);
  if (point.scope.item !== undefined) put('item', plain(point.scope.item));
  if (point.scope.index !== undefined) put('index', plain(point.scope.index));
  const call = execution?.call;
  const request = stop?.request ?? call;
  if (request) put('request', { provider: request.provider, model: request.model, params: request.params, messages: request.messages, ...(request.outputSchema ? { outputSchema: request.outputSchema } : {}) });
  if (execution?.hasOutput) put('output', execution.output);
  else if (execution?.streamed) put('reply', execution.streamed);
  if (stop?.output !== undefined) put('checked output', stop.output);
  const record = call && 'latencyMs' in call ? (call as ModelCallRecord) : undefined;
  if (record) {
    put('usage', record.usage);
    put('cost', record.costUsd);
    put('latencyMs', record.latencyMs);
    put('cache', record.cache);
  }
  if (execution?.tools && execution.tools.length > 0) put('tool calls', execution.tools.map(toolCallView));
  put('error', stop?.error ?? execution?.error);
  if (execution && execution.retries.length > 0) put('retries', execution.retries);
  return { ...view };
}

/** A tool call as Variables shows it: what was asked, of which server, and what came back (the server's text is data). */
function toolCallView(call: ToolCallState): Record<string, unknown> {
  const view: Record<string, unknown> = { tool: `${call.server}.${call.tool}`, status: call.status, attempt: call.attempt };
  if (call.turn !== undefined) view.turn = call.turn;
  if (call.arguments) view.arguments = call.arguments.value;
  if (call.result) view.result = call.result.structuredContent ?? call.result.text;
  if (call.error) view.error = call.error;
  if (call.latencyMs !== undefined) view.latencyMs = call.latencyMs;
  return view;
}

/** A CEL value as data to show; what JSON cannot hold (Infinity, NaN) shows as its text. */
export function plain(value: unknown): unknown {
  try {
    return fromCel(value);
  } catch {
    return String(value);
  }
}
