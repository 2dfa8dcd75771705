/**
 * The debug adapter: a workflow run under VS Code's debugger, spoken over the Debug
 * Adapter Protocol. It runs inline in the extension host and out of process
 * (`orchestrate debug-adapter`); the face supplies files, providers and recording
 * through a {@link DebugHost}. What stops where is the {@link WorkflowDebugger}'s
 * business; this class answers requests and turns stops into events.
 */
import * as path from 'node:path';
import { Breakpoint, ContinuedEvent, DebugSession, Handles, InitializedEvent, OutputEvent, Scope, Source, StackFrame, StoppedEvent, TerminatedEvent, Thread, ThreadEvent } from '@vscode/debugadapter';
import type { DebugProtocol } from '@vscode/debugprotocol';
import { formatProblem, hasErrors, RunControl } from '../engine';
import { evaluate } from '../engine/expressions';
import type { RunState } from '../engine/state/run-state';
import { succeededResults } from '../engine/state/selectors';
import type { ErrorInfo, RunEvent, RunResult, Workflow } from '../engine/types';
import { placeBreakpoints } from './breakpoints';
import { completionsAt } from './completions';
import { expressionAt } from './expressions';
import type { DebugHost, LaunchArguments } from './host';
import type { Execution } from './lanes';
import { DebuggerRunControl } from './run-control';
import { frameScopes, plain } from './scopes';
import { preview, VariableStore } from './variables';
import { EXCEPTION_FILTERS, WorkflowDebugger, type Stop } from './workflow-debugger';

interface FrameRef {
  stop: Stop;
  execution: Execution;
  /** The model-call frame above its step. */
  call: boolean;
}

interface ActiveRun {
  control: RunControl;
  /** The face's one run state of this run (see {@link HostedRun}). */
  state: () => RunState;
  done: Promise<RunResult>;
  trace?: string;
}

export class WorkflowDebugSession extends DebugSession {
  private readonly debugger: WorkflowDebugger;
  private readonly variables = new VariableStore();
  private readonly frames = new Handles<FrameRef>();
  private configured!: () => void;
  private readonly configurationDone = new Promise<void>((resolve) => (this.configured = resolve));
  private launch: LaunchArguments | undefined;
  private workflow: Workflow | undefined;
  private run: ActiveRun | undefined;
  private nextBreakpointId = 1;
  private columnsStartAt1 = true;

  constructor(private readonly host: DebugHost) {
    super();
    this.setDebuggerLinesStartAt1(true);
    this.setDebuggerColumnsStartAt1(true);
    this.debugger = new WorkflowDebugger({
      stopped: (stop) => this.sendEvent(Object.assign(new StoppedEvent(stop.reason, stop.lane.id, stop.text), { body: { reason: stop.reason, threadId: stop.lane.id, description: stop.description, text: stop.text, allThreadsStopped: false, hitBreakpointIds: stop.hitBreakpointIds } })),
      threadStarted: (lane) => this.sendEvent(new ThreadEvent('started', lane.id)),
      threadExited: (lane) => this.sendEvent(new ThreadEvent('exited', lane.id)),
      output: (text, category) => this.sendEvent(new OutputEvent(text, category)),
    });
  }

  protected override initializeRequest(response: DebugProtocol.InitializeResponse, args: DebugProtocol.InitializeRequestArguments): void {
    this.columnsStartAt1 = args.columnsStartAt1 !== false;
    response.body = {
      supportsConfigurationDoneRequest: true,
      supportsConditionalBreakpoints: true,
      supportsHitConditionalBreakpoints: true,
      supportsLogPoints: true,
      supportsEvaluateForHovers: true,
      supportsSetVariable: true,
      supportsRestartFrame: true,
      supportsCompletionsRequest: true,
      completionTriggerCharacters: ['.'],
      supportsExceptionInfoRequest: true,
      supportsTerminateRequest: true,
      supportTerminateDebuggee: true,
      exceptionBreakpointFilters: EXCEPTION_FILTERS.map((f) => ({ filter: f.filter, label: f.label, description: f.description, default: 'default' in f && f.default })),
    };
    this.sendResponse(response);
    this.sendEvent(new InitializedEvent());
  }

  protected override configurationDoneRequest(response: DebugProtocol.ConfigurationDoneResponse): void {
    this.configured();
    this.sendResponse(response);
  }

