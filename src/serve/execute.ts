/**
 * Runs one served workflow the way `orchestrate run` does: the same providers
 * (keys from the environment or `.env`, the mock when none), the model-call cache,
 * and a trace in the same format under the same store, so `orchestrate runs`,
 * `trace` and `resume` work on served runs too.
 */
import type { ProviderResolver, Restorer, RunEvent, RunResult } from '../engine';
import { systemIds, type IdSource } from '../engine/ids';
import { CacheStore, cachingResolver, type CachePolicy } from '../engine/cache';
import { recordedRun, TraceStore } from '../engine/trace';
import { headlessToolSession } from '../engine/run/headless-tools';
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
  /** `--allow-tools`: tools that run without consent (nobody is asked in a served run). */
  allowTools?: readonly string[];
  warn: (message: string) => void;
}

export interface ExecuteRequest {
  served: ServedWorkflow;
  inputs: Record<string, unknown>;
  /** The id the run and its trace take. */
  runId: string;
  restore?: Restorer;
  resumedFrom?: string;
  /** The events of the delivery this run continues: its finished tool calls are answered, never repeated. */
  recordedTools?: RunEvent[];
  signal: AbortSignal;
  onEvent: (event: RunEvent) => void;
}

export class Executor {
  private providers?: Promise<ProviderResolver>;

  constructor(readonly options: ExecutorOptions) {}

  /** Runs it; resolves once the run has ended and its trace is closed. */
  async execute(request: ExecuteRequest): Promise<RunResult & { runId: string }> {
    const providers = await (this.providers ??= this.createProviders());
    const { served } = request;
    const warn = this.options.warn;
    // The id the API gave out is the trace's; a delivery that died before its first event left that id's file behind, so a retry draws a fresh one.
    let given = false;
    const ids: IdSource = { runId: (now) => (given ? systemIds.runId(now) : ((given = true), request.runId)) };
    const recorded = recordedRun(served.workflow, {
      store: new TraceStore(this.options.store.root, { ids }),
      workflowText: served.text,
      secrets: secretsOf(this.options.env),
      onError: (error) => warn(`the trace of run ${request.runId} stopped recording: ${error.message}`),
      onUnrecorded: (error) => warn(`cannot record run ${request.runId}: ${error.message}`),
    });
    const tools = await headlessToolSession({
      workspaceFolder: this.options.root,
      env: this.options.env,
      allowTools: this.options.allowTools,
      traceFile: recorded.trace,
      ...(request.recordedTools ? { recorded: { events: request.recordedTools, file: recorded.trace } } : {}),
      warn,
    });
    const result = await recorded.run({
      tools,
      inputs: request.inputs,
      providers,
      loadWorkflow: loadFromDisk,
      signal: request.signal,
      restore: request.restore,
      resumedFrom: request.resumedFrom,
      onEvent: request.onEvent,
    });
    return { ...result, runId: recorded.runId };
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
