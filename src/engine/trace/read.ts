import { promises as fs } from 'node:fs';
import { TRACE_SCHEMA_VERSION, type RunEvent, type RunEventType } from '../types';

/** What is wrong with a trace file; `code` is stable, the message says what to do. */
export type TraceErrorCode = 'trace-unreadable' | 'trace-empty' | 'trace-garbage' | 'trace-header' | 'trace-version';

export class TraceFormatError extends Error {
  constructor(
    readonly code: TraceErrorCode,
    message: string,
    readonly file: string,
    /** 1-based line of the problem, when it is about one line. */
    readonly line?: number,
  ) {
    super(message);
  }
}

export type RunStartedEvent = Extract<RunEvent, { type: 'run.started' }>;
export type RunEndEvent = Extract<RunEvent, { type: 'run.completed' | 'run.failed' | 'run.cancelled' }>;

/** Fields the trace store adds to the `run.started` line, next to the event's own. */
export interface TraceHeaderExtras {
  /** The workflow file's absolute path when the run started (the event's `workflow.file` is as given). */
  workflowPath?: string;
  /** sha256 of the workflow file's text when the run started, to tell whether it changed since. */
  workflowSha256?: string;
}

/** A trace file, read. */
export interface TraceContents {
  file: string;
  started: RunStartedEvent & TraceHeaderExtras;
  /** Every event, `run.started` first, in file order. */
  events: RunEvent[];
  /** The event that ended the run; absent when the run was still going or was killed. */
  end?: RunEndEvent;
  /** Things a reader should be told but that do not stop reading (a cut-short last line). */
  warnings: string[];
}

const KNOWN_TYPES = new Set<RunEventType>([
  'run.started',
  'step.started',
  'step.delta',
  'step.completed',
  'step.failed',
  'step.retrying',
  'step.skipped',
  'tool.started',
  'tool.completed',
  'tool.failed',
  'step.held',
  'step.released',
  'run.paused',
  'run.resumed',
  'run.completed',
  'run.failed',
  'run.cancelled',
]);

/** Reads and checks a trace file. Throws {@link TraceFormatError} with a clear message for a file it cannot use. */
export async function readTrace(file: string): Promise<TraceContents> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch (error) {
    throw new TraceFormatError('trace-unreadable', `${file}: ${unreadable((error as NodeJS.ErrnoException).code)}`, file);
  }
  return parseTrace(text, file);
}

/**
 * Parses a trace's text. A last line without its newline that is not valid JSON is
 * the mark of a process killed mid-write: it is dropped with a warning. Any other
 * line that is not an event is an error naming the line. A trace written by a newer
 * format version is refused, since its events may mean something this version does not know.
 */
export function parseTrace(text: string, file: string): TraceContents {
  const lines = text.split('\n');
  const events: RunEvent[] = [];
  const warnings: string[] = [];
  const unknownTypes = new Set<string>();
  for (let i = 0; i < lines.length; i++) {
    const line = lines[i];
    if (line.trim() === '') continue;
    const lineNo = i + 1;
    const isLast = i === lines.length - 1;
    let value: unknown;
    try {
      value = JSON.parse(line);
    } catch {
      if (isLast) {
        warnings.push(`${file}:${lineNo}: the last line is cut short (${line.length} bytes, no newline) — the run was probably stopped while writing it; that event is ignored`);
        break;
      }
      throw new TraceFormatError('trace-garbage', `${file}:${lineNo}: line ${lineNo} is not a JSON event (it starts with ${excerpt(line)}); the trace is damaged — a trace is one JSON event per line`, file, lineNo);
    }
    if (typeof value !== 'object' || value === null || Array.isArray(value) || typeof (value as { type?: unknown }).type !== 'string') {
      throw new TraceFormatError('trace-garbage', `${file}:${lineNo}: line ${lineNo} is JSON but not a run event (no \`type\`): ${excerpt(line)}`, file, lineNo);
    }
    const event = value as RunEvent;
    if (events.length === 0) checkHeader(event, file, lineNo);
    if (!KNOWN_TYPES.has(event.type)) {
      if (!unknownTypes.has(event.type)) warnings.push(`${file}:${lineNo}: unknown event type \`${event.type}\` ignored`);
      unknownTypes.add(event.type);
      continue;
    }
    events.push(event);
  }
  if (events.length === 0) throw new TraceFormatError('trace-empty', `${file}: the trace has no complete event — the run was stopped before it wrote its first line`, file);
  const last = events[events.length - 1];
  const end = last.type === 'run.completed' || last.type === 'run.failed' || last.type === 'run.cancelled' ? last : undefined;
  return { file, started: events[0] as TraceContents['started'], events, end, warnings };
}

function checkHeader(event: RunEvent, file: string, lineNo: number): void {
  const version = (event as { schemaVersion?: unknown }).schemaVersion;
  if (event.type !== 'run.started' || typeof version !== 'number') {
    throw new TraceFormatError('trace-header', `${file}:${lineNo}: a trace starts with a \`run.started\` event that has a \`schemaVersion\`, but this one starts with \`${event.type}\`; is it a trace file?`, file, lineNo);
  }
  if (version > TRACE_SCHEMA_VERSION) {
    throw new TraceFormatError(
      'trace-version',
      `${file}: this trace uses trace format v${version}, written by a newer Orchestrate; this version reads up to v${TRACE_SCHEMA_VERSION} — update Orchestrate to read it`,
      file,
      lineNo,
    );
  }
}

function unreadable(code: string | undefined): string {
  switch (code) {
    case 'ENOENT':
      return 'no such trace file';
    case 'EISDIR':
      return 'is a folder; name a trace file (`<run-id>.jsonl`) in it';
    case 'EACCES':
    case 'EPERM':
      return 'permission denied; you cannot read this trace';
    default:
      return `cannot read the trace (${code ?? 'unknown error'})`;
  }
}

function excerpt(line: string): string {
  return JSON.stringify(line.length > 40 ? `${line.slice(0, 40)}…` : line);
}