  protected override async setBreakPointsRequest(response: DebugProtocol.SetBreakpointsResponse, args: DebugProtocol.SetBreakpointsArguments): Promise<void> {
    const file = path.resolve(args.source.path ?? '');
    let workflow: Workflow | undefined;
    let why: string | undefined;
    try {
      const checked = await this.host.check(file);
      workflow = checked.workflow;
      if (!workflow) why = checked.problems[0] ? `the file has problems: ${checked.problems[0].message}` : undefined;
    } catch (error) {
      why = (error as Error).message;
    }
    const requested = (args.breakpoints ?? []).map((bp) => ({ ...bp, line: this.convertClientLineToDebugger(bp.line) }));
    const placed = placeBreakpoints(requested, workflow, why, () => this.nextBreakpointId++);
    this.debugger.breakpoints.set(file, placed);
    response.body = {
      breakpoints: placed.map((bp) => Object.assign(new Breakpoint(bp.verified, this.convertDebuggerLineToClient(bp.line), undefined, new Source(path.basename(file), file)), { id: bp.id, ...(bp.message ? { message: bp.message } : {}) })),
    };
    this.sendResponse(response);
  }

  protected override setExceptionBreakPointsRequest(response: DebugProtocol.SetExceptionBreakpointsResponse, args: DebugProtocol.SetExceptionBreakpointsArguments): void {
    this.debugger.filters = new Set(args.filters);
    this.sendResponse(response);
  }

  protected override async launchRequest(response: DebugProtocol.LaunchResponse, args: LaunchArguments): Promise<void> {
    const file = path.resolve(args.workflow ?? '');
    const checked = await this.checked(file);
    if (typeof checked === 'string') return this.sendErrorResponse(response, { id: 1, format: checked, showUser: true });
    this.launch = args;
    this.workflow = checked.workflow;
    await this.configurationDone;
    if (args.stopOnEntry) this.debugger.stopAtFirstStep('entry');
    this.sendResponse(response);
    void this.startRun(checked.workflow, checked.text, {});
  }

  /** The file's workflow, or what keeps it from running (its problems, file:line:col). */
  private async checked(file: string): Promise<{ workflow: Workflow; text: string } | string> {
    try {
      const result = await this.host.check(file);
      if (result.workflow && !hasErrors(result.problems)) return { workflow: result.workflow, text: result.text };
      return `${path.basename(file)} has problems, so it cannot run:\n${result.problems.filter((p) => p.severity === 'error').map(formatProblem).join('\n')}`;
    } catch (error) {
      return (error as Error).message;
    }
  }

  private async startRun(workflow: Workflow, text: string, from: { startAt?: string; seed?: RunState }): Promise<void> {
    const launch = this.launch!;
    let providers;
    try {
      providers = await this.host.providers(launch);
    } catch (error) {
      this.sendEvent(new OutputEvent(`cannot run: ${(error as Error).message}\n`, 'stderr'));
      this.sendEvent(new TerminatedEvent());
      return;
    }
    const recording = this.host.record(workflow, text, launch);
    let tools;
    try {
      tools = await this.host.tools?.(workflow, launch, recording.trace);
    } catch (error) {
      this.sendEvent(new OutputEvent(`cannot run: ${(error as Error).message}\n`, 'stderr'));
      this.sendEvent(new TerminatedEvent());
      return;
    }
    // Without debugging (Ctrl+F5) nothing holds the run: the panel's controls act on its own gate.
    const control = launch.noDebug ? new RunControl() : new DebuggerRunControl(this.debugger, (laneId) => this.continuedElsewhere(laneId));
    const onEvent = (event: RunEvent) => {
      this.debugger.onEvent(event);
      if (event.type === 'step.failed') this.sendEvent(new OutputEvent(`step \`${event.stepId}\` failed: ${event.error.message}\n`, 'stderr'));
    };
    const hosted = recording.start({
      inputs: launch.inputs ?? {},
      providers,
      loadWorkflow: this.host.loadWorkflow,
      defaults: { ...this.host.defaults?.(workflow), ...launch.model },
      ask: this.host.ask?.(workflow),
      control,
      onEvent,
      ...(tools ? { tools } : {}),
      ...(launch.noDebug ? {} : { inspector: this.debugger }),
      ...(from.startAt ? { startAt: from.startAt, seed: from.seed ? succeededResults(from.seed) : undefined } : {}),
    });
    const run: ActiveRun = { control, state: hosted.state, done: hosted.result, trace: recording.trace };
    this.run = run;
    const result = await run.done;
    if (this.run !== run) return;
    this.sendEvent(new OutputEvent(`${summary(result)}${run.trace ? `\ntrace: ${run.trace}` : ''}\n`, result.status === 'succeeded' ? 'console' : 'stderr'));
    this.debugger.reset();
    this.sendEvent(new TerminatedEvent());
  }

  protected override threadsRequest(response: DebugProtocol.ThreadsResponse): void {
    response.body = { threads: this.debugger.lanes.all().map((lane) => new Thread(lane.id, lane.name)) };
    this.sendResponse(response);
  }

