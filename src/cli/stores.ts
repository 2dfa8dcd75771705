import { existsSync, statSync } from 'node:fs';
import * as path from 'node:path';
import { DEFAULT_ROOT, TraceStore, type RunSummary } from '../engine/trace';
import { CliError } from './errors';
import type { Io } from './main';

/** The `--traces DIR` option, shared by run, resume, runs and trace. */
export const TRACES_OPTION = { traces: { type: 'string' } } as const;

export const TRACES_HELP = `  --traces DIR             where runs and the cache are kept (DIR/runs, DIR/cache); default ./${DEFAULT_ROOT}`;

/** The store `--traces` names, or `.orchestrate` in the current folder. */
export function storeFor(io: Io, traces: unknown): TraceStore {
  return new TraceStore(path.resolve(io.cwd, typeof traces === 'string' ? traces : DEFAULT_ROOT));
}

/**
 * A trace file named by its path, or a run named by its id (or a unique prefix of it).
 * Throws a {@link CliError} that says what to do when it names neither.
 */
export async function resolveTrace(arg: string, store: TraceStore, io: Io): Promise<string> {
  const asPath = path.resolve(io.cwd, arg);
  if (/\.ya?ml$/i.test(arg)) {
    throw new CliError('usage', `${arg} is a workflow file; name a run id or a trace file instead (list this workflow's runs with \`orchestrate runs ${arg}\`)`);
  }
  if (existsSync(asPath)) {
    if (statSync(asPath).isDirectory()) throw new CliError('file-unreadable', `${arg} is a folder; name a trace file (\`<run-id>.jsonl\`) or a run id`, { file: asPath });
    return asPath;
  }
  let run: RunSummary | undefined;
  try {
    run = await store.findRun(arg);
  } catch (error) {
    throw new CliError('run-not-found', `${arg}: ${(error as Error).message}`);
  }
  if (run) return run.file;
  throw new CliError('run-not-found', `${arg}: no such trace file, and no run with that id in ${displayPath(store.runsDir, io)} (list runs with \`orchestrate runs\`)`);
}

/** A path relative to the current folder when it is inside it, for shorter messages. */
export function displayPath(file: string, io: Io): string {
  const relative = path.relative(io.cwd, file);
  return relative && !relative.startsWith('..') && !path.isAbsolute(relative) ? relative : file;
}

/** Values of the environment's keys and tokens, redacted from every error written to a trace. */
export function secretsOf(env: Record<string, string | undefined>): string[] {
  return Object.entries(env)
    .filter(([name, value]) => value && value.length >= 8 && /(API_KEY|_KEY|TOKEN|SECRET)$/i.test(name))
    .map(([, value]) => value!);
}
