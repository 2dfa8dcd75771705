/**
 * The Testing API: every workflow's `tests:` in the Test Explorer, run (or debugged:
 * run, then opened in the run panel) from the gutter beside each case.
 */
import * as vscode from 'vscode';
import { settings } from '../settings';
import { TestRunner } from './test-runner';
import { TestTree } from './test-tree';

export const TEST_CONTROLLER_ID = 'orchestrate';

/** How long typing must pause before a workflow's cases are read again. */
const EDIT_PAUSE_MS = 300;

export interface WorkflowTesting extends vscode.Disposable {
  readonly controller: vscode.TestController;
  /** Resolves once every workflow file in the workspace has been read into the tree. */
  readonly ready: Promise<void>;
  /** Reads a workflow file into the tree again (the watcher does this on its own). */
  refresh(uri: vscode.Uri): Promise<void>;
  /** Runs items as the Run profile does; resolves when they are done. */
  run(items: readonly vscode.TestItem[]): Promise<void>;
  /** How each item's last run ended, and its trace. */
  readonly outcomes: TestRunner['outcomes'];
  readonly traces: TestRunner['traces'];
}

export function registerTesting(context: vscode.ExtensionContext, log: vscode.LogOutputChannel): WorkflowTesting {
  const controller = vscode.tests.createTestController(TEST_CONTROLLER_ID, 'Orchestrate');
  const tree = new TestTree(controller);
  const runner = new TestRunner(context, controller, tree, log);
  const disposables: vscode.Disposable[] = [controller];
  const isWorkflow = (uri: vscode.Uri) => /\.workflow\.ya?ml$/i.test(uri.path);
  const pending = new Map<string, ReturnType<typeof setTimeout>>();

  const scan = async () => {
    const globs = settings.workflowGlobs();
    const files = (await Promise.all(globs.map((glob) => vscode.workspace.findFiles(glob, '**/node_modules/**')))).flat();
    await Promise.all(files.map((uri) => tree.refreshFile(uri)));
  };
  const ready = scan().catch((error: Error) => log.warn(`tests: cannot list the workflows: ${error.message}`));
  controller.refreshHandler = () => scan();
  controller.resolveHandler = async (item) => {
    if (item) await tree.resolveRows(item);
  };
  controller.createRunProfile('Run', vscode.TestRunProfileKind.Run, (request, token) => runner.run(request, token), true);
  // "Debug" a case: run it, then open its run in the panel (prompts, outputs, every step).
  controller.createRunProfile('Run and Open in Panel', vscode.TestRunProfileKind.Debug, (request, token) => runner.run(request, token, true), true);

  const watcher = vscode.workspace.createFileSystemWatcher('**/*.{workflow.yaml,workflow.yml,dataset.jsonl,dataset.csv,dataset.yaml,dataset.yml}');
  const workflowOf = (uri: vscode.Uri) => (isWorkflow(uri) ? uri : undefined);
  disposables.push(
    watcher,
    watcher.onDidCreate((uri) => void (workflowOf(uri) ? tree.refreshFile(uri) : scan())),
    watcher.onDidChange((uri) => void (workflowOf(uri) ? tree.refreshFile(uri) : scan())),
    watcher.onDidDelete((uri) => (workflowOf(uri) ? tree.remove(uri) : void scan())),
    // Unsaved edits move cases too: the gutter follows the text as typed, re-read once typing pauses.
    vscode.workspace.onDidChangeTextDocument((event) => {
      const uri = event.document.uri;
      if (!isWorkflow(uri) || event.contentChanges.length === 0) return;
      clearTimeout(pending.get(uri.toString()));
      pending.set(uri.toString(), setTimeout(() => void tree.refreshFile(uri), EDIT_PAUSE_MS));
    }),
    { dispose: () => pending.forEach((timer) => clearTimeout(timer)) },
    vscode.commands.registerCommand('orchestrate.test.openRun', async (arg?: unknown) => {
      const item = testItemOf(arg);
      const trace = item ? runner.traces.get(item.id) : undefined;
      if (!trace) {
        void vscode.window.showInformationMessage('This test has not run in this window yet: run it, then open its run.');
        return;
      }
      await vscode.commands.executeCommand('orchestrate.run.open', trace);
    }),
  );
  const registration = vscode.Disposable.from(...disposables);
  context.subscriptions.push(registration);
  return {
    controller,
    ready: ready.then(() => undefined),
    refresh: (uri) => tree.refreshFile(uri),
    run: (items) => runner.run(new vscode.TestRunRequest(items), new vscode.CancellationTokenSource().token),
    outcomes: runner.outcomes,
    traces: runner.traces,
    dispose: () => registration.dispose(),
  };
}

/** The test item a menu passes: the item itself (`testing/item/context`) or `{ test }` (`testing/message/context`). */
function testItemOf(arg: unknown): vscode.TestItem | undefined {
  if (typeof arg !== 'object' || arg === null) return undefined;
  if ('test' in arg && typeof arg.test === 'object' && arg.test !== null && 'id' in arg.test) return arg.test as vscode.TestItem;
  if ('id' in arg && 'uri' in arg) return arg as vscode.TestItem;
  return undefined;
}
