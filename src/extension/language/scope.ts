/**
 * Which steps' results an expression can read where it is written — the same rule the
 * analyzer enforces (`future-step-ref`), so completion never offers a step that would
 * then be reported as an error.
 */
import type { Step } from '../../engine';
import type { ParsedWorkflow } from './parsed';

export interface ExpressionScope {
  /** The step the expression is written in; none in `outputs:` and workers. */
  step?: Step;
  /** Inside a `for_each` body: `item` and `index`. */
  inMap: boolean;
  /** In `check`: `output`. */
  hasOutput: boolean;
  /** In `outputs:` (and workers): every step may have run. */
  anyStep: boolean;
}

export function visibleSteps(model: ParsedWorkflow, scope: ExpressionScope): Step[] {
  if (scope.anyStep || !scope.step) return model.steps;
  const from = scope.step;
  const fromTop = model.topLevelOf(from);
  const before = model.ancestorsOf(fromTop.id);
  return model.steps.filter((target) => {
    // A step reads its own last result only on a loop; in `check`, `output` is the way.
    if (target.id === from.id) return before.has(fromTop.id) && !scope.hasOutput;
    const targetTop = model.topLevelOf(target);
    // Branches of one parallel step run at the same time.
    if (targetTop.id === fromTop.id) return false;
    return before.has(targetTop.id);
  });
}
