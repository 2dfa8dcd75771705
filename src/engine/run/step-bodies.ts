/**
 * What each kind of step does in one attempt, and how `for_each` and `parallel`
 * fan out: the effects half of the runner (runner.ts holds the loop and the results).
 */
import { RunControl } from '../control';
import { dataRecord, describe, evaluate, renderText, renderValue, setEntry, stringify, toCel, type Scope } from '../expressions';
import { coerce } from '../inputs';
import { validateReply } from '../providers/structured';
import { refKey } from '../state/run-state';
import type { FunctionToolDefinition } from '../tools/function-tools';
import type { ChatMessage, InputStep, ModelCallRecord, Usage, ModelRequestRecord, ParallelStep, PromptStep, Provider, Step, StepRef, ToolStep, Workflow, WorkflowStep } from '../types';
import type { CancelScope } from './cancel-scope';
import { partialOf, isRetryable, retryAfterOf, StepError, toErrorInfo } from './errors';
import { childOptions } from './options';
import { prepareRequest } from './request';
import { callStepTool } from './tool-calls';
import { runToolLoop } from './tool-loop';
import type { Frame, Outcome, Runner, UnstampedEvent } from './runner';

const MAX_WORKFLOW_DEPTH = 8;

/** What one attempt produced. */
export interface Execution {
  output: unknown;
  call?: ModelCallRecord;
  switchTarget?: string;
  /** Tells the cache the run rejected this reply (a failed `check`), so it is never served again. */
  reject?: () => Promise<void>;
}

type Emit = (event: UnstampedEvent) => void;

export class StepBodies {
  constructor(private readonly runner: Runner) {}

  /** One attempt of a step: `step.started` (with the rendered prompt), then the body inside the step's cancel scope. */
  async attempt(step: Step, ref: StepRef, frame: Frame, attempt: number, emit: Emit): Promise<Execution> {
    const scope = this.runner.scope(frame.vars);
    // A prompt is rendered before `step.started` so the event can carry it; a template
    // that fails to render still fails the attempt after the step has started.
    let request: ModelRequestRecord | undefined;
    let renderError: unknown;
    if (step.kind === 'prompt') {
      try {
        request = prepareRequest(this.runner.workflow, step, scope, this.runner.options.defaults);
      } catch (error) {
        renderError = error;
      }
    }
    emit({ type: 'step.started', ...ref, kind: step.kind, attempt, name: step.name, ...(request ? { request } : {}) });
    if (renderError !== undefined) throw renderError;
    const timeoutMs = step.timeoutMs;
    const ownCode = step.kind === 'parallel' || step.kind === 'workflow';
    return frame.scope.attempt((attemptScope) => this.body(step, ref, frame, attempt, attemptScope, scope, request, emit), {
      concurrent: frame.concurrent,
      ownCode,
      timeout:
        timeoutMs === undefined
          ? undefined
          : {
              ms: timeoutMs,
              clock: this.runner.clock,
              error: () => new StepError({ code: 'timeout', stepId: step.id, message: `step \`${step.id}\` took longer than its \`timeout\` of ${formatMs(timeoutMs)}` }, true),
            },
    });
  }

  private async body(step: Step, ref: StepRef, frame: Frame, attempt: number, attemptScope: CancelScope, scope: Scope, request: ModelRequestRecord | undefined, emit: Emit): Promise<Execution> {
    switch (step.kind) {
      case 'prompt':
        return this.prompt(step, ref, scope, attempt, attemptScope.signal, request!, emit);
      case 'set':
        return { output: renderValue(step.value, scope) };
      case 'switch': {
        const value = evaluate(step.switch, scope);
        const match = step.cases.find((c) => c.value === stringify(value));
        const target = match?.target.to ?? step.default?.to;
        if (target === undefined) {
          throw new StepError(
            { code: 'switch', stepId: step.id, message: `\`switch: ${step.switch.source}\` gave ${describe(value)}, which no case matches (cases: ${step.cases.map((c) => c.value).join(', ')}); add a case or a \`default:\``, range: step.switch.range },
            false,
          );
        }
        return { output: value, switchTarget: target };
      }
      case 'input':
        return { output: await this.answer(step, scope, attemptScope.signal) };
      case 'parallel':
        return this.parallel(step, ref, frame, attemptScope);
      case 'workflow':
        return this.subWorkflow(step, ref, scope, attemptScope, emit);
      case 'tool':
        return this.tool(step, ref, scope, attempt, attemptScope.signal, emit);
      case 'fail':
        return { output: null };
    }
  }

