/**
 * Hover text as markdown: a key's description from the schema, and for a step named
 * anywhere (its id, `steps.<id>`, a transition) what the step does and, when it ran in
 * this window, its last result.
 */
import { nextScheduleTimes, parseTriggers } from '../../engine/triggers/triggers';
import { stringifyOutput, type StepResult } from '../../engine';
import { stepBody, stepDetail, truncateLines } from './completion';
import { occurrenceAt } from './occurrences';
import type { ParsedWorkflow } from './parsed';
import { documentation, schemaAt, types } from './schema';
import { keyPathAt } from './yaml-context';

export interface HoverResult {
  markdown: string;
  offset: number;
  endOffset: number;
}

/** The key under the cursor, described by the schema. */
export function schemaHoverAt(text: string, offset: number): HoverResult | undefined {
  const key = keyPathAt(text, offset);
  if (!key) return undefined;
  const node = schemaAt(key.path);
  const doc = documentation(node);
  if (!node || !doc) return undefined;
  const name = key.path[key.path.length - 1];
  const type = types(node).join(' | ');
  return { markdown: `\`${String(name)}\`${type ? ` · ${type}` : ''}\n\n${doc}`, offset: key.start, endOffset: key.end };
}

export interface LastResult {
  result: StepResult;
  /** Which run it came from, for the reader. */
  runLabel?: string;
}

/** A step or input named under the cursor. `lastResult` gives a step's last result in this window. */
export function referenceHoverAt(model: ParsedWorkflow, offset: number, lastResult?: (stepId: string) => LastResult | undefined): HoverResult | undefined {
  const at = occurrenceAt(model.occurrences, offset);
  if (!at || !model.workflow) return undefined;
  const span = { offset: at.offset, endOffset: at.endOffset };
  if (at.target === 'input') {
    const input = model.workflow.inputs.find((i) => i.name === at.name);
    if (!input) return undefined;
    const lines = [`**input \`${input.name}\`** · ${input.type}${input.required ? ', required' : ''}`];
    if (input.description) lines.push(input.description);
    if (input.default !== undefined) lines.push(`Default: \`${JSON.stringify(input.default)}\``);
    if (input.choices) lines.push(`Choices: ${input.choices.map((c) => `\`${String(c)}\``).join(', ')}`);
    return { markdown: lines.join('\n\n'), ...span };
  }
  const step = model.workflow.stepsById.get(at.name);
  if (!step) return undefined;
  const lines = [`**step \`${step.id}\`** · ${stepDetail(step)}`];
  if (step.description) lines.push(step.description);
  const body = stepBody(step);
  if (body) lines.push('```text\n' + truncateLines(body, 15, 800) + '\n```');
  const last = lastResult?.(step.id);
  if (last) {
    const { result } = last;
    const heading = `**Last ${result.status === 'succeeded' ? 'output' : 'result'}**${last.runLabel ? ` (${last.runLabel})` : ''}${result.durationMs !== undefined ? ` · ${formatSeconds(result.durationMs)}` : ''}`;
    if (result.status === 'failed' && result.error) lines.push(`${heading}\n\n✗ ${result.error.message}`);
    else lines.push(`${heading}\n\n\`\`\`text\n${truncateLines(stringifyOutput(result.output), 20, 1500)}\n\`\`\``);
  }
  return { markdown: lines.join('\n\n'), ...span };
}

/** Over a `schedule:` of `on:`: when it fires next, in its time zone. */
export function scheduleHoverAt(text: string, offset: number, now: number): HoverResult | undefined {
  if (!/^on\s*:/m.test(text)) return undefined;
  const schedule = parseTriggers(text, '').triggers.schedules.find((s) => s.range.offset <= offset && offset <= s.range.endOffset);
  if (!schedule) return undefined;
  let times: number[];
  try {
    times = nextScheduleTimes(schedule, now, 5);
  } catch {
    return undefined;
  }
  const format = new Intl.DateTimeFormat('en-GB', { timeZone: schedule.timezone, dateStyle: 'medium', timeStyle: 'short' });
  const lines = times.map((time) => `- ${format.format(new Date(time))}`);
  return { markdown: `**Next runs** of \`${schedule.cron}\` (${schedule.timezone})${schedule.overlap ? '' : ', skipped while the last is still running'}:\n\n${lines.join('\n')}`, offset: schedule.range.offset, endOffset: schedule.range.endOffset };
}

export function formatSeconds(ms: number): string {
  return ms < 1000 ? `${Math.round(ms)}ms` : `${(ms / 1000).toFixed(1)}s`;
}
