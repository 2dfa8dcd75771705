/**
 * The engine's public API. Faces (the CLI, the extension, the panel's host side)
 * import from here, never from engine internals.
 */
import { analyzeWorkflow, type AnalyzeOptions } from './analyze';
import { loadWorkflow, sortProblems, type LoadResult } from './load';
import { sectionProblems } from './sections';
import type { Problem } from './types';

export * from './types';
export { IncrementalChecker } from './incremental';
export { loadWorkflow, KIND_KEYS, DEFAULT_MAX_VISITS, DEFAULT_CONCURRENCY, type LoadResult } from './load';
export { analyzeWorkflow, STEP_FIELDS, type AnalyzeOptions } from './analyze';
export { runWorkflow, newRunId, type RunOptions, type Restorer, type RestoredStep } from './run';
export { EngineError, isEngineError, toErrorInfo, isRetryable, type EngineErrorInit, type RetryAdvice } from './errors';
export { RunControl, CancelledError } from './control';
export { systemClock, systemRandom, seededRandom, SimulatedClock } from './clock';
export { decideNext, type Decision, type StepOutcome } from './next';
export { edges, Reachability, allSteps, type Edge } from './graph';
export { resolveInputs, coerce } from './inputs';
export { parseDuration, formatDuration } from './duration';
export { SourceMap } from './source';
export { CachedWorkflowFiles, readTextAsync, readTextSync, workflowFiles, type WorkflowFiles, type SubWorkflowInfo, type SubWorkflowLookup } from './workflow-files';
export { canRead, scopeAt, fieldOf, readableSteps, type ExpressionField, type ExpressionScope, type ReadContext, type Readability } from './scope-rules';
export { workflowSchema } from './schema';
export { MockProvider, exampleOf, estimateTokens } from './providers/mock';
export { stringify as stringifyOutput, renderText, evaluate } from './expressions';

/** Loads and analyzes a file: every problem, sorted by position, and the workflow when it could be built. */
export function checkWorkflow(text: string, file: string, options: AnalyzeOptions = {}): LoadResult {
  const result = loadWorkflow(text, file);
  result.problems.push(...sectionProblems(text, file, result.workflow));
  if (result.workflow) result.problems.push(...analyzeWorkflow(result.workflow, { source: result.source, ...options }));
  sortProblems(result.problems);
  return result;
}

export function hasErrors(problems: Problem[]): boolean {
  return problems.some((problem) => problem.severity === 'error');
}

/** `file:line:col: code: message`, as compilers print problems. */
export function formatProblem(problem: Problem): string {
  const { line, column } = problem.range.start;
  const severity = problem.severity === 'error' ? '' : `${problem.severity} `;
  return `${problem.file}:${line}:${column}: ${severity}${problem.code}: ${problem.message}`;
}
