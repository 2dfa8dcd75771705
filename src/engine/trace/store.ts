import { createHash } from 'node:crypto';
import * as os from 'node:os';
import * as path from 'node:path';
import { newRunId } from '../run';
import type { RunEvent } from '../types';
import { redactEvent } from './redact';
import { appendIndex, endLineOf, listIndexedRuns, type IndexStart, type ListOptions, type RunSummary } from './run-index';
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
  ) {
    this.runsDir = path.join(root, 'runs');
    this.indexFile = path.join(this.runsDir, 'index.jsonl');
    this.cacheDir = path.join(root, 'cache');
  }

  /**
   * Starts recording a run: reserves a fresh run id and its file. Pass `recorder.runId`
   * as the run's `runId` and `recorder.onEvent` as (or inside) its `onEvent`.
   */
  begin(options: BeginOptions): TraceRecorder {
    const slug = workflowSlug(options.workflowFile, options.workflowName);
    const header: Record<string, unknown> = { workflowPath: path.resolve(options.workflowFile) };
    if (options.workflowText !== undefined) header.workflowSha256 = sha256(options.workflowText);
    for (let tries = 0; ; tries++) {
      const runId = newRunId(Date.now());
      const file = path.join(this.runsDir, slug, `${runId}.jsonl`);
      try {
        const writer = TraceWriter.create(file, { sync: options.sync, secrets: options.secrets, header });
        return new TraceRecorder(runId, writer, this.indexFile, `${slug}/${runId}.jsonl`, options);
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

  /** Writes an event; never throws into the runner (a write error is reported once, then recording stops). */
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
        appendIndex(this.indexFile, [start]);
      }
      // The end line quotes the run's error, so it is redacted like the trace.
      const end = endLineOf(redactEvent(event, this.options.secrets));
      if (end) {
        appendIndex(this.indexFile, [end]);
        this.writer.close();
      }
    } catch (error) {
      this.failed = true;
      this.writer.close();
      this.options.onError?.(error as Error);
    }
  };

  /** Closes the file (also done by the run's last event). */
  close(): void {
    this.writer.close();
  }
}

function sha256(text: string): string {
  return createHash('sha256').update(text).digest('hex');
}
