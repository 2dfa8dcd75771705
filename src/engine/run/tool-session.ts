/**
 * A run's tools: a ToolHost and approval policy per workflow of the run — the top
 * workflow's, and each sub-workflow's from its own `mcp:` — each opened on its first
 * tool call (a run that calls no tool starts no server), shared by every run of that
 * workflow file inside this run, and all closed when the run that made the session
 * ends, so no server process outlives its run. Recorded results (replay, resume)
 * answer calls by call id without reaching a server.
 */
import type { ApprovalPolicy } from '../tools/approval';
import { ToolCallError, type ToolHost, type ToolResult } from '../tools/host';
import type { Workflow } from '../types';

export interface OpenedTools {
  host: ToolHost;
  policy: ApprovalPolicy;
  /** Keeps a whole result too big for its event, beside the trace. */
  storeResult?: (callId: string, result: ToolResult) => Promise<string | undefined>;
}

export interface ToolSessionOptions {
  /**
   * Opens the host and policy of one workflow's servers (its `mcp:`, then the
   * workspace's): called at most once per workflow file, on the first call that needs a server.
   */
  open: (workflow: Workflow) => Promise<OpenedTools>;
  /** Results a recorded run's calls returned, by call id: answered, never repeated. */
  recorded?: ReadonlyMap<string, ToolResult>;
  /** `--replay`: a call the recording lacks fails instead of reaching a server. */
  replayOnly?: boolean;
  /** False in an untrusted workspace: no server is even started (starting one runs its code). */
  trusted?: boolean;
}

export class ToolSession {
  /** By workflow file: a sub-workflow's servers are its own, never its parent's of the same name. */
  private readonly scopes = new Map<string, Promise<OpenedTools>>();
  private closed = false;

  constructor(private readonly options: ToolSessionOptions) {}

  get replayOnly(): boolean {
    return this.options.replayOnly === true;
  }

  recorded(callId: string): ToolResult | undefined {
    return this.options.recorded?.get(callId);
  }

  /** The host and policy for the tools of `workflow` (the run's, or a sub-workflow's), opened once. */
  tools(workflow: Workflow): Promise<OpenedTools> {
    if (this.options.trusted === false) return Promise.reject(new ToolCallError('tool-denied', 'tools never run in an untrusted workspace: trust the workspace to let this workflow start its MCP servers'));
    if (this.closed) return Promise.reject(new Error('the run has ended: its tools are closed'));
    let opening = this.scopes.get(workflow.file);
    if (!opening) {
      opening = this.options.open(workflow);
      this.scopes.set(workflow.file, opening);
    }
    return opening;
  }

  /** Stops every server the run started. Safe to call twice; a session never opened costs nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    await Promise.all(
      [...this.scopes.values()].map(async (opening) => {
        try {
          await (await opening).host.close();
        } catch {
          // A host that failed to open has nothing to close.
        }
      }),
    );
  }
}
