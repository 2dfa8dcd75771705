/**
 * The one place editor runs begin (implements `RunManager` from ./session.ts): reads and
 * checks the workflow, plans the run (seeds for *Run step* / *Run from here*), asks for
 * inputs, composes providers, records the trace, and keeps the sessions that the status
 * lenses, the status bar, hovers and the run panel project.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { newRunId, RunControl, runWorkflow, type ModelSettings, type RunEvent, type RunOptions, type StepResult } from '../../engine';
import { lastResults, planResume, ResumeError, TraceFormatError, TraceStore, type ResumePlan, type TraceRecorder } from '../../engine/trace';
import type { LastResult } from '../language/hover';
import type { ParsedWorkflow } from '../language/parsed';
import { lastFinished, stepOf, stepResult, succeededResults } from '../../engine/state';
import { layeredStatus, type RunStatus } from '../language/status';
import { settings } from '../settings';
import { Answers, collectInputs, stepAsker } from './ask';
import { planRun } from './plan';
import { composeProviders, configuredProviders } from './providers';
import { WorkflowRunSession } from './run-session';
import { LanguageModelProvider } from './vscode-lm';
import type { RunManager, RunMode, RunSession, StartOptions } from './session';
import { readWorkflow, workspaceLoader } from './workflow-source';

/** Ended sessions kept for status lenses and hovers; older ones are let go. */
const MAX_SESSIONS = 30;

export const RESTRICTED_MESSAGE =
  'Orchestrate does not run workflows in Restricted Mode: a run calls model providers with your keys and writes traces into the folder. Trust this folder to run it; editing works as usual.';

const STEP_MODES: ReadonlySet<RunMode> = new Set(['run-step', 'run-to-here', 'run-from-here']);

