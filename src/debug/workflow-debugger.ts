/**
 * The debugger's half of a run: an {@link Inspector} that decides at each hook whether
 * the run stops there (entry, pause, a step request, a breakpoint, an exception
 * filter) and holds that lane until it is told to go on. It speaks no protocol: the
 * session turns its stops into DAP events.
 */
import * as path from 'node:path';
import { evaluateCondition, renderText } from '../engine/expressions';
import type { InspectionPoint, Inspector } from '../engine/run';
import { refKey } from '../engine/state/run-state';
import type { ErrorInfo, HoldPoint, ModelRequestRecord, RunEvent } from '../engine/types';
import { hitMatches, type PlacedBreakpoint } from './breakpoints';
import { expressionAt, templateAt } from './expressions';
import { isWithin, Lanes, type Execution, type Lane } from './lanes';

/** Where the debugger can stop: the runner's hold points. */
export type HookKind = HoldPoint;
export type StepMode = 'next' | 'in' | 'out';

/** The exception-style breakpoints a person can turn on. */
export const EXCEPTION_FILTERS = [
  { filter: 'failure', label: 'On step failure', description: 'Stop after a step fails, before the run acts on it', default: true },
  { filter: 'retry', label: 'On retry', description: 'Stop after a failed attempt, before it is tried again' },
  { filter: 'check', label: 'On a failed check', description: 'Stop when a step’s `check:` is false for its output' },
  { filter: 'model-call', label: 'Before each model call', description: 'Stop with the rendered request before it is sent' },
] as const;

export interface Stop {
  lane: Lane;
  execution: Execution;
  /** The point the hook was given: the scope right here. */
  point: InspectionPoint;
  kind: HookKind;
  /** Frames below this stop (a model call is one deeper than its step). */
  depth: number;
  reason: 'entry' | 'pause' | 'step' | 'breakpoint' | 'exception' | 'restart';
  description: string;
  text?: string;
  hitBreakpointIds?: number[];
  attempt?: number;
  request?: ModelRequestRecord;
  error?: ErrorInfo;
  /** The output a failed check judged. */
  output?: unknown;
}

export interface DebuggerListener {
  stopped(stop: Stop): void;
  threadStarted(lane: Lane): void;
  threadExited(lane: Lane): void;
  output(text: string, category: 'console' | 'stdout' | 'stderr'): void;
}

type Extra = Partial<Pick<Stop, 'attempt' | 'request' | 'error' | 'output'>>;

export class WorkflowDebugger implements Inspector {
  readonly lanes = new Lanes();
  filters = new Set<string>(EXCEPTION_FILTERS.filter((f) => 'default' in f && f.default).map((f) => f.filter));
  /** Breakpoints by resolved file path. */
  readonly breakpoints = new Map<string, PlacedBreakpoint[]>();
  private entryPending: Stop['reason'] | undefined;
  private pauseRequested = false;
  private readonly requests = new Map<Lane, { mode: StepMode; depth: number }>();
  private readonly held = new Map<number, { stop: Stop; go: () => void }>();
  /** Executions whose failure the debugger has seen (stopped at or not). */
  private readonly failuresShown = new Set<string>();

  constructor(private readonly listener: DebuggerListener) {}

  /** Stop at the run's first step (`stopOnEntry`, or after *Restart frame*). */
  stopAtFirstStep(reason: 'entry' | 'restart'): void {
    this.entryPending = reason;
  }

  readonly beforeStep = (point: InspectionPoint) => this.hook('step', point, {});
  readonly beforeModelCall = (point: InspectionPoint & { attempt: number; request: ModelRequestRecord }) => this.hook('call', point, { attempt: point.attempt, request: point.request });
  readonly onStepFailed = (point: InspectionPoint & { error: ErrorInfo }) => this.hook('failed', point, { error: point.error });
  readonly onRetry = (point: InspectionPoint & { attempt: number; error: ErrorInfo }) => this.hook('retry', point, { attempt: point.attempt, error: point.error });
  readonly onCheckFailed = (point: InspectionPoint & { attempt: number; output: unknown; error: ErrorInfo }) => this.hook('check', point, { attempt: point.attempt, error: point.error, output: point.output });

  /** Follows the run's events: a branch's or item's lane ends with its execution. */
  onEvent(event: RunEvent): void {
    if (event.type !== 'step.completed' && event.type !== 'step.failed' && event.type !== 'step.skipped') return;
    const lane = this.lanes.end(refKey(event));
    // A step request made in the lane stays: it lands in the lane the branch or item returns to.
    if (lane) this.listener.threadExited(lane);
  }

  /** Where a lane is stopped, if it is. */
  stopOf(laneId: number): Stop | undefined {
    return this.held.get(laneId)?.stop;
  }

  stops(): Stop[] {
    return [...this.held.values()].map((h) => h.stop);
  }

  /** Lets a stopped lane go on: to the end, or to the next stop a step request asks for. */
  resume(laneId: number, mode: StepMode | 'continue'): boolean {
    const held = this.held.get(laneId);
    if (!held) return false;
    this.held.delete(laneId);
    if (mode !== 'continue') this.requests.set(held.stop.lane, { mode, depth: held.stop.depth });
    held.go();
    return true;
  }

  resumeAll(): void {
    for (const id of [...this.held.keys()]) this.resume(id, 'continue');
  }

  /** Stop at the next hook any lane reaches. */
  pause(): void {
    this.pauseRequested = true;
  }

