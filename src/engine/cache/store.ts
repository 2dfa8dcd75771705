import { randomBytes } from 'node:crypto';
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import type { ModelResponse } from '../types';

/** The version of a cache entry file; an entry of another version is a miss. */
export const CACHE_ENTRY_VERSION = 1;

/** The part of a reply worth keeping: what the runner reads from a `ModelResponse`. */
export type CachedReply = Pick<ModelResponse, 'text' | 'toolCalls' | 'json' | 'usage' | 'model' | 'finishReason' | 'costUsd'>;

/** One file under `<root>/cache/`: a reply and enough about its request to recognise it. */
export interface CacheEntry {
  v: number;
  key: string;
  /** Milliseconds since the epoch. */
  createdAt: number;
  provider: string;
  model: string;
  response: CachedReply;
}

export interface CacheStoreOptions {
  /** Told about entries that cannot be read (garbage, another version); they count as misses. */
  onWarning?: (message: string) => void;
}

/**
 * Model replies on disk, one file per key: `<dir>/<first two hex digits>/<key>.json`
 * (the fan-out keeps directories small). Writes go to a temporary file that is then
 * renamed over the entry, so a reader or a concurrent run sees the old entry or the
 * new one, never half of one.
 */
export class CacheStore {
  constructor(
    /** The cache folder, usually `<root>/cache`. */
    readonly dir: string,
    private readonly options: CacheStoreOptions = {},
  ) {}

  /** Where the entry for `key` lives. */
  pathOf(key: string): string {
    return path.join(this.dir, key.slice(0, 2), `${key}.json`);
  }

  /** The entry for `key`, or `undefined` when there is none or it cannot be used. Never throws for a bad file. */
  async get(key: string): Promise<CacheEntry | undefined> {
    const file = this.pathOf(key);
    let text: string;
    try {
      text = await fs.readFile(file, 'utf8');
    } catch (error) {
      if ((error as NodeJS.ErrnoException).code !== 'ENOENT') this.warn(`cannot read cache entry ${file}: ${(error as Error).message}; calling the model instead`);
      return undefined;
    }
    let entry: unknown;
    try {
      entry = JSON.parse(text);
    } catch {
      this.warn(`cache entry ${file} is not valid JSON (${describeBytes(text)}); ignoring it and calling the model — it will be rewritten`);
      return undefined;
    }
    const problem = entryProblem(entry, key);
    if (problem) {
      this.warn(`cache entry ${file} ${problem}; ignoring it and calling the model — it will be rewritten`);
      return undefined;
    }
    return entry as CacheEntry;
  }

  /** Writes an entry atomically (temporary file, then rename). */
  async put(entry: CacheEntry): Promise<void> {
    const file = this.pathOf(entry.key);
    await fs.mkdir(path.dirname(file), { recursive: true });
    // The temporary name is unique per writer, so two runs writing the same key never share it.
    const temp = `${file}.${process.pid}.${randomBytes(4).toString('hex')}.tmp`;
    try {
      await fs.writeFile(temp, JSON.stringify(entry) + '\n');
      await fs.rename(temp, file);
    } catch (error) {
      await fs.rm(temp, { force: true }).catch(() => undefined);
      throw error;
    }
  }

  /** Removes the entry for `key`, if there is one. */
  async delete(key: string): Promise<void> {
    await fs.rm(this.pathOf(key), { force: true });
  }

  private warn(message: string): void {
    this.options.onWarning?.(message);
  }
}

function entryProblem(entry: unknown, key: string): string | undefined {
  if (typeof entry !== 'object' || entry === null || Array.isArray(entry)) return 'is not a cache entry object';
  const e = entry as Partial<CacheEntry>;
  if (e.v !== CACHE_ENTRY_VERSION) return `has version ${JSON.stringify(e.v)}, not ${CACHE_ENTRY_VERSION}`;
  if (e.key !== key) return 'belongs to another key';
  if (typeof e.response !== 'object' || e.response === null || typeof e.response.text !== 'string') return 'has no reply text';
  const calls: unknown = e.response.toolCalls;
  if (calls !== undefined && !(Array.isArray(calls) && calls.every(isToolCall))) return 'has tool calls that are not `{ id, name, arguments }` texts';
  return undefined;
}

function isToolCall(call: unknown): boolean {
  if (typeof call !== 'object' || call === null) return false;
  const { id, name, arguments: args } = call as Record<string, unknown>;
  return typeof id === 'string' && typeof name === 'string' && typeof args === 'string';
}

function describeBytes(text: string): string {
  if (text.length === 0) return 'the file is empty';
  const start = text.slice(0, 40).replace(/\s+/g, ' ');
  return `it starts with ${JSON.stringify(start)}`;
}
