/** What a debug session needs from the face it runs in (the CLI's process, the editor): files, providers, recording. */
import type { DebugProtocol } from '@vscode/debugprotocol';
import type { RecordedRun } from '../engine/trace/recorded-run';
import type { ToolSession } from '../engine/run/tool-session';
import type { Asker, ModelSettings, Problem, ProviderResolver, Workflow, WorkflowLoader } from '../engine/types';

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
  record(workflow: Workflow, text: string, launch: LaunchArguments): RecordedRun;
  /** The run's MCP tools, as this face gives them to its runs (the run closes them); given the run's trace. */
  tools?(workflow: Workflow, launch: LaunchArguments, traceFile: string | undefined): Promise<ToolSession>;
  /** Model settings under the workflow's own (the editor's default provider and model). */
  defaults?(workflow: Workflow): ModelSettings | undefined;
  /** Asks for the answers of `input:` steps the launch did not give; without it they take their default or fail. */
  ask?: (workflow: Workflow) => Asker;
}
