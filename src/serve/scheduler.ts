/**
 * Schedule triggers: each `on.schedule` starts its workflow at the times its cron
 * pattern names, in its time zone. Time comes from a {@link Clock}, so tests fire
 * schedules on a simulated clock. A firing is skipped while the schedule's last run
 * is still going, unless the schedule says `overlap: true`.
 */
import type { Clock } from '../engine';
import type { RunBackend } from './backend';
import type { RunRecord } from './run-log';
import { nextScheduleTimes, type ScheduleTrigger } from '../engine/triggers/triggers';
import { checkRunInputs, checkServedFile, type ServedWorkflow } from './workflows';

export interface SchedulerEvents {
  onFired?: (served: ServedWorkflow, schedule: ScheduleTrigger, record: RunRecord) => void;
  onSkipped?: (served: ServedWorkflow, schedule: ScheduleTrigger, why: string) => void;
}

export class Scheduler {
  private readonly abort = new AbortController();
  private readonly loops: Promise<void>[] = [];

  constructor(
    private readonly root: string,
    private readonly backend: RunBackend,
    private readonly clock: Clock,
    private readonly events: SchedulerEvents = {},
  ) {}

  /** Starts every schedule of these workflows. */
  start(workflows: ServedWorkflow[]): void {
    for (const served of workflows) for (const schedule of served.triggers.schedules) this.loops.push(this.loop(served, schedule));
  }

  async stop(): Promise<void> {
    this.abort.abort('the server is shutting down');
    await Promise.allSettled(this.loops);
  }

  /** The next `count` times a schedule fires after `from` (ms since the epoch). */
  static nextTimes(schedule: Pick<ScheduleTrigger, 'cron' | 'timezone'>, from: number, count: number): number[] {
    return nextScheduleTimes(schedule, from, count);
  }

  private async loop(served: ServedWorkflow, schedule: ScheduleTrigger): Promise<void> {
    const signal = this.abort.signal;
    let last: RunRecord | undefined;
    while (!signal.aborted) {
      const [next] = Scheduler.nextTimes(schedule, this.clock.now(), 1);
      if (next === undefined) return;
      try {
        await this.clock.sleep(Math.max(0, next - this.clock.now()), signal);
      } catch {
        return;
      }
      if (last && !last.ended && !schedule.overlap) {
        this.events.onSkipped?.(served, schedule, `run ${last.id} from the last firing is still ${last.state.status}`);
        continue;
      }
      try {
        // Read the file again so an edit since the server started applies to the run.
        const current = checkServedFile(this.root, served.file);
        last = await this.backend.start({ served: current, inputs: checkRunInputs(current.workflow, schedule.inputs) });
        this.events.onFired?.(served, schedule, last);
      } catch (error) {
        this.events.onSkipped?.(served, schedule, (error as Error).message);
      }
      // Never fire twice for one instant, even when starting took no simulated time.
      if (this.clock.now() < next + 1) {
        try {
          await this.clock.sleep(next + 1 - this.clock.now(), signal);
        } catch {
          return;
        }
      }
    }
  }
}
