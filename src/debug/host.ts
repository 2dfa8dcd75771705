/** What a debug session needs from the face it runs in (the CLI's process, the editor): files, providers, recording. */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { RunOptions } from '../engine/run';
import { initialRunState, RunStateBuilder, stepInfosOf, type RunState } from '../engine/state';
import type { RecordedRun } from '../engine/trace/recorded-run';
import type { ToolSession } from '../engine/run/tool-session';
import type { Asker, ModelSettings, Problem, ProviderResolver, RunResult, Workflow, WorkflowLoader } from '../engine/types';

/** A launch configuration of `"type": "orchestrate"`. */
export interface LaunchArguments extends DebugProtocol.LaunchRequestArguments {
  /** The workflow file to run. */
  workflow: string;
  /** Workflow inputs, and answers to `input:` steps by step id. */
  inputs?: Record<string, unknown>;
  /** Stop before the first step. */
  stopOnEntry?: boolean;
  /** Run every step on the mock provider. */
  mock?: boolean;
  /** How long each mock reply takes, in milliseconds. */
  mockDelay?: number;
  /** reuse (default), refresh or off. */
  cache?: 'reuse' | 'refresh' | 'off';
  /** `false`: do not record a trace. */
  trace?: boolean;
  /** Model settings under the workflow's own (`provider`, `name`, `temperature` …): which provider and model steps that name none use. */
  model?: ModelSettings;
  /** MCP tools that may run without asking (`files.read_text_file`, `files.*`), as `--allow-tools` takes them. */
  allowTools?: string[];
}

/** A workflow file as read and checked. */
export interface CheckedFile {
  text: string;
  workflow?: Workflow;
  problems: Problem[];
}

export interface DebugHost {
  /** Reads and checks a workflow file (`uses:` paths too); throws an Error worded for the person when it cannot be read. */
  check(file: string): Promise<CheckedFile>;
  loadWorkflow: WorkflowLoader;
  /** The providers this face runs with, after the launch's overrides (`mock`). */
  providers(launch: LaunchArguments): Promise<ProviderResolver>;
  /** A run recorded the way this face records runs (the same trace store, secrets kept out). */
  record(workflow: Workflow, text: string, launch: LaunchArguments): DebugRecording;
  /** The run's MCP tools, as this face gives them to its runs (the run closes them); given the run's trace. */
  tools?(workflow: Workflow, launch: LaunchArguments, traceFile: string | undefined): Promise<ToolSession>;
  /** Model settings under the workflow's own (the editor's default provider and model). */
  defaults?(workflow: Workflow): ModelSettings | undefined;
  /** Asks for the answers of `input:` steps the launch did not give; without it they take their default or fail. */
  ask?: (workflow: Workflow) => Asker;
}

/** A run about to start under the debugger: its id and trace are known before it runs. */
export interface DebugRecording {
  readonly runId: string;
  readonly trace: string | undefined;
  start(options: Omit<RunOptions, 'runId'>): HostedRun;
}

/**
 * A run going on. `state` is the face's own fold of the run's events — in the editor
 * the run session's, which the run panel, the lenses and the status bar read — so the
 * debugger's Variables and the panel show one run state, never two copies of it.
 */
export interface HostedRun {
  readonly result: Promise<RunResult>;
  readonly state: () => RunState;
}

/** A recorded run, folded here: for a face that keeps no run state of its own (the CLI's `debug-adapter`). */
export function foldedRecording(workflow: Workflow, recording: RecordedRun): DebugRecording {
  return {
    runId: recording.runId,
    trace: recording.trace,
    start(options) {
      const builder = new RunStateBuilder(initialRunState(workflow, stepInfosOf(workflow)));
      const result = recording.run({
        ...options,
        onEvent: (event) => {
          builder.apply(event);
          options.onEvent?.(event);
        },
      });
      return { result, state: () => builder.state };
    },
  };
}
