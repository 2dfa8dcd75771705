import type { TestCaseJob } from './redis-events';
import type { RunRecord } from './run-log';
import type { ListQuery, RunPage } from './run-list';
import type { ServedWorkflow } from './workflows';

export interface StartRequest {
  served: ServedWorkflow;
  inputs: Record<string, unknown>;
  /** Continue this ended run instead of starting afresh: its finished steps are restored, not run again (`orchestrate resume`). */
  resumeOf?: RunRecord;
  /** Queue mode only: a test case's run (`orchestrate test --redis`). */
  test?: TestCaseJob;
}

/** Where runs execute: in the server's process (embedded) or on workers through a queue. */
export interface RunBackend {
  readonly mode: 'embedded' | 'queue';
  /** Accepts a run and returns its record at once; the run goes on in the background. */
  start(request: StartRequest): Promise<RunRecord>;
  /** A run by id, also one this server did not start (a queue's runs survive a server restart). */
  find(id: string): Promise<RunRecord | undefined>;
  /** Every run of the deployment (not only this server's), newest first, a page at a time. */
  list(query: ListQuery): Promise<RunPage>;
  /** Asks a run to stop; false when there is no such run or it already ended. */
  cancel(id: string): Promise<boolean>;
  /** Stops taking runs; the embedded backend waits for its runs to end (they are cancelled first when `cancel`). */
  close(options?: { cancel?: boolean }): Promise<void>;
}
