/**
 * A debug run's control. The run panel's and the lenses' Pause, Resume and Next step
 * act on a run through its {@link RunControl}; under the debugger they go through the
 * debugger instead of the run's own gate, so the panel, the lenses and the debug
 * toolbar move the same run and never disagree on where it stands. Stop cancels as
 * for any run (the session ends when the run does).
 */
import { RunControl } from '../engine';
import type { WorkflowDebugger } from './workflow-debugger';

export class DebuggerRunControl extends RunControl {
  constructor(
    private readonly workflowDebugger: WorkflowDebugger,
    /** Told when lanes were let go from outside the debug client (its toolbar must follow): one lane, or all. */
    private readonly continued: (laneId?: number) => void,
  ) {
    super();
  }

  /** Stops at the next step or model call any lane reaches. */
  override pause(): void {
    this.workflowDebugger.pause();
  }

  override resume(): void {
    this.workflowDebugger.resumeAll();
    this.continued();
  }

  /** Steps over in the lane stopped first (the run's own lane, when it is stopped); pauses when none is. */
  override step(): void {
    const stops = this.workflowDebugger.stops();
    const stop = stops.find((s) => s.lane === this.workflowDebugger.lanes.main) ?? stops[0];
    if (!stop) {
      this.workflowDebugger.pause();
      return;
    }
    this.workflowDebugger.resume(stop.lane.id, 'next');
    this.continued(stop.lane.id);
  }
}
