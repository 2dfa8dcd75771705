/** Evaluation: test cases in workflow files, datasets, expectations, evals on disk, reports. Node-only (datasets and evals use `node:fs`). */
export * from './types';
export { parseTests } from './parse';
export { labelOf, subjectLabel } from './labels';
export { runFacts, topLevelPath, visitCounts, type RunFacts, type PathEntry, type ModelCallFact, type ToolCallFact } from './facts';
export { checkExpectations, subjectValue, deepEqual, asText, type CheckContext } from './expect';
export { checkTrajectory, argumentDifferences, describeCall, type TrajectoryOutcome } from './trajectory';
export { judge, type JudgeRequest, type JudgeVerdict } from './judge';
export { readRows, rowInputs, estimateRows, isDatasetFile, DatasetError, DATASET_EXTENSIONS, type DatasetRow } from './dataset';
export { runCase, caseOutcome, withMocks, type CaseRun, type CaseRunOptions, type CaseOutcome } from './run-case';
export { evalJobs, runEval, type EvalSuite, type EvalPlan, type EvalJob, type RunEvalOptions } from './run-eval';
export { SummaryBuilder, caseKey, EVAL_RECORD_VERSION, type CaseResult, type CaseSummary, type EvalHeader, type EvalSummary, type EvalRecord, type EvalEnd } from './results';
export { EvalStore, EvalWriter, readEval, loadEval } from './eval-store';
export { report, caseRunName, xml, REPORTERS, type ReporterName, type EvalReport } from './reporters';
export { compareEvals, type CaseChange, type EvalComparison } from './compare';
