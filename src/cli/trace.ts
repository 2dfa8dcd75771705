import { formatDuration, stringifyOutput } from '../engine';
import { readTrace, runView, type RunView, type StepView } from '../engine/trace';
import { parseArgs, UsageError } from './args';
import { JSON_ERROR_HELP } from './errors';
import type { Io } from './main';
import { formatTimestamp } from '../shared/format';
import { displayPath, resolveTrace, storeFor, TRACES_HELP, TRACES_OPTION } from './stores';

const USAGE = `Usage: orchestrate trace RUN-ID|FILE [options]

Shows a recorded run step by step: status, duration, tokens, model, whether it came
from the cache or was restored, then an excerpt of the prompt as sent and of the
output (or the error). The same data the run panel shows.

Options:
${TRACES_HELP}
  --full                   whole prompts and outputs instead of one-line excerpts
  --json                   print the run (every event folded per step) as JSON

A RUN-ID may be shortened to any prefix that names one run (see \`orchestrate runs\`).
Exit status: 0, or 2 when the trace cannot be found or read.

${JSON_ERROR_HELP}
`;

export const traceCommand = {
  summary: "show a recorded run's steps: prompts, outputs, tokens, latency",
  usage: USAGE,
  async run(argv: string[], io: Io): Promise<number> {
    const { positionals, options } = parseArgs(argv, { ...TRACES_OPTION, json: { type: 'boolean' }, full: { type: 'boolean' } });
    if (positionals.length !== 1) throw new UsageError('name one run id or trace file');
    const store = storeFor(io, options.traces);
    const file = await resolveTrace(positionals[0], store, io);
    const view = runView(await readTrace(file));
    for (const warning of view.warnings) io.err(`warning: ${warning}\n`);
    if (view.status === 'interrupted') {
      // A trace without an end is either still being written or was cut off; the index knows which.
      const listed = (await store.listRuns()).find((run) => run.id === view.runId);
      if (listed?.status === 'running') view.status = 'running';
    }
    if (options.json) {
      io.out(JSON.stringify(view, null, 2) + '\n');
      return 0;
    }
    io.out(render(view, io, options.full === true));
    return 0;
  },
};

const STATUS: Record<RunView['status'], string> = {
  succeeded: '✓ succeeded',
  failed: '✗ failed',
  cancelled: '■ cancelled',
  interrupted: '! interrupted (no end recorded; resume it with `orchestrate resume`)',
  running: '▶ running',
};
const STEP_ICONS: Record<StepView['status'], string> = { succeeded: '✓', failed: '✗', skipped: '⤼', running: '…', cancelled: '■' };

function render(view: RunView, io: Io, full: boolean): string {
  const lines: string[] = [];
  const facts = [STATUS[view.status], formatTimestamp(view.startedAt)];
  if (view.durationMs !== undefined) facts.push(formatDuration(view.durationMs));
  if (view.usage) facts.push(`${view.usage.totalTokens} tokens`);
  if (view.costUsd !== undefined) facts.push(`$${view.costUsd.toFixed(4)}`);
  lines.push(`${view.workflow.name}  run ${view.runId}`, `  ${facts.join(' · ')}`, `  trace: ${displayPath(view.file, io)}`);
  if (view.resumedFrom) lines.push(`  resumes: ${view.resumedFrom}`);
  const inputs = Object.entries(view.inputs);
  if (inputs.length > 0) lines.push(`  inputs: ${inputs.map(([k, v]) => `${k}=${excerpt(stringifyOutput(v), 40)}`).join(', ')}`);
  if (view.error) lines.push(`  error: ${view.error.message}`);
  lines.push('');
  for (const step of view.steps) {
    const label = `${step.stepId}${step.index !== undefined ? `[${step.index}]` : ''}${step.visit > 1 ? ` (visit ${step.visit})` : ''}`;
    const facts: string[] = [];
    if (step.durationMs !== undefined) facts.push(formatDuration(step.call?.latencyMs ?? step.durationMs));
    if (step.call?.usage) facts.push(`${step.call.usage.totalTokens} tok`);
    if (step.call?.costUsd) facts.push(`$${step.call.costUsd.toFixed(4)}`);
    if (step.call) facts.push(`${step.call.provider}/${step.call.model}`);
    if (step.call?.cache?.hit) facts.push('cached');
    if (step.restored) facts.push('restored');
    if (step.attempts > 1) facts.push(`attempt ${step.attempts}`);
    lines.push(`${STEP_ICONS[step.status]} ${label}${facts.length ? `  ${facts.join(' · ')}` : ''}`);
    const prompt = step.call?.messages.filter((m) => m.role === 'user').pop()?.content;
    if (prompt !== undefined) lines.push(field('prompt', prompt, full));
    for (const error of step.retries) lines.push(field('retried', error.message, full));
    if (step.status === 'succeeded' && step.output !== undefined && step.output !== null) lines.push(field('output', stringifyOutput(step.output), full));
    if (step.status === 'skipped' && step.reason) lines.push(field('skipped', step.reason, full));
    if (step.error) lines.push(field('error', step.error.message, full));
    if (step.partialOutput) lines.push(field('partial', step.partialOutput, full));
  }
  if (view.outputs && Object.keys(view.outputs).length > 0) {
    lines.push('', 'outputs:');
    for (const [name, value] of Object.entries(view.outputs)) lines.push(field(name, stringifyOutput(value), full));
  }
  return lines.join('\n') + '\n';
}

function field(name: string, text: string, full: boolean): string {
  if (!full) return `    ${name}: ${excerpt(text, 100)}`;
  return text.includes('\n') ? `    ${name}:\n${text.replace(/^/gm, '      ')}` : `    ${name}: ${text}`;
}

/** One line: whitespace folded, cut at `max` characters. */
function excerpt(text: string, max: number): string {
  const line = text.replace(/\s+/g, ' ').trim();
  return line.length > max ? `${line.slice(0, max - 1)}…` : line;
}
