/**
 * The engine's public vocabulary: the typed workflow model the loader produces,
 * the events a run emits, and the ports (provider, clock, asker) through which a
 * run touches the world. Nothing here imports `vscode`, the DOM or Node-only APIs,
 * so the CLI, the extension host and the tests all share it.
 *
 * Longer than the house's 400 lines on purpose: the workflow model, the events and
 * the ports are one vocabulary, read together, and split they would import each other.
 */
import type { ErrorCode } from './errors';
import type { ToolEvent } from './tools/events';
import type { FunctionToolDefinition } from './tools/function-tools';
import type { WorkflowMcp } from './tools/workflow-servers';

export type { ErrorCode } from './errors';

// ─── Source positions ────────────────────────────────────────────────────────

/** 1-based line and column, as editors and the CLI print them. */
export interface Position {
  line: number;
  column: number;
}

/** A span of the workflow file. `offset`/`endOffset` are 0-based character offsets. */
export interface SourceRange {
  start: Position;
  end: Position;
  offset: number;
  endOffset: number;
}

// ─── Problems (validation and analysis) ──────────────────────────────────────

export type Severity = 'error' | 'warning' | 'info';

/**
 * One thing wrong with a workflow file. `code` is stable: editors key quick fixes
 * on it, tests assert it, and people search for it.
 */
export interface Problem {
  file: string;
  range: SourceRange;
  code: ProblemCode;
  severity: Severity;
  message: string;
  /** The step the problem belongs to, when there is one. */
  stepId?: string;
  /** Machine-readable data for quick fixes, e.g. `{ replacement: 'outline' }`. */
  data?: Record<string, unknown>;
}

export type ProblemCode =
  | 'yaml-syntax'
  | 'schema'
  | 'duplicate-id'
  | 'missing-kind'
  | 'multiple-kinds'
  | 'unknown-step-ref'
  | 'unknown-input-ref'
  | 'unknown-worker'
  | 'unknown-target'
  | 'unknown-variable'
  | 'unknown-step-field'
  | 'future-step-ref'
  | 'unreachable-step'
  | 'expression-syntax'
  | 'expression-type'
  | 'expression-too-deep'
  | 'invalid-regex'
  | 'reserved-key'
  | 'template-syntax'
  | 'invalid-duration'
  | 'nested-transition'
  | 'workflow-not-found'
  | 'reserved-id'
  | 'misplaced-key'
  | 'missing-cases'
  | 'invalid-default'
  | 'unknown-with-input'
  | 'missing-with-input'
  | 'uses-cycle'
  // `on:` triggers (src/engine/triggers) and `tests:` (src/engine/eval), checked beside the steps
  | 'trigger-invalid'
  | 'trigger-unknown-key'
  | 'trigger-webhook-path'
  | 'trigger-duplicate-path'
  | 'trigger-secret-env'
  | 'trigger-cron'
  | 'trigger-timezone'
  | 'trigger-unknown-input'
  | 'trigger-expression'
  | 'test-shape'
  | 'test-unknown-key'
  | 'test-duplicate-name'
  | 'test-unknown-step'
  | 'test-unknown-input'
  | 'test-unknown-output'
  | 'test-expression'
  | 'test-regex'
  | 'test-schema'
  | 'test-budget'
  | 'test-threshold'
  | 'test-unknown-tool'
  | 'test-tool-conflict'
  | 'mcp-server-invalid'
  | 'mcp-server-name'
  | 'mcp-literal-secret'
  | 'mcp-approval'
  | 'unknown-tool-server'
  // found by the editor against the tools a server lists (src/authoring/tool-references.ts)
  | 'unknown-tool'
  | 'missing-tool-argument'
  | 'unknown-tool-argument'
  | 'tool-server-unreachable';

// ─── The workflow model ──────────────────────────────────────────────────────

/** A CEL expression as written, with where it was written. */
export interface Expr {
  source: string;
  range: SourceRange;
  /**
   * Where each character of `source` is in the file (0-based offsets, one more entry for
   * the end), when the expression sits inside a quoted, block or multi-line scalar whose
   * text differs from what the file holds. Absent when `source` is written as is at `range`.
   */
  offsets?: readonly number[];
}

/** A piece of a `{{ }}` template: literal text or an expression. */
export type TemplatePart = { text: string } | { expr: Expr };

/**
 * A string that may contain `{{ expression }}` parts. A template that is exactly one
 * expression (`"{{ steps.a.output }}"`) renders to that expression's value unchanged,
 * so `set:` and `with:` can pass objects and lists through.
 */
export interface Template {
  source: string;
  parts: TemplatePart[];
  range: SourceRange;
}

