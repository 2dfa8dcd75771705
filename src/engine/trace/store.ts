import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { systemIds, type IdSource } from '../ids';
import type { Clock, RunEvent } from '../types';
import { redactEvent } from './redact';
import { appendIndexAsync, endLineOf, listIndexedRuns, type IndexEnd, type IndexStart, type ListOptions, type RunSummary } from './run-index';
import { workflowSlug } from './slug';
import { TraceWriter, type TraceSync } from './writer';

/** The folder the CLI and the editor keep runs and the cache in, under the workspace. */
export const DEFAULT_ROOT = '.orchestrate';

export interface BeginOptions {
  /** The workflow file as the run names it; its absolute path goes in the trace and the index. */
  workflowFile: string;
  workflowName: string;
  /** The file's text, hashed into the trace so a resume can tell whether the workflow changed. */
  workflowText?: string;
  /** Strings redacted from error messages (the API keys in use). */
  secrets?: readonly string[];
  sync?: TraceSync;
  /** Told once when the trace cannot be written (a full disk); the run goes on without it. */
  onError?: (error: Error) => void;
}

/** Where a store takes the time and the ids of the runs it begins; injected in tests. */
export interface TraceStoreOptions {
  ids?: IdSource;
  clock?: Pick<Clock, 'now'>;
}

/**
 * Where runs are kept: `<root>/runs/<workflow-slug>/<run-id>.jsonl`, one file per
 * run, plus `<root>/runs/index.jsonl` for listing (docs/trace-format.md).
 */
export class TraceStore {
  /** `<root>/runs`. */
  readonly runsDir: string;
  /** `<root>/runs/index.jsonl`. */
  readonly indexFile: string;
  /** `<root>/cache`, where the model-call cache lives next to the runs. */
  readonly cacheDir: string;

  constructor(
    /** The store's root, `.orchestrate` in the workspace by default. */
    readonly root: string,
    private readonly sources: TraceStoreOptions = {},
  ) {
    this.runsDir = path.join(root, 'runs');
    this.indexFile = path.join(this.runsDir, 'index.jsonl');
    this.cacheDir = path.join(root, 'cache');
  }

  /**
   * Starts recording a run: reserves a fresh run id and its file. Pass `recorder.runId`
   * as the run's `runId` and `recorder.onEvent` as (or inside) its `onEvent`, and
   * await `recorder.close()` after the run — or let `recordedRun()` do all three.
   */
  begin(options: BeginOptions): TraceRecorder {
    const slug = workflowSlug(options.workflowFile, options.workflowName);
    const header: Record<string, unknown> = { workflowPath: path.resolve(options.workflowFile) };
    if (options.workflowText !== undefined) header.workflowSha256 = sha256(options.workflowText);
    const ids = this.sources.ids ?? systemIds;
    const now = this.sources.clock?.now() ?? Date.now();
    for (let tries = 0; ; tries++) {
      const runId = ids.runId(now);
      const file = path.join(this.runsDir, slug, `${runId}.jsonl`);
      try {
        // A failed background write is reported through the recorder that owns the writer.
        const owner: { recorder?: TraceRecorder } = {};
        const writer = TraceWriter.create(file, { sync: options.sync, secrets: options.secrets, header, onError: (error) => owner.recorder?.fail(error) });
        owner.recorder = new TraceRecorder(runId, writer, this.indexFile, `${slug}/${runId}.jsonl`, options);
        return owner.recorder;
      } catch (error) {
        // Two runs started in the same millisecond drew the same suffix: draw again.
        if ((error as NodeJS.ErrnoException).code !== 'EEXIST' || tries >= 8) throw error;
      }
    }
  }

  /** Runs, newest first, from the index (repaired from the traces when it is missing or behind). */
  listRuns(options: ListOptions = {}): Promise<RunSummary[]> {
    return listIndexedRuns(this.runsDir, this.indexFile, options);
  }

  /** A run by its id, or by a prefix of it that names one run only. */
  async findRun(idOrPrefix: string): Promise<RunSummary | undefined> {
    const runs = await this.listRuns();
    const exact = runs.find((run) => run.id === idOrPrefix);
    if (exact) return exact;
    const matches = runs.filter((run) => run.id.startsWith(idOrPrefix));
    if (matches.length > 1) throw new Error(`\`${idOrPrefix}\` matches ${matches.length} runs (${matches.slice(0, 3).map((r) => r.id).join(', ')}…); give more of the id`);
    return matches[0];
  }
}

/** Records one run: its trace file, and its start and end in the index. */
export class TraceRecorder {
  private failed = false;
  /** Index appends, one after another, so `close()` can wait for them. */
  private indexing: Promise<void> = Promise.resolve();

  constructor(
    /** The id the run must use. */
    readonly runId: string,
    private readonly writer: TraceWriter,
    private readonly indexFile: string,
    private readonly relativeFile: string,
    private readonly options: BeginOptions,
  ) {}

  /** The trace file's path. */
  get file(): string {
    return this.writer.file;
  }

  /**
   * Queues an event for writing; never throws into the runner and never waits for the
   * disk (a write error is reported once through `onError`, then recording stops).
   */
  readonly onEvent = (event: RunEvent): void => {
    if (this.failed) return;
    try {
      if (event.type === 'run.started' && event.runId !== this.runId) {
        throw new Error(`the run's id \`${event.runId}\` is not the recorder's \`${this.runId}\`: pass runId: recorder.runId to runWorkflow`);
      }
      this.writer.write(event);
      if (event.type === 'run.started') {
        const start: IndexStart = {
          op: 'start',
          id: this.runId,
          workflow: event.workflow.name,
          workflowFile: path.resolve(this.options.workflowFile),
          file: this.relativeFile,
          startedAt: event.time,
          resumedFrom: event.resumedFrom,
          pid: process.pid,
          host: os.hostname(),
        };
        this.appendIndex(start);
      }
      // The end line quotes the run's error, so it is redacted like the trace.
      const end = endLineOf(redactEvent(event, this.options.secrets));
      if (end) {
        this.appendIndex(end);
        void this.writer.close();
      }
    } catch (error) {
      this.fail(error as Error);
    }
  };

  /**
   * Resolves once every finished step's lines are on the disk. Model calls wait on it
   * (`recordedRun()`), so a crash never loses a step whose reply was paid for, other
   * than the one in flight.
   */
  durable(): Promise<void> {
    return this.writer.durable();
  }

  /** Writes what is left and closes the file (also begun by the run's last event); resolves when done. */
  async close(): Promise<void> {
    await this.writer.close();
    await this.indexing;
  }

  /** @internal The writer's error reporter: stops recording and tells `onError` once. */
  fail(error: Error): void {
    if (this.failed) return;
    this.failed = true;
    void this.writer.close();
    this.options.onError?.(error);
  }

  private appendIndex(line: IndexStart | IndexEnd): void {
    this.indexing = this.indexing.then(() => appendIndexAsync(this.indexFile, [line])).catch((error: Error) => this.fail(error));
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
