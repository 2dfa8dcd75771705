/**
 * `orchestrate test`: runs the test cases in workflow files (and dataset rows) as an
 * eval — concurrently, with live progress, a summary table, CI reports and exit 1 on
 * any failure — stored under `.orchestrate/evals/` with every case linked to its trace.
 */
import { writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { formatProblem, hasErrors, type ProviderResolver } from '../engine';
import { CACHE_POLICIES, CacheStore, cachingResolver, type CachePolicy } from '../engine/cache';
import {
  caseRunName,
  compareEvals,
  DatasetError,
  estimateRows,
  evalJobs,
  EvalStore,
  loadEval,
  parseTests,
  report,
  REPORTERS,
  runEval,
  SummaryBuilder,
  type CaseResult,
  type EvalHeader,
  type EvalPlan,
  type EvalSuite,
  type EvalWriter,
  type ReporterName,
  type TestProblem,
} from '../engine/eval';
import { parseArgs, parseAssignments, UsageError } from './args';
import { callLogResolver } from './call-log';
import { queuedCases, type QueuedCases } from './test-queue';
import { CliError, describeFsError, invalidWorkflow } from './errors';
import { checkFile, expandFolders, loadFromDisk } from './files';
import type { Io } from './main';
import { cliProviders } from './providers';
import { displayPath, secretsOf, storeFor, TRACES_HELP } from './stores';
import { headlessToolSession } from '../engine/run/headless-tools';
import { ALLOW_TOOLS_HELP, ALLOW_TOOLS_OPTION, allowToolsOf } from './tool-options';

const USAGE = `Usage: orchestrate test FILE|FOLDER... [options]
       orchestrate test --compare EVAL-A EVAL-B
       orchestrate test --resume EVAL-ID

Runs the test cases in each workflow file's \`tests:\` (and dataset rows) and checks
their expectations. Each run is recorded; the eval is kept in .orchestrate/evals/.

Options:
  --data FILE              run every row of a .jsonl, .csv or .yaml file through each workflow,
                           with the expectations of its \`rows:\` test (if any)
  --column INPUT=COLUMN    take an input from a column of another name; repeatable
  --filter TEXT            only cases whose "workflow › case" name contains TEXT
  --repeat K               run each case K times and report pass rates (default 1)
  --concurrency N          case runs at once (default 8); providers' rate limits still apply
  --bail                   stop starting cases after the first failure
  --reporter json|junit|markdown
                           print a report on stdout (or into --out)
  --out FILE               write the report to FILE instead of stdout
  --mock                   every step and judge on the mock provider (also ORCHESTRATE_USE_MOCK=true)
  --mock-delay MS          how long each mock reply takes
  --cache reuse|refresh|off
                           the model-call cache (default reuse): unchanged rows cost nothing on a re-run
${TRACES_HELP}
  --no-trace               record neither the runs nor the eval
${ALLOW_TOOLS_HELP}
  --quiet                  no progress
  --redis URL              run each case on the \`orchestrate worker\` processes sharing that Redis
                           (docs/serve.md); results, reports and exit status as without it
  --root DIR               with --redis: the folder the workers serve (default: the current one)
  --compare                compare two evals (ids or files): regressions, improvements, changed outputs
  --resume EVAL-ID         finish an eval that was stopped: finished case runs are not run again

Exit status: 0 every case passed, 1 a case failed (or --compare found a regression),
2 a file is invalid or an option is wrong.
`;

const OPTIONS = {
  data: { type: 'string' },
  column: { type: 'string', multiple: true },
  filter: { type: 'string' },
  repeat: { type: 'string' },
  concurrency: { type: 'string' },
  bail: { type: 'boolean' },
  reporter: { type: 'string' },
  out: { type: 'string' },
  mock: { type: 'boolean' },
  'allow-tools': { type: 'string', multiple: true },
  'mock-delay': { type: 'string' },
  cache: { type: 'string' },
  traces: { type: 'string' },
  trace: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  compare: { type: 'boolean' },
  resume: { type: 'string' },
  json: { type: 'boolean' },
  ...ALLOW_TOOLS_OPTION,
  redis: { type: 'string' },
  root: { type: 'string' },
} as const;

export const testCommand = {
  summary: 'run the test cases in workflow files (and dataset rows); exit 1 on a failure',
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { positionals, options } = parseArgs(argv, OPTIONS);
    const root = storeFor(io, options.traces).root;
    const evals = new EvalStore(root);
    if (options.compare) return compare(positionals, evals, io);

    const reporter = options.reporter === undefined ? (options.json ? 'json' : undefined) : String(options.reporter);
    if (reporter !== undefined && !REPORTERS.includes(reporter as ReporterName)) throw new UsageError(`--reporter takes ${REPORTERS.join(', ')}, not \`${reporter}\``);
    const policy = (options.cache as string | undefined) ?? 'reuse';
    if (!CACHE_POLICIES.includes(policy as CachePolicy)) throw new UsageError(`--cache takes reuse, refresh or off, not \`${policy}\``);
    const concurrency = whole(options.concurrency, '--concurrency', 8, 1, 4096);
    const allowTools = allowToolsOf(options);

    let header: Omit<EvalHeader, 'type' | 'v' | 'id'>;
    let previous: CaseResult[] = [];
    let resumeFile: string | undefined;
    if (typeof options.resume === 'string') {
      if (positionals.length > 0) throw new UsageError('--resume takes the files and options of the eval it resumes; name no files');
      resumeFile = evals.find(options.resume);
      if (!resumeFile) throw new CliError('run-not-found', `${options.resume}: no such eval in ${displayPath(evals.dir, io)} (evals: ${evals.list().slice(-3).join(', ') || 'none yet'})`);
      const loaded = await loadEval(resumeFile).catch((error: Error) => {
        throw new CliError('trace-unreadable', `${displayPath(resumeFile!, io)}: ${error.message}`);
      });
      header = loaded.header;
      previous = loaded.results;
    } else {
      if (positionals.length === 0) throw new UsageError('name at least one workflow file to test');
      header = {
        startedAt: Date.now(),
        files: expandFolders(positionals, io.cwd).map((file) => path.resolve(io.cwd, file)),
        ...(typeof options.data === 'string' ? { data: path.resolve(io.cwd, options.data) } : {}),
        columns: parseAssignments(options.column as string[] | undefined, '--column'),
        repeat: whole(options.repeat, '--repeat', 1, 1, 1000),
        ...(typeof options.filter === 'string' ? { filter: options.filter } : {}),
        mock: options.mock === true,
      };
    }

    const suites = header.files.map((file) => loadSuite(file, io));
    for (const suite of suites) if (suite.entries.length === 0 && !header.data) io.err(`note: ${suite.file} has no \`tests:\`; add some (see docs/evaluation.md) or pass --data FILE\n`);
    const plan: EvalPlan = { suites, repeat: header.repeat, ...(header.filter ? { filter: header.filter } : {}), ...(header.data ? { data: { file: header.data, columns: header.columns ?? {} } } : {}) };
    const recording = options.trace !== false;
    const providers = await evalProviders(io, options, header.mock, root, policy as CachePolicy);

    let writer: EvalWriter | undefined;
    if (recording) {
      try {
        writer = resumeFile ? evals.reopen(resumeFile) : evals.create(header);
      } catch (error) {
        io.err(`warning: cannot record this eval in ${displayPath(evals.dir, io)} (${describeFsError(error)}); it runs unrecorded\n`);
      }
    }
    const evalId = writer ? path.basename(writer.file, '.jsonl') : undefined;

    const summary = new SummaryBuilder();
    const results: CaseResult[] = [];
    const keep = reporter !== undefined;
    for (const result of previous) {
      summary.add(result);
      if (keep) results.push(result);
    }
    const total = previous.length + (await countJobs(plan, previous.length));
    const progress = options.quiet ? undefined : new Progress(io, total, previous.length, plan.repeat > 1);

    const queued = await casesOnWorkers(options, suites, header.mock, io);
    const controller = new AbortController();
    const onInterrupt = () => controller.abort('interrupted (Ctrl-C)');
    process.once('SIGINT', onInterrupt);
    process.once('SIGTERM', onInterrupt);
    let bailed = false;
    try {
      ({ bailed } = await runEval(
        evalJobs(plan, new Set(previous.map((r) => r.key)), (note) => io.err(`note: ${note}\n`)),
        {
          concurrency,
          bail: options.bail === true,
          providers,
          loadWorkflow: loadFromDisk,
          signal: controller.signal,
          store: recording ? storeFor(io, options.traces) : undefined,
          secrets: secretsOf(io.env),
          onUnrecorded: () => undefined,
          tools: (traceFile) => headlessToolSession({ workspaceFolder: io.cwd, env: io.env, allowTools, traceFile, warn: (message) => io.err(`warning: ${message}\n`) }),
          ...(queued ? { runCase: queued.runCase } : {}),
          onResult: (result) => {
            summary.add(result);
            if (keep) results.push(result);
            writer?.write(result);
            progress?.result(result, summary.totals);
          },
        },
      ));
    } catch (error) {
      if (error instanceof DatasetError) throw new CliError('file-unreadable', error.message, { file: error.file, line: error.line });
      throw error;
    } finally {
      process.removeListener('SIGINT', onInterrupt);
      process.removeListener('SIGTERM', onInterrupt);
      progress?.end();
      await queued?.close();
    }

    const final = summary.summary();
    const stopped = controller.signal.aborted;
    if (!stopped) writer?.write({ type: 'eval.end', endedAt: Date.now(), summary: final });
    await writer?.close().catch((error: Error) => io.err(`warning: the eval file is incomplete (${describeFsError(error)})\n`));

    const table = summaryTable(final, io);
    const reportText = reporter ? report(reporter as ReporterName, { ...(evalId ? { id: evalId } : {}), summary: final, results }) : undefined;
    if (reportText !== undefined && options.out === undefined) {
      io.err(table);
      io.out(reportText);
      await io.flushOut?.();
    } else {
      io.out(table);
      await io.flushOut?.();
    }
    if (reportText !== undefined && options.out !== undefined) {
      const out = path.resolve(io.cwd, String(options.out));
      try {
        await writeFile(out, reportText);
      } catch (error) {
        io.err(`error: cannot write --out ${String(options.out)}: ${describeFsError(error)}\n`);
        return 1;
      }
    }
    if (writer) io.err(`eval: ${displayPath(writer.file, io)}\n`);
    if (stopped && evalId) io.err(`stopped; finish it with: orchestrate test --resume ${evalId}${options.traces ? ` --traces ${String(options.traces)}` : ''}\n`);
    if (bailed) io.err('stopped at the first failure (--bail)\n');
    return final.failed > 0 || stopped || bailed ? 1 : 0;
  },
};

