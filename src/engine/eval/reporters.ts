/**
 * An eval's results for CI: JSON (everything), JUnit XML (what CI servers show as
 * tests) and Markdown (a job summary or a pull-request comment).
 */
import type { CaseResult, EvalSummary } from './results';

export const REPORTERS = ['json', 'junit', 'markdown'] as const;
export type ReporterName = (typeof REPORTERS)[number];

export interface EvalReport {
  id?: string;
  summary: EvalSummary;
  results: readonly CaseResult[];
}

export function report(name: ReporterName, evalReport: EvalReport): string {
  switch (name) {
    case 'json':
      return JSON.stringify({ eval: evalReport.id, summary: evalReport.summary, results: evalReport.results }, null, 2) + '\n';
    case 'junit':
      return junit(evalReport);
    case 'markdown':
      return markdown(evalReport);
  }
}

/** A case run's name in reports: `case`, `case [row 4]`, `case #2` (a repeat). */
export function caseRunName(result: Pick<CaseResult, 'case' | 'row' | 'repeat'>, repeats: boolean): string {
  return `${result.case}${result.row !== undefined ? ` [row ${result.row + 1}]` : ''}${repeats ? ` #${result.repeat}` : ''}`;
}

function junit({ results, summary }: EvalReport): string {
  const repeats = results.some((r) => r.repeat > 1);
  const byFile = new Map<string, CaseResult[]>();
  for (const result of results) byFile.set(result.file, [...(byFile.get(result.file) ?? []), result]);
  const seconds = (ms: number) => (ms / 1000).toFixed(3);
  const lines = ['<?xml version="1.0" encoding="UTF-8"?>'];
  lines.push(`<testsuites name="orchestrate test" tests="${summary.runs}" failures="${summary.failed}" errors="0" time="${seconds(results.reduce((t, r) => t + r.durationMs, 0))}">`);
  for (const [file, cases] of byFile) {
    const failures = cases.filter((c) => !c.passed).length;
    const time = cases.reduce((t, r) => t + r.durationMs, 0);
    lines.push(`  <testsuite name="${xml(cases[0].workflow)}" file="${xml(file)}" tests="${cases.length}" failures="${failures}" errors="0" skipped="0" time="${seconds(time)}">`);
    for (const result of cases) {
      const attrs = `name="${xml(caseRunName(result, repeats))}" classname="${xml(`${cases[0].workflow}`)}" file="${xml(file)}"${result.line ? ` line="${result.line}"` : ''} time="${seconds(result.durationMs)}"`;
      const out = `<system-out>${xmlText(`run ${result.runId}${result.trace ? `\ntrace ${result.trace}` : ''}\ntokens ${result.tokens}, cost $${result.costUsd.toFixed(4)}`)}</system-out>`;
      if (result.passed) {
        lines.push(`    <testcase ${attrs}>${out}</testcase>`);
        continue;
      }
      const failed = result.expectations.filter((e) => !e.passed);
      const message = failed.map((e) => e.message ?? e.label).join('; ');
      const details = failed.map((e) => [`${e.label}: ${e.message ?? 'failed'}`, e.expected !== undefined ? `expected:\n${e.expected}` : '', e.actual !== undefined ? `actual:\n${e.actual}` : '', e.reasoning ? `judge: ${e.reasoning}` : ''].filter(Boolean).join('\n')).join('\n\n');
      lines.push(`    <testcase ${attrs}>`);
      lines.push(`      <failure message="${xml(message)}" type="expectation">${xmlText(details)}</failure>`);
      lines.push(`      ${out}`);
      lines.push('    </testcase>');
    }
    lines.push('  </testsuite>');
  }
  lines.push('</testsuites>');
  return lines.join('\n') + '\n';
}

/** Text safe in an XML attribute: escaped (line breaks too), without the characters XML 1.0 cannot hold. */
export function xml(text: string): string {
  return xmlText(text).replace(/"/g, '&quot;').replace(/'/g, '&apos;').replace(/\n/g, '&#10;').replace(/\r/g, '&#13;').replace(/\t/g, '&#9;');
}

/** Text safe in XML element content: line breaks stay as they are. */
export function xmlText(text: string): string {
  return text
    .replace(/[^\t\n\r\u0020-\uD7FF\uE000-\uFFFD\u{10000}-\u{10FFFF}]/gu, '\uFFFD')
    .replace(/&/g, '&amp;')
    .replace(/</g, '&lt;')
    .replace(/>/g, '&gt;');
}

function markdown({ id, summary, results }: EvalReport): string {
  const repeats = results.some((r) => r.repeat > 1);
  const lines = [`## Orchestrate eval${id ? ` \`${id}\`` : ''}`, ''];
  lines.push(`**${summary.passed} passed, ${summary.failed} failed** of ${summary.runs} · ${summary.tokens} tokens · $${summary.costUsd.toFixed(4)}${summary.cachedCalls ? ` · ${summary.cachedCalls} of ${summary.calls} calls from the cache` : ''}`, '');
  lines.push('| workflow | case | pass rate | tokens | cost |', '|---|---|---:|---:|---:|');
  for (const c of summary.cases) lines.push(`| ${cell(c.workflow)} | ${cell(c.case)} | ${c.passed}/${c.runs} (${Math.round((100 * c.passed) / Math.max(1, c.runs))}%) | ${c.tokens} | $${c.costUsd.toFixed(4)} |`);
  const failed = results.filter((r) => !r.passed);
  if (failed.length > 0) {
    lines.push('', '### Failures', '');
    for (const result of failed.slice(0, 50)) {
      lines.push(`- **${cell(result.workflow)} › ${cell(caseRunName(result, repeats))}** (${cell(result.file)}${result.line ? `:${result.line}` : ''})`);
      for (const e of result.expectations.filter((x) => !x.passed)) lines.push(`  - ${cell(e.message ?? e.label)}`);
    }
    if (failed.length > 50) lines.push(`- … and ${failed.length - 50} more (see the JSON report)`);
  }
  return lines.join('\n') + '\n';
}

function cell(text: string): string {
  return text.replace(/\|/g, '\\|').replace(/\r?\n/g, ' ').replace(/</g, '&lt;');
}
