/**
 * Runs one served workflow the way `orchestrate run` does: the same providers
 * (keys from the environment or `.env`, the mock when none), the model-call cache,
 * and a trace in the same format under the same store, so `orchestrate runs`,
 * `trace` and `resume` work on served runs too.
 */
import { createHash } from 'node:crypto';
import * as path from 'node:path';
import { runWorkflow, type ProviderResolver, type Restorer, type RunEvent, type RunResult } from '../engine';
import { CacheStore, cachingResolver, type CachePolicy } from '../engine/cache';
import { TraceRecorder, TraceStore, TraceWriter, workflowSlug } from '../engine/trace';
import { loadFromDisk } from '../cli/files';
import { cliProviders } from '../cli/providers';
import { secretsOf } from '../cli/stores';
import type { ServedWorkflow } from './workflows';

export interface ExecutorOptions {
  /** The served folder: `.env` and `orchestrate.config.json` are read from it. */
  root: string;
  /** Where runs and the cache are kept (default `<root>/.orchestrate`). */
  store: TraceStore;
  env: Record<string, string | undefined>;
  mock: boolean;
  mockDelayMs?: number;
  cache: CachePolicy;
  /** Wraps the providers before the cache (the shared rate limit of workers). */
  wrapProviders?: (providers: ProviderResolver) => ProviderResolver;
  warn: (message: string) => void;
}

export interface ExecuteRequest {
  served: ServedWorkflow;
  inputs: Record<string, unknown>;
  /** The id the run and its trace take. */
  runId: string;
  restore?: Restorer;
  resumedFrom?: string;
  signal: AbortSignal;
  onEvent: (event: RunEvent) => void;
}

export class Executor {
  private providers?: Promise<ProviderResolver>;

  constructor(readonly options: ExecutorOptions) {}

  async execute(request: ExecuteRequest): Promise<RunResult> {
    const providers = await (this.providers ??= this.createProviders());
    const { served } = request;
    let recorder: TraceRecorder | undefined;
    let runId = request.runId;
    const begin = {
      workflowFile: served.file,
      workflowName: served.workflow.name,
      workflowText: served.text,
      secrets: secretsOf(this.options.env),
      onError: (error: Error) => this.options.warn(`the trace of run ${runId} stopped recording: ${error.message}`),
    };
    try {
      try {
        recorder = beginWithId(this.options.store, runId, begin);
      } catch (error) {
        // A delivery that died before its first event left this id's file behind: record under a fresh id.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST') throw error;
        recorder = this.options.store.begin(begin);
        runId = recorder.runId;
      }
    } catch (error) {
      this.options.warn(`cannot record run ${runId}: ${(error as Error).message}`);
    }
    try {
      return await runWorkflow(served.workflow, {
        inputs: request.inputs,
        providers,
        loadWorkflow: loadFromDisk,
        signal: request.signal,
        runId,
        restore: request.restore,
        resumedFrom: request.resumedFrom,
        onEvent: (event) => {
          recorder?.onEvent(event);
          request.onEvent(event);
        },
      });
    } finally {
      recorder?.close();
    }
  }

  private async createProviders(): Promise<ProviderResolver> {
    const { options } = this;
    const io = { out: () => undefined, err: (text: string) => options.warn(text.replace(/^note: /, '').trimEnd()), color: false, env: options.env, cwd: options.root };
    let providers = await cliProviders({ io, forceMock: options.mock, mockDelayMs: options.mockDelayMs });
    if (options.wrapProviders) providers = options.wrapProviders(providers);
    const warn = options.warn;
    return cachingResolver(providers, new CacheStore(options.store.cacheDir, { onWarning: warn }), options.cache, {
      onWarning: warn,
      cacheMock: /^(1|true|yes)$/i.test(options.env.ORCHESTRATE_CACHE_MOCK ?? ''),
    });
  }
}

/**
 * Like `TraceStore.begin`, but with the run id the API already gave out, so the id
 * a client holds is the id in the trace and in `orchestrate runs`.
 */
function beginWithId(store: TraceStore, runId: string, options: Parameters<TraceStore['begin']>[0]): TraceRecorder {
  const slug = workflowSlug(options.workflowFile, options.workflowName);
  const header: Record<string, unknown> = { workflowPath: path.resolve(options.workflowFile) };
  if (options.workflowText !== undefined) header.workflowSha256 = sha256(options.workflowText);
  const file = path.join(store.runsDir, slug, `${runId}.jsonl`);
  const writer = TraceWriter.create(file, { sync: options.sync, secrets: options.secrets, header });
  return new TraceRecorder(runId, writer, store.indexFile, `${slug}/${runId}.jsonl`, options);
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
