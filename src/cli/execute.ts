/**
 * What `run` and `resume` share: providers behind the cache (or a replay), the
 * trace recording, live progress, Ctrl-C, and printing the result.
 */
import { mkdir, open, stat, unlink, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import { stringifyOutput, type ProviderResolver, type RunEvent, type RunOptions, type RunResult, type Workflow } from '../engine';
import { CACHE_POLICIES, CacheStore, cachingResolver, type CachePolicy } from '../engine/cache';
import { recordedRun, replayResolver } from '../engine/trace';
import { headlessToolSession } from '../engine/run/headless-tools';
import { UsageError, type OptionSpec, type Parsed } from './args';
import { CliError, describeFsError } from './errors';
import { callLogResolver } from './call-log';
import { loadFromDisk } from './files';
import type { Io } from './main';
import { progressPrinter } from './progress';
import { cliProviders } from './providers';
import { displayPath, secretsOf, storeFor, TRACES_HELP, TRACES_OPTION } from './stores';
import { ALLOW_TOOLS_HELP, ALLOW_TOOLS_OPTION, allowToolsOf } from './tool-options';

/** Options both `run` and `resume` take. */
export const EXECUTE_OPTIONS: Record<string, OptionSpec> = {
  input: { type: 'string', multiple: true, short: 'i' },
  mock: { type: 'boolean' },
  'mock-delay': { type: 'string' },
  json: { type: 'boolean' },
  out: { type: 'string' },
  verbose: { type: 'boolean' },
  quiet: { type: 'boolean', short: 'q' },
  ...TRACES_OPTION,
  trace: { type: 'boolean' },
  cache: { type: 'string' },
  // Our parser reads `--no-X` as X=false for boolean X; `cache` takes a value, so
  // `--no-cache` is an option of its own, present (as `false`) when given.
  'no-cache': { type: 'boolean' },
  ...ALLOW_TOOLS_OPTION,
};

export const EXECUTE_HELP = `  -i, --input NAME=VALUE   a workflow input, or the answer to an \`input:\` step (by step id); repeatable
  --mock                   use the mock provider for every step (also ORCHESTRATE_USE_MOCK=true)
  --mock-delay MS          how long each mock reply takes (streamed), default 0
  --json                   print the whole result as JSON on stdout (progress stays on stderr)
  --out FILE               also write the whole result as JSON to FILE (checked before the run)
  --verbose                show streamed model output as it arrives
  --quiet                  no progress lines
${TRACES_HELP}
  --no-trace               do not record this run
  --cache reuse|refresh|off
                           reuse: answer repeated model calls from the cache (default);
                           refresh: call the model and overwrite; off: no cache
  --no-cache               the same as --cache off
${ALLOW_TOOLS_HELP}`;

/** What to run, beyond the shared options. */
export interface Execution {
  workflow: Workflow;
  /** The workflow file's text, hashed into the trace. */
  workflowText?: string;
  /** Inputs, and for a resume the restorer, `resumedFrom` and `stopAfter`. */
  runOptions: Pick<RunOptions, 'inputs' | 'restore' | 'resumedFrom' | 'stopAfter'>;
  /** Answer every model call from these recorded events (`--replay`); `file` is the trace, for tool results kept beside it. */
  replay?: { events: RunEvent[]; source: string; file?: string };
  /** Resume: the earlier run's events and trace, so its finished tool calls are answered, never repeated. */
  recordedTools?: { events: RunEvent[]; file: string };
}

/** Runs a workflow with the shared options; returns the exit status (0 succeeded, 1 failed or cancelled). */
export async function execute(io: Io, options: Parsed['options'], execution: Execution): Promise<number> {
  const mockDelay = options['mock-delay'] === undefined ? undefined : milliseconds(String(options['mock-delay']));
  const policy = options['no-cache'] !== undefined ? 'off' : ((options.cache as string | undefined) ?? 'reuse');
  if (!CACHE_POLICIES.includes(policy as CachePolicy)) throw new UsageError(`--cache takes reuse, refresh or off, not \`${policy}\``);
  // Before the run, so a paid run is never lost to a typo in a path.
  const out = options.out === undefined ? undefined : path.resolve(io.cwd, String(options.out));
  if (out !== undefined) await checkWritable(out, String(options.out));

  const store = storeFor(io, options.traces);
  const warn = (message: string) => io.err(`warning: ${message}\n`);
  let providers: ProviderResolver;
  if (execution.replay) {
    providers = replayResolver(execution.replay.events, execution.replay.source);
  } else {
    providers = await cliProviders({ io, forceMock: options.mock === true, mockDelayMs: mockDelay });
    if (io.env.ORCHESTRATE_MOCK_CALL_LOG) providers = callLogResolver(providers, path.resolve(io.cwd, io.env.ORCHESTRATE_MOCK_CALL_LOG));
    providers = cachingResolver(providers, new CacheStore(store.cacheDir, { onWarning: warn }), policy as CachePolicy, {
      onWarning: warn,
      cacheMock: /^(1|true|yes)$/i.test(io.env.ORCHESTRATE_CACHE_MOCK ?? ''),
    });
  }

  const { workflow } = execution;
  const allowTools = allowToolsOf(options);
  const recording = recordedRun(workflow, {
    store: options.trace === false ? undefined : store,
    workflowText: execution.workflowText,
    secrets: secretsOf(io.env),
    onError: (error) => warn(`the trace stopped recording (${describeFsError(error)}); the run goes on unrecorded`),
    onUnrecorded: (error) => warn(`cannot record this run in ${displayPath(store.runsDir, io)} (${describeFsError(error)}); it runs unrecorded`),
  });
  const progress = options.quiet ? undefined : progressPrinter({ color: io.color, verbose: options.verbose === true, write: (line) => io.err(`${line}\n`) });

  const controller = new AbortController();
  const onInterrupt = () => controller.abort('interrupted (Ctrl-C)');
  const onTerminate = () => controller.abort('terminated (SIGTERM)');
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onTerminate);
  let result: RunResult;
  try {
    const tools = await headlessToolSession({
      workspaceFolder: io.cwd,
      env: io.env,
      allowTools,
      traceFile: recording.trace,
      recorded: execution.replay?.file !== undefined ? { events: execution.replay.events, file: execution.replay.file } : execution.recordedTools,
      replayOnly: execution.replay !== undefined,
      warn,
      onServerLog: io.env.ORCHESTRATE_TOOL_LOG ? (server, line) => io.err(`[${server}] ${line}\n`) : undefined,
    });
    result = await recording.run({ ...execution.runOptions, providers, loadWorkflow: loadFromDisk, signal: controller.signal, onEvent: progress, tools });
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    process.removeListener('SIGTERM', onTerminate);
  }

  const report = recording.trace ? { ...result, trace: recording.trace } : result;
  const json = JSON.stringify(report, null, 2) + '\n';
  // The outputs first: if --out fails now after all, they are not lost with it.
  if (options.json) io.out(json);
  else if (result.status === 'succeeded') printOutputs(result.outputs, io);
  // Every byte of stdout is out before stderr speaks again, so under `2>&1` the lines below never land inside the JSON.
  await io.flushOut?.();
  let status = result.status === 'succeeded' ? 0 : 1;
  if (out !== undefined) {
    try {
      await writeFile(out, json);
    } catch (error) {
      const saved = options.json ? 'the result is on stdout above' : `the full result was not saved${result.status === 'succeeded' ? ' (the outputs are above)' : ''}${recording.trace ? '; the trace has every step' : ''}`;
      io.err(`error: cannot write --out ${String(options.out)}: ${describeFsError(error)}; ${saved}\n`);
      status = 1;
    }
  }
  if (recording.trace) {
    io.err(`trace: ${displayPath(recording.trace, io)}\n`);
    if (result.status !== 'succeeded' && !execution.replay) io.err(`resume it with: orchestrate resume ${result.runId}${options.traces ? ` --traces ${options.traces}` : ''}\n`);
  }
  return status;
}

