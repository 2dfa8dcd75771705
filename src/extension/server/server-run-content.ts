/**
 * A server's run as the run panel shows it: read from its trace (the same format as
 * a local trace, so the panel folds it with the same run state), with the workflow
 * file when this machine has it (the server's own path, or the same path under a
 * workspace folder) for the graph and step lines. No `vscode` here.
 */
import * as path from 'node:path';
import type { RunEvent, Workflow } from '../../engine';
import type { TraceContents } from '../../engine/trace';
import type { ServeClient } from '../../serve/client';
import type { ServedRunState } from '../../serve/run-state';
import { emptyOutline, outlineOf } from '../../shared/workflow-outline';
import { loadWorkflowFile, type TraceRun } from '../panel/panel-content';

export interface ServerRun {
  run: TraceRun;
  state: ServedRunState;
  /** Still going on the server: follow its events. */
  live: boolean;
}

/** What the panel needs of server runs (src/extension/panel/run-panel.ts); the connection provides it. */
export interface ServerRunSource {
  /** True when the location is a run on a server (its URL), not a trace file. */
  owns(location: string): boolean;
  load(location: string): Promise<ServerRun>;
  /** Calls `onEvent` with the run's events after the first `after`, until it ends or `signal` aborts. */
  follow(location: string, after: number, onEvent: (event: RunEvent) => void, signal: AbortSignal): Promise<void>;
  /** Asks the server to stop the run. */
  cancel(location: string): Promise<boolean>;
}

export async function loadServerRun(client: ServeClient, id: string, workspaceFolders: readonly string[]): Promise<ServerRun> {
  const state = await client.run(id);
  if (state.status === 'queued') throw new Error(`run ${id} is queued on ${client.address}: no worker has started it yet; open it again once it runs`);
  const trace = await client.trace(id);
  const serverPath = trace.started.workflowPath;
  const candidates = [serverPath, ...workspaceFolders.map((folder) => path.join(folder, ...state.workflow.split('/')))].filter((file): file is string => file !== undefined);
  let workflow: Workflow | undefined;
  let workflowFile = serverPath ?? state.workflow;
  for (const file of candidates) {
    workflow = await loadWorkflowFile(file);
    if (workflow) {
      workflowFile = file;
      break;
    }
  }
  const warnings = [...trace.warnings];
  if (!workflow) warnings.push(`${state.workflow} is on ${client.address}, not in this workspace: the steps are shown as the trace records them, without the graph`);
  const outline = workflow ? outlineOf(workflow) : emptyOutline(trace.started.workflow.name, workflowFile);
  const live = state.status === 'running' || state.status === 'paused';
  return { run: { trace, workflow, workflowFile, outline, interrupted: state.status === 'interrupted', warnings }, state, live: live && !trace.end };
}

/**
 * Follows a server run shown from its trace: each event after the trace's is passed
 * on once (the trace and the stream overlap when the trace was read while the run
 * went on) and added to the trace, so the picture sent again after a reload has it.
 * `onEnd` is called once the stream is over, whether the run ended or the server went away.
 */
export function followAfterTrace(
  source: ServerRunSource,
  location: string,
  trace: TraceContents,
  handlers: { onEvent: (event: RunEvent) => void; onEnd: () => void; onError: (message: string) => void },
): { dispose(): void } {
  const controller = new AbortController();
  const seen = new Set(trace.events.map((event) => `${event.runId}#${event.seq}`));
  const onEvent = (event: RunEvent) => {
    const key = `${event.runId}#${event.seq}`;
    if (seen.has(key)) return;
    seen.add(key);
    trace.events.push(event);
    handlers.onEvent(event);
  };
  source.follow(location, trace.events.length, onEvent, controller.signal).then(
    () => handlers.onEnd(),
    (error: unknown) => {
      handlers.onError(error instanceof Error ? error.message : String(error));
      handlers.onEnd();
    },
  );
  return { dispose: () => controller.abort() };
}
