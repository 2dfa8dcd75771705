/**
 * What this window knows of each step's last result, read off the sessions' run
 * states: the status lenses, hovers, and the seeds of *Run step* and *Run from here*.
 */
import type * as vscode from 'vscode';
import type { StepResult } from '../../engine';
import { lastFinished, stepOf, stepResult, succeededResults } from '../../engine/state';
import { lastResults } from '../../engine/trace';
import type { LastResult } from '../language/hover';
import { layeredStatus, type RunStatus } from '../language/status';
import type { RunStatusIndex } from './session';
import type { SessionRegistry } from './session-registry';

export class StatusIndex implements RunStatusIndex {
  constructor(private readonly sessions: SessionRegistry) {}

  /**
   * The steps' statuses to show for a file: the latest full run, with the partial runs
   * after it (*Run step*, *Run from here*) laid over it, so running one step keeps the
   * others' results in view.
   */
  statusFor(file: vscode.Uri): RunStatus | undefined {
    const sessions = this.sessions.sessionsFor(file);
    if (sessions.length === 0) return undefined;
    let base = sessions.length - 1;
    while (base > 0 && sessions[base].startAt !== undefined) base--;
    return layeredStatus(sessions.slice(base).map((s) => s.state));
  }

  /** A step's latest finished result in this window, for hovers. */
  lastResult(file: vscode.Uri, stepId: string): LastResult | undefined {
    const sessions = this.sessions.sessionsFor(file);
    for (let i = sessions.length - 1; i >= 0; i--) {
      const step = stepOf(sessions[i].state, stepId);
      const finished = step && lastFinished(step);
      if (!step || (finished?.status !== 'succeeded' && finished?.status !== 'failed')) continue;
      return { result: stepResult(step), runLabel: `run ${sessions[i].runId}` };
    }
    return undefined;
  }

  /** The results to seed a partial run with: the traces' last results, then this window's runs over them. */
  async seedFor(file: vscode.Uri, workflowFile: string, traceRoot: string | undefined): Promise<Record<string, StepResult>> {
    const seed: Record<string, StepResult> = traceRoot ? await lastResults(traceRoot, workflowFile).catch(() => ({})) : {};
    for (const session of this.sessions.sessionsFor(file)) Object.assign(seed, succeededResults(session.state));
    return seed;
  }
}
