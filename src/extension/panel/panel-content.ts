/**
 * What the panel can show, and how each is loaded: a run going on in this window
 * (a `RunSession`), a past run read from its trace, or two traces compared. Only
 * Node and the engine here (no `vscode` values), so loading a 1,000-step trace is
 * benchmarked and tested outside VS Code.
 */
import { promises as fs } from 'node:fs';
import * as path from 'node:path';
import { loadWorkflow, type Workflow } from '../../engine';
import { readTrace, storeHolding, type TraceContents } from '../../engine/trace';
import { coalesceDeltas } from '../../shared/event-batcher';
import type { CompareSide, PanelSource, RunHeader, ShowRunParams } from '../../shared/protocol';
import { emptyOutline, outlineOf, type WorkflowOutline } from '../../shared/workflow-outline';
import type { RunSession } from '../runs/session';

/** A past run, read. */
export interface TraceRun {
  trace: TraceContents;
  /** The workflow file as it is now, when it still exists and loads (for lines, the graph and re-runs). */
  workflow?: Workflow;
  workflowFile: string;
  outline: WorkflowOutline;
  /** The trace has no end and nothing is writing it any more. */
  interrupted: boolean;
  warnings: string[];
}

/** Loads the workflow file a run ran, as it is now; `undefined` when it is gone or does not load. */
export async function loadWorkflowFile(file: string): Promise<Workflow | undefined> {
  let text: string;
  try {
    text = await fs.readFile(file, 'utf8');
  } catch {
    return undefined;
  }
  // Loading is enough for the outline, lines and graph; the analysis (a few hundred ms on
  // 1,000 steps) would only repeat the editor's diagnostics. A re-run checks the file anyway.
  return loadWorkflow(text, file).workflow;
}

export async function loadTraceRun(file: string): Promise<TraceRun> {
  const trace = await readTrace(file);
  const workflowFile = trace.started.workflowPath ?? path.resolve(trace.started.workflow.file);
  const workflow = await loadWorkflowFile(workflowFile);
  const warnings = [...trace.warnings];
  if (!workflow) warnings.push(`${workflowFile} is gone or does not load: the steps are shown as the trace records them, without the graph`);
  let interrupted = false;
  if (!trace.end) {
    // No end event: killed, or still being written by another process (a CLI run).
    const summary = await storeHolding(file)
      ?.findRun(trace.started.runId)
      .catch(() => undefined);
    interrupted = summary?.status !== 'running';
  }
  const outline = workflow ? outlineOf(workflow) : emptyOutline(trace.started.workflow.name, workflowFile);
  return { trace, workflow, workflowFile, outline, interrupted, warnings };
}

export function traceHeader(run: TraceRun, source: PanelSource): RunHeader {
  return {
    runId: run.trace.started.runId,
    source,
    live: false,
    canRerun: run.workflow !== undefined,
    traceFile: run.trace.file,
    warnings: run.warnings,
  };
}

export function traceShowParams(run: TraceRun): ShowRunParams {
  return {
    header: traceHeader(run, { kind: 'trace', traceFile: run.trace.file }),
    outline: run.outline,
    events: run.trace.events,
    interrupted: run.interrupted,
  };
}

export function compareSide(run: TraceRun, source: PanelSource): CompareSide {
  return { header: traceHeader(run, source), outline: run.outline, events: run.trace.events, interrupted: run.interrupted };
}

/** The session's events so far, deltas merged, as one `run/show`. */
export function sessionShowParams(session: RunSession, outline: WorkflowOutline, ended: boolean): ShowRunParams {
  const traceFile = session.traceFile?.fsPath;
  const source: PanelSource = traceFile === undefined ? { kind: 'session', runId: session.runId } : { kind: 'session', runId: session.runId, traceFile };
  const header: RunHeader = { runId: session.runId, source, mode: session.mode, live: !ended, canRerun: true, warnings: [] };
  if (traceFile !== undefined) header.traceFile = traceFile;
  return { header, outline, events: coalesceDeltas(session.events) };
}
