/**
 * What each way of starting a run means for the runner (pure: no `vscode`):
 *
 * - *Run workflow*: from the first step. *Step through*: the same, paused before each step.
 * - *Run to here*: from the first step, stopping once the step has succeeded.
 * - *Run step*: the step alone, seeded with the last results of the steps it reads; when
 *   some are missing, from the first step with a stop after it, so what is missing runs.
 * - *Run from here*: start at the step, seeded likewise; from the first step when the
 *   steps from here on read results that do not exist yet.
 */
import { Reachability, type StepResult, type Workflow } from '../../engine';
import type { ParsedWorkflow } from '../language/parsed';
import type { RunMode } from './session';

export interface RunPlan {
  startAt?: string;
  stopAfter?: string;
  seed?: Record<string, StepResult>;
  /** Start paused before the first step. */
  stepping: boolean;
  /** Said to the person when the plan differs from what they asked (results missing). */
  note?: string;
}

export function planRun(model: ParsedWorkflow, mode: RunMode, stepId: string | undefined, seed: Record<string, StepResult>): RunPlan {
  const workflow = model.workflow!;
  switch (mode) {
    case 'run':
    case 'resume':
      return { stepping: false };
    case 'step-through':
      return { stepping: true };
    case 'run-to-here':
      return { stepping: false, stopAfter: stepId };
    case 'run-step':
    case 'run-from-here': {
      const id = stepId!;
      const from = mode === 'run-step' ? new Set([id]) : runsFrom(workflow, id);
      const missing = [...upstreamReads(model, from)].filter((read) => seed[read]?.status !== 'succeeded');
      const stopAfter = mode === 'run-step' ? id : undefined;
      if (missing.length > 0) {
        const which = missing.slice(0, 5).map((m) => `\`${m}\``).join(', ') + (missing.length > 5 ? '…' : '');
        return { stepping: false, stopAfter, note: `no earlier result for ${which} in this window or the traces, so the run starts from the first step` };
      }
      return { stepping: false, startAt: id, stopAfter, seed };
    }
  }
}

/** The top-level steps a run started at `id` can reach (`id` included). */
function runsFrom(workflow: Workflow, id: string): Set<string> {
  return new Reachability(workflow).reachableFrom(id);
}

/**
 * The steps outside `from` whose results the steps in `from` (and their branches) read:
 * what a run that starts there needs from earlier runs.
 */
export function upstreamReads(model: ParsedWorkflow, from: ReadonlySet<string>): Set<string> {
  const reads = new Set<string>();
  const inside = (stepId: string | undefined) => {
    const step = stepId === undefined ? undefined : model.workflow?.stepsById.get(stepId);
    return step !== undefined && from.has(model.topLevelOf(step).id);
  };
  for (const occurrence of model.occurrences) {
    if (occurrence.target !== 'step' || occurrence.role !== 'expression' || !occurrence.inStep) continue;
    if (!inside(occurrence.inStep.id) || inside(occurrence.name)) continue;
    if (model.workflow?.stepsById.has(occurrence.name)) reads.add(occurrence.name);
  }
  return reads;
}
