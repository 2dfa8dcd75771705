/**
 * Durable runs (docs/architecture.md, rule 5): trace files, the runs index, resume,
 * replay, and the last results of a workflow for *Run step* / *Run from here*.
 * Node-only (it uses `node:fs`), so it is imported from here, not from the
 * browser-safe engine index. The file format is in docs/trace-format.md.
 */
export { TraceStore, TraceRecorder, DEFAULT_ROOT, type BeginOptions, type TraceStoreOptions } from './store';
export { recordedRun, type RecordedRun, type RecordingOptions } from './recorded-run';
export { TraceWriter, type TraceSync, type TraceWriterOptions } from './writer';
export { readTrace, parseTrace, TraceFormatError, type TraceContents, type TraceErrorCode, type TraceHeaderExtras, type RunStartedEvent, type RunEndEvent } from './read';
export { type RunSummary, type ListedRunStatus, type ListOptions } from './run-index';
export { runView, type RunView, type StepView } from './view';
export { refKey } from '../state';
export { restorerFromEvents, type TraceRestorer } from './restore';
export { planResume, resumeRun, storeHolding, ResumeError, type ResumeErrorCode, type PlanOptions, type ResumePlan, type ResumeOptions, type ResumeOutcome } from './resume';
export { replayProvider, replayResolver, ReplayError } from './replay';
export { lastResults, type LastResultsOptions } from './last-results';
export { workflowSlug } from './slug';
export { redactEvent } from './redact';
