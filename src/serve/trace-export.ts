import { promises as fs } from 'node:fs';
import type { TraceStore } from '../engine/trace';
import type { RunRecord } from './run-log';

/**
 * A run's trace as JSONL: the trace file when this server's store has it (always in
 * the embedded mode), else the run's events as the server received them from its
 * workers, one a line in the same format.
 */
export async function traceOf(record: RunRecord, store: TraceStore): Promise<string> {
  try {
    const run = (await store.listRuns()).find((summary) => summary.id === record.id);
    if (run) return await fs.readFile(run.file, 'utf8');
  } catch {
    // An unreadable store falls back to the events.
  }
  return record.events.map((event) => JSON.stringify(event)).join('\n') + (record.events.length > 0 ? '\n' : '');
}