/** `--mock-delay`: milliseconds a timer can wait (up to 2³¹−1 ms, about 24 days). */
function milliseconds(text: string): number {
  const value = Number(text);
  if (!/^\d+(\.\d+)?$/.test(text.trim()) || !(value <= MAX_TIMER_MS)) {
    throw new UsageError(`--mock-delay takes a number of milliseconds from 0 to ${MAX_TIMER_MS}, not \`${text}\``);
  }
  return value;
}

const MAX_TIMER_MS = 2 ** 31 - 1;

/**
 * Fails with a {@link CliError} when `file` cannot be written: its folder cannot be made,
 * it is a folder, or the OS refuses. Leaves nothing behind (a file it had to create to
 * find out is removed again).
 */
async function checkWritable(file: string, given: string): Promise<void> {
  try {
    const existing = await stat(file).catch((error: NodeJS.ErrnoException) => {
      if (error.code === 'ENOENT') return undefined;
      throw error;
    });
    if (existing?.isDirectory()) throw Object.assign(new Error('it is a folder'), { code: 'EISDIR' });
    if (existing) {
      await (await open(file, 'r+')).close();
      return;
    }
    await mkdir(path.dirname(file), { recursive: true });
    await (await open(file, 'wx')).close();
    await unlink(file);
  } catch (error) {
    throw new CliError('out-unwritable', `--out ${given}: cannot write the result there (${describeFsError(error)}); nothing was run`, { file });
  }
}

function printOutputs(outputs: Record<string, unknown>, io: Io): void {
  const entries = Object.entries(outputs);
  if (entries.length === 0) return;
  io.out('\n');
  for (const [name, value] of entries) {
    const text = stringifyOutput(value);
    io.out(text.includes('\n') ? `${name}:\n${indent(text)}\n` : `${name}: ${text}\n`);
  }
}

function indent(text: string): string {
  return text
    .split('\n')
    .map((line) => `  ${line}`)
    .join('\n');
}
