/**
 * The runner: performs the effects of a run (model calls, questions, sub-workflows,
 * timers) and emits a `RunEvent` for everything observable. It keeps no state of its
 * own beyond what the events say: its run state is the reducer's fold of them. What
 * to do next (where to go, whether to retry, whether a step may run again, whether
 * to stop) is decided by the pure functions in decide.ts and next.ts.
 *
 * Every execution — a visit, a `for_each` item, a branch inside either — owns its
 * result: outputs flow up through return values, never through a shared table.
 */
import { systemClock } from '../clock';
import { RunControl, CancelledError } from '../control';
import { celMap, dataRecord, describe, evaluateCondition, renderText, setEntry, renderValue, toCel, type Scope } from '../expressions';
import { nestsDeeperThan, tooDeepMessage } from '../depth';
import { coerce, resolveInputs } from '../inputs';
import { decideNext, type StepOutcome } from '../next';
import { stepInfosOf, stepResults } from '../state/selectors';
import { RunStateBuilder } from '../state/reduce';
import { initialRunState } from '../state/run-state';
import { TRACE_SCHEMA_VERSION, type ErrorInfo, type RunEvent, type RunResult, type Step, type StepRef, type StepResult, type Usage, type Workflow } from '../types';
import { CancelScope, raceAbort } from './cancel-scope';
import { decideRetry, stopsAfter, visitLimit } from './decide';
import { isRetryable, partialOf, retryAfterOf, StepError, toErrorInfo } from './errors';
import { systemIds } from '../ids';
import type { InspectionPoint, Inspector } from './inspector';
import type { RunOptions } from './options';
import { MockRotation } from './request';
import { StepBodies, type Execution } from './step-bodies';

/** Where an execution runs: its cancel scope, the variables it adds, the execution it is inside. */
export interface Frame {
  scope: CancelScope;
  vars: Scope;
  /** `refKey` of the enclosing execution, for branches. */
  parent?: string;
  /** Inside a `for_each` item: results stay with the item instead of becoming `steps.<id>`. */
  local: boolean;
  /** Siblings run beside this execution in the same scope. */
  concurrent: boolean;
}

/** An outcome, with the output of a success (which the caller owns). */
export type Outcome = StepOutcome & { output?: unknown };

export class Runner {
  readonly clock;
  readonly control: RunControl;
  readonly runId: string;
  readonly root: CancelScope;
  readonly mocks = new MockRotation();
  private readonly state: RunStateBuilder;
  private readonly bodies: StepBodies;
  /** `steps.<id>` as CEL sees it: the last finished execution outside any item, updated in place so a scope costs O(1). */
  private readonly celSteps = celMap();
  private celInputs: unknown = celMap();
  private readonly celWorkflow: Map<string, unknown>;
  private readonly celRun: Map<string, unknown>;
  /** Entries into each step, per enclosing execution. */
  private readonly visits = new Map<string, number>();
  private readonly usage: Usage = { inputTokens: 0, outputTokens: 0, totalTokens: 0 };
  private cost: number | undefined;
  private seq = 0;
  private startedAt = 0;
  private ended = false;

  constructor(
    readonly workflow: Workflow,
    readonly options: RunOptions,
  ) {
    this.clock = options.clock ?? systemClock;
    this.control = options.control ?? new RunControl();
    this.root = new CancelScope(options.parentScope);
    if (options.signal) linkAbort(options.signal, (reason) => this.control.cancel(reason));
    // A sub-workflow's run stops with the step that started it, paused or not.
    if (options.parentScope) linkAbort(options.parentScope.signal, (reason) => this.control.cancel(reason));
    linkAbort(this.control.signal, () => this.root.abort(this.control.signal.reason));
    this.runId = options.runId ?? (options.ids ?? systemIds).runId(this.clock.now());
    this.celWorkflow = celMap([
      ['name', workflow.name],
      ['file', workflow.file],
    ]);
    this.celRun = celMap([['id', this.runId]]);
    this.state = new RunStateBuilder(initialRunState(workflow, options.nesting ? [] : stepInfosOf(workflow)));
    this.bodies = new StepBodies(this);
    for (const [id] of workflow.stepsById) this.celSteps.set(id, PENDING_STEP);
    for (const [id, result] of Object.entries(options.seed ?? {})) if (workflow.stepsById.has(id)) this.setCelStep(id, { ...result, visits: 0 });
  }