  /** `for_each`: the body once per item, at most `concurrency` at a time; output in input order. */
  async map(step: Step, ref: StepRef, frame: Frame): Promise<Outcome> {
    const runner = this.runner;
    const started = runner.clock.now();
    runner.emit({ type: 'step.started', ...ref, kind: step.kind, attempt: 1, name: step.name });
    let items: unknown;
    try {
      items = evaluate(step.forEach!, runner.scope(frame.vars));
    } catch (error) {
      return runner.failed(step, ref, frame, 1, toErrorInfo(error, step.id), runner.clock.now() - started);
    }
    if (!Array.isArray(items)) {
      return runner.failed(step, ref, frame, 1, { code: 'expression', stepId: step.id, message: `\`for_each: ${step.forEach!.source}\` must give a list, but it gave ${describe(items)}`, range: step.forEach!.range }, runner.clock.now() - started);
    }
    const list = items;
    const outputs: unknown[] = new Array(list.length);
    const failures: { index: number; error: ReturnType<typeof toErrorInfo> }[] = [];
    const concurrent = Math.min(step.concurrency, list.length) > 1;
    const itemFrame = (index: number): Frame => ({ scope: frame.scope, vars: { ...frame.vars, item: toCel(list[index]), index: BigInt(index) }, parent: frame.parent, local: true, concurrent });
    let next = 0;
    const worker = async () => {
      while (next < list.length && !frame.scope.aborted) {
        const index = next++;
        const item = itemFrame(index);
        const inspector = runner.options.inspector;
        if (inspector?.beforeStep) await runner.inspect(item.scope, { ...ref, index }, 'step', () => inspector.beforeStep!(runner.point(step, { ...ref, index }, item.vars)));
        const outcome = await runner.attempts(step, { ...ref, index }, item);
        if (outcome.status === 'failed') failures.push({ index, error: outcome.error });
        else outputs[index] = outcome.output;
      }
    };
    await Promise.all(Array.from({ length: Math.min(step.concurrency, list.length) }, worker));
    runner.throwIfCancelled(frame.scope);
    if (failures.length > 0) {
      failures.sort((a, b) => a.index - b.index);
      const first = failures[0];
      const error = { code: first.error.code, stepId: step.id, message: `${failures.length} of ${list.length} items failed; item ${first.index + 1}: ${first.error.message}`, cause: first.error };
      return runner.failed(step, ref, frame, 1, error, runner.clock.now() - started);
    }
    return runner.succeeded(step, ref, frame, 1, { output: outputs }, runner.clock.now() - started, true);
  }

