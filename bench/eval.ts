/**
 * Evals at scale, inside one machine: 10,000 dataset rows through a 2-step workflow on
 * a 50 ms mock at concurrency 256, against the physical limit (rows × 2 × 50 ms / 256);
 * then peak memory while 100,000 rows stream through (a zero-latency mock, so the engine
 * and the row stream are all that is measured). Runs are unrecorded here: the trace
 * store's own costs are measured by the durable bench.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkWorkflow, type Workflow } from '../src/engine';
import { evalJobs, parseTests, runEval, SummaryBuilder, type EvalSuite } from '../src/engine/eval';
import { createResolver } from '../src/engine/providers';
import { MockProvider } from '../src/engine/providers/mock';

const WORKFLOW = `name: two steps
model: { provider: mock, name: bench }
inputs:
  text: { default: "" }
steps:
  - id: classify
    prompt: "Classify {{ inputs.text }}"
    mock: billing
  - id: answer
    prompt: "Answer {{ inputs.text }} as {{ steps.classify.output }}"
    mock: done
outputs:
  category: "{{ steps.classify.output }}"
tests:
  - name: rows
    rows: rows.jsonl
    expect:
      - equals: billing
        output: category
      - path: [classify, answer]
`;

function suiteIn(dir: string, rows: number): EvalSuite {
  const file = path.join(dir, 'bench.workflow.yaml');
  writeFileSync(file, WORKFLOW);
  const lines: string[] = [];
  for (let i = 0; i < rows; i++) lines.push(JSON.stringify({ text: `row ${i}: a message about a double charge` }));
  writeFileSync(path.join(dir, 'rows.jsonl'), lines.join('\n') + '\n');
  const { workflow } = checkWorkflow(WORKFLOW, file);
  return { file: 'bench.workflow.yaml', absolute: file, workflow: workflow as Workflow, text: WORKFLOW, entries: parseTests(WORKFLOW, file, workflow).entries };
}

async function evalRows(rows: number, delayMs: number, concurrency: number): Promise<{ wallMs: number; passed: number; failed: number; peakHeapMb: number; peakRssMb: number }> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orchestrate-bench-eval-'));
  try {
    const suite = suiteIn(dir, rows);
    const providers = createResolver({ mock: new MockProvider({ delayMs }) });
    const summary = new SummaryBuilder();
    global.gc?.();
    let peakHeap = process.memoryUsage().heapUsed;
    let peakRss = process.memoryUsage().rss;
    const sampler = setInterval(() => {
      const usage = process.memoryUsage();
      peakHeap = Math.max(peakHeap, usage.heapUsed);
      peakRss = Math.max(peakRss, usage.rss);
    }, 25);
    const started = performance.now();
    await runEval(evalJobs({ suites: [suite], repeat: 1 }), { concurrency, providers, store: undefined, onResult: (result) => summary.add(result) });
    const wallMs = performance.now() - started;
    clearInterval(sampler);
    const mb = (bytes: number) => Math.round(bytes / 2 ** 20);
    return { wallMs: Math.round(wallMs), passed: summary.totals.passed, failed: summary.totals.failed, peakHeapMb: mb(peakHeap), peakRssMb: mb(peakRss) };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchEval(): Promise<Record<string, unknown>> {
  const rows = 10_000;
  const concurrency = 256;
  const latencyMs = 50;
  const limitMs = (rows * 2 * latencyMs) / concurrency;
  const timed = await evalRows(rows, latencyMs, concurrency);
  const streamedRows = Number(process.env.ORCHESTRATE_BENCH_EVAL_ROWS ?? 100_000);
  const streamed = await evalRows(streamedRows, 0, concurrency);
  return {
    [`${rows} rows × 2 steps, ${latencyMs} ms mock, concurrency ${concurrency}`]: {
      wall_ms: timed.wallMs,
      physical_limit_ms: Math.round(limitMs),
      efficiency: Number((limitMs / timed.wallMs).toFixed(2)),
      rows_per_s: Math.round((rows / timed.wallMs) * 1000),
      passed: timed.passed,
      failed: timed.failed,
      peak_heap_mb: timed.peakHeapMb,
    },
    [`${streamedRows} rows streamed, 0 ms mock, concurrency ${concurrency}`]: {
      wall_ms: streamed.wallMs,
      rows_per_s: Math.round((streamedRows / streamed.wallMs) * 1000),
      passed: streamed.passed,
      failed: streamed.failed,
      peak_heap_mb: streamed.peakHeapMb,
      peak_rss_mb: streamed.peakRssMb,
    },
  };
}
