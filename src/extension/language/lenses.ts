/**
 * The CodeLenses of a workflow file as plain data: *Run workflow* / *Step through* (or
 * the controls of the run going on) above the workflow, *Run step* / *Run to here* /
 * *Run from here* above each top-level step, and each step's status. Cheap by design:
 * one pass over the steps of an analysis that is already cached.
 */
import type { ParsedWorkflow } from './parsed';
import { statusTitle, type RunStatus } from './status';

export const COMMANDS = {
  runWorkflow: 'orchestrate.workflow.run',
  stepThrough: 'orchestrate.workflow.stepThrough',
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
    lenses.push({ offset: top, title: '$(debug-step-over) Step through', command: COMMANDS.stepThrough, args: [], tooltip: 'Run one step at a time' });
  }

  const steps = state.status?.steps;
  const pausedBefore = state.status?.pausedBefore;
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
    if (pausedBefore === step.id) {
      lenses.push({ offset, title: '$(debug-pause) paused before this step', command: COMMANDS.nextStep, args: [state.active?.runId], tooltip: 'Run this step (Next step)' });
      continue;
    }
    const status = steps?.get(step.id);
    if (status) lenses.push({ offset, title: statusTitle(status), command: COMMANDS.showRun, args: [status.runId], tooltip: status.reason });
  }
  return lenses;
}