export class WorkflowRunManager implements RunManager, vscode.Disposable {
  private readonly sessions: WorkflowRunSession[] = [];
  private readonly started = new vscode.EventEmitter<RunSession>();
  readonly onDidStartRun = this.started.event;
  private readonly changed = new vscode.EventEmitter<WorkflowRunSession>();
  /** A run started, ended, or a step changed state (not fired for streamed text). */
  readonly onDidChange = this.changed.event;
  private readonly subscriptions: vscode.Disposable[] = [this.started, this.changed];
  private readonly answers: Answers;
  /** Providers whose fallback to the mock the person was told about in this window (the log says it every run). */
  private readonly toldFallback = new Set<string>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly log: vscode.LogOutputChannel,
    private readonly env: Record<string, string | undefined> = process.env,
  ) {
    this.answers = new Answers(context.workspaceState);
  }

  get current(): WorkflowRunSession | undefined {
    for (let i = this.sessions.length - 1; i >= 0; i--) if (!this.sessions[i].ended) return this.sessions[i];
    return this.sessions[this.sessions.length - 1];
  }

  /** Every session of this window, oldest first. */
  get all(): readonly WorkflowRunSession[] {
    return this.sessions;
  }

  sessionFor(runId: string): WorkflowRunSession | undefined {
    return this.sessions.find((s) => s.runId === runId);
  }

  /** This file's sessions, oldest first. */
  sessionsFor(file: vscode.Uri): WorkflowRunSession[] {
    const key = file.toString();
    return this.sessions.filter((s) => s.workflowFile.toString() === key);
  }

  /** The run of this file going on now. */
  activeFor(file: vscode.Uri): { runId: string; paused: boolean } | undefined {
    const session = this.sessionsFor(file).reverse().find((s) => !s.ended);
    return session ? { runId: session.runId, paused: session.paused } : undefined;
  }

  /**
   * The steps' statuses to show for a file: the latest full run, with the partial runs
   * after it (*Run step*, *Run from here*) laid over it, so running one step keeps the
   * others' results in view.
   */
  statusFor(file: vscode.Uri): RunStatus | undefined {
    const sessions = this.sessionsFor(file);
    if (sessions.length === 0) return undefined;
    let base = sessions.length - 1;
    while (base > 0 && sessions[base].startAt !== undefined) base--;
    return layeredStatus(sessions.slice(base).map((s) => s.state));
  }

  /** A step's latest result in this window, for hovers. */
  lastResult(file: vscode.Uri, stepId: string): LastResult | undefined {
    const sessions = this.sessionsFor(file);
    for (let i = sessions.length - 1; i >= 0; i--) {
      const step = stepOf(sessions[i].state, stepId);
      const finished = step && lastFinished(step);
      if (!step || (finished?.status !== 'succeeded' && finished?.status !== 'failed')) continue;
      return { result: stepResult(step), runLabel: `run ${sessions[i].runId}` };
    }
    return undefined;
  }

  async start(file: vscode.Uri, mode: RunMode, stepId?: string, options: StartOptions = {}): Promise<WorkflowRunSession | undefined> {
    if (!vscode.workspace.isTrusted) {
      this.log.warn(`refused to run ${file.fsPath}: the workspace is not trusted (Restricted Mode)`);
      void vscode.window.showWarningMessage(RESTRICTED_MESSAGE, 'Manage Workspace Trust').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.trust.manage');
      });
      return undefined;
    }
    let parsed: ParsedWorkflow;
    try {
      parsed = await readWorkflow(file);
    } catch (error) {
      void vscode.window.showErrorMessage(`Cannot read ${file.fsPath}: ${(error as Error).message}`);
      return undefined;
    }
    const workflow = parsed.workflow;
    const errors = parsed.problems.filter((p) => p.severity === 'error');
    if (!workflow || errors.length > 0) {
      const name = path.basename(file.path);
      this.log.warn(`not running ${name}: ${errors.length} problem${errors.length === 1 ? '' : 's'}`);
      void vscode.window.showErrorMessage(`${name} has ${errors.length || 'a'} problem${errors.length === 1 ? '' : 's'}; fix ${errors.length === 1 ? 'it' : 'them'} to run the workflow.`, 'Show Problems').then((choice) => {
        if (choice) void vscode.commands.executeCommand('workbench.actions.view.problems');
      });
      return undefined;
    }
    let target = stepId;
    if (STEP_MODES.has(mode)) {
      const step = target === undefined ? undefined : workflow.stepsById.get(target);
      if (!step) {
        void vscode.window.showErrorMessage(`There is no step \`${String(target)}\` in ${workflow.name}.`);
        return undefined;
      }
      // A branch runs with its siblings: the runner starts and stops at top-level steps.
      if (step.parentId !== undefined) target = parsed.topLevelOf(step).id;
    }

    const traceRoot = this.traceRoot(file);
    if (mode === 'resume') return this.resume(file, parsed, traceRoot, options);

    const seed = mode === 'run-step' || mode === 'run-from-here' ? await this.seedFor(file, workflow.file, traceRoot) : {};
    const plan = planRun(parsed, mode, target, seed);
    if (plan.note) {
      this.log.info(`${workflow.name}: ${plan.note}`);
      void vscode.window.showInformationMessage(`${workflow.name}: ${plan.note}.`);
    }
    const inputs = await collectInputs(workflow, options.inputs ?? {}, this.answers, settings.askForInputs(file));
    if (!inputs) return undefined;
    return this.launch(file, parsed, mode, traceRoot, { inputs, startAt: plan.startAt, stopAfter: plan.stopAfter, seed: plan.seed }, plan.stepping);
  }

  private async resume(file: vscode.Uri, parsed: ParsedWorkflow, traceRoot: string | undefined, options: StartOptions): Promise<WorkflowRunSession | undefined> {
    const workflow = parsed.workflow!;
    let trace = options.traceFile?.fsPath;
    if (!trace) {
      const unfinished = this.sessionsFor(file)
        .reverse()
        .find((s) => s.ended && s.traceFile && s.events.at(-1)?.type !== 'run.completed');
      trace = unfinished?.traceFile?.fsPath;
    }
    if (!trace && traceRoot) {
      const runs = await new TraceStore(traceRoot).listRuns({ workflowFile: workflow.file, limit: 20 }).catch(() => []);
      trace = runs.find((run) => run.status === 'failed' || run.status === 'cancelled' || run.status === 'interrupted')?.file;
    }
    if (!trace) {
      void vscode.window.showInformationMessage(`There is no failed or stopped run of ${workflow.name} to resume.`);
      return undefined;
    }
    let plan: ResumePlan;
    try {
      plan = await planResume(trace, { workflow, workflowText: parsed.text, inputs: options.inputs });
    } catch (error) {
      if (!(error instanceof ResumeError || error instanceof TraceFormatError)) throw error;
      void vscode.window.showErrorMessage(error.message);
      return undefined;
    }
    for (const warning of plan.warnings) this.log.warn(warning);
    return this.launch(file, parsed, 'resume', traceRoot, plan.runOptions, false);
  }

  private async launch(
    file: vscode.Uri,
    parsed: ParsedWorkflow,
    mode: RunMode,
    traceRoot: string | undefined,
    runOptions: Pick<RunOptions, 'inputs' | 'startAt' | 'stopAfter' | 'seed' | 'restore' | 'resumedFrom'>,
    stepping: boolean,
  ): Promise<WorkflowRunSession> {
    const workflow = parsed.workflow!;
    const notify = (message: string) => {
      this.log.warn(message);
      void vscode.window.showWarningMessage(message);
    };
    const configs = configuredProviders(settings.providers(file), notify);
    const composed = await composeProviders({
      configs,
      editorProviders: { 'vscode-lm': new LanguageModelProvider() },
      secrets: this.context.secrets,
      env: this.env,
      mockDelayMs: settings.mockDelayMs(file),
      concurrency: settings.concurrency(file),
      cache: traceRoot ? { dir: new TraceStore(traceRoot).cacheDir, policy: settings.cache(file) } : undefined,
      onFallback: (provider, why) => {
        this.log.warn(`${why}: steps that use \`${provider}\` run on the mock provider`);
        if (this.toldFallback.has(provider)) return;
        this.toldFallback.add(provider);
        void vscode.window.showInformationMessage(`${capitalize(why)}, so steps that use \`${provider}\` run on the mock provider.`, 'Set API Key').then((choice) => {
          if (choice) void vscode.commands.executeCommand('orchestrate.apiKey.set', provider);
        });
      },
      onWarning: (message) => this.log.warn(message),
    });

    let recorder: TraceRecorder | undefined;
    if (traceRoot) {
      try {
        recorder = new TraceStore(traceRoot).begin({
          workflowFile: workflow.file,
          workflowName: workflow.name,
          workflowText: parsed.text,
          secrets: composed.secrets,
          onError: (error) => this.log.warn(`the trace stopped recording: ${error.message}`),
        });
      } catch (error) {
        this.log.warn(`cannot record this run in ${traceRoot}: ${(error as Error).message}`);
      }
    }
    const defaults: ModelSettings = {};
    const provider = settings.defaultProvider(file);
    const model = settings.defaultModel(file);
    if (provider) defaults.provider = provider;
    if (model) defaults.name = model;

    const runId = recorder?.runId ?? newRunId(Date.now());
    const control = new RunControl({ stepping });
    const session = new WorkflowRunSession(runId, file, workflow, mode, control, recorder ? vscode.Uri.file(recorder.file) : undefined, runOptions.startAt, (onEvent) =>
      runWorkflow(workflow, {
        ...runOptions,
        providers: composed.resolver,
        ask: stepAsker(workflow, this.answers),
        loadWorkflow: workspaceLoader,
        control,
        runId,
        defaults,
        onEvent: (event) => {
          recorder?.onEvent(event);
          onEvent(event);
        },
      }).finally(() => recorder?.close()),
    );
    this.track(session);
    const where = runOptions.startAt ? ` from \`${runOptions.startAt}\`` : '';
    const until = runOptions.stopAfter ? ` until \`${runOptions.stopAfter}\`` : '';
    this.log.info(`run ${runId} started: ${workflow.name} (${mode}${where}${until})${recorder ? `; trace ${recorder.file}` : ''}`);
    return session;
  }

  private track(session: WorkflowRunSession): void {
    this.sessions.push(session);
    this.prune();
    const listener = session.onEvent((event) => {
      if (event.type === 'step.delta') return;
      this.logEvent(session, event);
      this.changed.fire(session);
    });
    void session.result.then(() => {
      listener.dispose();
      this.changed.fire(session);
    });
    this.started.fire(session);
    this.changed.fire(session);
  }

  private logEvent(session: WorkflowRunSession, event: RunEvent): void {
    switch (event.type) {
      case 'step.failed':
        if (event.index === undefined) this.log.warn(`run ${session.runId}: step ${event.stepId} failed: ${event.error.message}`);
        return;
      case 'run.completed':
        this.log.info(`run ${session.runId} succeeded in ${(event.durationMs / 1000).toFixed(1)}s, ${event.usage.totalTokens} tokens${event.costUsd ? `, $${event.costUsd.toFixed(4)}` : ''}`);
        return;
      case 'run.failed':
        this.log.error(`run ${session.runId} failed: ${event.error.message}`);
        return;
      case 'run.cancelled':
        this.log.info(`run ${session.runId} stopped: ${event.reason}`);
        return;
      default:
        return;
    }
  }

  /** Keeps the newest sessions; never drops one still running. */
  private prune(): void {
    while (this.sessions.length > MAX_SESSIONS) {
      const index = this.sessions.findIndex((s) => s.ended);
      if (index === -1) return;
      this.sessions.splice(index, 1)[0].dispose();
    }
  }

  /** The results to seed a partial run with: the traces' last results, then this window's runs over them. */
  private async seedFor(file: vscode.Uri, workflowFile: string, traceRoot: string | undefined): Promise<Record<string, StepResult>> {
    const seed: Record<string, StepResult> = traceRoot ? await lastResults(traceRoot, workflowFile).catch(() => ({})) : {};
    for (const session of this.sessionsFor(file)) Object.assign(seed, succeededResults(session.state));
    return seed;
  }

  /** The trace and cache folder for a file: the setting, relative to the file's workspace folder; undefined when off. */
  traceRoot(file: vscode.Uri): string | undefined {
    const folder = settings.traceFolder(file);
    if (folder === '' || file.scheme !== 'file') return undefined;
    if (path.isAbsolute(folder)) return folder;
    const workspace = vscode.workspace.getWorkspaceFolder(file) ?? vscode.workspace.workspaceFolders?.[0];
    return path.join(workspace?.uri.fsPath ?? path.dirname(file.fsPath), folder);
  }

  dispose(): void {
    for (const session of this.sessions) if (!session.ended) session.control.cancel('the window closed');
    this.sessions.forEach((s) => s.dispose());
    this.subscriptions.forEach((s) => s.dispose());
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

/** Used by commands and tests: a session's run state as one word. */
export function runState(session: WorkflowRunSession | undefined): 'running' | 'paused' | 'idle' {
  if (!session || session.ended) return 'idle';
  return session.paused ? 'paused' : 'running';
}

