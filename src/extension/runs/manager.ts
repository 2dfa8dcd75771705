/**
 * The one place editor runs begin (implements `RunManager` from ./session.ts): checks
 * trust, reads and checks the workflow, plans the run, asks for inputs, composes
 * providers and starts a recorded run. The sessions live in the `SessionRegistry`,
 * what the window knows of each step in the `StatusIndex`; consumers take those
 * through the interfaces in ./session.ts.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { RunControl, type ModelSettings, type RunEvent, type RunOptions } from '../../engine';
import { planResume, recordedRun, ResumeError, TraceFormatError, TraceStore, type ResumePlan } from '../../engine/trace';
import type { LastResult } from '../language/hover';
import type { ParsedWorkflow } from '../language/parsed';
import type { RunStatus } from '../language/status';
import { settings } from '../settings';
import { Answers, collectInputs, stepAsker } from './ask';
import { planRun } from './plan';
import { composeProviders, configuredProviders } from './providers';
import { WorkflowRunSession } from './run-session';
import { editorToolSession } from './tool-consent';
import { LanguageModelProvider } from './vscode-lm';
import type { RunManager, RunMode, RunStatusIndex, StartOptions } from './session';
import { SessionRegistry } from './session-registry';
import { StatusIndex } from './status-index';
import { readWorkflow, workspaceLoader } from './workflow-source';

export const RESTRICTED_MESSAGE =
  'Orchestrate does not run workflows in Restricted Mode: a run calls model providers with your keys and writes traces into the folder. Trust this folder to run it; editing works as usual.';

const STEP_MODES: ReadonlySet<RunMode> = new Set(['run-step', 'run-to-here', 'run-from-here']);

export class WorkflowRunManager implements RunManager, RunStatusIndex, vscode.Disposable {
  readonly sessions = new SessionRegistry((session, event) => this.logEvent(session, event));
  private readonly status = new StatusIndex(this.sessions);
  readonly onDidStartRun = this.sessions.onDidStartRun;
  readonly onDidChange = this.sessions.onDidChange;
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
    return this.sessions.current;
  }

  get all(): readonly WorkflowRunSession[] {
    return this.sessions.all;
  }

  sessionFor(runId: string): WorkflowRunSession | undefined {
    return this.sessions.sessionFor(runId);
  }

  sessionsFor(file: vscode.Uri): WorkflowRunSession[] {
    return this.sessions.sessionsFor(file);
  }

  activeFor(file: vscode.Uri): { runId: string; paused: boolean } | undefined {
    return this.sessions.activeFor(file);
  }

  statusFor(file: vscode.Uri): RunStatus | undefined {
    return this.status.statusFor(file);
  }

  lastResult(file: vscode.Uri, stepId: string): LastResult | undefined {
    return this.status.lastResult(file, stepId);
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

    const seed = mode === 'run-step' || mode === 'run-from-here' ? await this.status.seedFor(file, workflow.file, traceRoot) : {};
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

    const recording = recordedRun(workflow, {
      store: traceRoot ? new TraceStore(traceRoot) : undefined,
      workflowText: parsed.text,
      secrets: composed.secrets,
      onError: (error) => this.log.warn(`the trace stopped recording: ${error.message}`),
      onUnrecorded: (error) => this.log.warn(`cannot record this run in ${traceRoot}: ${error.message}`),
    });
    const defaults: ModelSettings = {};
    const provider = settings.defaultProvider(file);
    const model = settings.defaultModel(file);
    if (provider) defaults.provider = provider;
    if (model) defaults.name = model;

    const { runId } = recording;
    const control = new RunControl({ stepping });
    const session = new WorkflowRunSession(runId, file, workflow, mode, control, recording.trace ? vscode.Uri.file(recording.trace) : undefined, runOptions.startAt, (onEvent) =>
      recording.run({ ...runOptions, providers: composed.resolver, ask: stepAsker(workflow, this.answers), loadWorkflow: workspaceLoader, control, defaults, onEvent, tools: editorToolSession(file, this.context.secrets, (line) => this.log.info(line)) }),
    );
    this.sessions.track(session);
    const where = runOptions.startAt ? ` from \`${runOptions.startAt}\`` : '';
    const until = runOptions.stopAfter ? ` until \`${runOptions.stopAfter}\`` : '';
    this.log.info(`run ${runId} started: ${workflow.name} (${mode}${where}${until})${recording.trace ? `; trace ${recording.trace}` : ''}`);
    return session;
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

  /** The trace and cache folder for a file: the setting, relative to the file's workspace folder; undefined when off. */
  traceRoot(file: vscode.Uri): string | undefined {
    const folder = settings.traceFolder(file);
    if (folder === '' || file.scheme !== 'file') return undefined;
    if (path.isAbsolute(folder)) return folder;
    const workspace = vscode.workspace.getWorkspaceFolder(file) ?? vscode.workspace.workspaceFolders?.[0];
    return path.join(workspace?.uri.fsPath ?? path.dirname(file.fsPath), folder);
  }

  dispose(): void {
    this.sessions.dispose();
  }
}

function capitalize(text: string): string {
  return text.charAt(0).toUpperCase() + text.slice(1);
}

export { runState } from './session-registry';
