/**
 * What a prompt step sends: settings merged step over worker over workflow over the
 * face's defaults, messages rendered in the step's scope.
 */
import { renderText, renderValue, type Scope } from '../expressions';
import { refKey } from '../state/run-state';
import type { StepRef, ChatMessage, ModelParams, ModelRequestRecord, ModelSettings, PromptStep, Step, Workflow } from '../types';

const DEFAULT_PROVIDER = 'openai';
const DEFAULT_MODEL = 'gpt-4o-mini';
const PARAM_KEYS = ['temperature', 'max_tokens', 'top_p', 'seed', 'stop'] as const;

export function prepareRequest(workflow: Workflow, step: PromptStep, scope: Scope, defaults: ModelSettings | undefined): ModelRequestRecord {
  const worker = step.worker && Object.hasOwn(workflow.workers, step.worker.name) ? workflow.workers[step.worker.name] : undefined;
  const settings: ModelSettings = { ...defaults, ...workflow.model, ...worker?.model, ...step.model };
  const params: ModelParams = {};
  for (const key of PARAM_KEYS) if (settings[key] !== undefined) (params as Record<string, unknown>)[key] = settings[key];
  const messages: ChatMessage[] = [];
  const system = step.system ?? worker?.system;
  if (system) messages.push({ role: 'system', content: renderText(system, scope) });
  messages.push({ role: 'user', content: renderText(step.prompt, scope) });
  const record: ModelRequestRecord = { provider: settings.provider ?? DEFAULT_PROVIDER, model: settings.name ?? DEFAULT_MODEL, params, messages };
  if (step.outputSchema) record.outputSchema = step.outputSchema;
  return record;
}

/**
 * A step's `mock:` replies, one per call: a list gives one entry per call (each
 * attempt and each visit), the last repeating. Counted per step and item, so a
 * restored call (resume) uses up its entries as the original did.
 */
export class MockRotation {
  private readonly calls = new Map<string, number>();

  /** The rendered reply for the next call of this execution, or undefined when the step has no `mock:`. */
  next(step: Step, ref: StepRef, scope: Scope): unknown {
    if (!step.mock) return undefined;
    const key = mockKey(ref);
    const calls = this.calls.get(key) ?? 0;
    this.calls.set(key, calls + 1);
    const reply = step.mock.kind === 'list' ? step.mock.items[Math.min(calls, step.mock.items.length - 1)] : step.mock;
    return reply ? renderValue(reply, scope) : undefined;
  }

  /** Counts calls made by an earlier run that this one restores instead of making. */
  skip(step: Step, ref: StepRef, count: number): void {
    if (!step.mock) return;
    const key = mockKey(ref);
    this.calls.set(key, (this.calls.get(key) ?? 0) + count);
  }
}

/** Mock replies rotate per step and item (and the items it is inside), across visits. */
export function mockKey(ref: StepRef): string {
  return refKey({ ...ref, visit: 0 }).replace(/#\d+#/g, '##');
}
