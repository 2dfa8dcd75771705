/**
 * Listing runs a page at a time: newest first (by when each run was created or
 * started, then by id), with an opaque cursor that names the last run a page
 * looked at, so a page is stable however many runs start meanwhile.
 */
import { ApiError } from './errors';
import type { RunRecord } from './run-log';
import type { ServedRunStatus } from './run-state';

export const RUN_STATUSES: readonly ServedRunStatus[] = ['queued', 'running', 'paused', 'succeeded', 'failed', 'cancelled', 'interrupted'];

export interface ListQuery {
  limit: number;
  /** Only runs after this place in the order (from a previous page's `nextCursor`). */
  after?: ListPosition;
  /** Only runs in one of these statuses; every run when absent. */
  statuses?: ReadonlySet<ServedRunStatus>;
}

/** A place in the newest-first order: runs come by `at` descending, then by id descending. */
export interface ListPosition {
  at: number;
  id: string;
}

export interface RunPage {
  runs: RunRecord[];
  /** Where the next page starts; absent when nothing is left. */
  next?: ListPosition;
}

/** True when `a` comes before `b` in the newest-first order. */
export function comesBefore(a: ListPosition, b: ListPosition): boolean {
  return a.at > b.at || (a.at === b.at && a.id > b.id);
}

export function encodeCursor(position: ListPosition): string {
  return Buffer.from(JSON.stringify([position.at, position.id]), 'utf8').toString('base64url');
}

export function decodeCursor(cursor: string): ListPosition {
  let value: unknown;
  try {
    value = JSON.parse(Buffer.from(cursor, 'base64url').toString('utf8'));
  } catch {
    value = undefined;
  }
  if (!Array.isArray(value) || value.length !== 2 || typeof value[0] !== 'number' || !Number.isFinite(value[0]) || typeof value[1] !== 'string') {
    throw new ApiError(400, 'invalid-cursor', '`cursor` is not one this server gave: pass the `nextCursor` of the previous page as it came');
  }
  return { at: value[0], id: value[1] };
}

/** `status=running,queued` as a set, or a clear error naming the word it does not know. */
export function parseStatuses(text: string | undefined): ReadonlySet<ServedRunStatus> | undefined {
  if (text === undefined || text === '') return undefined;
  const statuses = new Set<ServedRunStatus>();
  for (const word of text.split(',')) {
    const status = RUN_STATUSES.find((known) => known === word.trim());
    if (!status) throw new ApiError(400, 'invalid-request', `\`status\` takes ${RUN_STATUSES.join(', ')} (several with commas), not \`${word.slice(0, 40)}\``);
    statuses.add(status);
  }
  return statuses;
}
