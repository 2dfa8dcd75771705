/**
 * What `run` and `resume` share: providers behind the cache (or a replay), the
 * trace recording, live progress, Ctrl-C, and printing the result.
 */
import { mkdirSync, writeFileSync } from 'node:fs';
import * as path from 'node:path';
import { runWorkflow, stringifyOutput, type ProviderResolver, type RunEvent, type RunOptions, type RunResult, type Workflow } from '../engine';
import { CACHE_POLICIES, CacheStore, cachingResolver, type CachePolicy } from '../engine/cache';
import { replayResolver, type TraceRecorder } from '../engine/trace';
import { UsageError, type OptionSpec, type Parsed } from './args';
import { callLogResolver } from './call-log';
import { loadFromDisk } from './files';
import type { Io } from './main';
import { progressPrinter } from './progress';
import { cliProviders } from './providers';
import { displayPath, secretsOf, storeFor, TRACES_HELP, TRACES_OPTION } from './stores';

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
};

export const EXECUTE_HELP = `  -i, --input NAME=VALUE   a workflow input, or the answer to an \`input:\` step (by step id); repeatable
  --mock                   use the mock provider for every step (also ORCHESTRATE_USE_MOCK=true)
  --mock-delay MS          how long each mock reply takes (streamed), default 0
  --json                   print the whole result as JSON on stdout (progress stays on stderr)
  --out FILE               also write the whole result as JSON to FILE
  --verbose                show streamed model output as it arrives
  --quiet                  no progress lines
${TRACES_HELP}
  --no-trace               do not record this run
  --cache reuse|refresh|off
                           reuse: answer repeated model calls from the cache (default);
                           refresh: call the model and overwrite; off: no cache
  --no-cache               the same as --cache off`;

/** What to run, beyond the shared options. */
export interface Execution {
  workflow: Workflow;
  /** The workflow file's text, hashed into the trace. */
  workflowText?: string;
  /** Inputs, and for a resume the restorer, `resumedFrom` and `stopAfter`. */
  runOptions: Pick<RunOptions, 'inputs' | 'restore' | 'resumedFrom' | 'stopAfter'>;
  /** Answer every model call from these recorded events (`--replay`). */
  replay?: { events: RunEvent[]; source: string };
}

/** Runs a workflow with the shared options; returns the exit status (0 succeeded, 1 failed or cancelled). */
export async function execute(io: Io, options: Parsed['options'], execution: Execution): Promise<number> {
  const mockDelay = options['mock-delay'] === undefined ? undefined : Number(options['mock-delay']);
  if (mockDelay !== undefined && !(mockDelay >= 0)) throw new UsageError('--mock-delay takes a number of milliseconds');
  const policy = options['no-cache'] !== undefined ? 'off' : ((options.cache as string | undefined) ?? 'reuse');
  if (!CACHE_POLICIES.includes(policy as CachePolicy)) throw new UsageError(`--cache takes reuse, refresh or off, not \`${policy}\``);

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
  let recorder: TraceRecorder | undefined;
  if (options.trace !== false) {
    try {
      recorder = store.begin({
        workflowFile: workflow.file,
        workflowName: workflow.name,
        workflowText: execution.workflowText,
        secrets: secretsOf(io.env),
        onError: (error) => warn(`the trace stopped recording: ${error.message}`),
      });
    } catch (error) {
      warn(`cannot record this run in ${displayPath(store.runsDir, io)}: ${(error as Error).message}`);
    }
  }
  const progress = options.quiet ? undefined : progressPrinter({ color: io.color, verbose: options.verbose === true, write: (line) => io.err(`${line}\n`) });

  const controller = new AbortController();
  const onInterrupt = () => controller.abort('interrupted (Ctrl-C)');
  const onTerminate = () => controller.abort('terminated (SIGTERM)');
  process.once('SIGINT', onInterrupt);
  process.once('SIGTERM', onTerminate);
  let result: RunResult;
  try {
    result = await runWorkflow(workflow, {
      ...execution.runOptions,
      providers,
      loadWorkflow: loadFromDisk,
      signal: controller.signal,
      runId: recorder?.runId,
      onEvent: (event: RunEvent) => {
        recorder?.onEvent(event);
        progress?.(event);
      },
    });
  } finally {
    process.removeListener('SIGINT', onInterrupt);
    process.removeListener('SIGTERM', onTerminate);
    recorder?.close();
  }

  const report = recorder ? { ...result, trace: recorder.file } : result;
  if (options.out) {
    const out = path.resolve(io.cwd, String(options.out));
    mkdirSync(path.dirname(out), { recursive: true });
    writeFileSync(out, JSON.stringify(report, null, 2) + '\n');
  }
  if (options.json) io.out(JSON.stringify(report, null, 2) + '\n');
  else if (result.status === 'succeeded') printOutputs(result.outputs, io);
  if (recorder) {
    io.err(`trace: ${displayPath(recorder.file, io)}\n`);
    if (result.status !== 'succeeded' && !execution.replay) io.err(`resume it with: orchestrate resume ${result.runId}${options.traces ? ` --traces ${options.traces}` : ''}\n`);
  }
  return result.status === 'succeeded' ? 0 : 1;
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