  private async prompt(step: PromptStep, ref: StepRef, scope: Scope, attempt: number, signal: AbortSignal, request: ModelRequestRecord, emit: Emit): Promise<Execution> {
    const runner = this.runner;
    const { provider: providerName, model, params, messages } = request;
    const provider = runner.options.providers.resolve(providerName);
    const started = runner.clock.now();
    const inspector = runner.options.inspector;
    if (inspector?.beforeModelCall) {
      const point = { ...runner.point(step, ref, {}), scope, attempt, request };
      const waiting = inspector.beforeModelCall(point);
      if (waiting) await runner.held(ref, 'call', waiting, signal);
    }
    const call: ModelCallRecord = { provider: provider.id, model, params, messages, outputSchema: step.outputSchema, latencyMs: 0 };
    const complete = (sent: ChatMessage[], tools?: FunctionToolDefinition[]) =>
      provider.complete({
        provider: providerName,
        model,
        messages: sent,
        params,
        outputSchema: step.outputSchema,
        ...(tools ? { tools } : {}),
        signal,
        stepId: ref.stepId,
        attempt,
        visit: ref.visit,
        index: ref.index,
        ...(ref.parent !== undefined ? { parent: ref.parent } : {}),
        // Each turn of a tool loop is keyed on the tools offered and the calls and results so far (cache/key.ts).
        cache: step.cache,
        mock: runner.mocks.next(step, ref, scope),
        onDelta: (text) => {
          if (!signal.aborted) emit({ type: 'step.delta', ...ref, attempt, text });
        },
      });
    let response;
    // A tool loop's turns add up: the call record is the whole conversation, its usage every turn's.
    const turns: Usage[] = [];
    try {
      if (step.tools) {
        const loop = await runToolLoop(
          runner,
          step,
          ref,
          attempt,
          signal,
          messages,
          async (sent, offered) => {
            const reply = await complete(sent, offered.definitions);
            if (reply.usage && !reply.cache?.hit) turns.push(reply.usage);
            return reply;
          },
          emit,
        );
        response = { ...loop.response, usage: sumUsage(turns) ?? loop.response.usage };
        call.messages = loop.messages;
      } else {
        response = await complete(messages);
      }
    } catch (error) {
      call.latencyMs = runner.clock.now() - started;
      if (turns.length > 0) call.usage = sumUsage(turns);
      if (error instanceof StepError) throw error;
      const info = toErrorInfo(error, step.id);
      info.message = `step \`${step.id}\` (${providerName}/${model}): ${info.message}`;
      throw new StepError(info, isRetryable(error), call, partialOf(error), retryAfterOf(error));
    }
    Object.assign(call, {
      latencyMs: runner.clock.now() - started,
      usage: response.usage,
      costUsd: response.costUsd,
      finishReason: response.finishReason,
      cache: response.cache,
      ...(response.model && response.model !== model ? { model: response.model } : {}),
    });
    const reject = rejecter(provider, response.cache?.key);
    if (!step.outputSchema) return { output: response.text, call, reject };
    try {
      return { output: validateReply(response, step.outputSchema, { provider: provider.id, model: response.model ?? model }), call, reject };
    } catch (error) {
      await reject?.();
      // The message already names the model and provider that answered.
      const info = toErrorInfo(error, step.id);
      info.message = `step \`${step.id}\`: ${info.message}`;
      throw new StepError(info, isRetryable(error), call, partialOf(error));
    }
  }

  /** `tool:`: one call; the output is the structured result when there is one, else the text. */
  private async tool(step: ToolStep, ref: StepRef, scope: Scope, attempt: number, signal: AbortSignal, emit: Emit): Promise<Execution> {
    const args: Record<string, unknown> = dataRecord();
    for (const [name, value] of Object.entries(step.with)) setEntry(args, name, renderValue(value, scope));
    const { server, name } = step.tool;
    const result = await callStepTool(this.runner, ref, { callId: `${refKey(ref)}.a${attempt}`, server, tool: name, arguments: { ...args }, signal }, emit, step.id);
    if (result.isError) {
      // The tool said no (a missing file, a refused write): the server's words, for the author.
      throw new StepError({ code: 'tool-error', stepId: step.id, message: `step \`${step.id}\`: tool \`${server}.${name}\` failed: ${result.text || 'it gave no reason'}`, range: step.tool.range }, true);
    }
    return { output: result.structuredContent ?? result.text };
  }

  private async answer(step: InputStep, scope: Scope, signal: AbortSignal): Promise<unknown> {
    const given = this.runner.options.inputs ?? {};
    const answer = Object.hasOwn(given, step.id) ? given[step.id] : undefined;
    if (answer !== undefined) return checkedAnswer(step, answer);
    const question = renderText(step.question, scope);
    const ask = this.runner.options.ask;
    const asked = ask ? await ask({ stepId: step.id, name: step.id, question, type: 'string', default: step.default, choices: step.choices }, signal) : undefined;
    if (asked !== undefined) return checkedAnswer(step, asked);
    if (step.default !== undefined) return step.default;
    throw new StepError({ code: 'input', stepId: step.id, message: `step \`${step.id}\` asks "${question}" and this run cannot ask: pass --input ${step.id}=VALUE or give the step a \`default\`` }, false);
  }