/** A value from YAML whose strings are templates: `set:`, `with:`, `outputs:`, `mock:`. */
export type TemplateValue =
  | { kind: 'template'; template: Template }
  | { kind: 'literal'; value: unknown }
  | { kind: 'list'; items: TemplateValue[] }
  | { kind: 'object'; entries: Record<string, TemplateValue> };

export interface ModelSettings {
  provider?: string;
  name?: string;
  temperature?: number;
  max_tokens?: number;
  top_p?: number;
  seed?: number;
  stop?: string[];
}

export type InputType = 'string' | 'number' | 'boolean' | 'object' | 'array';

export interface InputDef {
  name: string;
  description?: string;
  type: InputType;
  required: boolean;
  default?: unknown;
  choices?: unknown[];
  range: SourceRange;
}

export interface WorkerDef {
  name: string;
  description?: string;
  system?: Template;
  model?: ModelSettings;
  range: SourceRange;
}

/** Where a transition goes: a step id, or the run's end (`end`) or failure (`fail`). */
export interface Target {
  to: string;
  range: SourceRange;
}

export type StepKind = 'prompt' | 'parallel' | 'switch' | 'input' | 'set' | 'workflow' | 'tool' | 'fail';

export interface StepBase {
  id: string;
  kind: StepKind;
  name?: string;
  description?: string;
  if?: Expr;
  /** Per attempt, in milliseconds. */
  timeoutMs?: number;
  retries: number;
  retryDelayMs: number;
  check?: Expr;
  next?: Target;
  onSuccess?: Target;
  onFailure?: Target;
  /** `end: true`: the run finishes successfully once this step succeeds. */
  end: boolean;
  /** `fail: message`: the run fails with this message once this step has run. */
  fail?: Template;
  maxVisits: number;
  cache?: boolean;
  mock?: TemplateValue;
  /** `for_each`: the step's body runs once per item of this list. */
  forEach?: Expr;
  concurrency: number;
  /** The id of the `parallel` step this step is a branch of. */
  parentId?: string;
  range: SourceRange;
  idRange: SourceRange;
}

export interface PromptStep extends StepBase {
  kind: 'prompt';
  prompt: Template;
  system?: Template;
  worker?: { name: string; range: SourceRange };
  model?: ModelSettings;
  outputSchema?: Record<string, unknown>;
  /** `tools:`: the tools the model may call (`files.*`, `files.read_text_file`), as written; `entries` says where each is. */
  tools?: { patterns: string[]; range: SourceRange; entries: { pattern: string; range: SourceRange }[] };
  /** `max_turns`: model calls in the step's tool loop before it fails with `max-turns`. */
  maxTurns: number;
}

export interface ParallelStep extends StepBase {
  kind: 'parallel';
  branches: Step[];
}

export interface SwitchStep extends StepBase {
  kind: 'switch';
  switch: Expr;
  cases: { value: string; target: Target }[];
  default?: Target;
}

export interface InputStep extends StepBase {
  kind: 'input';
  question: Template;
  default?: unknown;
  choices?: unknown[];
}

export interface SetStep extends StepBase {
  kind: 'set';
  value: TemplateValue;
}

export interface WorkflowStep extends StepBase {
  kind: 'workflow';
  uses: { path: string; range: SourceRange };
  with: Record<string, TemplateValue>;
  /** Where each `with:` key is written, for problems about the sub-workflow's inputs. */
  withKeys: { name: string; range: SourceRange }[];
}

/** `tool: server.tool`: calls one MCP tool with the `with:` arguments. */
export interface ToolStep extends StepBase {
  kind: 'tool';
  tool: { server: string; name: string; range: SourceRange };
  with: Record<string, TemplateValue>;
  /** Where each `with:` key is written, for the editor's argument checks; undefined when `with:` is not a mapping. */
  withKeys: { name: string; range: SourceRange }[] | undefined;
}

/** A step with no kind of its own and a `fail:` message: reaching it fails the run. */
export interface FailStep extends StepBase {
  kind: 'fail';
}

export type Step = PromptStep | ParallelStep | SwitchStep | InputStep | SetStep | WorkflowStep | ToolStep | FailStep;

export interface Workflow {
  file: string;
  name: string;
  description?: string;
  inputs: InputDef[];
  model: ModelSettings;
  workers: Record<string, WorkerDef>;
  /** Top-level steps in file order; `parallel` branches are nested in their parent. */
  steps: Step[];
  outputs: Record<string, TemplateValue>;
  /** Every step, nested ones included, by id (first wins when ids repeat). */
  stepsById: Map<string, Step>;
  /** The `mcp:` key: the servers the workflow declares or takes from the workspace. */
  mcp?: WorkflowMcp;
  /** Where each server name under `mcp:` is written (the editor's tool problems point there). */
  mcpNames?: { name: string; range: SourceRange }[];
  range: SourceRange;
}

