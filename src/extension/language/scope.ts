/**
 * Which steps' results an expression can read where it is written: the engine's
 * `canRead`, the rule the analyzer enforces (`future-step-ref`), so completion never
 * offers a step that would then be reported as an error — and a step not wired in yet
 * still gets the steps above it while it is being written.
 */
import { readableSteps, type ExpressionScope, type Step } from '../../engine';
import type { ParsedWorkflow } from './parsed';

export type { ExpressionScope };

export function visibleSteps(model: ParsedWorkflow, scope: ExpressionScope): Step[] {
  return model.workflow ? readableSteps(model.workflow, scope) : [];
}
