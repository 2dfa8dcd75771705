/** Helpers for engine tests: load a workflow from inline YAML, and providers that script replies. */
import assert from 'node:assert/strict';
import { createResolver } from '../../src/engine/providers';
import {
  checkWorkflow,
  formatProblem,
  hasErrors,
  runWorkflow,
  type ModelRequest,
  type ModelResponse,
  type Provider,
  type RunEvent,
  type RunOptions,
  type RunResult,
  type Workflow,
} from '../../src/engine';

export function load(yaml: string, file = 'test.workflow.yaml'): Workflow {
  const { workflow, problems } = checkWorkflow(dedent(yaml), file);
  const errors = problems.filter((p) => p.severity === 'error');
  assert.ok(workflow && !hasErrors(problems), `expected a valid workflow, got:\n${errors.map(formatProblem).join('\n')}`);
  return workflow;
}

/** A provider whose replies come from a function; records every request. */
export class ScriptedProvider implements Provider {
  readonly requests: ModelRequest[] = [];
  constructor(
    private readonly reply: (request: ModelRequest, call: number) => Promise<Partial<ModelResponse> | string> | Partial<ModelResponse> | string,
    readonly id = 'scripted',
  ) {}

  async complete(request: ModelRequest): Promise<ModelResponse> {
    this.requests.push(request);
    const reply = await this.reply(request, this.requests.length);
    const response = typeof reply === 'string' ? { text: reply } : reply;
    return { text: '', ...response };
  }

  /** The user prompts sent, in order. */
  get prompts(): string[] {
    return this.requests.map((r) => r.messages[r.messages.length - 1].content);
  }
}

export interface Recorded {
  result: RunResult;
  events: RunEvent[];
}

export async function run(workflow: Workflow, provider: Provider, options: Partial<RunOptions> = {}): Promise<Recorded> {
  const events: RunEvent[] = [];
  const result = await runWorkflow(workflow, {
    providers: createResolver({ scripted: provider, openai: provider, [provider.id]: provider }),
    ...options,
    onEvent: (event) => {
      events.push(event);
      options.onEvent?.(event);
    },
  });
  return { result, events };
}

/** The sequence of `type:stepId` for step events, to assert paths compactly. */
export function path(events: RunEvent[], types: RunEvent['type'][] = ['step.completed']): string[] {
  return events.filter((e) => types.includes(e.type)).map((e) => ('stepId' in e ? `${e.stepId}${'index' in e && e.index !== undefined ? `[${e.index}]` : ''}` : e.type));
}

export function dedent(text: string): string {
  const lines = text.replace(/^\n/, '').split('\n');
  const indent = Math.min(...lines.filter((l) => l.trim()).map((l) => l.length - l.trimStart().length));
  return lines.map((l) => l.slice(indent)).join('\n');
}
