/**
 * The runner: performs the effects of a run (model calls, questions, sub-workflows,
 * timers) and emits a `RunEvent` for everything observable. Where to go next is
 * decided by the pure `decideNext`; this loop only carries it out.
 */
import { systemClock } from './clock';
import { RunControl, CancelledError } from './control';
import { describe, evaluate, evaluateCondition, renderText, setEntry, renderValue, stringify, toCel, type Scope } from './expressions';
import { coerce, resolveInputs } from './inputs';
import { decideNext, type StepOutcome } from './next';
import { isRetryable as isEngineErrorRetryable, partialOf, retryAfterOf, toErrorInfo as engineErrorInfo } from './errors';
import { compileSchema } from './providers/structured';
import {
  TRACE_SCHEMA_VERSION,
  type Asker,
  type ChatMessage,
  type Clock,
  type ErrorInfo,
  type ModelCallRecord,
  type ModelParams,
  type ModelRequestRecord,
  type ModelSettings,
  type ProviderResolver,
  type RunEvent,
  type RunResult,
  type Step,
  type StepRef,
  type StepResult,
  type Usage,
  type Workflow,
  type WorkflowLoader,
} from './types';

/** A finished step execution taken from an earlier run instead of executing it. */
export interface RestoredStep {
  output: unknown;
  attempts: number;
  call?: ModelCallRecord;
}

/** Supplies earlier results: by exact execution (resume) and by step (run from / run step). */
export interface Restorer {
  /** The recorded result of this exact execution (step, visit, item), when it finished before. */
  take(ref: StepRef): RestoredStep | undefined;
}

export interface RunOptions {
  inputs?: Record<string, unknown>;
  providers: ProviderResolver;
  clock?: Clock;
  /** Asks the person for missing inputs and `input:` steps; without it, runs are headless. */
  ask?: Asker;
  loadWorkflow?: WorkflowLoader;
  onEvent?: (event: RunEvent) => void;
  runId?: string;
  /** Pause, resume, step and cancel. A signal alone also cancels. */
  control?: RunControl;
  signal?: AbortSignal;
  /** Model settings under the workflow's own (the editor's or CLI's defaults). */
  defaults?: ModelSettings;
  /** Start here instead of the first step; `seed` supplies what ran before it. */
  startAt?: string;
  /** Stop successfully once this step has succeeded (*Run to here*, *Run step*). */
  stopAfter?: string;
  /** Step results to start from, as `steps.<id>` (from the last run). */
  seed?: Record<string, StepResult>;
  /** Results to replay instead of executing (resume). */
  restore?: Restorer;
  /** The run this one continues, recorded in `run.started`. */
  resumedFrom?: string;
  /** Nesting depth of sub-workflows, to stop `uses:` cycles. */
  depth?: number;
}

const MAX_WORKFLOW_DEPTH = 8;
const DEFAULT_PROVIDER = 'openai';
const DEFAULT_MODEL = 'gpt-4o-mini';

/** Runs a loaded, analyzed workflow to its end. Never throws for workflow or provider errors. */
export function runWorkflow(workflow: Workflow, options: RunOptions): Promise<RunResult> {
  return new Runner(workflow, options).run();
}

/** A step failed for a reason worth reporting as is. */
class StepError extends Error {
  constructor(
    readonly info: ErrorInfo,
    readonly retryable: boolean,
    readonly call?: ModelCallRecord,
    readonly partialOutput?: string,
    /** How long the server asked us to wait before trying again. */
    readonly retryAfterMs = 0,
  ) {
    super(info.message);
  }
}

interface Execution {
  output: unknown;
  call?: ModelCallRecord;
  switchTarget?: string;
}

