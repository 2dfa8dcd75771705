import * as fs from 'node:fs';
import * as path from 'node:path';
import type { RunEvent, RunEventType } from '../types';
import { redactEvent } from './redact';

/**
 * How hard the writer pushes lines to the disk:
 * - `step`: every line is written with one `write(2)` as its event happens, and the
 *   file is fsync'd at each step boundary and at the run's start and end, so even an
 *   OS crash or a power cut loses at most the step in flight.
 * - `none`: every line is still written at once (a killed process loses nothing that
 *   was written), but the OS decides when it reaches the disk.
 */
export type TraceSync = 'step' | 'none';

export interface TraceWriterOptions {
  sync?: TraceSync;
  /** Strings redacted from error messages before they are written (API keys in use). */
  secrets?: readonly string[];
  /** Fields the trace store adds to the `run.started` line (see docs/trace-format.md). */
  header?: Record<string, unknown>;
}

/** Events that end a step or a run: the points where the file is made durable. */
const BOUNDARIES = new Set<RunEventType>(['run.started', 'step.completed', 'step.failed', 'step.skipped', 'run.completed', 'run.failed', 'run.cancelled']);

/**
 * Appends one run's events to its JSONL file, one event a line. `step.delta` events
 * are not written: the streamed text is in `step.completed.output` (or
 * `step.failed.partialOutput`), and a line per streamed word would multiply the file's size.
 */
export class TraceWriter {
  private fd: number | undefined;

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
   * file even if their ids collided.
   */
  static create(file: string, options: TraceWriterOptions = {}): TraceWriter {
    fs.mkdirSync(path.dirname(file), { recursive: true });
    return new TraceWriter(file, fs.openSync(file, 'wx'), options);
  }

  /** Writes one event (ignored once closed, so a late event cannot throw into the runner). */
  write(event: RunEvent): void {
    if (this.fd === undefined || event.type === 'step.delta') return;
    let record: RunEvent | Record<string, unknown> = redactEvent(event, this.options.secrets);
    if (event.type === 'run.started' && this.options.header) record = { ...record, ...this.options.header };
    writeAll(this.fd, Buffer.from(serialize(record) + '\n'));
    if (this.options.sync !== 'none' && BOUNDARIES.has(event.type)) fs.fsyncSync(this.fd);
  }

  close(): void {
    if (this.fd === undefined) return;
    fs.closeSync(this.fd);
    this.fd = undefined;
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
function writeAll(fd: number, buffer: Buffer): void {
  let offset = 0;
  while (offset < buffer.length) offset += fs.writeSync(fd, buffer, offset, buffer.length - offset);
}