// ─── Model calls: the provider port ──────────────────────────────────────────

export interface ChatMessage {
  /** `tool`: a tool's result, answering the assistant's call `toolCallId` (a prompt's `tools:` loop). */
  role: 'system' | 'user' | 'assistant' | 'tool';
  content: string;
  /** On an assistant message: the calls the model asked for. */
  toolCalls?: ModelToolCall[];
  /** On a tool message: the call it answers. */
  toolCallId?: string;
}

/** A call the model asks for: the function name it was offered and its arguments as JSON text (untrusted). */
export interface ModelToolCall {
  id: string;
  name: string;
  arguments: string;
}

export interface ModelParams {
  temperature?: number;
  max_tokens?: number;
  top_p?: number;
  seed?: number;
  stop?: string[];
}

export interface Usage {
  inputTokens: number;
  outputTokens: number;
  totalTokens: number;
}

export interface ModelRequest {
  provider: string;
  model: string;
  messages: ChatMessage[];
  params: ModelParams;
  /** JSON Schema the reply must satisfy; the reply is then JSON. */
  outputSchema?: Record<string, unknown>;
  /** Functions the model may call (a prompt's `tools:`); its reply may then carry `toolCalls`. */
  tools?: FunctionToolDefinition[];
  /** Aborted on cancel and on timeout; providers pass it to their HTTP request. */
  signal: AbortSignal;
  /** Streamed text as it arrives. */
  onDelta?: (text: string) => void;
  /** Who is asking, for error messages and rate-limit accounting. */
  stepId: string;
  attempt: number;
  /** With `stepId`, the execution this call belongs to (replay matches recorded replies on it). */
  visit?: number;
  /** The `for_each` item index, when the step is a map. */
  index?: number;
  /** The enclosing execution, for a branch of a `parallel` (see {@link StepRef.parent}). */
  parent?: string;
  /** `false` when the step says `cache: false`: a caching layer must call the provider. */
  cache?: boolean;
  /**
   * The step's `mock:` reply for this call, already rendered. Only the mock
   * provider reads it; real providers ignore it. It travels with the request (not a
   * provider-side script) because which entry a call gets depends on the execution
   * it belongs to — visit, item, enclosing branch — which only the runner knows.
   */
  mock?: unknown;
}

export interface ModelResponse {
  text: string;
  /** The calls the model asks for instead of (or beside) a final answer. */
  toolCalls?: ModelToolCall[];
  /** The parsed reply when the request had an `outputSchema`. */
  json?: unknown;
  usage?: Usage;
  /** The model that answered, when the server says. */
  model?: string;
  finishReason?: string;
  costUsd?: number;
  /** Set by the caching layer. */
  cache?: { hit: boolean; key: string };
}

/** A source of model replies. Providers carry no workflow logic. */
export interface Provider {
  readonly id: string;
  complete(request: ModelRequest): Promise<ModelResponse>;
  /**
   * The run rejected the reply stored under this cache key (a failed `check` or
   * schema): a provider that keeps replies must never serve it again.
   */
  discard?(cacheKey: string): Promise<void>;
}

/** Resolves the provider a step names (`openai`, `mock`, `vscode-lm`, a named server). */
export interface ProviderResolver {
  resolve(name: string): Provider;
}

// ─── Other ports ─────────────────────────────────────────────────────────────

/** Time, injected so tests can use a simulated clock. */
export interface Clock {
  now(): number;
  /** Resolves after `ms`, or rejects with the signal's reason when aborted. */
  sleep(ms: number, signal?: AbortSignal): Promise<void>;
}

/**
 * Randomness (retry jitter, ids), injected beside the clock so tests are repeatable:
 * each call gives a number in [0, 1), as `Math.random` does.
 */
export type RandomSource = () => number;

export interface InputQuestion {
  stepId?: string;
  name: string;
  question: string;
  type: InputType;
  default?: unknown;
  choices?: unknown[];
}

/** Asks the person running the workflow; `undefined` means no answer (headless, dismissed). */
export type Asker = (question: InputQuestion, signal: AbortSignal) => Promise<unknown | undefined>;

/** Loads a sub-workflow named by `uses:`, relative to the file that uses it. */
export type WorkflowLoader = (path: string, fromFile: string) => Promise<Workflow>;

// ─── Run results and events ──────────────────────────────────────────────────

export type StepStatus = 'pending' | 'running' | 'succeeded' | 'failed' | 'skipped';
export type RunStatus = 'running' | 'paused' | 'succeeded' | 'failed' | 'cancelled';