class Runner {
  private readonly clock: Clock;
  private readonly control: RunControl;
  private readonly runId: string;
  private readonly results = new Map<string, StepResult>();
  /** `steps.<id>` as CEL sees it, updated in place so a step's scope costs O(1), not O(steps). */
  private readonly celSteps: Record<string, unknown> = {};
  private celInputs: Record<string, unknown> = {};
  private readonly celWorkflow: Record<string, unknown>;
  private readonly celRun: Record<string, unknown>;
  private readonly mockCalls = new Map<string, number>();
  /** A `for_each` item's output, kept apart from the step's own result until the map finishes. */
  private readonly itemOutputs = new Map<string, unknown>();
  /** The controllers of attempts in flight, aborted together on cancel. */
  private readonly inFlight = new Set<AbortController>();
  /** Whether an attempt is using the run's signal itself (only one at a time may: see withTimeout). */
  private runSignalLent = false;
  private readonly usage: Usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  private cost: number | undefined;
  private seq = 0;
  private startedAt = 0;

  constructor(
    private readonly workflow: Workflow,
    private readonly options: RunOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.control = options.control ?? new RunControl();
    if (options.signal) {
      const { signal } = options;
      if (signal.aborted) this.control.cancel(String(signal.reason ?? 'cancelled'));
      else signal.addEventListener('abort', () => this.control.cancel(String(signal.reason ?? 'cancelled')), { once: true });
    }
    this.control.signal.addEventListener('abort', () => {
      for (const attempt of this.inFlight) attempt.abort(this.control.signal.reason);
    });
    this.runId = options.runId ?? newRunId(this.clock.now());
    this.celWorkflow = { name: workflow.name, file: workflow.file };
    this.celRun = { id: this.runId };
    for (const [id] of workflow.stepsById) this.setResult(id, { status: 'pending', output: null, attempts: 0, visits: 0 });
    for (const [id, result] of Object.entries(options.seed ?? {})) if (workflow.stepsById.has(id)) this.setResult(id, { ...result, visits: 0 });
  }

  async run(): Promise<RunResult> {
    this.startedAt = this.clock.now();
    const given = this.options.inputs ?? {};
    this.emit({
      type: 'run.started',
      schemaVersion: TRACE_SCHEMA_VERSION,
      workflow: { name: this.workflow.name, file: this.workflow.file },
      inputs: given,
      resumedFrom: this.options.resumedFrom,
      startAt: this.options.startAt,
      stopAfter: this.options.stopAfter,
    });
    try {
      await this.prepareInputs(given);
      const error = await this.loop();
      if (error) return this.finishFailed(error);
      const outputs = this.outputs();
      return this.finish('succeeded', outputs);
    } catch (error) {
      if (error instanceof CancelledError || this.control.signal.aborted) return this.finishCancelled(this.control.reason);
      if (error instanceof StepError) return this.finishFailed(error.info);
      return this.finishFailed(toErrorInfo(error));
    }
  }

  private async prepareInputs(given: Record<string, unknown>): Promise<void> {
    const { values, missing, errors } = resolveInputs(this.workflow, given);
    if (errors.length > 0) throw new StepError({ code: 'input', message: errors.map((e) => e.message).join('; ') }, false);
    for (const input of missing) {
      const answer = this.options.ask
        ? await this.options.ask({ name: input.name, question: input.description ?? input.name, type: input.type, choices: input.choices }, this.control.signal)
        : undefined;
      if (answer === undefined) {
        throw new StepError({ code: 'input', message: `input \`${input.name}\` is required: pass --input ${input.name}=VALUE${input.description ? ` (${input.description})` : ''}`, range: input.range }, false);
      }
      const converted = coerce(input, answer);
      if ('error' in converted) throw new StepError({ code: 'input', message: converted.error }, false);
      values[input.name] = converted.value;
    }
    this.celInputs = toCel(values) as Record<string, unknown>;
  }

