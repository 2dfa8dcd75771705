/**
 * Runs Test Explorer items: each case (or dataset row) is a recorded run through the
 * engine's eval, with the editor's providers, keys, cache and trace folder. A failure
 * is a message at the expectation's line with expected and actual for the diff; each
 * result remembers its trace so *Open Run* shows it in the run panel.
 */
import * as path from 'node:path';
import * as vscode from 'vscode';
import { TraceStore } from '../../engine/trace';
import { evalJobs, parseTests, runEval, type CaseResult, type EvalJob, type EvalSuite, type ExpectationResult } from '../../engine/eval';
import { EVAL_RESULTS_COMMAND, type EvalFeedEvent } from '../panel/eval-results';
import { RESTRICTED_MESSAGE } from '../runs/manager';
import { composeProviders, configuredProviders } from '../runs/providers';
import { editorToolSession } from '../runs/tool-consent';
import { readWorkflow, workspaceLoader } from '../runs/workflow-source';
import { settings } from '../settings';
import type { TestNode, TestTree } from './test-tree';

/** The `contextValue` of failure messages: the *Open Run* menu item shows on them. */
export const CASE_MESSAGE_CONTEXT = 'orchestrateCaseRun';

export class TestRunner {
  /** Test item id → the trace of its last run. */
  readonly traces = new Map<string, string>();
  /** Test item id → how its last run ended (for the integration tests: the Testing API has no read of results). */
  readonly outcomes = new Map<string, { passed: boolean; messages: vscode.TestMessage[] }>();

  constructor(
    private readonly context: vscode.ExtensionContext,
    private readonly controller: vscode.TestController,
    private readonly tree: TestTree,
    private readonly log: vscode.LogOutputChannel,
  ) {}

  async run(request: vscode.TestRunRequest, token: vscode.CancellationToken, openAfter = false): Promise<void> {
    const run = this.controller.createTestRun(request);
    const items = request.include ?? [...collect(this.controller.items)];
    const excluded = new Set((request.exclude ?? []).map((item) => item.id));
    const abort = new AbortController();
    const cancel = token.onCancellationRequested(() => abort.abort('stopped from the Test Explorer'));
    // The run panel keeps the results and shows them as a grid once there are two.
    const evalId = `tests-${Date.now().toString(36)}-${++evalCount}`;
    const feed = (event: EvalFeedEvent) => void vscode.commands.executeCommand(EVAL_RESULTS_COMMAND, event);
    feed({ type: 'start', id: evalId, title: evalTitle(items, this.tree) });
    try {
      for (const item of items) {
        if (token.isCancellationRequested) break;
        for (const target of expand(item, this.tree)) {
          if (excluded.has(target.id)) continue;
          await this.runTarget(target, run, abort.signal, (result) => feed({ type: 'result', id: evalId, result }));
        }
      }
    } finally {
      cancel.dispose();
      run.end();
      feed({ type: 'end', id: evalId });
    }
    if (openAfter && items.length === 1) {
      const trace = this.traces.get(items[0].id);
      if (trace) await vscode.commands.executeCommand('orchestrate.run.open', trace);
    }
  }

  private async runTarget(item: vscode.TestItem, run: vscode.TestRun, signal: AbortSignal, onResult: (result: CaseResult) => void): Promise<void> {
    const node = this.tree.nodes.get(item);
    if (!node || node.kind === 'file') return;
    if (!vscode.workspace.isTrusted) {
      run.errored(item, new vscode.TestMessage(RESTRICTED_MESSAGE));
      return;
    }
    const parsed = await readWorkflow(node.uri);
    const workflow = parsed.workflow;
    const suite = parseTests(parsed.text, node.uri.fsPath, workflow);
    const entry = suite.entries.find((e) => e.name === node.name);
    if (!workflow || !entry || suite.problems.length > 0 || parsed.problems.some((p) => p.severity === 'error')) {
      run.errored(item, new vscode.TestMessage(`${path.basename(node.uri.fsPath)} has problems; fix them (see the Problems view) to run its tests.`));
      return;
    }
    const evalSuite: EvalSuite = { file: vscode.workspace.asRelativePath(node.uri), absolute: node.uri.fsPath, workflow, text: parsed.text, entries: [entry.kind === 'dataset' && node.rowsFile ? { ...entry, rows: node.rowsFile } : entry] };
    const traceRoot = this.traceRoot(node.uri);
    const providers = await this.providers(node.uri, traceRoot);
    const rowItems = new Map<number, vscode.TestItem>();
    item.children.forEach((child) => {
      const childNode = this.tree.nodes.get(child);
      if (childNode?.kind === 'row') rowItems.set(childNode.index, child);
    });
    const aggregate = { passed: 0, failed: 0, messages: [] as vscode.TestMessage[], durationMs: 0 };
    const itemFor = (job: { row?: { index: number } }) => (node.kind === 'row' ? item : job.row ? rowItems.get(job.row.index) : item);
    run.started(item);
    const jobs = onlyRow(evalJobs({ suites: [evalSuite], repeat: 1 }), node.kind === 'row' ? node.index : undefined);
    try {
      await runEval(jobs, {
        concurrency: settings.concurrency(node.uri),
        providers,
        loadWorkflow: workspaceLoader,
        signal,
        store: traceRoot ? new TraceStore(traceRoot) : undefined,
        onUnrecorded: (error) => this.log.warn(`cannot record a test run in ${traceRoot}: ${error.message}`),
        // Each case's run gets the editor's tools, as any run there: consent in a modal, nothing in an untrusted workspace.
        tools: async () => editorToolSession(node.uri, this.context.secrets, (line) => this.log.info(line)),
        onStart: (job) => {
          const target = itemFor(job);
          if (target && target !== item) run.started(target);
        },
        onResult: (result) => {
          onResult(result);
          const target = itemFor(result.row === undefined ? {} : { row: { index: result.row } });
          const messages = this.messages(result, node.uri);
          if (result.trace && target) this.traces.set(target.id, result.trace);
          if (result.trace) this.traces.set(item.id, result.trace);
          run.appendOutput(`${result.passed ? '✓' : '✗'} ${result.case}${result.row !== undefined ? ` [row ${result.row + 1}]` : ''} — run ${result.runId}${result.trace ? `, trace ${result.trace}` : ''}\r\n`, undefined, target);
          aggregate[result.passed ? 'passed' : 'failed']++;
          aggregate.durationMs += result.durationMs;
          if (target && target !== item) {
            this.outcomes.set(target.id, { passed: result.passed, messages });
            if (result.passed) run.passed(target, result.durationMs);
            else run.failed(target, messages, result.durationMs);
          }
          if (!result.passed) aggregate.messages.push(...(target === item ? messages : messages.map((m) => prefixed(m, `row ${(result.row ?? 0) + 1}: `))));
        },
      });
    } catch (error) {
      run.errored(item, new vscode.TestMessage((error as Error).message));
      return;
    }
    if (signal.aborted) return run.skipped(item);
    this.outcomes.set(item.id, { passed: aggregate.failed === 0, messages: aggregate.messages });
    if (aggregate.failed === 0) run.passed(item, aggregate.durationMs);
    else run.failed(item, aggregate.messages.slice(0, 50), aggregate.durationMs);
  }