  protected override stackTraceRequest(response: DebugProtocol.StackTraceResponse, args: DebugProtocol.StackTraceArguments): void {
    const stop = this.debugger.stopOf(args.threadId);
    const frames: StackFrame[] = [];
    if (stop) {
      if (stop.kind === 'call') frames.push(this.frame({ stop, execution: stop.execution, call: true }));
      for (const execution of this.debugger.lanes.chain(stop.execution)) frames.push(this.frame({ stop, execution, call: false }));
    }
    const start = args.startFrame ?? 0;
    response.body = { stackFrames: frames.slice(start, args.levels ? start + args.levels : undefined), totalFrames: frames.length };
    this.sendResponse(response);
  }

  private frame(ref: FrameRef): StackFrame {
    const { point } = ref.execution;
    const { ref: at, step, workflow } = point;
    const item = at.index !== undefined ? `[${at.index}]` : '';
    const visit = at.visit > 1 ? ` (visit ${at.visit})` : '';
    const name = ref.call ? `model call ${ref.stop.request ? `${ref.stop.request.provider}/${ref.stop.request.model}` : ''}` : `${step.id}${item}${visit}`;
    const line = this.convertDebuggerLineToClient(step.idRange.start.line);
    const column = this.convertDebuggerColumnToClient(step.idRange.start.column);
    return new StackFrame(this.frames.create(ref), name, new Source(path.basename(workflow.file), workflow.file), line, column);
  }

  protected override scopesRequest(response: DebugProtocol.ScopesResponse, args: DebugProtocol.ScopesArguments): void {
    const frame = this.frames.get(args.frameId);
    const state = this.run?.state();
    response.body = { scopes: frame && state ? frameScopes(frame, state, this.run?.trace).map((s) => new Scope(s.name, this.variables.scope(s.container), s.expensive)) : [] };
    this.sendResponse(response);
  }

  protected override variablesRequest(response: DebugProtocol.VariablesResponse, args: DebugProtocol.VariablesArguments): void {
    const container = this.variables.get(args.variablesReference);
    response.body = { variables: container ? this.variables.variables(container) : [] };
    this.sendResponse(response);
  }

  protected override setVariableRequest(response: DebugProtocol.SetVariableResponse, args: DebugProtocol.SetVariableArguments): void {
    const container = this.variables.get(args.variablesReference);
    if (!container?.set) return this.sendErrorResponse(response, { id: 2, format: 'only a step’s `output` can be changed (under Steps, open a step)', showUser: true });
    const scope = this.anyStop()?.point.scope ?? {};
    let value: unknown;
    try {
      value = evaluate(expressionAt(args.value), scope);
    } catch (error) {
      return this.sendErrorResponse(response, { id: 3, format: `${(error as Error).message} (write a CEL value: "text", 42, {"key": "value"})`, showUser: true });
    }
    try {
      container.set(args.name, value);
    } catch (error) {
      return this.sendErrorResponse(response, { id: 9, format: (error as Error).message, showUser: true });
    }
    const variable = this.variables.variable(args.name, value);
    response.body = { value: variable.value, type: variable.type, variablesReference: variable.variablesReference };
    this.sendResponse(response);
  }

  protected override evaluateRequest(response: DebugProtocol.EvaluateResponse, args: DebugProtocol.EvaluateArguments): void {
    const frame = args.frameId !== undefined ? this.frames.get(args.frameId) : undefined;
    const scope = frame ? (frame.execution === frame.stop.execution ? frame.stop.point.scope : frame.execution.point.scope) : this.anyStop()?.point.scope;
    if (!scope) return this.sendErrorResponse(response, { id: 4, format: 'the run is not stopped: expressions are evaluated where the run stands', showUser: false });
    try {
      const value = evaluate(expressionAt(args.expression), scope);
      response.body = { result: preview(value, 2000), variablesReference: this.variables.reference({ value }) };
      this.sendResponse(response);
    } catch (error) {
      this.sendErrorResponse(response, { id: 5, format: (error as Error).message, showUser: false });
    }
  }

  protected override completionsRequest(response: DebugProtocol.CompletionsResponse, args: DebugProtocol.CompletionsArguments): void {
    const frame = args.frameId !== undefined ? this.frames.get(args.frameId) : undefined;
    const scope = frame?.stop.point.scope ?? this.anyStop()?.point.scope ?? {};
    const targets = completionsAt(scope, args.text, args.column).map((item) => ({ ...item, start: (item.start ?? 0) + (this.columnsStartAt1 ? 1 : 0) }));
    response.body = { targets };
    this.sendResponse(response);
  }

  protected override exceptionInfoRequest(response: DebugProtocol.ExceptionInfoResponse, args: DebugProtocol.ExceptionInfoArguments): void {
    const error = this.debugger.stopOf(args.threadId)?.error;
    response.body = { exceptionId: error?.code ?? 'none', description: error?.message, breakMode: 'always', details: error ? { message: error.message, typeName: error.code, stackTrace: causes(error) } : undefined };
    this.sendResponse(response);
  }

