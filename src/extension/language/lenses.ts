/**
 * The CodeLenses of a workflow file as plain data: *Run workflow* / *Step through* (or
 * the controls of the run going on) above the workflow, *Run step* / *Run to here* /
 * *Run from here* above each top-level step, and each step's status. *Step through*
 * is VS Code's debugger stopped before the first step (issue 13: stepping is the
 * debugger's job, with breakpoints, Variables and the call stack); the controls of a
 * run the debugger holds act through the debugger. In Restricted Mode nothing runs:
 * the lock and past statuses only. Cheap by design: one pass over the steps of an
 * analysis that is already cached.
 */
import type { HeldExecution } from '../../engine/state';
import type { ParsedWorkflow } from './parsed';
import { statusTitle, type RunStatus } from './status';

export const COMMANDS = {
  runWorkflow: 'orchestrate.workflow.run',
  /** Starts VS Code's debugger on the file; a lens passes `{ stopOnEntry: true }`. */
  debug: 'orchestrate.workflow.debug',
  stepOverInDebugger: 'workbench.action.debug.stepOver',
  runStep: 'orchestrate.step.run',
  runToHere: 'orchestrate.step.runToHere',
  runFromHere: 'orchestrate.step.runFromHere',
  nextStep: 'orchestrate.run.nextStep',
  pause: 'orchestrate.run.pause',
  resume: 'orchestrate.run.resume',
  stop: 'orchestrate.run.stop',
  showRun: 'orchestrate.run.show',
  manageTrust: 'workbench.trust.manage',
} as const;

const RUN_STEP_TOOLTIP = 'Run this step alone, reusing the last results of the steps before it (or running them when there are none)';
const RUN_TO_HERE_TOOLTIP = 'Run from the first step and stop after this one';
const RUN_FROM_HERE_TOOLTIP = 'Start at this step, reusing the last results of the steps before it';
const STEP_THROUGH_TOOLTIP = 'Debug the workflow, stopped before its first step: Step Over (F10) runs one step, Step Into (F11) goes into branches, items, sub-workflows and model calls, Continue (F5) runs to the next breakpoint';

const HOLD_WHERE: Record<HeldExecution['at'], string> = {
  step: 'before this step',
  call: 'before its model call',
  failed: 'after it failed',
  retry: 'before a retry',
  check: 'after a failed check',
};

/** The debugger's hold on this step, or inside it (a sub-workflow's step under its `uses:` step). */
function holdOn(held: readonly HeldExecution[] | undefined, stepId: string): HeldExecution | undefined {
  return held?.findLast((h) => h.stepId === stepId || h.stepId.startsWith(`${stepId}/`));
}

export interface LensSpec {
  offset: number;
  title: string;
  command: string;
  /** Arguments after the document's URI, which the adapter puts first. */
  args: unknown[];
  tooltip?: string;
}

export interface LensState {
  /** Runs are allowed (a trusted workspace). */
  trusted: boolean;
  /** Step statuses of this file's latest runs in this window. */
  status?: RunStatus;
  /** The run of this file going on now, if any. */
  active?: { runId: string; paused: boolean };
}

export function computeLenses(model: ParsedWorkflow, state: LensState): LensSpec[] {
  const workflow = model.workflow;
  if (!workflow) return [];
  const lenses: LensSpec[] = [];
  const top = model.nameOffset;
  if (!state.trusted) {
    lenses.push({ offset: top, title: '$(lock) Running is disabled in Restricted Mode', command: COMMANDS.manageTrust, args: [], tooltip: 'Runs call model providers and write files: trust this folder to run workflows. Editing features work as usual.' });
  } else if (state.active) {
    const { runId, paused } = state.active;
    if (paused) {
      lenses.push({ offset: top, title: '$(debug-step-over) Next step', command: COMMANDS.nextStep, args: [runId] });
      lenses.push({ offset: top, title: '$(debug-continue) Resume', command: COMMANDS.resume, args: [runId] });
    } else {
      lenses.push({ offset: top, title: '$(debug-pause) Pause', command: COMMANDS.pause, args: [runId] });
    }
    lenses.push({ offset: top, title: '$(debug-stop) Stop', command: COMMANDS.stop, args: [runId] });
  } else {
    lenses.push({ offset: top, title: '$(play) Run workflow', command: COMMANDS.runWorkflow, args: [], tooltip: 'Run the whole workflow' });
    lenses.push({ offset: top, title: '$(debug-step-over) Step through', command: COMMANDS.debug, args: [{ stopOnEntry: true }], tooltip: STEP_THROUGH_TOOLTIP });
  }

  const steps = state.status?.steps;
  // Nothing that acts on a run in Restricted Mode, whatever state the runs say.
  const pausedBefore = state.trusted ? state.status?.pausedBefore : undefined;
  const runLenses = state.trusted && !state.active;
  // One pass, few allocations: on a 2,000-step file this runs on every refresh during a run.
  const topIds = runLenses ? new Set(workflow.steps.map((s) => s.id)) : undefined;
  for (const step of model.steps) {
    const offset = step.range.offset;
    if (topIds?.has(step.id)) {
      const args = [step.id];
      lenses.push({ offset, title: '$(play) Run step', command: COMMANDS.runStep, args, tooltip: RUN_STEP_TOOLTIP });
      lenses.push({ offset, title: 'Run to here', command: COMMANDS.runToHere, args, tooltip: RUN_TO_HERE_TOOLTIP });
      lenses.push({ offset, title: 'Run from here', command: COMMANDS.runFromHere, args, tooltip: RUN_FROM_HERE_TOOLTIP });
    }
    const hold = state.trusted ? holdOn(state.status?.held, step.id) : undefined;
    if (hold) {
      lenses.push({ offset, title: `$(debug-stackframe) paused in debugger ${HOLD_WHERE[hold.at]}`, command: COMMANDS.stepOverInDebugger, args: [], tooltip: 'Step over (F10); Continue (F5) lets the run go on' });
      continue;
    }
    if (pausedBefore === step.id) {
      lenses.push({ offset, title: '$(debug-pause) paused before this step', command: COMMANDS.nextStep, args: [state.active?.runId], tooltip: 'Run this step (Next step)' });
      continue;
    }
    const status = steps?.get(step.id);
    if (status) lenses.push({ offset, title: statusTitle(status), command: COMMANDS.showRun, args: [status.runId], tooltip: status.reason });
  }
  return lenses;
}
