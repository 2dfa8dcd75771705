/**
 * The vocabulary of evaluation: test cases written in a workflow file's `tests:`,
 * dataset cases whose inputs come from rows, the expectations they carry and what
 * checking them gives. Plain data, no Node or vscode imports.
 */
import type { Expr, ModelSettings, ProblemCode, SourceRange, TemplateValue } from '../types';

/** Stable codes of problems in `tests:`: editors and tests key on them. */
/** The codes of `tests:` problems (declared with the rest in src/engine/types.ts). */
export type TestProblemCode = Extract<ProblemCode, `test-${string}`>;

export interface TestProblem {
  file: string;
  range: SourceRange;
  code: TestProblemCode;
  severity: 'error';
  message: string;
}

/** What an expectation looks at: a workflow output, a step's output, or every output; `field` selects inside it. */
export interface Subject {
  kind: 'outputs' | 'output' | 'step';
  /** The output's name or the step's id. */
  name?: string;
  /** A dotted path inside the value (`summary.title`). */
  field?: string[];
}

export type ExpectationSpec =
  | { kind: 'equals'; subject: Subject; value: unknown }
  | { kind: 'contains'; subject: Subject; value: string }
  | { kind: 'matches'; subject: Subject; pattern: string }
  | { kind: 'schema'; subject: Subject; schema: Record<string, unknown> }
  | { kind: 'cel'; expr: Expr }
  | { kind: 'status'; status: 'succeeded' | 'failed' }
  | { kind: 'path'; exact?: string[]; includes?: string[]; excludes?: string[]; visits?: Record<string, number> }
  | { kind: 'budget'; latencyMs?: number; tokens?: number; costUsd?: number }
  | { kind: 'judge'; subject: Subject; rubric: string; threshold: number; model?: ModelSettings; mock?: unknown }
  | ToolsExpectationSpec;

/**
 * How the expected calls of a `tools:` expectation meet the run's tool calls:
 * `exact` — they are all the calls, in this order; `in-order` — they were made in this
 * order, other calls may come between; `any` — each was made, in any order.
 */
export type ToolCallOrder = 'exact' | 'in-order' | 'any';
export const TOOL_CALL_ORDERS: readonly ToolCallOrder[] = ['exact', 'in-order', 'any'];

/** One call a `tools:` expectation looks for. */
export interface ExpectedToolCall {
  /** `server.tool`, or a pattern such as `files.*`. */
  name: string;
  /** The call's arguments, exactly (deep equality; strings may be `{{ row.x }}` templates). */
  args?: unknown;
  /** A CEL predicate over `call` (and the names `cel:` sees). */
  where?: Expr;
}

/** How many calls of the tools a pattern names the run may make. */
export interface ToolCallCount {
  name: string;
  min?: number;
  max?: number;
}

/** The tool-call trajectory: which tools were called, with which arguments, how often, and which never. */
export interface ToolsExpectationSpec {
  kind: 'tools';
  calls?: ExpectedToolCall[];
  order: ToolCallOrder;
  /** Tools (names or patterns) no call may name. */
  never?: string[];
  /** At most this many tool calls in all. */
  max?: number;
  counts?: ToolCallCount[];
}

/** An expectation as written: its check, a short label for tables, and where it is. */
export type Expectation = ExpectationSpec & { label: string; range: SourceRange };

/** One `tests:` entry with `inputs:`: a single run. */
export interface TestCase {
  kind: 'case';
  name: string;
  inputs: Record<string, unknown>;
  /** Per step id, replies that replace the step's `mock:` (and put the step on the mock provider). */
  mocks: Record<string, TemplateValue>;
  expect: Expectation[];
  /** The entry's `name:` value: where the editor shows the case and its failures. */
  range: SourceRange;
}

/** One `tests:` entry with `rows:` (or the target of `--data`): every row a run, one set of expectations. */
export interface DatasetCase {
  kind: 'dataset';
  name: string;
  /** The rows file, relative to the workflow file; `--data` overrides it. */
  rows?: string;
  /** Input name → column name, where they differ; other inputs take the column of their own name. */
  columns: Record<string, string>;
  mocks: Record<string, TemplateValue>;
  expect: Expectation[];
  range: SourceRange;
}

export type TestEntry = TestCase | DatasetCase;

export interface TestSuite {
  file: string;
  entries: TestEntry[];
  problems: TestProblem[];
}

/** The outcome of one expectation on one run. */
export interface ExpectationResult {
  label: string;
  kind: ExpectationSpec['kind'];
  passed: boolean;
  /** Why it failed, in words; absent when it passed. */
  message?: string;
  /** For a diff: what was expected and what the run gave, as text. */
  expected?: string;
  actual?: string;
  /** A judge's score (0–1) and its reasoning, kept whether it passed or not. */
  score?: number;
  reasoning?: string;
  line: number;
}
