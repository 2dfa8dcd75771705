/**
 * `orchestrate_runWorkflow`: agent mode runs a workspace workflow, after the person
 * confirms it (the confirmation names the workflow and the inputs it gets). The run goes
 * through the extension's RunManager like a run from CodeLens: it shows in the run panel
 * and the Runs view and records its trace. The result is the outputs and the run id;
 * cancelling the tool call cancels the run. Never in Restricted Mode.
 *
 * A bad call — an unknown workflow, one with problems, inputs it does not take — is
 * refused in `prepareInvocation`, before anyone is asked to confirm something that
 * cannot run, and again in `invoke` (the file may have changed in between).
 */
import * as vscode from 'vscode';
import type { RunResult } from '../../engine';
import { workflowArguments } from '../../engine/tools';
import type { RunManager } from '../runs/session';
import { AgentToolError, confirmation, parseRunInput, RESTRICTED_TOOL_MESSAGE, runFailureText, runResultText, type RunToolInput } from './tool-text';
import { readyWorkflow, type ReadyWorkflow } from './workspace-workflows';

interface CheckedCall {
  ready: ReadyWorkflow;
  values: Record<string, unknown>;
}

export class RunWorkflowTool implements vscode.LanguageModelTool<RunToolInput> {
  constructor(
    private readonly runs: RunManager,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async prepareInvocation(options: vscode.LanguageModelToolInvocationPrepareOptions<RunToolInput>, token: vscode.CancellationToken): Promise<vscode.PreparedToolInvocation> {
    const { ready, values } = await this.check(options.input, token);
    const asked = confirmation(ready.workflow.name, ready.file.path, values);
    return {
      invocationMessage: `Running the workflow ${ready.file.path}`,
      confirmationMessages: { title: asked.title, message: new vscode.MarkdownString(asked.message) },
    };
  }

  async invoke(options: vscode.LanguageModelToolInvocationOptions<RunToolInput>, token: vscode.CancellationToken): Promise<vscode.LanguageModelToolResult> {
    const { ready, values } = await this.check(options.input, token);
    if (token.isCancellationRequested) throw new vscode.CancellationError();
    const path = ready.file.path;
    const session = await this.runs.start(ready.file.uri, 'run', undefined, { inputs: values });
    if (!session) throw new Error(`the run of \`${path}\` did not start; the editor's notifications say why`);
    this.log.info(`agent tool ${path}: run ${session.runId} started`);
    const stop = () => session.control.cancel('cancelled by the agent');
    const listener = token.onCancellationRequested(stop);
    if (token.isCancellationRequested) stop();
    let result: RunResult;
    try {
      result = await session.result;
    } finally {
      listener.dispose();
    }
    const trace = session.traceFile ? vscode.workspace.asRelativePath(session.traceFile) : undefined;
    if (result.status === 'cancelled' && token.isCancellationRequested) throw new vscode.CancellationError();
    if (result.status !== 'succeeded') throw new Error(runFailureText(path, result, trace));
    return new vscode.LanguageModelToolResult([new vscode.LanguageModelTextPart(runResultText(path, result, trace))]);
  }

  /** Trust, the input's shape, the workflow, and its inputs: every reason a call cannot run, worded for the agent. */
  private async check(input: unknown, token: vscode.CancellationToken): Promise<CheckedCall> {
    if (!vscode.workspace.isTrusted) throw new Error(RESTRICTED_TOOL_MESSAGE);
    try {
      const call = parseRunInput(input);
      const ready = await readyWorkflow(call.workflow, token);
      const checked = workflowArguments(ready.workflow, call.inputs);
      if ('error' in checked) throw new AgentToolError(`\`${ready.file.path}\`: ${checked.error}`);
      return { ready, values: checked.values };
    } catch (error) {
      // The agent reads the message; the person finds it in the log.
      if (error instanceof AgentToolError) this.log.info(`agent tool refused: ${error.message}`);
      throw error;
    }
  }
}
