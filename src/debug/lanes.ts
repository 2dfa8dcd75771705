/**
 * Threads and frames of a workflow run. A `parallel` branch and a `for_each` item run
 * beside their siblings, so each is a thread (a lane) of its own; everything else —
 * a sub-workflow's steps, the steps of a branch — runs in the lane of the execution
 * it is inside, one frame deeper.
 */
import type { InspectionPoint } from '../engine/run';
import { refKey } from '../engine/state/run-state';
import type { StepRef } from '../engine/types';

export interface Lane {
  /** The DAP thread id. */
  id: number;
  /** `refKey` of the execution the lane runs (empty for the run's own lane). */
  key: string;
  name: string;
  parent?: Lane;
}

/** An execution the debugger has seen start, with the point it started at (its scope stays live). */
export interface Execution {
  key: string;
  point: InspectionPoint;
  lane: Lane;
}

/** The execution `ref` runs inside: a `for_each` item inside its step's execution, anything else inside `parent`. */
export function parentKeyOf(ref: StepRef): string | undefined {
  return ref.index !== undefined ? refKey({ ...ref, index: undefined }) : ref.parent;
}

export class Lanes {
  readonly main: Lane = { id: 1, key: '', name: 'workflow' };
  private nextId = 2;
  private readonly executions = new Map<string, Execution>();
  private readonly live = new Map<string, Lane>();

  /** Registers an execution as it starts; `started` is the lane it opened, when it is a branch or an item. */
  enter(point: InspectionPoint): { execution: Execution; started?: Lane } {
    const key = refKey(point.ref);
    const parentKey = parentKeyOf(point.ref);
    const outer = parentKey === undefined ? this.main : (this.executions.get(parentKey)?.lane ?? this.main);
    const ownLane = point.ref.index !== undefined || point.step.parentId !== undefined;
    let started: Lane | undefined;
    if (ownLane) {
      const label = point.ref.index !== undefined ? `${point.ref.stepId}[${point.ref.index}]` : `branch ${point.ref.stepId}`;
      started = { id: this.nextId++, key, name: point.ref.visit > 1 ? `${label} (visit ${point.ref.visit})` : label, parent: outer };
      this.live.set(key, started);
    }
    const execution: Execution = { key, point, lane: started ?? outer };
    this.executions.set(key, execution);
    return { execution, started };
  }

  find(ref: StepRef): Execution | undefined {
    return this.executions.get(refKey(ref));
  }

  /** An execution ended: the lane it opened, if any, is gone. */
  end(key: string): Lane | undefined {
    const lane = this.live.get(key);
    this.live.delete(key);
    return lane;
  }

  /** The running lanes, the run's own first. */
  all(): Lane[] {
    return [this.main, ...this.live.values()];
  }

  byId(id: number): Lane | undefined {
    return this.all().find((lane) => lane.id === id);
  }

  /** The execution and those it runs inside, innermost first. */
  chain(execution: Execution): Execution[] {
    const chain: Execution[] = [];
    for (let at: Execution | undefined = execution; at; ) {
      chain.push(at);
      const parent = parentKeyOf(at.point.ref);
      at = parent === undefined ? undefined : this.executions.get(parent);
    }
    return chain;
  }

  depth(execution: Execution): number {
    return this.chain(execution).length;
  }

  clear(): void {
    this.executions.clear();
    this.live.clear();
  }
}

/** Whether `lane` is `outer` or runs inside it. */
export function isWithin(lane: Lane, outer: Lane): boolean {
  for (let at: Lane | undefined = lane; at; at = at.parent) if (at === outer) return true;
  return false;
}
