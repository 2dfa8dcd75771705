import * as path from 'node:path';
import { formatDuration } from '../engine';
import { formatTimestamp } from '../shared/format';
import type { ListedRunStatus, RunSummary } from '../engine/trace';
import { parseArgs, UsageError } from './args';
import { JSON_ERROR_HELP } from './errors';
import type { Io } from './main';
import { displayPath, storeFor, TRACES_HELP, TRACES_OPTION } from './stores';

const USAGE = `Usage: orchestrate runs [WORKFLOW-FILE] [options]

Lists recorded runs, newest first: status, start, duration, tokens, cost, workflow
and run id. With a workflow file, only that workflow's runs.

  ✓ succeeded   ✗ failed   ■ cancelled   ! interrupted (killed or crashed; resumable)   ▶ running

Options:
${TRACES_HELP}
  --limit N                show at most N runs (default 50; 0 for all)
  --json                   print the runs as JSON

Exit status: 0, or 2 for bad usage.

${JSON_ERROR_HELP}
`;

export const runsCommand = {
  summary: 'list recorded runs, newest first',
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { positionals, options } = parseArgs(argv, { ...TRACES_OPTION, json: { type: 'boolean' }, limit: { type: 'string' } });
    if (positionals.length > 1) throw new UsageError('name at most one workflow file');
    const limit = options.limit === undefined ? 50 : Number(options.limit);
    if (!/^\d+$/.test(String(options.limit ?? '50')) || !Number.isSafeInteger(limit)) throw new UsageError(`--limit takes a whole number (0 for all), not \`${String(options.limit)}\``);
    const store = storeFor(io, options.traces);
    const workflowFile = positionals[0] === undefined ? undefined : path.resolve(io.cwd, positionals[0]);
    const runs = await store.listRuns({ workflowFile, limit: limit === 0 ? undefined : limit });
    if (options.json) {
      io.out(JSON.stringify(runs, null, 2) + '\n');
      return 0;
    }
    if (runs.length === 0) {
      io.err(`no runs${workflowFile ? ` of ${displayPath(workflowFile, io)}` : ''} in ${displayPath(store.runsDir, io)}\n`);
      return 0;
    }
    const rows = runs.map((run) => [
      ICONS[run.status],
      formatTimestamp(run.startedAt),
      run.durationMs === undefined ? '—' : formatDuration(run.durationMs),
      run.tokens === undefined ? '—' : `${run.tokens} tok`,
      run.costUsd === undefined ? '—' : `$${run.costUsd.toFixed(4)}`,
      run.workflow,
      run.id + suffix(run),
    ]);
    io.out(table([['', 'STARTED', 'DURATION', 'TOKENS', 'COST', 'WORKFLOW', 'RUN'], ...rows]));
    return 0;
  },
};

const ICONS: Record<ListedRunStatus, string> = { succeeded: '✓', failed: '✗', cancelled: '■', interrupted: '!', running: '▶' };

function suffix(run: RunSummary): string {
  return run.resumedFrom ? ` (resumes ${run.resumedFrom})` : '';
}

function table(rows: string[][]): string {
  const widths = rows[0].map((_, column) => Math.max(...rows.map((row) => [...row[column]].length)));
  const right = new Set([2, 3, 4]);
  return rows
    .map((row) =>
      row
        .map((cell, column) => (column === row.length - 1 ? cell : right.has(column) ? cell.padStart(widths[column]) : cell.padEnd(widths[column])))
        .join('  ')
        .trimEnd(),
    )
    .join('\n') + '\n';
}