  /** Walks the state machine; returns the error that failed the run, if any. */
  private async loop(): Promise<ErrorInfo | undefined> {
    const { steps } = this.workflow;
    let step: Step | undefined = this.options.startAt ? this.workflow.stepsById.get(this.options.startAt) : steps[0];
    if (step && step.parentId !== undefined) step = this.workflow.stepsById.get(step.parentId);
    while (step) {
      await this.control.gate(() => this.emit({ type: 'run.paused', nextStepId: step!.id }), () => this.emit({ type: 'run.resumed' }));
      const result = this.results.get(step.id)!;
      if (result.visits >= step.maxVisits) {
        return {
          code: 'max-visits',
          stepId: step.id,
          message: `step \`${step.id}\` would run a ${ordinal(result.visits + 1)} time, past its \`max_visits: ${step.maxVisits}\`: the loop through \`${step.id}\` did not settle — check the condition that sends the run back, or raise \`max_visits\``,
          range: step.idRange,
        };
      }
      const outcome = await this.execute(step, {});
      if (this.options.stopAfter === step.id && outcome.status !== 'failed') return undefined;
      this.control.afterStep();
      const decision = decideNext(this.workflow, step, outcome);
      switch (decision.type) {
        case 'end':
          return undefined;
        case 'fail':
          return decision.error;
        case 'fail-step':
          return { code: 'fail', stepId: step.id, message: step.fail ? renderText(step.fail, this.scope({})) : `the run reached step \`${step.id}\``, range: step.idRange };
        case 'goto':
          step = this.workflow.stepsById.get(decision.stepId);
      }
    }
    return undefined;
  }

  /** Runs one step (its `if`, its `for_each`, its retries) and records its result. */
  private async execute(step: Step, extra: Scope, index?: number): Promise<StepOutcome> {
    const previous = this.results.get(step.id)!;
    const visit = previous.visits + 1;
    this.setResult(step.id, { ...previous, visits: visit, status: 'running', startedAt: this.clock.now() });
    const ref: StepRef = { stepId: step.id, visit, index };

    if (step.if) {
      let run: boolean;
      try {
        run = evaluateCondition(step.if, this.scope(extra));
      } catch (error) {
        return this.failed(step, ref, 1, toErrorInfo(error, step.id), 0);
      }
      if (!run) {
        this.setResult(step.id, { ...this.results.get(step.id)!, status: 'skipped', output: null });
        this.emit({ type: 'step.skipped', ...ref, reason: `\`if: ${step.if.source}\` is false` });
        return { status: 'skipped' };
      }
    }
    if (step.forEach) return this.map(step, ref, extra);
    return this.attempts(step, ref, extra);
  }

  /** `for_each`: the body once per item, at most `concurrency` at a time; output in input order. */
  private async map(step: Step, ref: StepRef, extra: Scope): Promise<StepOutcome> {
    const started = this.clock.now();
    this.emit({ type: 'step.started', ...ref, kind: step.kind, attempt: 1, name: step.name });
    let items: unknown;
    try {
      items = evaluate(step.forEach!, this.scope(extra));
    } catch (error) {
      return this.failed(step, ref, 1, toErrorInfo(error, step.id), this.clock.now() - started);
    }
    if (!Array.isArray(items)) {
      return this.failed(step, ref, 1, { code: 'expression', stepId: step.id, message: `\`for_each: ${step.forEach!.source}\` must give a list, but it gave ${describe(items)}`, range: step.forEach!.range }, this.clock.now() - started);
    }
    const outputs: unknown[] = new Array(items.length);
    const failures: { index: number; error: ErrorInfo }[] = [];
    let next = 0;
    const worker = async () => {
      while (next < items.length && !this.control.signal.aborted) {
        const index = next++;
        const outcome = await this.attempts(step, { ...ref, index }, { ...extra, item: toCel(items[index]), index: BigInt(index) }, true);
        if (outcome.status === 'failed') failures.push({ index, error: outcome.error });
        else outputs[index] = this.itemOutputs.get(itemKey(step.id, index));
      }
    };
    await Promise.all(Array.from({ length: Math.min(step.concurrency, items.length) }, worker));
    for (let i = 0; i < items.length; i++) this.itemOutputs.delete(itemKey(step.id, i));
    this.throwIfCancelled();
    if (failures.length > 0) {
      failures.sort((a, b) => a.index - b.index);
      const first = failures[0];
      return this.failed(step, ref, 1, { code: first.error.code, stepId: step.id, message: `${failures.length} of ${items.length} items failed; item ${first.index + 1}: ${first.error.message}`, cause: first.error }, this.clock.now() - started);
    }
    return this.succeeded(step, ref, 1, { output: outputs }, this.clock.now() - started);
  }

