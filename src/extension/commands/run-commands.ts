/**
 * The run commands, from the palette, the editor title bar and the CodeLenses. Lenses
 * pass the document's URI first (then a step id or a run id); the title bar passes the
 * URI; the palette passes nothing, so each falls back to the active editor and asks
 * only for what it cannot infer.
 */
import * as vscode from 'vscode';
import type { WorkflowDocuments } from '../editor/documents';
import type { RunManager, RunSession } from '../runs/session';
import type { RunMode, StartOptions } from '../runs/session';

export interface RunCommandDeps {
  runs: RunManager;
  documents: WorkflowDocuments;
  log: vscode.LogOutputChannel;
}

export function registerRunCommands({ runs, documents, log }: RunCommandDeps): vscode.Disposable[] {
  const startWorkflow = (mode: RunMode) => async (uri?: unknown, options?: unknown) => {
    const file = workflowUri(uri, documents);
    return file ? runs.start(file, mode, undefined, startOptions(options)) : undefined;
  };
  const startStep = (mode: RunMode) => async (uri?: unknown, stepId?: unknown, options?: unknown) => {
    const file = workflowUri(uri, documents);
    if (!file) return undefined;
    const step = typeof stepId === 'string' ? stepId : await pickStep(file, documents);
    return step ? runs.start(file, mode, step, startOptions(options)) : undefined;
  };
  const control = (act: (session: RunSession) => void, verb: string) => (...args: unknown[]) => {
    const session = targetSession(runs, args);
    if (!session) {
      void vscode.window.showInformationMessage(`There is no run going on to ${verb}.`);
      return;
    }
    act(session);
  };
  return [
    vscode.commands.registerCommand('orchestrate.workflow.run', startWorkflow('run')),
    // Stepping is the debugger's (issue 13): stopped before the first step, with breakpoints, Variables and the call stack.
    vscode.commands.registerCommand('orchestrate.workflow.stepThrough', (uri?: unknown) => vscode.commands.executeCommand('orchestrate.workflow.debug', workflowUri(uri, documents), { stopOnEntry: true })),
    vscode.commands.registerCommand('orchestrate.workflow.resume', startWorkflow('resume')),
    vscode.commands.registerCommand('orchestrate.step.run', startStep('run-step')),
    vscode.commands.registerCommand('orchestrate.step.runToHere', startStep('run-to-here')),
    vscode.commands.registerCommand('orchestrate.step.runFromHere', startStep('run-from-here')),
    vscode.commands.registerCommand('orchestrate.run.nextStep', control((s) => s.control.step(), 'step')),
    vscode.commands.registerCommand('orchestrate.run.pause', control((s) => s.control.pause(), 'pause')),
    vscode.commands.registerCommand('orchestrate.run.resume', control((s) => s.control.resume(), 'resume')),
    vscode.commands.registerCommand('orchestrate.run.stop', control((s) => s.control.cancel('stopped by the user'), 'stop')),
    vscode.commands.registerCommand('orchestrate.run.show', async (...args: unknown[]) => {
      const runId = args.find((a): a is string => typeof a === 'string') ?? runs.current?.runId;
      // The run panel is another part of the extension; when it is there, it shows runs best.
      const commands = await vscode.commands.getCommands(true);
      if (commands.includes('orchestrate.panel.show')) return vscode.commands.executeCommand('orchestrate.panel.show', runId);
      log.show(true);
      return undefined;
    }),
  ];
}

function startOptions(value: unknown): StartOptions {
  if (typeof value !== 'object' || value === null) return {};
  const { inputs } = value as { inputs?: unknown };
  return typeof inputs === 'object' && inputs !== null ? { inputs: inputs as Record<string, unknown> } : {};
}

/** The workflow a command is about: its argument, else the active editor's file. */
export function workflowUri(arg: unknown, documents: WorkflowDocuments): vscode.Uri | undefined {
  if (arg instanceof vscode.Uri) return arg;
  const document = vscode.window.activeTextEditor?.document;
  if (document && documents.isWorkflow(document)) return document.uri;
  void vscode.window.showInformationMessage('Open a workflow file (*.workflow.yaml) to run it.');
  return undefined;
}

/** The step under the cursor when the file is the active editor, else one picked from a list. */
async function pickStep(file: vscode.Uri, documents: WorkflowDocuments): Promise<string | undefined> {
  const editor = vscode.window.activeTextEditor;
  if (editor && editor.document.uri.toString() === file.toString()) {
    const parsed = documents.get(editor.document);
    const step = parsed.stepAt(editor.document.offsetAt(editor.selection.active));
    if (step) return parsed.topLevelOf(step).id;
  }
  const document = await vscode.workspace.openTextDocument(file);
  const steps = documents.get(document).workflow?.steps ?? [];
  const picked = await vscode.window.showQuickPick(
    steps.map((s) => ({ label: s.id, description: s.name ?? s.kind })),
    { title: 'Which step?', placeHolder: 'Pick the step to run' },
  );
  return picked?.label;
}

/** The run a control command is about: a run id argument, else the file's active run, else the current run. */
function targetSession(runs: RunManager, args: unknown[]): RunSession | undefined {
  const runId = args.find((a): a is string => typeof a === 'string');
  if (runId) return runs.sessionFor(runId);
  const uri = args.find((a): a is vscode.Uri => a instanceof vscode.Uri);
  if (uri) {
    const active = runs.activeFor(uri);
    if (active) return runs.sessionFor(active.runId);
  }
  const current = runs.current;
  return current && !current.ended ? current : undefined;
}
