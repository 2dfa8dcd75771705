/** Step edits on a workflow's text: each returns minimal text edits, never a re-serialised file. */
export { addStep, STEP_KINDS, type AddableKind, type AddOptions } from './add';
export { removeStep, type RemoveMode } from './remove';
export { moveStep, moveStepOnto, moveStepTo, type Direction } from './move';
export { duplicateStep } from './duplicate';
export { extractSteps, type ExtractOptions } from './extract';
export { inlineStep } from './inline';
export { applyEdits, AuthoringError, type EditResult, type NewFile, type TextEdit } from './text-edit';
export { layoutOf, findStep, stepAt } from './step-blocks';
