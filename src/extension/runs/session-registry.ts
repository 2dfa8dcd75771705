/**
 * The runs of this window: every session, which one is current, and the events that
 * tell the status lenses, the status bar and the context keys that something changed.
 */
import * as vscode from 'vscode';
import type { RunEvent } from '../../engine';
import type { WorkflowRunSession } from './run-session';
import type { RunSession, RunSessions } from './session';

/** Ended sessions kept for status lenses and hovers; older ones are let go. */
const MAX_SESSIONS = 30;

export class SessionRegistry implements RunSessions, vscode.Disposable {
  private readonly sessions: WorkflowRunSession[] = [];
  private readonly started = new vscode.EventEmitter<RunSession>();
  readonly onDidStartRun = this.started.event;
  private readonly changed = new vscode.EventEmitter<WorkflowRunSession>();
  /** A run started, ended, or a step changed state (not fired for streamed text). */
  readonly onDidChange = this.changed.event;

  constructor(private readonly onEvent: (session: WorkflowRunSession, event: RunEvent) => void = () => undefined) {}

  get current(): WorkflowRunSession | undefined {
    for (let i = this.sessions.length - 1; i >= 0; i--) if (!this.sessions[i].ended) return this.sessions[i];
    return this.sessions[this.sessions.length - 1];
  }

  /** Every session of this window, oldest first. */
  get all(): readonly WorkflowRunSession[] {
    return this.sessions;
  }

  sessionFor(runId: string): WorkflowRunSession | undefined {
    return this.sessions.find((s) => s.runId === runId);
  }

  /** This file's sessions, oldest first. */
  sessionsFor(file: vscode.Uri): WorkflowRunSession[] {
    const key = file.toString();
    return this.sessions.filter((s) => s.workflowFile.toString() === key);
  }

  /** The run of this file going on now. */
  activeFor(file: vscode.Uri): { runId: string; paused: boolean } | undefined {
    const session = this.sessionsFor(file).reverse().find((s) => !s.ended);
    return session ? { runId: session.runId, paused: session.paused } : undefined;
  }

  track(session: WorkflowRunSession): void {
    this.sessions.push(session);
    this.prune();
    const listener = session.onEvent((event) => {
      if (event.type === 'step.delta') return;
      this.onEvent(session, event);
      this.changed.fire(session);
    });
    void session.result.then(() => {
      listener.dispose();
      this.changed.fire(session);
    });
    this.started.fire(session);
    this.changed.fire(session);
  }

  /** Keeps the newest sessions; never drops one still running. */
  private prune(): void {
    while (this.sessions.length > MAX_SESSIONS) {
      const index = this.sessions.findIndex((s) => s.ended);
      if (index === -1) return;
      this.sessions.splice(index, 1)[0].dispose();
    }
  }

  dispose(): void {
    for (const session of this.sessions) if (!session.ended) session.control.cancel('the window closed');
    this.sessions.forEach((s) => s.dispose());
    this.started.dispose();
    this.changed.dispose();
  }
}

/** Used by commands and tests: a session's run state as one word. */
export function runState(session: RunSession | undefined): 'running' | 'paused' | 'idle' {
  if (!session || session.ended) return 'idle';
  return session.paused ? 'paused' : 'running';
}
