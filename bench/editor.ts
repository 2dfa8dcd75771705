/**
 * The editor's latency on a generated 2,000-step workflow, measured on the pure
 * functions its providers call (src/extension/language): diagnostics after an edit
 * (analysis + conversion), CodeLens, completion inside `{{ }}` while the text is newer
 * than the last analysis, and navigation. Activation time comes from the last
 * integration run's log, when there is one (it is measured inside VS Code).
 */
import { existsSync, readFileSync } from 'node:fs';
import * as path from 'node:path';
import { IncrementalChecker, type RunEvent } from '../src/engine';
import { completionsAt } from '../src/extension/language/completion';
import { referenceHoverAt } from '../src/extension/language/hover';
import { computeLenses } from '../src/extension/language/lenses';
import { definitionAt, referencesAt, renameEdits } from '../src/extension/language/navigation';
import { parseWorkflow, type ParsedWorkflow } from '../src/extension/language/parsed';
import { toDiagnosticSpecs } from '../src/extension/language/quick-fixes';
import { statusOfEvents } from '../src/extension/language/status';
import { stepSymbols } from '../src/extension/language/symbols';

const STEPS = 2000;
const FILE = '/bench/big.workflow.yaml';

/** A realistic long workflow: templates reading earlier steps, structured outputs, parallel groups. */
export function bigWorkflow(steps = STEPS): string {
  const lines = ['name: Big workflow', 'inputs:', '  topic:', '    description: What it is about', '    default: rockets', 'model: { provider: mock, name: bench }', 'steps:'];
  for (let i = 0; i < steps; i++) {
    if (i % 50 === 25) {
      lines.push(`  - id: s${i}`, '    parallel:');
      lines.push(`      - id: s${i}_a`, `        prompt: "Branch A of {{ steps.s${i - 1}.output }}"`);
      lines.push(`      - id: s${i}_b`, `        prompt: "Branch B about {{ inputs.topic }}"`);
      continue;
    }
    lines.push(`  - id: s${i}`, '    prompt: |', i === 0 ? '      Start about {{ inputs.topic }}.' : `      Continue from {{ steps.s${i - 1}.output }} about {{ inputs.topic }}.`);
    if (i % 10 === 0) {
      lines.push('    output:', '      schema:', '        type: object', '        properties:', '          title: { type: string }', '          score: { type: number }', '        required: [title]');
    }
  }
  lines.push('outputs:', `  last: "{{ steps.s${steps - 1}.output }}"`);
  return lines.join('\n') + '\n';
}

function stats(samples: number[]): { p50_ms: number; p95_ms: number; max_ms: number; n: number } {
  const sorted = [...samples].sort((a, b) => a - b);
  const at = (q: number) => sorted[Math.min(sorted.length - 1, Math.floor(q * sorted.length))];
  const round = (n: number) => Math.round(n * 100) / 100;
  return { p50_ms: round(at(0.5)), p95_ms: round(at(0.95)), max_ms: round(sorted[sorted.length - 1]), n: samples.length };
}

function time<T>(fn: () => T): [number, T] {
  const started = performance.now();
  const value = fn();
  return [performance.now() - started, value];
}

function statusEvents(model: ParsedWorkflow): RunEvent[] {
  const events: RunEvent[] = [];
  let seq = 0;
  for (const step of model.steps) {
    const base = { runId: 'bench', time: 0, stepId: step.id, visit: 1 };
    events.push({ ...base, seq: ++seq, type: 'step.started', kind: step.kind, attempt: 1 });
    events.push({
      ...base,
      seq: ++seq,
      type: 'step.completed',
      attempt: 1,
      output: 'ok',
      durationMs: 1200,
      call: { provider: 'openai', model: 'x', params: {}, messages: [], latencyMs: 1, usage: { inputTokens: 300, outputTokens: 40, totalTokens: 340 }, costUsd: 0.0012 },
    });
  }
  return events;
}

