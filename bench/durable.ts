/**
 * Durable runs: how fast traces are written and read, how fast 5,000 runs list, and
 * how many model calls a re-run makes after a one-step edit (the goal: the physical
 * minimum — the edited step and the steps whose rendered prompt it changed).
 */
import { mkdtempSync, rmSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkWorkflow, runWorkflow, type RunEvent, type Workflow } from '../src/engine';
import { CacheStore, cachingResolver } from '../src/engine/cache';
import { readTrace, runView, TraceStore, TraceWriter, type TraceSync } from '../src/engine/trace';
import { chainWorkflow, CountingProvider, only } from '../test/support/durable';

const OUTPUT = 'A reply of a realistic size. '.repeat(20);

/** The events of one prompt step, shaped as the runner writes them. */
function stepEvents(runId: string, seq: number, i: number): RunEvent[] {
  const ref = { runId, stepId: `s${i}`, visit: 1 };
  return [
    { ...ref, type: 'step.started', seq, time: Date.now(), kind: 'prompt', attempt: 1 },
    {
      ...ref,
      type: 'step.completed',
      seq: seq + 1,
      time: Date.now(),
      attempt: 1,
      output: OUTPUT,
      durationMs: 900,
      call: {
        provider: 'openai',
        model: 'gpt-4o-mini',
        params: { temperature: 0.2 },
        messages: [{ role: 'user', content: `Step ${i}: ${OUTPUT}` }],
        usage: { inputTokens: 150, outputTokens: 150, totalTokens: 300 },
        costUsd: 0.0001,
        latencyMs: 900,
        cache: { hit: false, key: 'k' },
      },
    },
  ];
}

function started(runId: string, file: string): RunEvent {
  return { type: 'run.started', runId, seq: 1, time: Date.now(), schemaVersion: 1, workflow: { name: 'Bench', file }, inputs: {} };
}

function completed(runId: string, seq: number): RunEvent {
  return { type: 'run.completed', runId, seq, time: Date.now(), outputs: {}, durationMs: 1000, usage: { inputTokens: 1, outputTokens: 1, totalTokens: 2 }, costUsd: 0.001 };
}

/**
 * Appends `steps` prompt steps' events to one trace, as a run does: a step's two events,
 * then a wait for them to be on the disk (what the next model call waits for). Reports
 * the time the caller's thread spends inside `write()` (what the editor's extension
 * host pays; the disk work happens off it) and the events per second until `close()`.
 */
async function appendRate(dir: string, steps: number, sync: TraceSync): Promise<Record<string, number>> {
  const writer = TraceWriter.create(path.join(dir, `append-${sync}.jsonl`), { sync });
  writer.write(started('bench', 'bench.workflow.yaml'));
  const perStep = Array.from({ length: steps }, (_, i) => stepEvents('bench', 2 + 2 * i, i));
  let callerMs = 0;
  const t0 = performance.now();
  for (const events of perStep) {
    const c0 = performance.now();
    for (const event of events) writer.write(event);
    callerMs += performance.now() - c0;
    await writer.durable();
  }
  await writer.close();
  const ms = performance.now() - t0;
  const count = steps * 2;
  return { eventsPerSecond: Math.round(count / (ms / 1000)), msPerStep: round(ms / steps, 4), callerMicrosecondsPerEvent: round((callerMs * 1000) / count, 2) };
}

/** Every event queued at once (a burst, e.g. 1,000 branches finishing together), then `close()`. */
async function burstRate(dir: string, steps: number, sync: TraceSync): Promise<Record<string, number>> {
  const writer = TraceWriter.create(path.join(dir, `burst-${sync}.jsonl`), { sync });
  const events = [started('bench', 'bench.workflow.yaml'), ...Array.from({ length: steps }, (_, i) => stepEvents('bench', 2 + 2 * i, i)).flat()];
  const t0 = performance.now();
  for (const event of events) writer.write(event);
  const callerMs = performance.now() - t0;
  await writer.close();
  const ms = performance.now() - t0;
  return { eventsPerSecond: Math.round(events.length / (ms / 1000)), callerMicrosecondsPerEvent: round((callerMs * 1000) / events.length, 2) };
}