  /** One message per failed expectation, at its line, with a diff when there are two sides. */
  private messages(result: CaseResult, uri: vscode.Uri): vscode.TestMessage[] {
    return result.expectations
      .filter((e) => !e.passed)
      .map((e: ExpectationResult) => {
        const text = e.reasoning && !e.message?.includes(e.reasoning) ? `${e.message} — judge: ${e.reasoning}` : (e.message ?? e.label);
        const message = e.expected !== undefined && e.actual !== undefined ? vscode.TestMessage.diff(text, e.expected, e.actual) : new vscode.TestMessage(text);
        const line = (e.line || result.line) - 1;
        message.location = new vscode.Location(uri, new vscode.Position(Math.max(0, line), 0));
        message.contextValue = CASE_MESSAGE_CONTEXT;
        return message;
      });
  }

  private async providers(file: vscode.Uri, traceRoot: string | undefined) {
    const composed = await composeProviders({
      configs: configuredProviders(settings.providers(file), (message) => this.log.warn(message)),
      secrets: this.context.secrets,
      env: process.env,
      mockDelayMs: settings.mockDelayMs(file),
      concurrency: settings.concurrency(file),
      cache: traceRoot ? { dir: new TraceStore(traceRoot).cacheDir, policy: settings.cache(file) } : undefined,
      onFallback: (provider, why) => this.log.info(`tests: ${why}; steps that use \`${provider}\` run on the mock provider`),
      onWarning: (message) => this.log.warn(message),
    });
    return composed.resolver;
  }

  /** The trace and cache folder, as editor runs use it. */
  private traceRoot(file: vscode.Uri): string | undefined {
    const folder = settings.traceFolder(file);
    if (folder === '' || file.scheme !== 'file') return undefined;
    if (path.isAbsolute(folder)) return folder;
    const workspace = vscode.workspace.getWorkspaceFolder(file) ?? vscode.workspace.workspaceFolders?.[0];
    return path.join(workspace?.uri.fsPath ?? path.dirname(file.fsPath), folder);
  }
}

let evalCount = 0;

/** The grid's title: the workflow file, or how many files. */
function evalTitle(items: readonly vscode.TestItem[], tree: TestTree): string {
  const files = new Set(items.map((item) => tree.nodes.get(item)?.uri.fsPath).filter((file): file is string => file !== undefined));
  const [only] = files;
  return files.size === 1 ? `Tests of ${path.basename(only)}` : files.size === 0 ? 'Tests' : `Tests of ${files.size} workflows`;
}

/** A file item stands for its cases; a case or a row for itself. */
function expand(item: vscode.TestItem, tree: TestTree): vscode.TestItem[] {
  const node: TestNode | undefined = tree.nodes.get(item);
  if (node?.kind !== 'file') return [item];
  const children: vscode.TestItem[] = [];
  item.children.forEach((child) => children.push(child));
  return children;
}

function* collect(items: vscode.TestItemCollection): Generator<vscode.TestItem> {
  const all: vscode.TestItem[] = [];
  items.forEach((item) => all.push(item));
  yield* all;
}

async function* onlyRow(jobs: AsyncIterable<EvalJob>, index: number | undefined): AsyncGenerator<EvalJob> {
  for await (const job of jobs) {
    if (index === undefined || job.row?.index === index) yield job;
    if (index !== undefined && job.row && job.row.index >= index) return;
  }
}

function prefixed(message: vscode.TestMessage, prefix: string): vscode.TestMessage {
  message.message = typeof message.message === 'string' ? `${prefix}${message.message}` : message.message;
  return message;
}
