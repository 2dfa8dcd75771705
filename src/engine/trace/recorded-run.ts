import { systemIds, type IdSource } from '../ids';
import { runWorkflow, type RunOptions } from '../run';
import type { ModelRequest, ModelResponse, Provider, ProviderResolver, RunEvent, RunResult, Workflow } from '../types';
import type { BeginOptions, TraceRecorder, TraceStore } from './store';

export interface RecordingOptions extends Omit<BeginOptions, 'workflowFile' | 'workflowName'> {
  /** Where to record; `undefined` runs unrecorded (`--no-trace`, no workspace folder). */
  store: TraceStore | undefined;
  /**
   * Told when the trace cannot even be created (an unwritable folder); the run then
   * goes on unrecorded. Without it, `recordedRun` throws that error.
   */
  onUnrecorded?: (error: Error) => void;
  /** The id source for an unrecorded run's id (a recorded run takes the store's). */
  ids?: IdSource;
  /** The time an unrecorded run's id is drawn at. */
  now?: () => number;
}

/** A run about to start: its id and trace file are known before it runs. */
export interface RecordedRun {
  readonly runId: string;
  /** The trace file, when the run is recorded. */
  readonly trace: string | undefined;
  /**
   * Runs the workflow with this id, every event written to the trace (and passed on to
   * `options.onEvent`), model calls held until the steps before them are on the disk;
   * resolves once the trace is closed.
   */
  run(options: Omit<RunOptions, 'runId'>): Promise<RunResult>;
}

/**
 * "Start a recorder, pass it every event, close it", in one place for the CLI, resume
 * and the editor. Begins the trace at once, so the caller can show the run's id and
 * file before it starts.
 */
export function recordedRun(workflow: Workflow, options: RecordingOptions): RecordedRun {
  const { store, onUnrecorded, ids, now, ...begin } = options;
  let recorder: TraceRecorder | undefined;
  if (store) {
    try {
      recorder = store.begin({ ...begin, workflowFile: workflow.file, workflowName: workflow.name });
    } catch (error) {
      if (!onUnrecorded) throw error;
      onUnrecorded(error as Error);
    }
  }
  const runId = recorder?.runId ?? (ids ?? systemIds).runId(now?.() ?? Date.now());
  let started = false;
  return {
    runId,
    trace: recorder?.file,
    async run(runOptions) {
      if (started) throw new Error('a recorded run runs once');
      started = true;
      const onEvent = runOptions.onEvent;
      try {
        return await runWorkflow(workflow, {
          ...runOptions,
          runId,
          providers: recorder ? durableFirst(runOptions.providers, recorder) : runOptions.providers,
          onEvent: (event: RunEvent) => {
            recorder?.onEvent(event);
            onEvent?.(event);
          },
        });
      } finally {
        await recorder?.close();
      }
    },
  };
}

/**
 * Providers whose calls start only once the trace holds every step finished before
 * them: with writes in the background, this is what keeps a crash from losing a
 * step that was paid for other than the one in flight (docs/trace-format.md).
 */
function durableFirst(providers: ProviderResolver, recorder: TraceRecorder): ProviderResolver {
  const wrapped = new WeakMap<Provider, Provider>();
  return {
    resolve(name: string): Provider {
      const inner = providers.resolve(name);
      let provider = wrapped.get(inner);
      if (!provider) {
        provider = {
          id: inner.id,
          async complete(request: ModelRequest): Promise<ModelResponse> {
            await recorder.durable();
            return inner.complete(request);
          },
        };
        wrapped.set(inner, provider);
      }
      return provider;
    },
  };
}
