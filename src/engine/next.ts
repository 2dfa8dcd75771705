/**
 * Where the run goes after a step: a pure function of the workflow, the step and
 * its outcome (docs/architecture.md, rule 2). The runner performs effects; this decides.
 */
import { isTerminal } from './graph';
import type { ErrorInfo, Step, Workflow } from './types';

export type StepOutcome =
  | { status: 'succeeded'; /** For a switch: the target its matching case named. */ switchTarget?: string }
  | { status: 'skipped' }
  | { status: 'failed'; error: ErrorInfo };

export type Decision =
  | { type: 'goto'; stepId: string }
  | { type: 'end' }
  | { type: 'fail'; error: ErrorInfo }
  /** The step has a `fail:` message: the runner renders it and fails the run. */
  | { type: 'fail-step' };

export function decideNext(workflow: Workflow, step: Step, outcome: StepOutcome): Decision {
  const following = workflow.steps[positionOf(workflow, step) + 1]?.id;
  const go = (target: string | undefined, error?: ErrorInfo): Decision => {
    if (target === undefined || target === 'end') return { type: 'end' };
    if (target === 'fail') return { type: 'fail', error: error ?? { code: 'fail', message: `step \`${step.id}\` sent the run to \`fail\``, stepId: step.id } };
    return { type: 'goto', stepId: target };
  };

  switch (outcome.status) {
    case 'failed':
      // A failure goes where `on_failure` says; without it, the run fails with the step's error.
      return step.onFailure ? go(step.onFailure.to, outcome.error) : { type: 'fail', error: outcome.error };
    case 'skipped':
      return go(step.next?.to ?? following);
    case 'succeeded':
      if (step.kind === 'fail' || step.fail) return { type: 'fail-step' };
      if (step.end) return { type: 'end' };
      if (step.onSuccess) return go(step.onSuccess.to);
      if (step.next) return go(step.next.to);
      if (outcome.switchTarget !== undefined) return go(outcome.switchTarget);
      return go(following);
  }
}

const positions = new WeakMap<Workflow, Map<Step, number>>();

/** A step's place in file order, memoized per workflow so long runs stay O(1) per step. */
function positionOf(workflow: Workflow, step: Step): number {
  let map = positions.get(workflow);
  if (!map) {
    map = new Map(workflow.steps.map((s, i) => [s, i]));
    positions.set(workflow, map);
  }
  return map.get(step) ?? -1;
}

export { isTerminal };