  /** One execution with its retries. For a map item, the result is kept per item, not as the step's. */
  private async attempts(step: Step, ref: StepRef, extra: Scope, isItem = false): Promise<StepOutcome> {
    const restored = this.options.restore?.take(ref);
    if (restored) {
      this.emit({ type: 'step.completed', ...ref, attempt: restored.attempts, output: restored.output, durationMs: 0, call: restored.call, restored: true });
      // A restored call still used up its `mock:` list entries, so the next visit gets the next one.
      if (step.mock) this.mockCalls.set(itemKey(step.id, ref.index), (this.mockCalls.get(itemKey(step.id, ref.index)) ?? 0) + restored.attempts);
      if (isItem) this.itemOutputs.set(itemKey(step.id, ref.index!), restored.output);
      else this.setResult(step.id, { ...this.results.get(step.id)!, status: 'succeeded', output: restored.output, attempts: restored.attempts, durationMs: 0 });
      return { status: 'succeeded' };
    }
    const maxAttempts = step.retries + 1;
    for (let attempt = 1; ; attempt++) {
      this.throwIfCancelled();
      const started = this.clock.now();
      // A prompt is rendered before `step.started` so the event can carry it; a template
      // that fails to render still fails the attempt after the step has started.
      let request: ModelRequestRecord | undefined;
      let renderError: unknown;
      if (step.kind === 'prompt') {
        try {
          request = this.prepareRequest(step, this.scope(extra));
        } catch (error) {
          renderError = error;
        }
      }
      this.emit({ type: 'step.started', ...ref, kind: step.kind, attempt, name: step.name, ...(request ? { request } : {}) });
      try {
        if (renderError !== undefined) throw renderError;
        const execution = await this.withTimeout(step, (signal) => this.body(step, ref, extra, attempt, signal, request));
        if (step.check) this.check(step, execution, extra);
        const durationMs = this.clock.now() - started;
        if (isItem) {
          this.itemOutputs.set(itemKey(step.id, ref.index!), execution.output);
          this.emit({ type: 'step.completed', ...ref, attempt, output: execution.output, durationMs, call: execution.call });
          this.countUsage(execution.call);
          return { status: 'succeeded' };
        }
        return this.succeeded(step, ref, attempt, execution, durationMs);
      } catch (error) {
        if (this.control.signal.aborted) {
          this.emit({ type: 'step.failed', ...ref, attempt, error: { code: 'cancelled', stepId: step.id, message: `cancelled: ${this.control.reason}` }, durationMs: this.clock.now() - started });
          throw new CancelledError(this.control.reason);
        }
        const failure = error instanceof StepError ? error : new StepError(toErrorInfo(error, step.id), isRetryable(error), undefined, partialOf(error));
        this.countUsage(failure.call);
        if (attempt < maxAttempts && failure.retryable) {
          // A server's Retry-After outranks the step's own delay: retrying sooner only earns another 429.
          const delayMs = Math.max(step.retryDelayMs, failure.retryAfterMs);
          this.emit({ type: 'step.retrying', ...ref, attempt, error: failure.info, delayMs, call: failure.call, partialOutput: failure.partialOutput });
          await this.clock.sleep(delayMs, this.control.signal).catch(() => this.throwIfCancelled());
          continue;
        }
        if (isItem) {
          this.emit({ type: 'step.failed', ...ref, attempt, error: failure.info, durationMs: this.clock.now() - started, call: failure.call, partialOutput: failure.partialOutput });
          return { status: 'failed', error: failure.info };
        }
        return this.failed(step, ref, attempt, failure.info, this.clock.now() - started, failure.call, failure.partialOutput);
      }
    }
  }

  private check(step: Step, execution: Execution, extra: Scope): void {
    let passed: boolean;
    try {
      passed = evaluateCondition(step.check!, this.scope({ ...extra, output: toCel(execution.output) }));
    } catch (error) {
      throw new StepError(toErrorInfo(error, step.id), false, execution.call);
    }
    if (!passed) {
      throw new StepError(
        { code: 'check', stepId: step.id, message: `\`check: ${step.check!.source}\` is false for the output ${describe(execution.output)}`, range: step.check!.range },
        true,
        execution.call,
      );
    }
  }

