/**
 * Whole tool results kept beside the trace, for results too big for their event:
 * `<run-id>.tools/<call-id>.json` next to `<run-id>.jsonl`. The event's `result.ref`
 * is that path relative to the trace's folder, so a moved run folder still resolves.
 * Replay and resume read them back, so a recorded call is answered, never repeated.
 */
import { mkdir, readFile, writeFile } from 'node:fs/promises';
import * as path from 'node:path';
import type { ToolCompletedPayload } from './events';
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

/**
 * The results a recorded run's calls returned, by call id: whole from the stored file
 * when the event holds a cut one, else from the event. A stored file that is missing
 * or was tampered with (a ref that leaves the trace's folder) leaves that call out, so
 * the runner reports it as not recorded rather than replaying half a result.
 */
export async function recordedResults(events: readonly { type: string }[], traceFile: string | undefined): Promise<Map<string, ToolResult>> {
  const results = new Map<string, ToolResult>();
  const folder = traceFile === undefined ? undefined : path.dirname(path.resolve(traceFile));
  for (const event of events) {
    if (event.type !== 'tool.completed') continue;
    const { callId, result } = event as ToolCompletedPayload;
    if (!result.truncated) {
      results.set(callId, { text: result.text, isError: result.isError, ...(result.structuredContent ? { structuredContent: result.structuredContent } : {}) });
      continue;
    }
    // Without a trace folder (an unrecorded run) a cut result cannot be read back: that call runs again.
    if (result.ref === undefined || folder === undefined) continue;
    const file = path.resolve(folder, result.ref);
    if (path.relative(folder, file).startsWith('..') || path.isAbsolute(path.relative(folder, file))) continue;
    try {
      const whole = JSON.parse(await readFile(file, 'utf8')) as ToolResult;
      if (typeof whole.text === 'string' && typeof whole.isError === 'boolean') results.set(callId, whole);
    } catch {
      // Missing or unreadable: not recorded.
    }
  }
  return results;
}
