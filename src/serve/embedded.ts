/**
 * The embedded mode: runs execute in the server's own process, with no other
 * service. Nothing outlives the process: a run in flight when it dies is left
 * interrupted in its trace, and `orchestrate resume` continues it.
 */
import * as path from 'node:path';
import { newRunId, toErrorInfo, type RunEvent } from '../engine';
import { readTrace, restorerFromEvents, TraceFormatError } from '../engine/trace';
import { stepInfosOf, type StepInfo } from '../engine/state';
import type { RunBackend, StartRequest } from './backend';
import type { Executor } from './execute';
import { isRunEnd } from './redis-events';
import { checkServedFile } from './workflows';
import { RunLog, type RunRecord } from './run-log';

export class EmbeddedBackend implements RunBackend {
  readonly mode = 'embedded';
  private readonly log = new RunLog();
  private readonly controllers = new Map<string, AbortController>();
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly executor: Executor) {}

  /** A run this server no longer holds (started before a restart, or by `orchestrate run`), read from its trace. */
  private async fromTrace(id: string): Promise<RunRecord | undefined> {
    const { store, root } = this.executor.options;
    try {
      const summary = (await store.listRuns()).find((run) => run.id === id);
      if (!summary) return undefined;
      const trace = await readTrace(summary.file);
      const file = trace.started.workflowPath ?? summary.workflowFile;
      const relative = path.relative(root, file).split(path.sep).join('/');
      const record = this.log.create(id, relative, trace.started.time, stepsOf(root, file));
      for (const event of trace.events) record.add(event);
      record.markInterrupted();
      return record;
    } catch (error) {
      if (error instanceof TraceFormatError) return undefined;
      throw error;
    }
  }

  async start(request: StartRequest): Promise<RunRecord> {
    if (this.closed) throw new Error('the server is shutting down');
    const id = newRunId(Date.now());
    const record = this.log.create(id, request.served.name, Date.now(), stepInfosOf(request.served.workflow));
    const controller = new AbortController();
    this.controllers.set(id, controller);
    let end: RunEvent | undefined;
    const run: Promise<unknown> = this.executor
      .execute({
        served: request.served,
        inputs: request.inputs,
        runId: id,
        restore: request.resumeOf ? restorerFromEvents(request.resumeOf.events, request.served.workflow) : undefined,
        resumedFrom: request.resumeOf?.id,
        signal: controller.signal,
        onEvent: (event: RunEvent) => {
          // The run's end is shown once its trace is closed, so a client that saw the end can read the whole trace.
          if (isRunEnd(event)) end = event;
          else if (event.type !== 'step.delta') record.add(event);
        },
      })
      .then(() => {
        if (end) record.add(end);
      })
      .catch((error: unknown) => {
        // The engine never throws for a workflow's failure; this is a bug or a broken disk: end the run visibly.
        if (!record.ended) record.add({ type: 'run.failed', runId: id, seq: record.events.length + 1, time: Date.now(), error: toErrorInfo(error), durationMs: 0, usage: { inputTokens: 0, outputTokens: 0, totalTokens: 0 } });
      })
      .finally(() => {
        this.controllers.delete(id);
        this.running.delete(run);
      });
    this.running.add(run);
    return record;
  }

  async find(id: string): Promise<RunRecord | undefined> {
    return this.log.get(id) ?? this.fromTrace(id);
  }

  async list(limit: number): Promise<RunRecord[]> {
    return this.log.list().slice(0, limit);
  }

  async cancel(id: string): Promise<boolean> {
    const controller = this.controllers.get(id);
    if (!controller) return false;
    controller.abort('cancelled through the API');
    return true;
  }

  async close(options: { cancel?: boolean } = {}): Promise<void> {
    this.closed = true;
    if (options.cancel) for (const controller of this.controllers.values()) controller.abort('the server is shutting down');
    await Promise.all([...this.running]);
  }
}

/** The steps of the workflow a trace ran, when the file is still there and valid, so steps it never reached show as pending. */
function stepsOf(root: string, file: string): readonly StepInfo[] {
  try {
    return stepInfosOf(checkServedFile(root, file).workflow);
  } catch {
    return [];
  }
}