  /**
   * Runs `fn` with a signal of its own that aborts on cancel and when the step's
   * `timeout` passes. Each step gets its own controller, fanned out from the run's
   * through a Set: a thousand branches listening on one shared signal would make
   * every add and remove of a listener cost O(branches).
   */
  private async withTimeout<T>(step: Step, fn: (signal: AbortSignal) => Promise<T>): Promise<T> {
    // A step running alone with no timeout can use the run's own signal: no
    // controller to create (a few µs each, a third of a short step's cost).
    if (step.timeoutMs === undefined && !this.runSignalLent) {
      this.runSignalLent = true;
      try {
        return await raceAbort(fn(this.control.signal), this.control.signal);
      } finally {
        this.runSignalLent = false;
      }
    }
    const attempt = new AbortController();
    if (this.control.signal.aborted) attempt.abort(this.control.signal.reason);
    this.inFlight.add(attempt);
    let timer: AbortController | undefined;
    try {
      const work = raceAbort(fn(attempt.signal), attempt.signal);
      if (step.timeoutMs === undefined) return await work;
      const timeoutMs = step.timeoutMs;
      timer = new AbortController();
      const timeout = this.clock.sleep(timeoutMs, timer.signal).then(() => {
        const error = new StepError({ code: 'timeout', stepId: step.id, message: `step \`${step.id}\` took longer than its \`timeout\` of ${formatMs(timeoutMs)}` }, true);
        attempt.abort(error);
        throw error;
      });
      timeout.catch(() => undefined);
      return await Promise.race([work, timeout]);
    } finally {
      timer?.abort();
      this.inFlight.delete(attempt);
    }
  }

  /** What each kind of step does. */
  private async body(step: Step, ref: StepRef, extra: Scope, attempt: number, signal: AbortSignal, request?: ModelRequestRecord): Promise<Execution> {
    const scope = this.scope(extra);
    switch (step.kind) {
      case 'prompt':
        return this.prompt(step, ref, scope, attempt, signal, request ?? this.prepareRequest(step, scope));
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
        return { output: await this.answer(step, scope, signal) };
      case 'parallel':
        return this.parallel(step, extra);
      case 'workflow':
        return this.subWorkflow(step, scope, signal);
      case 'fail':
        return { output: null };
    }
  }

  /** The model call a prompt step makes: settings merged step over worker over workflow, messages rendered. */
  private prepareRequest(step: Extract<Step, { kind: 'prompt' }>, scope: Scope): ModelRequestRecord {
    const worker = step.worker && Object.hasOwn(this.workflow.workers, step.worker.name) ? this.workflow.workers[step.worker.name] : undefined;
    const settings: ModelSettings = { ...this.options.defaults, ...this.workflow.model, ...worker?.model, ...step.model };
    const params: ModelParams = {};
    for (const key of ['temperature', 'max_tokens', 'top_p', 'seed', 'stop'] as const) if (settings[key] !== undefined) (params as Record<string, unknown>)[key] = settings[key];
    const messages: ChatMessage[] = [];
    const system = step.system ?? worker?.system;
    if (system) messages.push({ role: 'system', content: renderText(system, scope) });
    messages.push({ role: 'user', content: renderText(step.prompt, scope) });
    const record: ModelRequestRecord = { provider: settings.provider ?? DEFAULT_PROVIDER, model: settings.name ?? DEFAULT_MODEL, params, messages };
    if (step.outputSchema) record.outputSchema = step.outputSchema;
    return record;
  }