/** With `--redis`, where case runs go instead of this process; checked before anything runs. */
async function casesOnWorkers(options: Record<string, unknown>, suites: EvalSuite[], mock: boolean, io: Io): Promise<QueuedCases | undefined> {
  if (options.redis === undefined) {
    if (options.root !== undefined) throw new UsageError('--root names the folder the workers of --redis serve; add --redis URL');
    return undefined;
  }
  const redisUrl = String(options.redis);
  if (!/^rediss?:\/\//.test(redisUrl)) throw new UsageError(`--redis takes a URL like redis://127.0.0.1:6379, not \`${redisUrl}\``);
  const root = path.resolve(io.cwd, typeof options.root === 'string' ? options.root : '.');
  return queuedCases({ redisUrl, root, mock, suites, warn: (message) => io.err(`warning: ${message}\n`) });
}

/** A workflow file and its `tests:`, or the error that says why it cannot be tested. */
function loadSuite(file: string, io: Io): EvalSuite {
  const shown = displayPath(file, io);
  const { workflow, problems, text } = checkFile(file);
  if (!workflow || hasErrors(problems)) throw invalidWorkflow(shown, problems);
  for (const problem of problems) io.err(`${formatProblem(problem)}\n`);
  const suite = parseTests(text, shown, workflow);
  if (suite.problems.length > 0) throw testProblems(shown, suite.problems);
  return { file: shown, absolute: file, workflow, text, entries: suite.entries };
}

function testProblems(file: string, problems: TestProblem[]): CliError {
  const first = problems[0];
  const line = (p: TestProblem) => `${p.file}:${p.range.start.line}:${p.range.start.column}: ${p.code}: ${p.message}`;
  return new CliError('workflow-invalid', problems.length > 1 ? `${problems.length} errors in the tests of ${file}; the first: ${first.message}` : first.message, {
    file,
    line: first.range.start.line,
    column: first.range.start.column,
    problems: problems.map((p) => ({ code: p.code, severity: p.severity, message: p.message, file: p.file, line: p.range.start.line, column: p.range.start.column })),
    text: problems.map(line).join('\n'),
  });
}

async function evalProviders(io: Io, options: Record<string, unknown>, mock: boolean, root: string, policy: CachePolicy): Promise<ProviderResolver> {
  const delay = options['mock-delay'] === undefined ? undefined : Number(options['mock-delay']);
  if (delay !== undefined && !(delay >= 0 && delay <= 2 ** 31 - 1)) throw new UsageError(`--mock-delay takes a number of milliseconds, not \`${String(options['mock-delay'])}\``);
  let providers = await cliProviders({ io, forceMock: mock, mockDelayMs: delay });
  if (io.env.ORCHESTRATE_MOCK_CALL_LOG) providers = callLogResolver(providers, path.resolve(io.cwd, io.env.ORCHESTRATE_MOCK_CALL_LOG));
  const warn = (message: string) => io.err(`warning: ${message}\n`);
  const cacheDir = path.join(root, 'cache');
  return cachingResolver(providers, new CacheStore(cacheDir, { onWarning: warn }), policy, { onWarning: warn, cacheMock: /^(1|true|yes)$/i.test(io.env.ORCHESTRATE_CACHE_MOCK ?? '') });
}

/** How many case runs are left, for the progress's ETA (datasets estimated from their line counts). */
async function countJobs(plan: EvalPlan, done: number): Promise<number> {
  let total = 0;
  for (const suite of plan.suites) {
    const filter = plan.filter?.toLowerCase();
    const matches = (name: string) => !filter || `${suite.workflow.name} › ${name}`.toLowerCase().includes(filter);
    const datasets = suite.entries.filter((e) => e.kind === 'dataset' && matches(e.name));
    total += suite.entries.filter((e) => e.kind === 'case' && matches(e.name)).length * plan.repeat;
    const rowsOf = async (file: string) => (await estimateRows(file).catch(() => 0)) * plan.repeat;
    if (plan.data && (datasets.length > 0 ? true : matches(path.basename(plan.data.file)))) total += (await rowsOf(plan.data.file)) * Math.max(1, datasets.length);
    else for (const entry of datasets) if (entry.kind === 'dataset' && entry.rows) total += await rowsOf(path.resolve(path.dirname(suite.absolute), entry.rows));
  }
  return Math.max(0, total - done);
}

async function compare(positionals: string[], evals: EvalStore, io: Io): Promise<number> {
  if (positionals.length !== 2) throw new UsageError('--compare takes two evals: the earlier, then the later (ids from .orchestrate/evals/, or files)');
  const [before, after] = await Promise.all(
    positionals.map(async (name) => {
      const file = evals.find(name) ?? (name.endsWith('.jsonl') ? path.resolve(io.cwd, name) : undefined);
      if (!file) throw new CliError('run-not-found', `${name}: no such eval in ${displayPath(evals.dir, io)}`);
      return loadEval(file).catch((error: Error) => {
        throw new CliError('trace-unreadable', `${name}: ${error.message}`);
      });
    }),
  );
  const comparison = compareEvals(before.results, after.results);
  const lines: string[] = [];
  const name = (c: { workflow: string; case: string; row?: number; repeat: number }) => `${c.workflow} › ${caseRunName(c, c.repeat > 1)}`;
  for (const [title, changes] of [['Regressions', comparison.regressions], ['Improvements', comparison.improvements], ['Changed outputs', comparison.changed]] as const) {
    if (changes.length === 0) continue;
    lines.push(`${title} (${changes.length}):`);
    for (const change of changes) {
      lines.push(`  ${change.kind === 'regression' ? '✗' : change.kind === 'improvement' ? '✓' : '~'} ${name(change)}`);
      for (const failure of change.after.failures.slice(0, 3)) lines.push(`      now: ${failure}`);
      lines.push(...sideBySide(change.before.outputs, change.after.outputs).map((line) => `      ${line}`));
    }
  }
  lines.push(`${comparison.regressions.length} regressions, ${comparison.improvements.length} improvements, ${comparison.changed.length} changed, ${comparison.unchanged} unchanged${comparison.onlyBefore.length || comparison.onlyAfter.length ? `; ${comparison.onlyBefore.length} only in the first, ${comparison.onlyAfter.length} only in the second` : ''}`);
  io.out(lines.join('\n') + '\n');
  return comparison.regressions.length > 0 ? 1 : 0;
}

/** Two texts in two columns, for a changed output. */
function sideBySide(left: string, right: string, width = 48): string[] {
  const cut = (text: string) => text.split('\n').slice(0, 12).map((line) => (line.length > width ? `${line.slice(0, width - 1)}…` : line));
  const a = cut(left);
  const b = cut(right);
  const rows = [`${'before'.padEnd(width)} │ after`];
  for (let i = 0; i < Math.max(a.length, b.length); i++) rows.push(`${(a[i] ?? '').padEnd(width)} │ ${b[i] ?? ''}`);
  return rows;
}

function summaryTable(summary: ReturnType<SummaryBuilder['summary']>, io: Io): string {
  const rows = summary.cases.map((c) => [c.workflow, c.case, `${c.passed}/${c.runs}`, `${Math.round((100 * c.passed) / Math.max(1, c.runs))}%`, String(c.tokens), `$${c.costUsd.toFixed(4)}`]);
  const head = ['workflow', 'case', 'passed', 'rate', 'tokens', 'cost'];
  const widths = head.map((h, i) => Math.min(40, Math.max(h.length, ...rows.map((r) => r[i].length))));
  const fit = (text: string, i: number) => (text.length > widths[i] ? `${text.slice(0, widths[i] - 1)}…` : i >= 2 ? text.padStart(widths[i]) : text.padEnd(widths[i]));
  const line = (cells: string[]) => cells.map(fit).join('  ').trimEnd();
  const verdict = summary.failed === 0 ? (io.color ? '\x1b[32mpassed\x1b[0m' : 'passed') : io.color ? '\x1b[31mfailed\x1b[0m' : 'failed';
  const cached = summary.cachedCalls > 0 ? ` · ${summary.cachedCalls} of ${summary.calls} calls from the cache` : '';
  return `\n${line(head)}\n${rows.map(line).join('\n')}\n\n${verdict}: ${summary.passed} passed, ${summary.failed} failed of ${summary.runs} · ${summary.tokens} tokens · $${summary.costUsd.toFixed(4)}${cached}\n`;
}

/** Live progress on stderr: one rewritten line on a terminal, plain lines otherwise. */
class Progress {
  private readonly started = Date.now();
  private lastDraw = 0;
  private done: number;
  private nextPlainStep = 0.1;

  constructor(
    private readonly io: Io,
    private readonly total: number,
    private readonly resumed: number,
    private readonly repeats: boolean,
  ) {
    this.done = resumed;
    if (resumed > 0) io.err(`resuming: ${resumed} case runs already done\n`);
  }

  result(result: CaseResult, totals: SummaryBuilder['totals']): void {
    this.done++;
    const name = `${result.workflow} › ${caseRunName(result, this.repeats)}`;
    const failure = result.passed ? undefined : result.expectations.find((e) => !e.passed)?.message;
    if (this.io.color) {
      if (failure) this.io.err(`\r\x1b[K\x1b[31m✗\x1b[0m ${name}: ${failure}\n`);
      const now = Date.now();
      if (now - this.lastDraw >= 100 || this.done === this.total) {
        this.lastDraw = now;
        this.io.err(`\r\x1b[K${this.line(totals)}`);
      }
      return;
    }
    if (failure) this.io.err(`✗ ${name}: ${failure}\n`);
    else if (this.total <= 200) this.io.err(`✓ ${name}\n`);
    if (this.total > 200 && this.done / this.total >= this.nextPlainStep) {
      this.nextPlainStep += 0.1;
      this.io.err(`${this.line(totals)}\n`);
    }
  }

  private line(totals: SummaryBuilder['totals']): string {
    const ran = this.done - this.resumed;
    const elapsed = Date.now() - this.started;
    const left = Math.max(0, this.total - this.done);
    const eta = ran > 0 && left > 0 ? ` · ETA ${Math.ceil((elapsed / ran) * left / 1000)}s` : '';
    return `${this.done}/${this.total || '?'} done · ${totals.passed} passed · ${totals.failed} failed · ${totals.tokens} tokens · $${totals.costUsd.toFixed(4)}${eta}`;
  }

  end(): void {
    if (this.io.color) this.io.err('\r\x1b[K');
  }
}

function whole(value: unknown, flag: string, fallback: number, min: number, max: number): number {
  if (value === undefined) return fallback;
  const number = Number(value);
  if (!/^\d+$/.test(String(value)) || number < min || number > max) throw new UsageError(`${flag} takes a whole number from ${min} to ${max}, not \`${String(value)}\``);
  return number;
}
