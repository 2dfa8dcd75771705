/**
 * The embedded mode: runs execute in the server's own process, with no other
 * service. Nothing outlives the process: a run in flight when it dies is left
 * interrupted in its trace, and `orchestrate resume` continues it.
 */
import * as path from 'node:path';
import { newRunId, toErrorInfo, type RunEvent } from '../engine';
import { readTrace, restorerFromEvents, TraceFormatError, type RunSummary } from '../engine/trace';
import { stepInfosOf, type StepInfo } from '../engine/state';
import type { RunBackend, StartRequest } from './backend';
import type { Executor } from './execute';
import { isRunEnd } from './redis-events';
import { checkServedFile } from './workflows';
import { RunLog, type RunRecord } from './run-log';
import { comesBefore, type ListPosition, type ListQuery, type RunPage } from './run-list';
import type { ServedRunStatus } from './run-state';

export class EmbeddedBackend implements RunBackend {
  readonly mode = 'embedded';
  private readonly log = new RunLog();
  private readonly controllers = new Map<string, AbortController>();
  private readonly running = new Set<Promise<unknown>>();
  private closed = false;

  constructor(private readonly executor: Executor) {}

  /** A run this server no longer holds (started before a restart, or by `orchestrate run`), read from its trace. */
  private async fromTrace(id: string): Promise<RunRecord | undefined> {
    const summary = (await this.executor.options.store.listRuns()).find((run) => run.id === id);
    return summary ? this.fromSummary(summary) : undefined;
  }

  private async fromSummary(summary: RunSummary): Promise<RunRecord | undefined> {
    const { root } = this.executor.options;
    try {
      const trace = await readTrace(summary.file);
      const file = trace.started.workflowPath ?? summary.workflowFile;
      const relative = path.relative(root, file).split(path.sep).join('/');
      const record = this.log.create(summary.id, relative, trace.started.time, stepsOf(root, file));
      for (const event of trace.events) record.add(event);
      // Without an end, the trace's process died, unless it is still alive (an `orchestrate run` writing it now).
      if (summary.status !== 'running') record.markInterrupted();
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
          else if (event.type === 'step.delta') record.addDelta(event);
          else record.add(event);
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

  /** The runs in the trace store (this server's, earlier servers', `orchestrate run`'s), with this server's runs not yet recorded. */
  async list(query: ListQuery): Promise<RunPage> {
    const listed = new Map<string, { position: ListPosition; status: ServedRunStatus; summary?: RunSummary }>();
    for (const summary of await this.executor.options.store.listRuns()) {
      listed.set(summary.id, { position: { at: summary.startedAt, id: summary.id }, status: summary.status, summary });
    }
    for (const record of this.log.list()) {
      listed.set(record.id, { position: { at: record.runState.startedAt ?? record.createdAt, id: record.id }, status: record.state.status, summary: listed.get(record.id)?.summary });
    }
    const matching = [...listed.values()]
      .filter((entry) => (!query.after || comesBefore(query.after, entry.position)) && (!query.statuses || query.statuses.has(entry.status)))
      .sort((a, b) => (comesBefore(a.position, b.position) ? -1 : 1));
    const page = matching.slice(0, query.limit);
    const runs: RunRecord[] = [];
    for (const entry of page) {
      const record = this.log.get(entry.position.id) ?? (entry.summary ? await this.fromSummary(entry.summary) : undefined);
      if (record) runs.push(record);
    }
    return { runs, ...(matching.length > page.length ? { next: page.at(-1)!.position } : {}) };
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
