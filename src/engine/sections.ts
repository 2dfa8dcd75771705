/**
 * The parts of a workflow file checked beside its steps: `on:` (triggers, for
 * `orchestrate serve`) and `tests:` (for `orchestrate test` and the Test Explorer).
 * Each has its own reader; this is the one place `validate`, the editor's diagnostics
 * and the servers collect their problems, so every face reports the same ones.
 */
import { parseTests } from './eval/parse';
import { parseTriggers } from './triggers/triggers';
import type { Problem, Workflow } from './types';

export function sectionProblems(text: string, file: string, workflow: Workflow | undefined): Problem[] {
  // Most files have neither section: skip the extra parses (the editor checks on every keystroke).
  const problems: Problem[] = [];
  if (/^on\s*:/m.test(text)) problems.push(...parseTriggers(text, file, workflow).problems);
  if (/^tests\s*:/m.test(text)) problems.push(...parseTests(text, file, workflow).problems);
  return problems;
}
