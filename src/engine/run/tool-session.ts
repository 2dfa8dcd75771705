/**
 * A run's tools: the ToolHost and approval policy, opened on the first tool call (a
 * run that calls no tool starts no server), shared by the run's sub-workflows, closed
 * when the run that made it ends — so no server process outlives its run. Recorded
 * results (replay, resume) answer calls by call id without reaching a server.
 */
import type { ApprovalPolicy } from '../tools/approval';
import { ToolCallError, type ToolHost, type ToolResult } from '../tools/host';

export interface OpenedTools {
  host: ToolHost;
  policy: ApprovalPolicy;
  /** Keeps a whole result too big for its event, beside the trace. */
  storeResult?: (callId: string, result: ToolResult) => Promise<string | undefined>;
}

export interface ToolSessionOptions {
  /** Opens the host and policy; called at most once, on the first call that needs a server. */
  open: () => Promise<OpenedTools>;
  /** Results a recorded run's calls returned, by call id: answered, never repeated. */
  recorded?: ReadonlyMap<string, ToolResult>;
  /** `--replay`: a call the recording lacks fails instead of reaching a server. */
  replayOnly?: boolean;
  /** False in an untrusted workspace: no server is even started (starting one runs its code). */
  trusted?: boolean;
}

export class ToolSession {
  private opening: Promise<OpenedTools> | undefined;
  private closed = false;

  constructor(private readonly options: ToolSessionOptions) {}

  get replayOnly(): boolean {
    return this.options.replayOnly === true;
  }

  recorded(callId: string): ToolResult | undefined {
    return this.options.recorded?.get(callId);
  }

  /** The host and policy, opened once. */
  tools(): Promise<OpenedTools> {
    if (this.options.trusted === false) return Promise.reject(new ToolCallError('tool-denied', 'tools never run in an untrusted workspace: trust the workspace to let this workflow start its MCP servers'));
    if (this.closed) return Promise.reject(new Error('the run has ended: its tools are closed'));
    this.opening ??= this.options.open();
    return this.opening;
  }

  /** Stops every server the run started. Safe to call twice; a session never opened costs nothing. */
  async close(): Promise<void> {
    if (this.closed) return;
    this.closed = true;
    const opening = this.opening;
    if (!opening) return;
    try {
      await (await opening).host.close();
    } catch {
      // A host that failed to open has nothing to close.
    }
  }
}