  protected override continueRequest(response: DebugProtocol.ContinueResponse): void {
    this.debugger.resumeAll();
    this.frames.reset();
    this.variables.reset();
    response.body = { allThreadsContinued: true };
    this.sendResponse(response);
  }

  /** The panel or a lens let lanes go: the client's toolbar and call stack must follow. */
  private continuedElsewhere(laneId: number | undefined): void {
    // As Continue does; a single lane's step keeps the frames of the lanes still stopped, as Step Over does.
    if (laneId === undefined) {
      this.frames.reset();
      this.variables.reset();
    }
    this.sendEvent(new ContinuedEvent(laneId ?? this.debugger.lanes.main.id, laneId === undefined));
  }

  protected override nextRequest(response: DebugProtocol.NextResponse, args: DebugProtocol.NextArguments): void {
    this.debugger.resume(args.threadId, 'next');
    this.sendResponse(response);
  }

  protected override stepInRequest(response: DebugProtocol.StepInResponse, args: DebugProtocol.StepInArguments): void {
    this.debugger.resume(args.threadId, 'in');
    this.sendResponse(response);
  }

  protected override stepOutRequest(response: DebugProtocol.StepOutResponse, args: DebugProtocol.StepOutArguments): void {
    this.debugger.resume(args.threadId, 'out');
    this.sendResponse(response);
  }

  protected override pauseRequest(response: DebugProtocol.PauseResponse): void {
    this.debugger.pause();
    this.sendResponse(response);
  }

  /**
   * Re-runs the frame's step: the run so far is kept as a seed, the file is read again
   * (a changed step runs as it now reads), and the run stops before the step again.
   * A step inside another restarts with the top-level step that holds it.
   */
  protected override async restartFrameRequest(response: DebugProtocol.RestartFrameResponse, args: DebugProtocol.RestartFrameArguments): Promise<void> {
    const frame = this.frames.get(args.frameId);
    const run = this.run;
    if (!frame || !run || !this.workflow) return this.sendErrorResponse(response, { id: 6, format: 'that frame is gone: the run has moved on', showUser: true });
    const chain = this.debugger.lanes.chain(frame.execution);
    const top = chain[chain.length - 1].point.step;
    const checked = await this.checked(path.resolve(this.workflow.file));
    if (typeof checked === 'string') {
      this.sendEvent(new OutputEvent(`${checked}\n`, 'stderr'));
      return this.sendErrorResponse(response, { id: 7, format: `${checked.split('\n')[0]} — fix them and restart the frame again`, showUser: true });
    }
    if (!checked.workflow.stepsById.has(top.id) || checked.workflow.stepsById.get(top.id)!.parentId !== undefined) {
      return this.sendErrorResponse(response, { id: 8, format: `step \`${top.id}\` is no longer a top-level step of ${path.basename(this.workflow.file)}`, showUser: true });
    }
    const seed = run.state();
    this.run = undefined;
    run.control.cancel(`restarted at step \`${top.id}\``);
    this.debugger.reset();
    this.frames.reset();
    this.variables.reset();
    await run.done;
    this.sendResponse(response);
    this.workflow = checked.workflow;
    this.debugger.stopAtFirstStep('restart');
    void this.startRun(checked.workflow, checked.text, { startAt: top.id, seed });
  }

  protected override async disconnectRequest(response: DebugProtocol.DisconnectResponse): Promise<void> {
    await this.stopRun('the debugger disconnected');
    this.sendResponse(response);
  }

  protected override async terminateRequest(response: DebugProtocol.TerminateResponse): Promise<void> {
    await this.stopRun('stopped from the debugger');
    this.sendResponse(response);
  }

  private async stopRun(reason: string): Promise<void> {
    const run = this.run;
    if (!run) return;
    run.control.cancel(reason);
    this.debugger.reset();
    await run.done;
  }

  private anyStop(): Stop | undefined {
    return this.debugger.stops()[0];
  }
}

function summary(result: RunResult): string {
  const outputs = Object.entries(result.outputs).map(([name, value]) => `  ${name}: ${preview(plain(value), 400)}`);
  switch (result.status) {
    case 'succeeded':
      return `run ${result.runId} succeeded${outputs.length ? `\n${outputs.join('\n')}` : ''}`;
    case 'failed':
      return `run ${result.runId} failed: ${result.error?.message ?? ''}`;
    case 'cancelled':
      return `run ${result.runId} cancelled: ${result.error?.message ?? ''}`;
  }
}

/** The chain of causes under an error, one per line, for the exception widget. */
function causes(error: ErrorInfo): string {
  const lines: string[] = [];
  for (let at = error.cause; at; at = at.cause) lines.push(`caused by: ${at.message}`);
  return lines.join('\n');
}
