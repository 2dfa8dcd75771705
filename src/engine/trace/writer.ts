import * as fs from 'node:fs';
import * as path from 'node:path';
import { promisify } from 'node:util';
import type { RunEvent, RunEventType } from '../types';
import { redactEvent } from './redact';

const write = promisify(fs.write);
const fsync = promisify(fs.fsync);
const close = promisify(fs.close);

/**
 * How hard the writer pushes lines to the disk. Lines are always written in the
 * background (never blocking the caller, which may be the editor's extension host):
 * every event is queued and the queue is written in one `write(2)` as soon as the
 * previous write returns, so lines that arrive together share a write.
 * - `step`: after a write that holds a step boundary (a step's or the run's start or
 *   end), the file is fsync'd, so that together with {@link TraceWriter.durable}
 *   (which model calls wait on, see `recorded-run.ts`) an OS crash or a power cut
 *   loses at most the step in flight.
 * - `none`: no fsync; the OS decides when written lines reach the disk.
 */
export type TraceSync = 'step' | 'none';

export interface TraceWriterOptions {
  sync?: TraceSync;
  /** Strings redacted from error messages before they are written (API keys in use). */
  secrets?: readonly string[];
  /** Fields the trace store adds to the `run.started` line (see docs/trace-format.md). */
  header?: Record<string, unknown>;
  /** Told once when a write fails (a full disk); the writer then drops further events. */
  onError?: (error: Error) => void;
}

/** Events that end a step or a run: the points where the file is made durable. */
const BOUNDARIES = new Set<RunEventType>(['run.started', 'step.completed', 'step.failed', 'step.skipped', 'tool.completed', 'run.completed', 'run.failed', 'run.cancelled']);

interface Waiter {
  upTo: number;
  resolve: () => void;
}

/**
 * Appends one run's events to its JSONL file, one event a line. `step.delta` events
 * are not written: the streamed text is in `step.completed.output` (or
 * `step.failed.partialOutput`), and a line per streamed word would multiply the file's size.
 */
export class TraceWriter {
  private fd: number | undefined;
  private queue: string[] = [];
  /** Lines handed to `write` so far (queued or written), and the last boundary among them. */
  private enqueued = 0;
  private lastBoundary = 0;
  /** Lines known to be on the disk (fsync'd, or written when `sync: 'none'`). */
  private settled = 0;
  private waiters: Waiter[] = [];
  private draining: Promise<void> | undefined;
  private closing: Promise<void> | undefined;
  private failed = false;

  private constructor(
    /** The trace file. */
    readonly file: string,
    fd: number,
    private readonly options: TraceWriterOptions,
  ) {
    this.fd = fd;
  }

  /**
   * Creates the file; fails with `EEXIST` if it exists, so two runs can never share a
   * file even if their ids collided. Synchronous, once per run, so that the caller has
   * the run's file before the run starts.
   */
  static create(file: string, options: TraceWriterOptions = {}): TraceWriter {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    return new TraceWriter(file, fs.openSync(file, 'wx'), options);
  }

  /** Queues one event (ignored once closing or failed, so a late event cannot throw into the runner). */
  write(event: RunEvent): void {
    if (this.closing || this.failed || event.type === 'step.delta') return;
    let record: RunEvent | Record<string, unknown> = redactEvent(event, this.options.secrets);
    if (event.type === 'run.started' && this.options.header) record = { ...record, ...this.options.header };
    this.queue.push(serialize(record) + '\n');
    this.enqueued++;
    if (BOUNDARIES.has(event.type)) this.lastBoundary = this.enqueued;
    this.draining ??= this.drain();
  }

  /**
   * Resolves once every step boundary queued so far is on the disk (or the writer
   * failed or closed: a broken trace must not stop the run). Cheap when nothing is owed.
   */
  durable(): Promise<void> {
    const upTo = this.lastBoundary;
    if (upTo <= this.settled || this.failed || this.fd === undefined) return Promise.resolve();
    return new Promise((resolve) => this.waiters.push({ upTo, resolve }));
  }

  /** Writes what is queued, fsyncs, and closes the file. Safe to call more than once. */
  close(): Promise<void> {
    this.closing ??= (async () => {
      await this.draining;
      const fd = this.fd;
      this.fd = undefined;
      this.release(Infinity);
      if (fd !== undefined) await close(fd).catch((error: Error) => this.fail(error));
    })();
    return this.closing;
  }

  private async drain(): Promise<void> {
    try {
      while (this.queue.length > 0 && !this.failed && this.fd !== undefined) {
        const chunk = Buffer.from(this.queue.join(''));
        this.queue = [];
        const upTo = this.enqueued;
        const boundary = this.lastBoundary > this.settled;
        await writeAll(this.fd, chunk);
        if (boundary && this.options.sync !== 'none') await fsync(this.fd);
        this.release(upTo);
      }
    } catch (error) {
      this.fail(error as Error);
    } finally {
      this.draining = undefined;
    }
  }

  private release(upTo: number): void {
    this.settled = Math.max(this.settled, upTo);
    const waiting = this.waiters;
    this.waiters = [];
    for (const waiter of waiting) {
      if (waiter.upTo <= this.settled) waiter.resolve();
      else this.waiters.push(waiter);
    }
  }

  private fail(error: Error): void {
    if (this.failed) return;
    this.failed = true;
    this.queue = [];
    this.release(Infinity);
    this.options.onError?.(error);
  }
}

function serialize(value: unknown): string {
  try {
    return JSON.stringify(value);
  } catch {
    // A BigInt that escaped CEL would make the whole line throw; keep the line, number it.
    return JSON.stringify(value, (_key, v: unknown) => (typeof v === 'bigint' ? (Number.isSafeInteger(Number(v)) ? Number(v) : v.toString()) : v));
  }
}

/** `write(2)` may write less than asked; loop so a line is never cut short by us. */
async function writeAll(fd: number, buffer: Buffer): Promise<void> {
  let offset = 0;
  while (offset < buffer.length) offset += (await write(fd, buffer, offset, buffer.length - offset)).bytesWritten;
}