export async function benchEditor(): Promise<Record<string, unknown>> {
  const text = bigWorkflow();
  // Warm up: the schema validator compiles once, and CEL programs are cached by source.
  const first = time(() => parseWorkflow(text, FILE));
  const model = first[1];
  if (model.problems.some((p) => p.severity === 'error')) throw new Error(`bench workflow invalid: ${model.problems[0].message}`);

  // Diagnostics after an edit, as the editor makes them: one incremental checker per
  // document, so each edit re-parses the step it touched. Each sample types one more
  // character into a different step's prompt, then analyzes and converts.
  const checker = new IncrementalChecker();
  parseWorkflow(text, FILE, {}, checker);
  const diagnostics: number[] = [];
  const fullCheck: number[] = [];
  let edited = text;
  for (let i = 0; i < 30; i++) {
    const at = `Continue from {{ steps.s${60 * i + 1}.output }}`;
    edited = edited.replace(at, `Continue  from {{ steps.s${60 * i + 1}.output }}`);
    diagnostics.push(time(() => toDiagnosticSpecs(parseWorkflow(edited, FILE, {}, checker).problems, edited))[0]);
    if (i < 8) fullCheck.push(time(() => parseWorkflow(edited, FILE))[0]);
  }

  // CodeLens on the cached analysis: run lenses, and with a status lens on every step.
  const idle: number[] = [];
  const withStatus: number[] = [];
  const status = statusOfEvents(statusEvents(model));
  let lensCount = 0;
  for (let i = 0; i < 50; i++) {
    idle.push(time(() => computeLenses(model, { trusted: true }))[0]);
    const [ms, lenses] = time(() => computeLenses(model, { trusted: true, status }));
    withStatus.push(ms);
    lensCount = lenses.length;
  }

  // Completion while typing `{{ steps.` near the end: the text is newer than the analysis.
  const marker = `Continue from {{ steps.s1989.output }}`;
  const typed = text.replace(marker, `${marker} and {{ steps.`);
  const offset = typed.indexOf(marker) + marker.length + ' and {{ steps.'.length;
  const fields = text.replace(marker, `${marker} and {{ steps.s1980.output.`);
  const fieldsOffset = fields.indexOf(marker) + marker.length + ' and {{ steps.s1980.output.'.length;
  const keyText = text.replace('  - id: s1990\n', '  - id: s1990\n    re\n');
  const keyOffset = keyText.indexOf('  - id: s1990\n    re') + '  - id: s1990\n    re'.length;
  const steps: number[] = [];
  const outputFields: number[] = [];
  const keys: number[] = [];
  let stepCount = 0;
  for (let i = 0; i < 50; i++) {
    const [ms, items] = time(() => completionsAt(typed, offset, model, { schemaItems: true }));
    steps.push(ms);
    stepCount = items.length;
    outputFields.push(time(() => completionsAt(fields, fieldsOffset, model, { schemaItems: true }))[0]);
    keys.push(time(() => completionsAt(keyText, keyOffset, model, { schemaItems: true }))[0]);
  }

  // Navigation: the occurrence index is built on first use, then shared.
  const fresh = parseWorkflow(text, FILE);
  const at = text.indexOf('steps.s1500.output') + 8;
  const [indexMs] = time(() => fresh.occurrences.length);
  const definition: number[] = [];
  const references: number[] = [];
  const rename: number[] = [];
  const hover: number[] = [];
  for (let i = 0; i < 30; i++) {
    definition.push(time(() => definitionAt(fresh, at))[0]);
    references.push(time(() => referencesAt(fresh, at, true))[0]);
    rename.push(time(() => renameEdits(fresh, at, 'renamed'))[0]);
    hover.push(time(() => referenceHoverAt(fresh, at))[0]);
  }
  const [symbolsMs] = time(() => stepSymbols(fresh.workflow));

  return {
    workflow: { steps: model.steps.length, top_level_steps: model.workflow!.steps.length, chars: text.length, lines: text.split('\n').length },
    first_analysis_ms: Math.round(first[0]),
    diagnostics_after_edit: stats(diagnostics),
    full_check_without_incremental_parse: stats(fullCheck),
    codelens: { lenses: lensCount, idle: stats(idle), with_status_on_every_step: stats(withStatus) },
    completion_in_template: { steps_offered: stepCount, 'steps.': stats(steps), 'steps.x.output.': stats(outputFields), step_keys: stats(keys) },
    navigation: { occurrence_index_build_ms: Math.round(indexMs * 100) / 100, definition: stats(definition), references: stats(references), rename: stats(rename), hover: stats(hover), symbols_ms: Math.round(symbolsMs * 100) / 100 },
    ...fromIntegrationLog(),
  };
}

/**
 * Numbers only a real VS Code gives, logged by the editor suite: activation (activate()'s
 * own measure) and the CodeLens adapter on a 2,000-step file.
 */
function fromIntegrationLog(): Record<string, unknown> {
  const log = path.join(__dirname, '..', 'test-results', 'logs', 'integration-trusted', 'automation.log');
  if (!existsSync(log)) return { in_vscode: 'not measured: run the integration suites first (npm run test:integration)' };
  const text = readFileSync(log, 'utf8');
  const activation = /\[orchestrate-tests\] activation: ([\d.]+) ms/.exec(text);
  const lenses = /\[orchestrate-tests\] codelens of 2000 steps \(cached analysis, adapter included\): ([\d.]+) ms/.exec(text);
  return {
    in_vscode: {
      source: 'test-results/logs/integration-trusted/automation.log (the last integration run)',
      activation_ms: activation ? Number(activation[1]) : 'not in the log',
      codelens_adapter_2000_steps_ms: lenses ? Number(lenses[1]) : 'not in the log',
    },
  };
}