  private async prompt(step: Extract<Step, { kind: 'prompt' }>, ref: StepRef, scope: Scope, attempt: number, signal: AbortSignal, request: ModelRequestRecord): Promise<Execution> {
    const { provider: providerName, model, params, messages } = request;
    const provider = this.options.providers.resolve(providerName);
    const started = this.clock.now();
    const call: ModelCallRecord = { provider: provider.id, model, params, messages, outputSchema: step.outputSchema, latencyMs: 0 };
    let response;
    try {
      response = await provider.complete({
        provider: providerName,
        model,
        messages,
        params,
        outputSchema: step.outputSchema,
        signal,
        stepId: step.id,
        attempt,
        visit: ref.visit,
        index: ref.index,
        cache: step.cache,
        mock: this.mockReply(step, ref, scope),
        onDelta: (text) => {
          if (!signal.aborted) this.emit({ type: 'step.delta', ...ref, attempt, text });
        },
      });
    } catch (error) {
      call.latencyMs = this.clock.now() - started;
      const info = toErrorInfo(error, step.id);
      info.message = `step \`${step.id}\` (${providerName}/${model}): ${info.message}`;
      throw new StepError(info, isRetryable(error), call, partialOf(error), retryAfterOf(error));
    }
    Object.assign(call, {
      latencyMs: this.clock.now() - started,
      usage: response.usage,
      costUsd: response.costUsd,
      finishReason: response.finishReason,
      cache: response.cache,
      ...(response.model && response.model !== model ? { model: response.model } : {}),
    });
    if (!step.outputSchema) return { output: response.text, call };
    let output = response.json;
    if (output === undefined) {
      try {
        output = JSON.parse(response.text);
      } catch {
        throw new StepError({ code: 'schema', stepId: step.id, message: `the reply is not JSON, but step \`${step.id}\` has an \`output.schema\`: ${response.text.slice(0, 120)}` }, true, call);
      }
    }
    const validate = compileSchema(step.outputSchema);
    if (!validate(output)) {
      const why = (validate.errors ?? []).map((e) => `${e.instancePath || 'the reply'} ${e.message}`).join('; ');
      throw new StepError({ code: 'schema', stepId: step.id, message: `the reply does not match the step's \`output.schema\`: ${why}` }, true, call);
    }
    return { output, call };
  }

  /** The step's `mock:` reply for this call; a list gives one item per call, the last repeating. */
  private mockReply(step: Step, ref: StepRef, scope: Scope): unknown {
    if (!step.mock) return undefined;
    const key = itemKey(step.id, ref.index);
    const calls = this.mockCalls.get(key) ?? 0;
    this.mockCalls.set(key, calls + 1);
    const reply = step.mock.kind === 'list' ? step.mock.items[Math.min(calls, step.mock.items.length - 1)] : step.mock;
    return reply ? renderValue(reply, scope) : undefined;
  }

  private async answer(step: Extract<Step, { kind: 'input' }>, scope: Scope, signal: AbortSignal): Promise<unknown> {
    const given = this.options.inputs ?? {};
    const answer = step.id in given ? given[step.id] : undefined;
    if (answer !== undefined) return this.checkedAnswer(step, answer);
    const question = renderText(step.question, scope);
    const asked = this.options.ask
      ? await this.options.ask({ stepId: step.id, name: step.id, question, type: 'string', default: step.default, choices: step.choices }, signal)
      : undefined;
    if (asked !== undefined) {
      return this.checkedAnswer(step, asked);
    }
    if (step.default !== undefined) return step.default;
    throw new StepError({ code: 'input', stepId: step.id, message: `step \`${step.id}\` asks "${question}" and this run cannot ask: pass --input ${step.id}=VALUE or give the step a \`default\`` }, false);
  }

  private checkedAnswer(step: Extract<Step, { kind: 'input' }>, answer: unknown): unknown {
    const checked = coerce({ name: step.id, type: 'string', choices: step.choices }, answer);
    if ('error' in checked) throw new StepError({ code: 'input', stepId: step.id, message: checked.error.replace('input', 'the answer to') }, false);
    return checked.value;
  }