  /** A sub-workflow's run, with the options childOptions() made. */
  runChild(workflow: Workflow, options: RunOptions): Promise<RunResult> {
    return new Runner(workflow, options).run();
  }

  async run(): Promise<RunResult> {
    try {
      return await this.runSteps();
    } finally {
      // The run that was given the tools ends them: no server outlives it. A sub-workflow shares its parent's.
      if (!this.options.nesting) await this.options.tools?.close();
    }
  }

  private async runSteps(): Promise<RunResult> {
    this.startedAt = this.clock.now();
    let given = this.options.inputs ?? {};
    // Checked before run.started records them: the trace could not write them.
    const tooDeep = nestsDeeperThan(given);
    if (tooDeep) given = {};
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
      if (tooDeep) throw new StepError({ code: 'value-too-deep', message: tooDeepMessage('an input') }, false);
      await this.prepareInputs(given);
      const error = await this.loop();
      if (error) return this.finish({ type: 'run.failed', error });
      return this.finish({ type: 'run.completed', outputs: this.outputs() });
    } catch (error) {
      if (error instanceof CancelledError || this.root.aborted) return this.finish({ type: 'run.cancelled', reason: this.control.reason });
      return this.finish({ type: 'run.failed', error: toErrorInfo(error) });
    }
  }

  private async prepareInputs(given: Record<string, unknown>): Promise<void> {
    const { values, missing, errors } = resolveInputs(this.workflow, given);
    if (errors.length > 0) throw new StepError({ code: 'input', message: errors.map((e) => e.message).join('; ') }, false);
    for (const input of missing) {
      const question = { name: input.name, question: input.description ?? input.name, type: input.type, choices: input.choices };
      const answer = this.options.ask ? await this.options.ask(question, this.root.signal) : undefined;
      if (answer === undefined) {
        throw new StepError({ code: 'input', message: `input \`${input.name}\` is required: pass --input ${input.name}=VALUE${input.description ? ` (${input.description})` : ''}`, range: input.range }, false);
      }
      const converted = coerce(input, answer);
      if ('error' in converted) throw new StepError({ code: 'input', message: converted.error }, false);
      values[input.name] = converted.value;
    }
    // JSON text from the command line becomes a value only here.
    if (nestsDeeperThan(values)) throw new StepError({ code: 'value-too-deep', message: tooDeepMessage('an input') }, false);
    this.celInputs = toCel(values);
  }

  /** Walks the state machine; returns the error that failed the run, if any. */
  private async loop(): Promise<ErrorInfo | undefined> {
    let step: Step | undefined = this.options.startAt ? this.workflow.stepsById.get(this.options.startAt) : this.workflow.steps[0];
    if (step && step.parentId !== undefined) step = this.workflow.stepsById.get(step.parentId);
    const nesting = this.options.nesting;
    const frame: Frame = { scope: this.root, vars: {}, local: false, concurrent: false, ...(nesting ? { parent: nesting.parent } : {}) };
    while (step) {
      const current: Step = step;
      await this.control.gate(
        () => this.emit({ type: 'run.paused', nextStepId: current.id }),
        () => this.emit({ type: 'run.resumed' }),
      );
      const tooMany = visitLimit(current, this.visits.get(visitKey(current.id, undefined)) ?? 0);
      if (tooMany) return tooMany;
      const outcome = await this.execute(current, frame);
      this.throwIfCancelled(this.root);
      if (stopsAfter(this.options.stopAfter, current, outcome)) return undefined;
      this.control.afterStep();
      const decision = decideNext(this.workflow, current, outcome);
      switch (decision.type) {
        case 'end':
          return undefined;
        case 'fail':
          return decision.error;
        case 'fail-step':
          return { code: 'fail', stepId: current.id, message: current.fail ? renderText(current.fail, this.scope({})) : `the run reached step \`${current.id}\``, range: current.idRange };
        case 'goto':
          step = this.workflow.stepsById.get(decision.stepId);
      }
    }
    return undefined;
  }

  /** Runs one step (its `if`, its `for_each`, its retries) in `frame`. Never throws but for a cancelled run. */
  execute(step: Step, frame: Frame): Promise<Outcome> {
    const key = visitKey(step.id, frame.parent);
    const visit = (this.visits.get(key) ?? 0) + 1;
    this.visits.set(key, visit);
    const ref: StepRef = { stepId: this.externalId(step.id), visit, ...(frame.parent !== undefined ? { parent: frame.parent } : {}) };
    const inspector = this.options.inspector;
    // Not async itself: without an inspector a step costs no extra promise.
    if (!inspector) return this.executeBody(step, ref, frame, visit);
    return this.executeInspected(inspector, step, ref, frame, visit);
  }

  private async executeInspected(inspector: Inspector, step: Step, ref: StepRef, frame: Frame, visit: number): Promise<Outcome> {
    if (inspector.beforeStep) await this.inspect(frame.scope, () => inspector.beforeStep!(this.point(step, ref, frame.vars)));
    const outcome = await this.executeBody(step, ref, frame, visit);
    if (outcome.status === 'failed' && inspector.onStepFailed && !frame.scope.aborted) {
      const error = outcome.error;
      await this.inspect(frame.scope, () => inspector.onStepFailed!({ ...this.point(step, ref, frame.vars), error }));
    }
    return outcome;
  }

  private async executeBody(step: Step, ref: StepRef, frame: Frame, visit: number): Promise<Outcome> {
    if (step.if) {
      let run: boolean;
      try {
        run = evaluateCondition(step.if, this.scope(frame.vars));
      } catch (error) {
        return this.failed(step, ref, frame, 1, toErrorInfo(error, step.id), 0);
      }
      if (!run) {
        this.emit({ type: 'step.skipped', ...ref, reason: `\`if: ${step.if.source}\` is false` });
        if (!frame.local) this.setCelStep(step.id, { status: 'skipped', output: null, attempts: 0, visits: visit });
        return { status: 'skipped' };
      }
    }
    if (step.forEach) return this.bodies.map(step, ref, frame);
    return this.attempts(step, ref, frame);
  }

  /** One execution with its retries. */
  async attempts(step: Step, ref: StepRef, frame: Frame): Promise<Outcome> {
    const restored = this.options.restore?.take(ref);
    if (restored) {
      this.emit({ type: 'step.completed', ...ref, attempt: restored.attempts, output: restored.output, durationMs: 0, call: restored.call, restored: true });
      this.mocks.skip(step, ref, restored.attempts);
      return this.succeeded(step, ref, frame, restored.attempts, { output: restored.output }, 0, false);
    }
    for (let attempt = 1; ; attempt++) {
      this.throwIfCancelled(frame.scope);
      const started = this.clock.now();
      let execution: Execution | undefined;
      try {
        execution = await this.bodies.attempt(step, ref, frame, attempt, (event) => this.emit(event));
        // Leaves only: a parallel or a sub-workflow wraps outputs already checked in one more level.
        if (step.kind !== 'parallel' && step.kind !== 'workflow' && nestsDeeperThan(execution.output)) {
          // A model may answer differently next time; a tool, a set value or a sub-workflow will not.
          throw new StepError({ code: 'value-too-deep', stepId: step.id, message: tooDeepMessage(`the output of step \`${step.id}\``) }, step.kind === 'prompt', execution.call);
        }
        if (step.check) this.check(step, execution, frame);
        return this.succeeded(step, ref, frame, attempt, execution, this.clock.now() - started, true);
      } catch (error) {
        // A reply the run rejected must never be served again, in this run or a later one.
        if (execution) await execution.reject?.();
        if (frame.scope.aborted) {
          // Stopped from outside (cancel, a timeout or failure around it): say so, do not retry.
          const reason = reasonOf(frame.scope.signal.reason);
          return this.failed(step, ref, frame, attempt, { code: 'cancelled', stepId: step.id, message: `cancelled: ${reason}` }, this.clock.now() - started);
        }
        const failure = error instanceof StepError ? error : new StepError(toErrorInfo(error, step.id), isRetryable(error), undefined, partialOf(error), retryAfterOf(error));
        this.countUsage(failure.call);
        const inspector = this.options.inspector;
        if (inspector?.onCheckFailed && execution && failure.info.code === 'check') {
          const output = execution.output;
          await this.inspect(frame.scope, () => inspector.onCheckFailed!({ ...this.point(step, ref, frame.vars), attempt, output, error: failure.info }));
        }
        const decision = decideRetry(step, attempt, failure);
        if (decision.type === 'retry') {
          this.emit({ type: 'step.retrying', ...ref, attempt, error: failure.info, delayMs: decision.delayMs, call: failure.call, partialOutput: failure.partialOutput });
          if (inspector?.onRetry) {
            const { delayMs } = decision;
            await this.inspect(frame.scope, () => inspector.onRetry!({ ...this.point(step, ref, frame.vars), attempt, error: failure.info, delayMs }));
          }
          await this.clock.sleep(decision.delayMs, frame.scope.signal).catch(() => undefined);
          continue;
        }
        return this.failed(step, ref, frame, attempt, failure.info, this.clock.now() - started, failure.call, failure.partialOutput);
      }
    }
  }

  private check(step: Step, execution: Execution, frame: Frame): void {
    let passed: boolean;
    try {
      passed = evaluateCondition(step.check!, this.scope({ ...frame.vars, output: toCel(execution.output) }));
    } catch (error) {
      throw new StepError(toErrorInfo(error, step.id), false, execution.call);
    }
    if (!passed) {
      throw new StepError({ code: 'check', stepId: step.id, message: `\`check: ${step.check!.source}\` is false for the output ${describe(execution.output)}`, range: step.check!.range }, true, execution.call);
    }
  }

  // ─── Inspection (a debugger) ──────────────────────────────────────────────

  /** What an inspector's hook is told: built only when there is an inspector. */
  point(step: Step, ref: StepRef, vars: Scope): InspectionPoint {
    return {
      ref,
      step,
      workflow: this.workflow,
      scope: this.scope(vars),
      setStepOutput: (stepId, output) => {
        const current = this.celSteps.get(stepId);
        if (!this.workflow.stepsById.has(stepId) || !(current instanceof Map)) return false;
        this.celSteps.set(stepId, celMap([...current, ['output', toCel(output)]]));
        return true;
      },
    };
  }

  /** Awaits a hook; a cancelled run stops waiting at once and goes on as cancelled. */
  async inspect(scope: CancelScope, hook: () => Promise<void> | void): Promise<void> {
    this.throwIfCancelled(scope);
    const waiting = hook();
    if (waiting) {
      await raceAbort(Promise.resolve(waiting), scope.signal).catch((error: unknown) => {
        if (!scope.aborted) throw error;
      });
    }
    this.throwIfCancelled(scope);
  }

  // ─── Results and events ────────────────────────────────────────────────────

  succeeded(step: Step, ref: StepRef, frame: Frame, attempt: number, execution: Execution, durationMs: number, announce: boolean): Outcome {
    if (announce) {
      this.countUsage(execution.call);
      this.emit({ type: 'step.completed', ...ref, attempt, output: execution.output, durationMs, call: execution.call });
    }
    if (!frame.local && ref.index === undefined) this.setCelStep(step.id, { status: 'succeeded', output: execution.output, attempts: attempt, visits: ref.visit });
    return { status: 'succeeded', switchTarget: execution.switchTarget, output: execution.output };
  }

  failed(step: Step, ref: StepRef, frame: Frame, attempt: number, error: ErrorInfo, durationMs: number, call?: Execution['call'], partialOutput?: string): Outcome {
    this.emit({ type: 'step.failed', ...ref, attempt, error, durationMs, call, partialOutput });
    if (!frame.local && ref.index === undefined) this.setCelStep(step.id, { status: 'failed', output: null, attempts: attempt, visits: ref.visit });
    return { status: 'failed', error };
  }

  private setCelStep(id: string, result: Pick<StepResult, 'status' | 'output' | 'attempts' | 'visits'>): void {
    this.celSteps.set(
      id,
      celMap([
        ['output', toCel(result.output)],
        ['status', result.status],
        ['attempts', BigInt(result.attempts)],
        ['visits', BigInt(result.visits)],
      ]),
    );
  }

  /** The id a step's executions carry in events and keys: prefixed inside a sub-workflow. */
  externalId(stepId: string): string {
    return this.options.nesting ? `${this.options.nesting.idPrefix}${stepId}` : stepId;
  }

  scope(vars: Scope): Scope {
    return { inputs: this.celInputs, steps: this.celSteps, workflow: this.celWorkflow, run: this.celRun, ...vars };
  }

  countUsage(call: Execution['call']): void {
    if (call?.usage && !call.cache?.hit) this.addUsage(call.usage, call.costUsd);
  }

  addUsage(usage: Usage, costUsd: number | undefined): void {
    this.usage.inputTokens += usage.inputTokens;
    this.usage.outputTokens += usage.outputTokens;
    this.usage.totalTokens += usage.totalTokens;
    if (costUsd !== undefined) this.cost = (this.cost ?? 0) + costUsd;
  }

  private outputs(): Record<string, unknown> {
    const outputs = dataRecord();
    const scope = this.scope({});
    for (const [name, value] of Object.entries(this.workflow.outputs)) {
      try {
        setEntry(outputs, name, renderValue(value, scope));
      } catch (error) {
        throw new StepError({ ...toErrorInfo(error), message: `output \`${name}\`: ${toErrorInfo(error).message}` }, false);
      }
    }
    return { ...outputs };
  }

  throwIfCancelled(scope: CancelScope): void {
    if (scope.aborted) throw new CancelledError(reasonOf(scope.signal.reason));
  }

  /** Stamps, folds and publishes an event. Call sites pass a fresh literal, so it is completed in place. */
  emit(event: UnstampedEvent): void {
    // Nothing is said after the run's last word: anything still settling is already cancelled.
    if (this.ended) return;
    // A sub-workflow's steps are reported in the run that started it; its own start and end are that step's.
    if (this.options.nesting && 'stepId' in event) this.options.nesting.forward({ ...event });
    const stamped = event as RunEvent;
    stamped.runId = this.runId;
    stamped.seq = ++this.seq;
    stamped.time = this.clock.now();
    // The runner's own state serves its result, which streamed text is not part of:
    // folding every delta would cost a step's worth of work per chunk.
    if (stamped.type !== 'step.delta') this.state.apply(stamped);
    this.options.onEvent?.(stamped);
  }

  private finish(end: { type: 'run.completed'; outputs: Record<string, unknown> } | { type: 'run.failed'; error: ErrorInfo } | { type: 'run.cancelled'; reason: string }): RunResult {
    // Stop anything still in flight (nothing should be) before the last event.
    this.root.abort(new CancelledError('the run ended'));
    const totals = { durationMs: this.clock.now() - this.startedAt, usage: { ...this.usage }, costUsd: this.cost };
    this.emit({ ...end, ...totals });
    this.ended = true;
    const base = { runId: this.runId, steps: stepResults(this.state.state), ...totals };
    switch (end.type) {
      case 'run.completed':
        return { ...base, status: 'succeeded', outputs: end.outputs };
      case 'run.failed':
        return { ...base, status: 'failed', outputs: {}, error: end.error };
      case 'run.cancelled':
        return { ...base, status: 'cancelled', outputs: {}, error: { code: 'cancelled', message: `cancelled: ${end.reason}` } };
    }
  }
}

/** `steps.<id>` before the step has run: one shared value, since CEL values are never changed in place. */
const PENDING_STEP = celMap([
  ['output', null],
  ['status', 'pending'],
  ['attempts', 0n],
  ['visits', 0n],
]);

export type DistributiveOmit<T, K extends keyof T> = T extends unknown ? Omit<T, K> : never;
/** An event as a call site writes it: the runner stamps run id, sequence and time. */
export type UnstampedEvent = DistributiveOmit<RunEvent, 'runId' | 'seq' | 'time'>;

function visitKey(stepId: string, parent: string | undefined): string {
  return parent === undefined ? stepId : `${parent}/${stepId}`;
}


function reasonOf(reason: unknown): string {
  if (reason instanceof CancelledError) return reason.reason;
  if (reason instanceof StepError) return reason.info.message;
  return String(reason ?? 'cancelled');
}

function linkAbort(signal: AbortSignal, onAbort: (reason: string) => void): void {
  if (signal.aborted) onAbort(reasonOf(signal.reason));
  else signal.addEventListener('abort', () => onAbort(reasonOf(signal.reason)), { once: true });
}
