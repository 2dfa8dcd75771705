/** The outline: one symbol per step, a parallel step's branches as its children. */
import type { Step, StepKind, Workflow } from '../../engine';
import { stepDetail } from './completion';

export interface StepSymbol {
  name: string;
  detail: string;
  kind: StepKind;
  offset: number;
  endOffset: number;
  selectionOffset: number;
  selectionEnd: number;
  children: StepSymbol[];
}

export function stepSymbols(workflow: Workflow | undefined): StepSymbol[] {
  return (workflow?.steps ?? []).map(toSymbol);
}

function toSymbol(step: Step): StepSymbol {
  return {
    name: step.id,
    detail: stepDetail(step),
    kind: step.kind,
    offset: step.range.offset,
    endOffset: step.range.endOffset,
    selectionOffset: step.idRange.offset,
    selectionEnd: step.idRange.endOffset,
    children: step.kind === 'parallel' ? step.branches.map(toSymbol) : [],
  };
}
