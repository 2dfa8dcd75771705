/** What a run is given: the ports it acts through and what the face asked for. */
import type { RunControl } from '../control';
import type { IdSource } from '../ids';
import type { Asker, Clock, ModelCallRecord, ModelSettings, ProviderResolver, RunEvent, StepRef, StepResult, WorkflowLoader } from '../types';
import type { CancelScope } from './cancel-scope';
import type { Inspector } from './inspector';
import type { ToolSession } from './tool-session';
import type { UnstampedEvent } from './runner';

/** A finished step execution taken from an earlier run instead of executing it. */
export interface RestoredStep {
  output: unknown;
  attempts: number;
  call?: ModelCallRecord;
}

/** Supplies earlier results by exact execution (resume). */
export interface Restorer {
  /** The recorded result of this exact execution (step, visit, item, enclosing execution), when it finished before. */
  take(ref: StepRef): RestoredStep | undefined;
}

export interface RunOptions {
  inputs?: Record<string, unknown>;
  providers: ProviderResolver;
  clock?: Clock;
  /** Asks the person for missing inputs and `input:` steps; without it, runs are headless. */
  ask?: Asker;
  loadWorkflow?: WorkflowLoader;
  onEvent?: (event: RunEvent) => void;
  runId?: string;
  /** Where the run's id comes from when `runId` is not given (tests pass a seeded source). */
  ids?: IdSource;
  /** Pause, resume, step and cancel. A signal alone also cancels. */
  control?: RunControl;
  signal?: AbortSignal;
  /** Model settings under the workflow's own (the editor's or CLI's defaults). */
  defaults?: ModelSettings;
  /** Start here instead of the first step; `seed` supplies what ran before it. */
  startAt?: string;
  /** Stop successfully once this step has succeeded (*Run to here*, *Run step*). */
  stopAfter?: string;
  /** Step results to start from, as `steps.<id>` (from the last run). */
  seed?: Record<string, StepResult>;
  /** Results to replay instead of executing (resume). */
  restore?: Restorer;
  /** The run this one continues, recorded in `run.started`. */
  resumedFrom?: string;
  /** Nesting depth of sub-workflows, to stop `uses:` cycles. */
  depth?: number;
  /** The scope of the step that started this run as a sub-workflow: cancelling it cancels the run. */
  parentScope?: CancelScope;
  /** Set for a sub-workflow's run: how its executions are named and reported in the run that started it. */
  nesting?: Nesting;
  /** A debugger's hold on the run: awaited before steps and model calls, after failures (see inspector.ts). */
  inspector?: Inspector;
  /** The run's MCP tools, opened on first use; the run that is given it closes it when it ends (a sub-workflow shares its parent's). */
  tools?: ToolSession;
}

/**
 * A sub-workflow's executions are executions of the run that started it: its step
 * ids are prefixed with the `uses:` step's id (`review/draft`), they sit inside the
 * `uses:` step's execution (`parent`), and their events go into that run's stream —
 * so its trace records them, `--replay` answers them and resume restores them.
 */
export interface Nesting {
  idPrefix: string;
  parent: string;
  forward: (event: UnstampedEvent) => void;
}

/**
 * The options of a sub-workflow's run: named one by one, so an option added to
 * {@link RunOptions} is not inherited by accident. What the child does not get —
 * events (forwarded through `nesting` instead), start/stop points, seeds — belongs to the parent's run.
 */
export function childOptions(parent: RunOptions, child: { inputs: Record<string, unknown>; runId: string; control: RunControl; parentScope: CancelScope; nesting: Nesting }): RunOptions {
  return {
    providers: parent.providers,
    restore: parent.restore,
    clock: parent.clock,
    ids: parent.ids,
    ask: parent.ask,
    loadWorkflow: parent.loadWorkflow,
    defaults: parent.defaults,
    inspector: parent.inspector,
    tools: parent.tools,
    depth: (parent.depth ?? 0) + 1,
    ...child,
  };
}
