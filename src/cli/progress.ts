/**
 * Live progress for a terminal: one line per step event. Written to stderr so that
 * `--json` output on stdout stays machine-readable.
 */
import { formatDuration, type RunEvent } from '../engine';

export interface ProgressOptions {
  color: boolean;
  write: (line: string) => void;
  /** Show streamed text as it arrives (only for a single running step, to keep lines readable). */
  verbose?: boolean;
}

export function progressPrinter(options: ProgressOptions): (event: RunEvent) => void {
  const paint = (code: number, text: string) => (options.color ? `\x1b[${code}m${text}\x1b[0m` : text);
  const dim = (text: string) => paint(2, text);
  const label = (event: { stepId: string; visit: number; index?: number }) => {
    const parts = [event.stepId];
    if (event.index !== undefined) parts.push(`[${event.index}]`);
    let text = parts.join('');
    if (event.visit > 1) text += dim(` (visit ${event.visit})`);
    return text;
  };
  return (event) => {
    switch (event.type) {
      case 'run.started':
        options.write(`${paint(1, event.workflow.name)} ${dim(`run ${event.runId}`)}${event.resumedFrom ? dim(` resuming ${event.resumedFrom}`) : ''}`);
        break;
      case 'step.started':
        if (event.attempt === 1) options.write(`  ${paint(36, '▶')} ${label(event)}${event.name ? dim(` ${event.name}`) : ''}`);
        else options.write(`  ${paint(36, '▶')} ${label(event)} ${dim(`attempt ${event.attempt}`)}`);
        break;
      case 'step.delta':
        if (options.verbose) options.write(dim(`      ${event.text.replace(/\n/g, ' ')}`));
        break;
      case 'step.completed': {
        const facts = [formatDuration(event.durationMs)];
        if (event.call?.usage) facts.push(`${event.call.usage.totalTokens} tok`);
        if (event.call?.costUsd) facts.push(`$${event.call.costUsd.toFixed(4)}`);
        if (event.call?.cache?.hit) facts.push('cached');
        if (event.restored) facts.push('restored');
        if (event.attempt > 1) facts.push(`attempt ${event.attempt}`);
        options.write(`  ${paint(32, '✓')} ${label(event)} ${dim(facts.join(' · '))}${preview(event.output, options.color)}`);
        break;
      }
      case 'step.retrying':
        options.write(`  ${paint(33, '↻')} ${label(event)} ${paint(33, `retrying in ${formatDuration(event.delayMs)}`)} ${dim(event.error.message)}`);
        break;
      case 'step.failed':
        options.write(`  ${paint(31, '✗')} ${label(event)} ${paint(31, event.error.message)}`);
        break;
      case 'step.skipped':
        options.write(`  ${dim('⤼')} ${label(event)} ${dim(`skipped: ${event.reason}`)}`);
        break;
      case 'run.paused':
        options.write(dim(`  ⏸ paused${event.nextStepId ? ` before ${event.nextStepId}` : ''}`));
        break;
      case 'run.resumed':
        options.write(dim('  ⏵ resumed'));
        break;
      case 'run.completed':
        options.write(`${paint(32, '✓ succeeded')} ${dim(totals(event))}`);
        break;
      case 'run.failed':
        options.write(`${paint(31, '✗ failed')}: ${event.error.message} ${dim(totals(event))}`);
        break;
      case 'run.cancelled':
        options.write(`${paint(33, '■ cancelled')}: ${event.reason} ${dim(totals(event))}`);
        break;
    }
  };
}

function totals(event: { durationMs: number; usage: { totalTokens: number }; costUsd?: number }): string {
  const parts = [formatDuration(event.durationMs), `${event.usage.totalTokens} tokens`];
  if (event.costUsd !== undefined) parts.push(`$${event.costUsd.toFixed(4)}`);
  return parts.join(' · ');
}

/** The first line of a step's output, short, so a reviewer's verdict shows in the progress. */
function preview(output: unknown, color: boolean): string {
  if (output === null || output === undefined) return '';
  const text = typeof output === 'string' ? output : JSON.stringify(output);
  const line = text.trim().split('\n')[0];
  const short = line.length > 70 ? `${line.slice(0, 70)}…` : line;
  return short ? (color ? `  \x1b[2m→ ${short}\x1b[0m` : `  → ${short}`) : '';
}
