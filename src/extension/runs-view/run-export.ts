/**
 * A past run as a file to share: JSON (the run folded from its trace, every step
 * execution with the messages as sent, output, usage and errors) or Markdown (the
 * same, for a person to read). Pure, over the trace module's `RunView`.
 */
import type { ErrorInfo } from '../../engine';
import type { RunView, StepView } from '../../engine/trace';
import { formatCost, formatDuration, formatTimestamp, formatTokens } from '../../shared/format';
import { outputText } from '../../shared/run-compare';

export type ExportFormat = 'json' | 'markdown';

export const EXPORT_FORMAT_ID = 'orchestrate-run';
export const EXPORT_VERSION = 1;

export function exportRunJson(run: RunView): string {
  return JSON.stringify({ format: EXPORT_FORMAT_ID, version: EXPORT_VERSION, run }, null, 2) + '\n';
}

/** A code fence longer than any run of backticks in `text`, so model output cannot close it early. */
export function fence(text: string, info = ''): string {
  const longest = Math.max(2, ...[...text.matchAll(/`+/g)].map((m) => m[0].length));
  const marks = '`'.repeat(longest + 1);
  return `${marks}${info}\n${text}${text.endsWith('\n') ? '' : '\n'}${marks}`;
}

function errorLines(error: ErrorInfo, depth = 0): string[] {
  const lines = [`${'  '.repeat(depth)}- **${error.code}**: ${error.message.split('\n').join(' ')}`];
  if (error.cause) lines.push(...errorLines(error.cause, depth + 1));
  return lines;
}

function stepTitle(step: StepView): string {
  const where = [step.visit > 1 ? `visit ${step.visit}` : '', step.index !== undefined ? `item ${step.index + 1}` : ''].filter(Boolean).join(', ');
  return `${step.name ? `${step.name} (\`${step.stepId}\`)` : `\`${step.stepId}\``}${where ? ` — ${where}` : ''}`;
}

function stepSection(step: StepView): string[] {
  const out = [`## ${stepTitle(step)}`, ''];
  const facts = [`status: ${step.status}${step.restored ? ' (restored)' : ''}`];
  if (step.attempts > 1) facts.push(`attempts: ${step.attempts}`);
  if (step.durationMs !== undefined) facts.push(`time: ${formatDuration(step.durationMs)}`);
  const call = step.call;
  if (call) {
    facts.push(`model: ${call.provider}/${call.model}`);
    if (call.usage) facts.push(`tokens: ${call.usage.inputTokens} in, ${call.usage.outputTokens} out`);
    if (call.costUsd !== undefined) facts.push(`cost: ${formatCost(call.costUsd)}`);
    facts.push(`latency: ${formatDuration(call.latencyMs)}`);
    if (call.cache) facts.push(`cache: ${call.cache.hit ? 'hit' : 'miss'}`);
    const params = Object.entries(call.params);
    if (params.length > 0) facts.push(`params: ${params.map(([k, v]) => `${k}=${JSON.stringify(v)}`).join(', ')}`);
  }
  out.push(facts.join(' · '), '');
  if (step.reason) out.push(`Skipped: ${step.reason}`, '');
  if (call) {
    for (const message of call.messages) out.push(`**${message.role === 'user' ? 'Prompt' : message.role === 'system' ? 'System message' : 'Assistant'}**`, '', fence(message.content), '');
  }
  if (step.output !== undefined) out.push('**Output**', '', fence(outputText(step.output), typeof step.output === 'string' ? '' : 'json'), '');
  if (step.partialOutput) out.push('**Received before the failure**', '', fence(step.partialOutput), '');
  if (step.retries.length > 0) out.push('**Retried attempts**', '', ...step.retries.flatMap((e) => errorLines(e)), '');
  if (step.error) out.push('**Error**', '', ...errorLines(step.error), '');
  return out;
}

export function exportRunMarkdown(run: RunView): string {
  const out = [`# ${run.workflow.name}: run ${run.runId}`, ''];
  const facts = [`**Status:** ${run.status}`, `**Started:** ${formatTimestamp(run.startedAt)}`];
  if (run.durationMs !== undefined) facts.push(`**Time:** ${formatDuration(run.durationMs)}`);
  if (run.usage) facts.push(`**Tokens:** ${formatTokens(run.usage.totalTokens)} (${run.usage.inputTokens} in, ${run.usage.outputTokens} out)`);
  if (run.costUsd !== undefined) facts.push(`**Cost:** ${formatCost(run.costUsd)}`);
  if (run.resumedFrom) facts.push(`**Resumes:** ${run.resumedFrom}`);
  out.push(facts.join('  \n'), '', `Workflow file: \`${run.workflow.file}\``, '');
  if (run.error) out.push('**Error**', '', ...errorLines(run.error), '');
  if (Object.keys(run.inputs).length > 0) out.push('## Inputs', '', fence(JSON.stringify(run.inputs, null, 2), 'json'), '');
  for (const step of run.steps) out.push(...stepSection(step));
  if (run.outputs && Object.keys(run.outputs).length > 0) out.push('## Outputs', '', fence(JSON.stringify(run.outputs, null, 2), 'json'), '');
  if (run.warnings.length > 0) out.push('## Warnings', '', ...run.warnings.map((w) => `- ${w}`), '');
  return out.join('\n');
}
