/**
 * One run of a test case or a dataset row: the workflow with the case's mock replies,
 * recorded like any run (so the case links to its trace), its run state built by the
 * reducer, then the expectations checked against what the state says.
 */
import { initialRunState, type RunState } from '../state/run-state';
import { RunStateBuilder } from '../state/reduce';
import { stepInfosOf } from '../state/selectors';
import { recordedRun, type RecordingOptions } from '../trace/recorded-run';
import type { ToolSession } from '../run/tool-session';
import type { Clock, ProviderResolver, Step, TemplateValue, Workflow, WorkflowLoader } from '../types';
import { checkExpectations } from './expect';
import { runFacts, topLevelPath } from './facts';
import type { Expectation, ExpectationResult } from './types';

export interface CaseRun {
  workflow: Workflow;
  workflowText?: string;
  caseName: string;
  inputs: Record<string, unknown>;
  mocks: Record<string, TemplateValue>;
  expect: readonly Expectation[];
  row?: Record<string, unknown>;
}

export interface CaseRunOptions extends Pick<RecordingOptions, 'store' | 'secrets' | 'onError' | 'onUnrecorded' | 'ids' | 'now'> {
  providers: ProviderResolver;
  loadWorkflow?: WorkflowLoader;
  clock?: Clock;
  signal?: AbortSignal;
  /** A fresh tool session for each case's run (given its trace, for results kept beside it); the run closes it. Without it, tool steps fail. */
  tools?: (traceFile: string | undefined) => Promise<ToolSession>;
}

export interface CaseOutcome {
  passed: boolean;
  runId: string;
  trace?: string;
  status: string;
  error?: string;
  outputs: Record<string, unknown>;
  path: string[];
  expectations: ExpectationResult[];
  tokens: number;
  costUsd: number;
  durationMs: number;
  /** Model calls answered from the cache. */
  cachedCalls: number;
  calls: number;
}

export async function runCase(run: CaseRun, options: CaseRunOptions): Promise<CaseOutcome> {
  const workflow = withMocks(run.workflow, run.mocks);
  const recording = recordedRun(workflow, { store: options.store, workflowText: run.workflowText, secrets: options.secrets, onError: options.onError, onUnrecorded: options.onUnrecorded, ids: options.ids, now: options.now });
  const state = new RunStateBuilder(initialRunState(workflow, stepInfosOf(workflow)));
  const signal = options.signal ?? new AbortController().signal;
  const tools = await options.tools?.(recording.trace);
  await recording.run({ inputs: run.inputs, providers: options.providers, loadWorkflow: options.loadWorkflow, clock: options.clock, signal, onEvent: (event) => state.apply(event), ...(tools ? { tools } : {}) });
  return caseOutcome(run, state.state, { runId: recording.runId, ...(recording.trace ? { trace: recording.trace } : {}) }, { providers: options.providers, signal });
}

/** A case's outcome from the state its run ended in, wherever it ran (here, or on a worker of `orchestrate test --redis`). */
export async function caseOutcome(run: CaseRun, state: RunState, recorded: { runId: string; trace?: string }, options: { providers: ProviderResolver; signal: AbortSignal }): Promise<CaseOutcome> {
  const workflow = withMocks(run.workflow, run.mocks);
  const facts = runFacts(state);
  const expectations = await checkExpectations(run.expect, facts, { workflow, providers: options.providers, signal: options.signal, row: run.row, caseName: run.caseName });
  return {
    passed: expectations.every((e) => e.passed),
    ...recorded,
    status: facts.status,
    ...(facts.error ? { error: facts.error.message } : {}),
    outputs: facts.outputs,
    path: topLevelPath(facts),
    expectations,
    tokens: facts.usage.totalTokens,
    costUsd: facts.costUsd,
    durationMs: facts.durationMs,
    cachedCalls: facts.calls.filter((call) => call.cached).length,
    calls: facts.calls.length,
  };
}

/**
 * The workflow with a case's replies in place of its steps' `mock:`; a mocked step
 * runs on the mock provider whatever it names, so a case can stub one step and run
 * the rest for real. The workflow given is not changed.
 */
export function withMocks(workflow: Workflow, mocks: Record<string, TemplateValue>): Workflow {
  const ids = Object.keys(mocks);
  if (ids.length === 0) return workflow;
  const stepsById = new Map<string, Step>();
  const replace = (step: Step): Step => {
    let next: Step = step;
    if (Object.hasOwn(mocks, step.id) && step.kind === 'prompt') next = { ...step, mock: mocks[step.id], model: { ...step.model, provider: 'mock' } };
    if (next.kind === 'parallel') next = { ...next, branches: next.branches.map(replace) };
    if (workflow.stepsById.get(step.id) === step) stepsById.set(step.id, next);
    return next;
  };
  const steps = workflow.steps.map(replace);
  for (const [id, step] of workflow.stepsById) if (!stepsById.has(id)) stepsById.set(id, step);
  return { ...workflow, steps, stepsById };
}