async function listing(dir: string, runs: number) {
  const store = new TraceStore(path.join(dir, 'list'));
  const workflowFile = path.join(dir, 'bench.workflow.yaml');
  for (let r = 0; r < runs; r++) {
    const recorder = store.begin({ workflowFile, workflowName: 'Bench', sync: 'none' });
    recorder.onEvent(started(recorder.runId, workflowFile));
    let seq = 2;
    for (let i = 0; i < 3; i++) for (const event of stepEvents(recorder.runId, (seq += 2), i)) recorder.onEvent(event);
    recorder.onEvent(completed(recorder.runId, seq + 2));
    await recorder.close();
  }
  const first = await timed(() => store.listRuns());
  const warm = await median(5, () => store.listRuns());
  const filtered = await median(5, () => store.listRuns({ workflowFile, limit: 50 }));
  rmSync(store.indexFile);
  const rebuild = await timed(() => store.listRuns());
  return {
    runs: first.value.length,
    first_list_ms: round(first.ms),
    list_ms_median_of_5: round(warm),
    list_one_workflow_limit_50_ms_median_of_5: round(filtered),
    rebuild_missing_index_by_scanning_ms: round(rebuild.ms),
  };
}

async function openLargeTrace(dir: string, events: number) {
  const writer = TraceWriter.create(path.join(dir, 'large.jsonl'), { sync: 'none' });
  writer.write(started('large', 'bench.workflow.yaml'));
  for (let i = 0; i < (events - 2) / 2; i++) for (const event of stepEvents('large', 2 + 2 * i, i)) writer.write(event);
  writer.write(completed('large', events));
  await writer.close();
  const read = await timed(() => readTrace(writer.file));
  const view = await timed(async () => runView(read.value));
  return { events: read.value.events.length, read_ms: round(read.ms), fold_into_steps_ms: round(view.ms) };
}

async function rerunAfterEdit(dir: string, steps: number, edited: number) {
  const cache = new CacheStore(path.join(dir, 'cache'));
  const load = (text: string): Workflow => checkWorkflow(text, path.join(dir, 'chain.workflow.yaml')).workflow!;
  const prompts = async (workflow: Workflow, provider: CountingProvider) => {
    const sent = new Map<string, string>();
    await runWorkflow(workflow, {
      providers: cachingResolver(only(provider), cache, 'reuse'),
      onEvent: (e) => e.type === 'step.completed' && e.call && sent.set(e.stepId, e.call.messages.at(-1)!.content),
    });
    return sent;
  };
  const first = new CountingProvider();
  const before = await prompts(load(chainWorkflow(steps, { provider: 'counting' })), first);
  const second = new CountingProvider();
  const t0 = performance.now();
  const after = await prompts(load(chainWorkflow(steps, { provider: 'counting', edit: edited })), second);
  const ms = performance.now() - t0;
  const minimum = [...after].filter(([id, prompt]) => before.get(id) !== prompt).length;
  return { steps, edited_step: `s${edited}`, first_run_calls: first.calls.length, rerun_calls: second.calls.length, physical_minimum: minimum, rerun_ms: round(ms) };
}

export async function benchDurable(): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orchestrate-bench-durable-'));
  try {
    const steps = 2_000;
    const append = { fsync_at_step_boundaries: await appendRate(dir, steps, 'step'), write_only: await appendRate(dir, steps, 'none') };
    const burst = { fsync_at_step_boundaries: await burstRate(dir, steps, 'step'), write_only: await burstRate(dir, steps, 'none') };
    return {
      append: {
        ...append,
        note: 'events of 2,000 prompt steps (started + completed, ~1.3 kB a step), each step waiting until its lines are on the disk as a model call does; writes and fsyncs happen off the caller’s thread; `step` is the default',
      },
      append_burst: { ...burst, note: 'the same events queued at once: lines that arrive together share one write and one fsync' },
      list_5000_runs: await listing(dir, 5_000),
      open_10000_event_trace: await openLargeTrace(dir, 10_000),
      rerun_20_step_chain_after_one_edit: await rerunAfterEdit(dir, 20, 7),
    };
  } finally {
    rmSync(dir, { recursive: true, force: true });
  }
}

async function timed<T>(fn: () => Promise<T>): Promise<{ value: T; ms: number }> {
  const t0 = performance.now();
  const value = await fn();
  return { value, ms: performance.now() - t0 };
}

async function median(times: number, fn: () => Promise<unknown>): Promise<number> {
  const samples: number[] = [];
  for (let i = 0; i < times; i++) samples.push((await timed(fn)).ms);
  return samples.sort((a, b) => a - b)[Math.floor(times / 2)];
}

function round(n: number, digits = 1): number {
  return Number(n.toFixed(digits));
}