  private async parallel(step: Extract<Step, { kind: 'parallel' }>, extra: Scope): Promise<Execution> {
    const outcomes = await Promise.all(step.branches.map((branch) => this.execute(branch, extra)));
    this.throwIfCancelled();
    const failed = step.branches.filter((_, i) => outcomes[i].status === 'failed');
    if (failed.length > 0) {
      const first = outcomes.find((o): o is Extract<StepOutcome, { status: 'failed' }> => o.status === 'failed')!;
      throw new StepError(
        { code: first.error.code, stepId: step.id, message: `branch${failed.length > 1 ? 'es' : ''} ${failed.map((b) => `\`${b.id}\``).join(', ')} failed: ${first.error.message}`, cause: first.error },
        false,
      );
    }
    const output: Record<string, unknown> = {};
    for (const branch of step.branches) output[branch.id] = this.results.get(branch.id)!.output;
    return { output };
  }

  private async subWorkflow(step: Extract<Step, { kind: 'workflow' }>, scope: Scope, signal: AbortSignal): Promise<Execution> {
    const depth = (this.options.depth ?? 0) + 1;
    if (!this.options.loadWorkflow) throw new StepError({ code: 'workflow', stepId: step.id, message: 'this run cannot load sub-workflows' }, false);
    if (depth > MAX_WORKFLOW_DEPTH) throw new StepError({ code: 'workflow', stepId: step.id, message: `sub-workflows nest deeper than ${MAX_WORKFLOW_DEPTH}: does \`${step.uses.path}\` use itself?` }, false);
    let child: Workflow;
    try {
      child = await this.options.loadWorkflow(step.uses.path, this.workflow.file);
    } catch (error) {
      throw new StepError({ code: 'workflow', stepId: step.id, message: `cannot load \`${step.uses.path}\`: ${toErrorInfo(error).message}`, range: step.uses.range }, false);
    }
    const inputs: Record<string, unknown> = {};
    for (const [name, value] of Object.entries(step.with)) setEntry(inputs, name, renderValue(value, scope));
    const control = new RunControl();
    signal.addEventListener('abort', () => control.cancel(String(signal.reason ?? 'cancelled')), { once: true });
    const result = await runWorkflow(child, { ...this.options, inputs, control, signal: undefined, runId: `${this.runId}.${step.id}`, onEvent: undefined, depth, startAt: undefined, stopAfter: undefined, seed: undefined, restore: undefined });
    this.addUsage(result.usage, result.costUsd);
    if (result.status !== 'succeeded') {
      throw new StepError({ code: result.error?.code ?? 'workflow', stepId: step.id, message: `sub-workflow \`${step.uses.path}\` ${result.status}: ${result.error?.message ?? ''}`, cause: result.error }, false);
    }
    return { output: result.outputs };
  }

  // ─── Results and events ────────────────────────────────────────────────────

  private succeeded(step: Step, ref: StepRef, attempt: number, execution: Execution, durationMs: number): StepOutcome {
    this.countUsage(execution.call);
    const previous = this.results.get(step.id)!;
    this.setResult(step.id, { ...previous, status: 'succeeded', output: execution.output, attempts: attempt, durationMs, error: undefined, usage: execution.call?.usage, costUsd: execution.call?.costUsd });
    this.emit({ type: 'step.completed', ...ref, attempt, output: execution.output, durationMs, call: execution.call });
    return { status: 'succeeded', switchTarget: execution.switchTarget };
  }

  private failed(step: Step, ref: StepRef, attempt: number, error: ErrorInfo, durationMs: number, call?: ModelCallRecord, partialOutput?: string): StepOutcome {
    const previous = this.results.get(step.id)!;
    this.setResult(step.id, { ...previous, status: 'failed', output: null, attempts: attempt, durationMs, error });
    this.emit({ type: 'step.failed', ...ref, attempt, error, durationMs, call, partialOutput });
    return { status: 'failed', error };
  }

  private setResult(id: string, result: StepResult): void {
    this.results.set(id, result);
    this.celSteps[id] = { output: toCel(result.output), status: result.status, attempts: BigInt(result.attempts) };
  }

  private scope(extra: Scope): Scope {
    return { inputs: this.celInputs, steps: this.celSteps, workflow: this.celWorkflow, run: this.celRun, ...extra };
  }

  private countUsage(call: ModelCallRecord | undefined): void {
    if (call?.usage && !call.cache?.hit) this.addUsage(call.usage, call.costUsd);
  }

  private addUsage(usage: Usage, costUsd: number | undefined): void {
    this.usage.inputTokens += usage.inputTokens;
    this.usage.outputTokens += usage.outputTokens;
    this.usage.totalTokens += usage.totalTokens;
    if (costUsd !== undefined) this.cost = (this.cost ?? 0) + costUsd;
  }

  private outputs(): Record<string, unknown> {
    const outputs: Record<string, unknown> = {};
    const scope = this.scope({});
    for (const [name, value] of Object.entries(this.workflow.outputs)) {
      try {
        setEntry(outputs, name, renderValue(value, scope));
      } catch (error) {
        throw new StepError({ ...toErrorInfo(error), message: `output \`${name}\`: ${toErrorInfo(error).message}` }, false);
      }
    }
    return outputs;
  }

  private throwIfCancelled(): void {
    if (this.control.signal.aborted) throw new CancelledError(this.control.reason);
  }

  /** Stamps and publishes an event. Call sites pass a fresh literal, so it is completed in place. */
  private emit(event: DistributiveOmit<RunEvent, 'runId' | 'seq' | 'time'>): void {
    const stamped = event as RunEvent;
    stamped.runId = this.runId;
    stamped.seq = ++this.seq;
    stamped.time = this.clock.now();
    this.options.onEvent?.(stamped);
  }

  private totals() {
    return { durationMs: this.clock.now() - this.startedAt, usage: { ...this.usage }, costUsd: this.cost };
  }

  private stepResults(): Record<string, StepResult> {
    return Object.fromEntries(this.results);
  }

  private finish(status: 'succeeded', outputs: Record<string, unknown>): RunResult {
    const totals = this.totals();
    this.emit({ type: 'run.completed', outputs, ...totals });
    return { runId: this.runId, status, outputs, steps: this.stepResults(), ...totals };
  }

  private finishFailed(error: ErrorInfo): RunResult {
    const totals = this.totals();
    this.emit({ type: 'run.failed', error, ...totals });
    return { runId: this.runId, status: 'failed', outputs: {}, steps: this.stepResults(), error, ...totals };
  }

  private finishCancelled(reason: string): RunResult {
    const totals = this.totals();
    this.emit({ type: 'run.cancelled', reason, ...totals });
    return { runId: this.runId, status: 'cancelled', outputs: {}, steps: this.stepResults(), error: { code: 'cancelled', message: `cancelled: ${reason}` }, ...totals };
  }
}

