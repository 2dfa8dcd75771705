/**
 * Whole tool results kept beside the trace, for results too big for their event:
 * `<run-id>.tools/<call-id>.json` next to `<run-id>.jsonl`. The event's `result.ref`
 * is that path relative to the trace's folder, so a moved run folder still resolves.
 */
import { mkdir, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { ToolResult } from './host';

export function fileResultStore(traceFile: string): (callId: string, result: ToolResult) => Promise<string | undefined> {
  const folder = `${traceFile.replace(/\.jsonl$/, '')}.tools`;
  return async (callId, result) => {
    // Call ids come from the runner, but a file name must never climb out of the folder.
    const name = `${callId.replace(/[^A-Za-z0-9_.#-]/g, '_').replace(/^\.+/, '_')}.json`;
    try {
      await mkdir(folder, { recursive: true });
      await writeFile(path.join(folder, name), JSON.stringify(result) + '\n');
    } catch {
      // A full disk loses the whole result, not the run: the event still has its start.
      return undefined;
    }
    return path.posix.join(path.basename(folder), name);
  };
}