  /** Drops every stop and request (the run is over or being replaced). */
  reset(): void {
    this.requests.clear();
    this.pauseRequested = false;
    for (const held of this.held.values()) held.go();
    this.held.clear();
    this.lanes.clear();
    this.failuresShown.clear();
  }

  private hook(kind: HookKind, point: InspectionPoint, extra: Extra): Promise<void> | void {
    let execution = kind === 'step' ? undefined : this.lanes.find(point.ref);
    if (!execution) {
      const entered = this.lanes.enter(point);
      execution = entered.execution;
      if (entered.started) this.listener.threadStarted(entered.started);
    }
    const depth = this.lanes.depth(execution) + (kind === 'call' ? 1 : 0);
    const why = this.why(kind, execution, depth, point, extra);
    if (!why) return;
    const stop: Stop = { lane: execution.lane, execution, point, kind, depth, ...extra, ...why };
    this.pauseRequested = false;
    this.requests.delete(execution.lane);
    return new Promise<void>((go) => {
      this.held.set(execution.lane.id, { stop, go });
      this.listener.stopped(stop);
    });
  }

  private why(kind: HookKind, execution: Execution, depth: number, point: InspectionPoint, extra: Extra): Pick<Stop, 'reason' | 'description' | 'text' | 'hitBreakpointIds'> | undefined {
    const where = describeHook(kind, point, extra);
    if (kind === 'step' && this.entryPending) {
      const reason = this.entryPending;
      this.entryPending = undefined;
      return { reason, description: `${reason === 'entry' ? 'Paused on entry' : 'Restarted'}: ${where}` };
    }
    if (this.pauseRequested && (kind === 'step' || kind === 'call')) return { reason: 'pause', description: `Paused ${where}` };
    if (kind === 'step' || kind === 'call') {
      for (const [from, request] of this.requests) {
        if (stepLands(request.mode, kind, execution.lane, depth, from, request.depth)) {
          this.requests.delete(from);
          return { reason: 'step', description: `Paused ${where}` };
        }
      }
    }
    if (kind === 'step') {
      const hit = this.breakpointsHit(point);
      if (hit.length > 0) return { reason: 'breakpoint', description: `Paused on a breakpoint ${where}`, hitBreakpointIds: hit };
    }
    if (kind === 'failed') {
      // A `parallel`, `for_each` or `uses:` step failing because something inside it did is the same failure: stop once.
      const inner = [...this.failuresShown].some((key) => key !== execution.key && key.startsWith(execution.key));
      this.failuresShown.add(execution.key);
      if (inner) return undefined;
    }
    const filter = kind === 'failed' ? 'failure' : kind === 'call' ? 'model-call' : kind === 'step' ? undefined : kind;
    if (filter && this.filters.has(filter)) {
      const text = extra.error?.message;
      return { reason: kind === 'call' ? 'breakpoint' : 'exception', description: `Paused ${where}`, ...(text ? { text } : {}) };
    }
    return undefined;
  }

  /** The breakpoints that stop here (log points write their message and do not). */
  private breakpointsHit(point: InspectionPoint): number[] {
    // A `for_each` step stops once per item, like a loop's body.
    if (point.step.forEach && point.ref.index === undefined) return [];
    const placed = this.breakpoints.get(path.resolve(point.workflow.file)) ?? [];
    const hit: number[] = [];
    for (const bp of placed) {
      if (!bp.verified || bp.stepId !== point.step.id) continue;
      if (bp.condition?.trim()) {
        try {
          if (!evaluateCondition(expressionAt(bp.condition), point.scope)) continue;
        } catch (error) {
          this.listener.output(`breakpoint condition \`${bp.condition}\` on step \`${bp.stepId}\`: ${(error as Error).message}\n`, 'stderr');
        }
      }
      bp.hits++;
      if (bp.hitCondition?.trim() && !hitMatches(bp.hitCondition, bp.hits)) continue;
      if (bp.logMessage !== undefined) {
        this.listener.output(`${logText(bp.logMessage, point)}\n`, 'console');
        continue;
      }
      hit.push(bp.id);
    }
    return hit;
  }
}

/** Whether a step request made at (`from`, `fromDepth`) stops at this hook. */
export function stepLands(mode: StepMode, kind: 'step' | 'call', lane: Lane, depth: number, from: Lane, fromDepth: number): boolean {
  // The lane stepped from has ended: its caller's next stop is the step's end.
  if (lane !== from && isWithin(from, lane)) return true;
  switch (mode) {
    case 'in':
      return isWithin(lane, from);
    case 'next':
      return kind === 'step' && lane === from && depth <= fromDepth;
    case 'out':
      return kind === 'step' && lane === from && depth < fromDepth;
  }
}

function describeHook(kind: HookKind, point: InspectionPoint, extra: Extra): string {
  const item = point.ref.index !== undefined ? ` (item ${point.ref.index})` : '';
  const id = `\`${point.ref.stepId}\`${item}`;
  switch (kind) {
    case 'step':
      return `before step ${id}`;
    case 'call':
      return `before the model call of ${id}${extra.request ? ` (${extra.request.provider}/${extra.request.model})` : ''}`;
    case 'failed':
      return `after step ${id} failed`;
    case 'retry':
      return `after attempt ${extra.attempt ?? 1} of ${id} failed, before a retry`;
    case 'check':
      return `after the check of ${id} failed`;
  }
}

function logText(message: string, point: InspectionPoint): string {
  try {
    return renderText(templateAt(message), point.scope);
  } catch (error) {
    return `${message} (cannot render: ${(error as Error).message})`;
  }
}