type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;

/** Settles with `work`, or rejects as soon as `signal` aborts, even if `work` ignores the signal. */
function raceAbort<T>(work: Promise<T>, signal: AbortSignal): Promise<T> {
  if (signal.aborted) {
    work.catch(() => undefined);
    return Promise.reject(signal.reason);
  }
  return new Promise<T>((resolve, reject) => {
    const onAbort = () => reject(signal.reason);
    signal.addEventListener('abort', onAbort, { once: true });
    work.then(
      (value) => {
        signal.removeEventListener('abort', onAbort);
        resolve(value);
      },
      (error) => {
        signal.removeEventListener('abort', onAbort);
        reject(error);
      },
    );
  });
}

function itemKey(stepId: string, index: number | undefined): string {
  return index === undefined ? stepId : `${stepId}#${index}`;
}

/** A `StepError` carries its own `ErrorInfo` and verdict; everything else goes by the engine's error model. */
function toErrorInfo(error: unknown, stepId?: string): ErrorInfo {
  return error instanceof StepError ? error.info : engineErrorInfo(error, stepId);
}

function isRetryable(error: unknown): boolean {
  return error instanceof StepError ? error.retryable : isEngineErrorRetryable(error);
}

function ordinal(n: number): string {
  const suffix = n % 100 >= 11 && n % 100 <= 13 ? 'th' : (['th', 'st', 'nd', 'rd'][n % 10] ?? 'th');
  return `${n}${suffix}`;
}

function formatMs(ms: number): string {
  return ms % 1000 === 0 ? `${ms / 1000}s` : `${ms}ms`;
}

/** Sortable, unique enough for file names: `2026-11-21T10-04-05-123Z-k3x9`. */
export function newRunId(now: number): string {
  const random = Math.floor(Math.random() * 36 ** 4).toString(36).padStart(4, '0');
  return `${new Date(now).toISOString().replace(/[:.]/g, '-')}-${random}`;
}

