/**
 * The runs index: `<root>/runs/index.jsonl`, an append-only list of run starts and
 * ends, so listing 5,000 runs reads one small file instead of 5,000 traces.
 *
 * The index is a cache of the traces, never the truth: a trace with no index line
 * (the index deleted, an append lost to a crash, a trace copied in) is scanned and
 * its lines appended; an index line whose trace is gone is dropped. Appends are one
 * `write(2)` on a file opened with `O_APPEND`, so concurrent runs interleave whole lines.
 */
import * as fs from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import type { RunEvent } from '../types';

/** How a listed run stands. `interrupted`: it has no end and its process is gone (killed, crashed). */
export type ListedRunStatus = 'running' | 'succeeded' | 'failed' | 'cancelled' | 'interrupted';

/** One run as the runs list shows it. */
export interface RunSummary {
  id: string;
  /** The workflow's `name`. */
  workflow: string;
  /** The workflow file's absolute path. */
  workflowFile: string;
  /** The trace file's absolute path. */
  file: string;
  status: ListedRunStatus;
  /** Milliseconds since the epoch. */
  startedAt: number;
  durationMs?: number;
  tokens?: number;
  costUsd?: number;
  /** The run this one continues. */
  resumedFrom?: string;
  /** Why it failed or was cancelled, first line. */
  error?: string;
}

export interface IndexStart {
  op: 'start';
  id: string;
  workflow: string;
  workflowFile: string;
  /** The trace, relative to the runs folder, `/`-separated, so the folder can move. */
  file: string;
  startedAt: number;
  resumedFrom?: string;
  pid?: number;
  host?: string;
}

export interface IndexEnd {
  op: 'end';
  id: string;
  status: Exclude<ListedRunStatus, 'running'>;
  durationMs?: number;
  tokens?: number;
  costUsd?: number;
  error?: string;
}

export type IndexLine = IndexStart | IndexEnd;

/** Appends lines with a single write on an `O_APPEND` descriptor. */
export async function appendIndexAsync(indexFile: string, lines: IndexLine[]): Promise<void> {
  if (lines.length === 0) return;
  await fs.promises.mkdir(path.dirname(indexFile), { recursive: true });
  const handle = await fs.promises.open(indexFile, 'a');
  try {
    await handle.write(lines.map((line) => JSON.stringify(line)).join('\n') + '\n');
  } finally {
    await handle.close();
  }
}

/** The end line for a run's last event, or `undefined` when the event does not end a run. */
export function endLineOf(event: RunEvent): IndexEnd | undefined {
  switch (event.type) {
    case 'run.completed':
      return { op: 'end', id: event.runId, status: 'succeeded', durationMs: event.durationMs, tokens: event.usage.totalTokens, costUsd: event.costUsd };
    case 'run.failed':
      return { op: 'end', id: event.runId, status: 'failed', durationMs: event.durationMs, tokens: event.usage.totalTokens, costUsd: event.costUsd, error: firstLine(event.error.message) };
    case 'run.cancelled':
      return { op: 'end', id: event.runId, status: 'cancelled', durationMs: event.durationMs, tokens: event.usage.totalTokens, costUsd: event.costUsd, error: firstLine(event.reason) };
    default:
      return undefined;
  }
}

export interface ListOptions {
  /** Only the runs of this workflow file (compared as absolute paths). */
  workflowFile?: string;
  /** At most this many, newest first. */
  limit?: number;
}

/** Lists runs newest first, repairing the index from the traces on disk as it goes. */
export async function listIndexedRuns(runsDir: string, indexFile: string, options: ListOptions = {}): Promise<RunSummary[]> {
  const byId = await readIndex(indexFile);
  const onDisk = await traceFiles(runsDir);
  const repairs: IndexLine[] = [];

  const indexedFiles = new Set<string>();
  for (const [id, entry] of byId) {
    if (!entry.start || !onDisk.has(entry.start.file)) byId.delete(id);
    else indexedFiles.add(entry.start.file);
  }
  for (const relative of onDisk) {
    if (indexedFiles.has(relative)) continue;
    const scanned = await scanTrace(runsDir, relative);
    if (!scanned) continue;
    repairs.push(scanned.start, ...(scanned.end ? [scanned.end] : []));
    byId.set(scanned.start.id, scanned);
  }

  const host = os.hostname();
  const summaries: RunSummary[] = [];
  const wanted = options.workflowFile === undefined ? undefined : path.resolve(options.workflowFile);
  for (const entry of byId.values()) {
    const start = entry.start!;
    // Index paths are absolute already (written resolved), so no resolve per entry.
    if (wanted !== undefined && start.workflowFile !== wanted) continue;
    let end = entry.end;
    let running = false;
    if (!end) {
      if (start.host === host && start.pid !== undefined && processAlive(start.pid)) running = true;
      else {
        // No end line: the process died, or it finished but its last append was lost.
        const scanned = await scanTrace(runsDir, start.file);
        end = scanned?.end ?? { op: 'end', id: start.id, status: 'interrupted' };
        if (scanned?.end || start.host === host) repairs.push(end);
      }
    }
    summaries.push({
      id: start.id,
      workflow: start.workflow,
      workflowFile: start.workflowFile,
      file: path.join(runsDir, ...start.file.split('/')),
      status: running ? 'running' : end!.status,
      startedAt: start.startedAt,
      durationMs: end?.durationMs,
      tokens: end?.tokens,
      costUsd: end?.costUsd,
      resumedFrom: start.resumedFrom,
      error: end?.error,
    });
  }
  if (repairs.length > 0) {
    try {
      await appendIndexAsync(indexFile, repairs);
    } catch {
      // A read-only folder still lists; it just scans again next time.
    }
  }
  summaries.sort((a, b) => b.startedAt - a.startedAt || (a.id < b.id ? 1 : a.id > b.id ? -1 : 0));
  return options.limit === undefined ? summaries : summaries.slice(0, options.limit);
}

