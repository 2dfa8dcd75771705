/**
 * A run on an `orchestrate serve` server as the runs view lists it: the same
 * `RunSummary` local runs have, whose `file` is the run's URL on the server (its
 * location, as a local run's is its trace file), so open, compare and export take
 * either. Pure: no `vscode`, no network.
 */
import type { ListedRunStatus, RunSummary } from '../../engine/trace';
import type { ServedRunState, ServedRunStatus } from '../../serve/run-state';

export interface ServerRunSummary extends RunSummary {
  /** The server's address (`http://host:port`), and the run's status as the server says it (`queued` and `paused` included). */
  server: { address: string; status: ServedRunStatus; workflowPath: string };
}

export function isServerRun(run: RunSummary): run is ServerRunSummary {
  return typeof (run as Partial<ServerRunSummary>).server?.address === 'string';
}

/** What the view shows of a served status: a queued or paused run is still going. */
function listedStatus(status: ServedRunStatus): ListedRunStatus {
  return status === 'queued' || status === 'paused' ? 'running' : status;
}

/** `reports/weekly.workflow.yaml` → `weekly`: a run's workflow by its file, as the server names it. */
export function workflowLabel(workflowPath: string): string {
  const base = workflowPath.split('/').pop() ?? workflowPath;
  return base.replace(/\.workflow\.ya?ml$/i, '').replace(/\.ya?ml$/i, '') || workflowPath;
}

export function serverRunSummary(address: string, state: ServedRunState): ServerRunSummary {
  const summary: ServerRunSummary = {
    id: state.id,
    workflow: typeof (state as { name?: unknown }).name === 'string' ? (state as unknown as { name: string }).name : workflowLabel(state.workflow),
    workflowFile: `${address}/${state.workflow}`,
    file: serverRunLocation(address, state.id),
    status: listedStatus(state.status),
    startedAt: state.startedAt ?? 0,
    server: { address, status: state.status, workflowPath: state.workflow },
  };
  if (state.durationMs !== undefined) summary.durationMs = state.durationMs;
  if (state.usage?.totalTokens !== undefined) summary.tokens = state.usage.totalTokens;
  if (state.costUsd !== undefined) summary.costUsd = state.costUsd;
  const error = state.error?.message;
  if (typeof error === 'string' && error !== '') summary.error = error.split('\n')[0];
  return summary;
}

export function serverRunLocation(address: string, id: string): string {
  return `${address}/v1/runs/${encodeURIComponent(id)}`;
}

/** The server and run a location names, when it is a server run's URL. */
export function parseServerRunLocation(location: string): { address: string; id: string } | undefined {
  const match = /^(https?:\/\/[^?#]+?)\/v1\/runs\/([^/?#]+)$/.exec(location);
  if (!match) return undefined;
  try {
    return { address: match[1], id: decodeURIComponent(match[2]) };
  } catch {
    return undefined;
  }
}

/** `http://127.0.0.1:8787` → `127.0.0.1:8787`, for the view's "Server: …" row. */
export function serverLabel(address: string): string {
  return address.replace(/^https?:\/\//, '');
}