  /** Branches run inside this attempt's scope; each is an execution of its own, inside this one. */
  private async parallel(step: ParallelStep, ref: StepRef, frame: Frame, attemptScope: CancelScope): Promise<Execution> {
    const branchFrame: Frame = { scope: attemptScope, vars: frame.vars, parent: refKey(ref), local: frame.local || ref.index !== undefined, concurrent: step.branches.length > 1 };
    const outcomes = await Promise.all(step.branches.map((branch) => this.runner.execute(branch, branchFrame)));
    this.runner.throwIfCancelled(attemptScope);
    const failed = step.branches.filter((_, i) => outcomes[i].status === 'failed');
    if (failed.length > 0) {
      const first = outcomes.find((o): o is Extract<Outcome, { status: 'failed' }> => o.status === 'failed')!;
      throw new StepError(
        { code: first.error.code, stepId: step.id, message: `branch${failed.length > 1 ? 'es' : ''} ${failed.map((b) => `\`${b.id}\``).join(', ')} failed: ${first.error.message}`, cause: first.error },
        false,
      );
    }
    const output: Record<string, unknown> = {};
    step.branches.forEach((branch, i) => setEntry(output, branch.id, outcomes[i].status === 'succeeded' ? (outcomes[i].output ?? null) : null));
    return { output };
  }

  private async subWorkflow(step: WorkflowStep, ref: StepRef, scope: Scope, attemptScope: CancelScope, emit: Emit): Promise<Execution> {
    const runner = this.runner;
    const { options } = runner;
    if (!options.loadWorkflow) throw new StepError({ code: 'workflow', stepId: step.id, message: 'this run cannot load sub-workflows' }, false);
    if ((options.depth ?? 0) + 1 > MAX_WORKFLOW_DEPTH) throw new StepError({ code: 'workflow', stepId: step.id, message: `sub-workflows nest deeper than ${MAX_WORKFLOW_DEPTH}: does \`${step.uses.path}\` use itself?` }, false);
    let child: Workflow;
    try {
      child = await options.loadWorkflow(step.uses.path, runner.workflow.file);
    } catch (error) {
      throw new StepError({ code: 'workflow', stepId: step.id, message: `cannot load \`${step.uses.path}\`: ${toErrorInfo(error).message}`, range: step.uses.range }, false);
    }
    const inputs: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(step.with)) setEntry(inputs, name, renderValue(value, scope));
    const result = await runner.runChild(child, childOptions(options, { inputs, runId: `${runner.runId}.${step.id}`, control: new RunControl(), parentScope: attemptScope, nesting: { idPrefix: `${ref.stepId}/`, parent: refKey(ref), forward: emit } }));
    runner.addUsage(result.usage, result.costUsd);
    if (result.status !== 'succeeded') {
      throw new StepError({ code: result.error?.code ?? 'workflow', stepId: step.id, message: `sub-workflow \`${step.uses.path}\` ${result.status}: ${result.error?.message ?? ''}`, cause: result.error }, false);
    }
    return { output: result.outputs };
  }
}

function checkedAnswer(step: InputStep, answer: unknown): unknown {
  const checked = coerce({ name: step.id, type: 'string', choices: step.choices }, answer);
  if ('error' in checked) throw new StepError({ code: 'input', stepId: step.id, message: checked.error.replace('input', 'the answer to') }, false);
  return checked.value;
}

/** How to take back a reply the run rejected, when the provider keeps replies (a cache). */
function rejecter(provider: Provider, key: string | undefined): Execution['reject'] {
  if (key === undefined || !provider.discard) return undefined;
  const discard = provider.discard.bind(provider);
  return () => discard(key).catch(() => undefined);
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

function sumUsage(turns: readonly Usage[]): Usage | undefined {
  if (turns.length === 0) return undefined;
  return turns.reduce((sum, u) => ({ inputTokens: sum.inputTokens + u.inputTokens, outputTokens: sum.outputTokens + u.outputTokens, totalTokens: sum.totalTokens + u.totalTokens }), { inputTokens: 0, outputTokens: 0, totalTokens: 0 });
}