/** What went wrong, with the chain of causes a person needs to act on it. */
export interface ErrorInfo {
  /** Stable kind of failure; see {@link ErrorCode}. */
  code: ErrorCode;
  message: string;
  stepId?: string;
  cause?: ErrorInfo;
  /** Where in the workflow file, when it is about a node of it. */
  range?: SourceRange;
}

/** A model call as it is sent. */
export interface ModelRequestRecord {
  provider: string;
  model: string;
  params: ModelParams;
  messages: ChatMessage[];
  outputSchema?: Record<string, unknown>;
}

/** Everything a person debugging a model call needs, as it was sent and received. */
export interface ModelCallRecord extends ModelRequestRecord {
  usage?: Usage;
  costUsd?: number;
  latencyMs: number;
  finishReason?: string;
  cache?: { hit: boolean; key: string };
}

/** Identifies one execution of a step: which visit, and which item of a `for_each`. */
/** Where an inspector can hold an execution: before the step, before its model call, after it failed, after a failed attempt (before the retry), after a failed check. */
export type HoldPoint = 'step' | 'call' | 'failed' | 'retry' | 'check';

export interface StepRef {
  stepId: string;
  /** 1-based count of times the run has entered this step. */
  visit: number;
  /** The item index inside a `for_each`. */
  index?: number;
  /**
   * The execution this one runs inside (`refKey` of a `parallel` step's execution or
   * item), for branches: a branch of a mapped `parallel` runs once per item, and each
   * of those executions owns its result.
   */
  parent?: string;
}

interface EventBase {
  runId: string;
  /** Monotonic within a run, from 1. */
  seq: number;
  /** Milliseconds since the epoch, from the run's clock. */
  time: number;
}

export const TRACE_SCHEMA_VERSION = 1;

export type RunEvent =
  | (EventBase & {
      type: 'run.started';
      schemaVersion: number;
      workflow: { name: string; file: string };
      inputs: Record<string, unknown>;
      /** The run this one continues, when resumed. */
      resumedFrom?: string;
      startAt?: string;
      stopAfter?: string;
    })
  | (EventBase &
      StepRef & {
        type: 'step.started';
        kind: StepKind;
        attempt: number;
        name?: string;
        /** For a model call: what is being sent, so a person can read the prompt while the reply streams. */
        request?: ModelRequestRecord;
      })
  | (EventBase & StepRef & { type: 'step.delta'; attempt: number; text: string })
  | (EventBase &
      StepRef & {
        type: 'step.completed';
        attempt: number;
        output: unknown;
        durationMs: number;
        call?: ModelCallRecord;
        /** Taken from an earlier run rather than executed. */
        restored?: boolean;
      })
  | (EventBase &
      StepRef & {
        type: 'step.failed';
        attempt: number;
        error: ErrorInfo;
        durationMs: number;
        call?: ModelCallRecord;
        /** The text received before the failure (a broken stream); recorded, never passed on. */
        partialOutput?: string;
      })
  | (EventBase &
      StepRef & {
        type: 'step.retrying';
        attempt: number;
        error: ErrorInfo;
        delayMs: number;
        call?: ModelCallRecord;
        partialOutput?: string;
      })
  | (EventBase & StepRef & { type: 'step.skipped'; reason: string })
  | (EventBase & ToolEvent)
  /** An inspector (the debugger) holds this execution: the run waits there until `step.released`. */
  | (EventBase & StepRef & { type: 'step.held'; at: HoldPoint })
  | (EventBase & StepRef & { type: 'step.released' })
  | (EventBase & { type: 'run.paused'; nextStepId?: string })
  | (EventBase & { type: 'run.resumed' })
  | (EventBase & { type: 'run.completed'; outputs: Record<string, unknown>; durationMs: number; usage: Usage; costUsd?: number })
  | (EventBase & { type: 'run.failed'; error: ErrorInfo; durationMs: number; usage: Usage; costUsd?: number })
  | (EventBase & { type: 'run.cancelled'; reason: string; durationMs: number; usage: Usage; costUsd?: number });

export type RunEventType = RunEvent['type'];

/** The latest state of one step, as `steps.<id>` exposes it to expressions. */
export interface StepResult {
  status: StepStatus;
  output: unknown;
  attempts: number;
  visits: number;
  startedAt?: number;
  durationMs?: number;
  error?: ErrorInfo;
  usage?: Usage;
  costUsd?: number;
}

export interface RunResult {
  runId: string;
  status: 'succeeded' | 'failed' | 'cancelled';
  outputs: Record<string, unknown>;
  steps: Record<string, StepResult>;
  error?: ErrorInfo;
  durationMs: number;
  usage: Usage;
  costUsd?: number;
}