interface IndexEntry {
  start?: IndexStart;
  end?: IndexEnd;
}

async function readIndex(indexFile: string): Promise<Map<string, IndexEntry>> {
  const byId = new Map<string, IndexEntry>();
  let text: string;
  try {
    text = await fs.promises.readFile(indexFile, 'utf8');
  } catch {
    return byId;
  }
  for (const line of text.split('\n')) {
    if (line === '') continue;
    let value: IndexLine;
    try {
      value = JSON.parse(line) as IndexLine;
    } catch {
      continue; // a damaged line costs one rescan of its trace, nothing more
    }
    if (typeof value?.id !== 'string') continue;
    const entry = byId.get(value.id) ?? {};
    if (value.op === 'start') entry.start = value;
    else if (value.op === 'end') entry.end = value;
    byId.set(value.id, entry);
  }
  return byId;
}

/** Every `<slug>/<id>.jsonl` under the runs folder, relative and `/`-separated. */
async function traceFiles(runsDir: string): Promise<Set<string>> {
  const files = new Set<string>();
  let dirs: fs.Dirent[];
  try {
    dirs = await fs.promises.readdir(runsDir, { withFileTypes: true });
  } catch {
    return files;
  }
  await Promise.all(
    dirs
      .filter((d) => d.isDirectory())
      .map(async (dir) => {
        const entries = await fs.promises.readdir(path.join(runsDir, dir.name), { withFileTypes: true }).catch(() => [] as fs.Dirent[]);
        // Only files: a folder that someone named `x.jsonl` is not a trace.
        for (const entry of entries) if (entry.isFile() && entry.name.endsWith('.jsonl')) files.add(`${dir.name}/${entry.name}`);
      }),
  );
  return files;
}

/** Index lines for one trace, from its first and last lines (the middle is never read). */
async function scanTrace(runsDir: string, relative: string): Promise<{ start: IndexStart; end?: IndexEnd } | undefined> {
  const file = path.join(runsDir, ...relative.split('/'));
  const { first, last } = await firstAndLastLines(file);
  const started = parseLine(first) as (RunEvent & { type: 'run.started'; workflowPath?: string }) | undefined;
  if (started?.type !== 'run.started') return undefined;
  const start: IndexStart = {
    op: 'start',
    id: started.runId,
    workflow: started.workflow?.name ?? '',
    workflowFile: started.workflowPath ?? path.resolve(started.workflow?.file ?? ''),
    file: relative,
    startedAt: started.time,
    resumedFrom: started.resumedFrom,
  };
  const lastEvent = parseLine(last) as RunEvent | undefined;
  return { start, end: lastEvent ? endLineOf(lastEvent) : undefined };
}

const CHUNK = 64 * 1024;

async function firstAndLastLines(file: string): Promise<{ first?: string; last?: string }> {
  let handle: fs.promises.FileHandle;
  try {
    handle = await fs.promises.open(file, 'r');
  } catch {
    return {};
  }
  try {
    return await readEnds(handle, file);
  } catch {
    // Unreadable (a permission, a file replaced while listing): listed as not a trace.
    return {};
  } finally {
    await handle.close();
  }
}

async function readEnds(handle: fs.promises.FileHandle, file: string): Promise<{ first?: string; last?: string }> {
  const { size } = await handle.stat();
  const head = Buffer.alloc(Math.min(size, CHUNK));
  await handle.read(head, 0, head.length, 0);
  let headText = head.toString('utf8');
  let tailText: string;
  if (size <= CHUNK || !headText.includes('\n')) {
    // Small file, or a first line longer than a chunk (large inputs): read it all.
    const whole = size <= CHUNK ? headText : await fs.promises.readFile(file, 'utf8');
    headText = whole;
    tailText = whole;
  } else {
    const tail = Buffer.alloc(CHUNK);
    await handle.read(tail, 0, CHUNK, size - CHUNK);
    tailText = tail.toString('utf8');
    const lines = tailText.trimEnd().split('\n');
    // A last line longer than the chunk (large outputs) is only whole in the full file.
    if (lines.length < 2) tailText = await fs.promises.readFile(file, 'utf8');
  }
  const first = headText.slice(0, headText.indexOf('\n') === -1 ? undefined : headText.indexOf('\n'));
  const lines = tailText.trimEnd().split('\n');
  return { first, last: lines[lines.length - 1] };
}

function parseLine(line: string | undefined): unknown {
  if (!line) return undefined;
  try {
    return JSON.parse(line);
  } catch {
    return undefined;
  }
}

function processAlive(pid: number): boolean {
  try {
    process.kill(pid, 0);
    return true;
  } catch (error) {
    // EPERM: it exists but belongs to someone else.
    return (error as NodeJS.ErrnoException).code === 'EPERM';
  }
}

function firstLine(text: string): string {
  const line = text.split('\n')[0];
  return line.length > 200 ? `${line.slice(0, 200)}…` : line;
}
