/**
 * The debugger's host inside VS Code: files as the editor holds them (unsaved edits
 * included), the providers the settings configure (the mock when the launch asks),
 * traces in the window's trace folder, and each run tracked as a run session, so the
 * run panel, the lenses and the status bar follow the debugger as they follow any run.
 */
import * as vscode from 'vscode';
import type { ModelSettings } from '../../engine';
import { recordedRun, TraceStore } from '../../engine/trace';
import type { DebugHost, DebugRecording } from '../../debug/host';
import { readWorkflow, workspaceLoader } from '../runs/workflow-source';
import { stepAsker, Answers } from '../runs/ask';
import type { WorkflowRunManager } from '../runs/manager';
import { composeProviders, configuredProviders } from '../runs/providers';
import { editorToolSession } from '../runs/tool-consent';
import { WorkflowRunSession } from '../runs/run-session';
import { LanguageModelProvider } from '../runs/vscode-lm';
import { settings } from '../settings';

export function editorDebugHost(context: vscode.ExtensionContext, runs: WorkflowRunManager, log: vscode.LogOutputChannel): DebugHost {
  const answers = new Answers(context.workspaceState);
  return {
    async check(file) {
      const parsed = await readWorkflow(vscode.Uri.file(file));
      return { text: parsed.text, workflow: parsed.workflow, problems: parsed.problems };
    },
    loadWorkflow: workspaceLoader,
    async providers(launch) {
      const uri = vscode.Uri.file(launch.workflow);
      const traceRoot = runs.traceRoot(uri);
      const composed = await composeProviders({
        configs: configuredProviders(settings.providers(uri), (message) => log.warn(message)),
        editorProviders: { 'vscode-lm': new LanguageModelProvider() },
        secrets: context.secrets,
        env: launch.mock ? { ...process.env, ORCHESTRATE_USE_MOCK: 'true' } : process.env,
        mockDelayMs: launch.mockDelay ?? settings.mockDelayMs(uri),
        concurrency: settings.concurrency(uri),
        cache: traceRoot ? { dir: new TraceStore(traceRoot).cacheDir, policy: launch.cache ?? settings.cache(uri) } : undefined,
        onFallback: (provider, why) => log.warn(`${why}: steps that use \`${provider}\` run on the mock provider`),
        onWarning: (message) => log.warn(message),
      });
      return composed.resolver;
    },
    record(workflow, text, launch): DebugRecording {
      const uri = vscode.Uri.file(workflow.file);
      const traceRoot = launch.trace === false ? undefined : runs.traceRoot(uri);
      const recording = recordedRun(workflow, {
        store: traceRoot ? new TraceStore(traceRoot) : undefined,
        workflowText: text,
        onError: (error) => log.warn(`the trace stopped recording: ${error.message}`),
        onUnrecorded: (error) => log.warn(`cannot record this run in ${traceRoot}: ${error.message}`),
      });
      return {
        runId: recording.runId,
        trace: recording.trace,
        start(options) {
          const trace = recording.trace ? vscode.Uri.file(recording.trace) : undefined;
          const session = new WorkflowRunSession(recording.runId, uri, workflow, 'run', options.control!, trace, options.startAt, (onEvent) =>
            recording.run({
              ...options,
              onEvent: (event) => {
                onEvent(event);
                options.onEvent?.(event);
              },
            }),
          );
          runs.sessions.track(session);
          log.info(`run ${recording.runId} started under the debugger: ${workflow.name}${recording.trace ? `; trace ${recording.trace}` : ''}`);
          return { result: session.result, state: () => session.state };
        },
      };
    },
    defaults(workflow): ModelSettings {
      const uri = vscode.Uri.file(workflow.file);
      const defaults: ModelSettings = {};
      const provider = settings.defaultProvider(uri);
      const model = settings.defaultModel(uri);
      if (provider) defaults.provider = provider;
      if (model) defaults.name = model;
      return defaults;
    },
    ask: (workflow) => stepAsker(workflow, answers),
    // The editor's session, as for any run: consent asked in a modal, nothing in an untrusted workspace.
    tools: async (workflow) => editorToolSession(vscode.Uri.file(workflow.file), context.secrets, (line) => log.info(line)),
  };
}
