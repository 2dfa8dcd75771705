/**
 * The run panel under load, in headless Chromium with the built bundle
 * (test/support/panel-page.ts), fed by the host's real batcher:
 *
 * 1. Streaming: 20 steps at once, each streaming 100 tokens a second for 30 s
 *    (BENCH_QUICK=1: 5 s), through `EventBatcher` to the page. Reported: posts per
 *    second, the page's work per animation frame (drain + reduce + render, timed
 *    around each rAF callback), the frame interval and long tasks (which include
 *    layout and paint), and whether every token reached the screen.
 * 2. Opening a 1,000-step run from its trace: reading and parsing the trace and the
 *    workflow on the host, posting it, until the page lists every step.
 *
 * Needs `npm run build` (dist/webview). Numbers are reported, not asserted.
 */
import { mkdtempSync, rmSync, writeFileSync } from 'node:fs';
import * as os from 'node:os';
import * as path from 'node:path';
import { checkWorkflow, runWorkflow, type RunEvent } from '../src/engine';
import { createResolver } from '../src/engine/providers';
import { MockProvider } from '../src/engine/providers/mock';
import { TraceStore } from '../src/engine/trace';
import { loadTraceRun, traceShowParams } from '../src/extension/panel/panel-content';
import { EventBatcher } from '../src/shared/event-batcher';
import { notification, type RunHeader } from '../src/shared/protocol';
import { applyEvents, latestExecution, runViewModelOf } from '../src/shared/run-view-model';
import { outlineOf, type WorkflowOutline } from '../src/shared/workflow-outline';
import { openPanelPage, type PanelPage } from '../test/support/panel-page';

const STEPS = 20;

/** A run event without the fields the run stamps on it. */
type EventBody = RunEvent extends infer E ? (E extends RunEvent ? Omit<E, 'runId' | 'seq' | 'time'> : never) : never;
const TOKENS_PER_SECOND = 100;

/** Times each rAF callback and the gaps between frames; counts long tasks. */
const FRAME_PROBE = `(() => {
  const raf = window.requestAnimationFrame.bind(window);
  const probe = { work: [], intervals: [], last: 0, longTasks: 0, longTaskMs: 0 };
  window.__probe = probe;
  window.requestAnimationFrame = (callback) => raf((time) => {
    if (probe.last) probe.intervals.push(time - probe.last);
    probe.last = time;
    const started = performance.now();
    callback(time);
    probe.work.push(performance.now() - started);
  });
  new PerformanceObserver((list) => {
    for (const entry of list.getEntries()) { probe.longTasks++; probe.longTaskMs += entry.duration; }
  }).observe({ type: 'longtask', buffered: true });
})();`;

interface Probe {
  work: number[];
  intervals: number[];
  longTasks: number;
  longTaskMs: number;
}

function stats(values: number[]): { count: number; avg: number; p95: number; max: number } {
  if (values.length === 0) return { count: 0, avg: 0, p95: 0, max: 0 };
  const sorted = [...values].sort((a, b) => a - b);
  const round = (n: number) => Math.round(n * 100) / 100;
  return { count: values.length, avg: round(values.reduce((a, b) => a + b, 0) / values.length), p95: round(sorted[Math.floor(sorted.length * 0.95)]), max: round(sorted[sorted.length - 1]) };
}

function streamingOutline(): WorkflowOutline {
  const lines = ['name: stream', 'model: { provider: mock, name: bench }', 'steps:', '  - id: fan', '    parallel:'];
  for (let i = 0; i < STEPS; i++) lines.push(`      - { id: s${i}, prompt: "branch ${i}" }`);
  const { workflow } = checkWorkflow(lines.join('\n'), 'stream.workflow.yaml');
  if (!workflow) throw new Error('bench workflow invalid');
  return outlineOf(workflow);
}

async function benchStreaming(seconds: number): Promise<Record<string, unknown>> {
  const outline = streamingOutline();
  const runId = 'bench-stream';
  const panel = await openPanelPage({ initScript: FRAME_PROBE, viewport: { width: 1200, height: 800 } });
  try {
    await panel.waitForSent((m): m is Extract<typeof m, { method: 'ready' }> => m.method === 'ready');
    let seq = 0;
    const event = (e: EventBody): RunEvent => ({ ...e, runId, seq: ++seq, time: Date.now() }) as RunEvent;
    const header: RunHeader = { runId, source: { kind: 'session', runId }, mode: 'run', live: true, canRerun: true, warnings: [] };
    const start: RunEvent[] = [
      event({ type: 'run.started', schemaVersion: 1, workflow: { name: 'stream', file: 'stream.workflow.yaml' }, inputs: {} }),
      event({ type: 'step.started', stepId: 'fan', visit: 1, kind: 'parallel', attempt: 1 }),
      ...Array.from({ length: STEPS }, (_, i) => event({ type: 'step.started', stepId: `s${i}`, visit: 1, kind: 'prompt', attempt: 1 })),
    ];
    await panel.post(notification('run/show', { header, outline, events: start }));
    await panel.frame.locator('li.step[data-step-id="s19"][data-status="running"]').waitFor();

    // What the webview receives, folded by the same reducer on this side: checks the batcher drops nothing.
    let mirror = runViewModelOf(outline, start);
    let posts = 0;
    let postedEvents = 0;
    const pending: Promise<void>[] = [];
    const batcher = new EventBatcher((events) => {
      posts++;
      postedEvents += events.length;
      mirror = applyEvents(mirror, events);
      pending.push(panel.post(notification('run/events', { runId, events })));
    });
    await panel.page.evaluate('window.__probe.work.length = 0; window.__probe.intervals.length = 0; window.__probe.last = 0; window.__probe.longTasks = 0; window.__probe.longTaskMs = 0;');

    const expected: string[] = Array.from({ length: STEPS }, () => '');
    const perStep = seconds * TOKENS_PER_SECOND;
    let emitted = 0;
    const started = performance.now();
    // Each step gets its token on its own clock, 10 ms apart, staggered as real streams are.
    await new Promise<void>((resolve) => {
      const counts = new Array<number>(STEPS).fill(0);
      let done = 0;
      for (let i = 0; i < STEPS; i++) {
        setTimeout(() => {
          const timer = setInterval(() => {
            const due = Math.min(perStep, Math.floor(((performance.now() - started) / 1000) * TOKENS_PER_SECOND));
            while (counts[i] < due) {
              const text = `t${counts[i]} `;
              expected[i] += text;
              batcher.push(event({ type: 'step.delta', stepId: `s${i}`, visit: 1, attempt: 1, text }));
              counts[i]++;
              emitted++;
            }
            if (counts[i] >= perStep) {
              clearInterval(timer);
              if (++done === STEPS) resolve();
            }
          }, 1000 / TOKENS_PER_SECOND);
        }, (i * 10) / STEPS);
      }
    });
    batcher.flushNow();
    const elapsedS = (performance.now() - started) / 1000;
    await Promise.all(pending);
    // Let the page apply the last batch.
    await panel.page.evaluate('new Promise((r) => requestAnimationFrame(() => requestAnimationFrame(r)))');
    const probe = (await panel.page.evaluate('window.__probe')) as Probe;

    const mirrorIntact = expected.every((text, i) => latestExecution(mirror.steps[`s${i}`])?.streamed === text);
    // On screen: each step's streamed text as the panel shows it when selected.
    let screenIntact = 0;
    for (let i = 0; i < STEPS; i++) {
      await panel.frame.locator(`li.step[data-step-id="s${i}"]`).click();
      const shown = await panel.frame.locator(`#output[data-step-id="s${i}"] pre.streamed`).textContent();
      if (shown === expected[i]) screenIntact++;
    }
    const work = stats(probe.work);
    const intervals = stats(probe.intervals);
    return {
      seconds: Math.round(elapsedS * 10) / 10,
      steps: STEPS,
      tokens_per_second_per_step: TOKENS_PER_SECOND,
      tokens_emitted: emitted,
      deltas_per_second_in: Math.round(emitted / elapsedS),
      posts: posts,
      posts_per_second: Math.round((posts / elapsedS) * 10) / 10,
      events_per_post: Math.round((postedEvents / Math.max(1, posts)) * 10) / 10,
      frame_work_ms: work,
      frame_interval_ms: intervals,
      long_tasks: probe.longTasks,
      long_task_ms: Math.round(probe.longTaskMs),
      tokens_intact_after_batching: mirrorIntact,
      steps_with_every_token_on_screen: `${screenIntact}/${STEPS}`,
      csp_violations: panel.cspViolations.length,
      page_errors: panel.errors.length,
    };
  } finally {
    await panel.close();
  }
}

function bigWorkflowYaml(steps: number): string {
  const lines = ['name: thousand', 'model: { provider: mock, name: bench }', 'steps:'];
  for (let i = 0; i < steps; i++) lines.push(`  - id: s${i}`, `    prompt: "step ${i}: summarise the previous result"`, `    mock: "Result of step ${i}: **fine**, with a list\\n\\n- one\\n- two"`);
  return lines.join('\n');
}

async function benchOpenTrace(steps: number): Promise<Record<string, unknown>> {
  const dir = mkdtempSync(path.join(os.tmpdir(), 'orchestrate-bench-panel-'));
  let panel: PanelPage | undefined = undefined as PanelPage | undefined;
  try {
    const file = path.join(dir, 'thousand.workflow.yaml');
    const yaml = bigWorkflowYaml(steps);
    writeFileSync(file, yaml);
    const { workflow } = checkWorkflow(yaml, file);
    if (!workflow) throw new Error('bench workflow invalid');
    const store = new TraceStore(path.join(dir, '.orchestrate'));
    const recorder = store.begin({ workflowFile: file, workflowName: workflow.name, workflowText: yaml });
    const result = await runWorkflow(workflow, { providers: createResolver({ mock: new MockProvider() }), runId: recorder.runId, onEvent: recorder.onEvent });
    await recorder.close();
    if (result.status !== 'succeeded') throw new Error(`bench run ${result.status}`);

    // The first open pays for cold code (JIT, first parse); the second is what a person sees after that.
    const open = async () => {
      panel = await openPanelPage({ initScript: FRAME_PROBE });
      await panel.waitForSent((m): m is Extract<typeof m, { method: 'ready' }> => m.method === 'ready');
      const started = performance.now();
      const run = await loadTraceRun(recorder.file);
      const params = traceShowParams(run);
      const hostMs = performance.now() - started;
      await panel.post(notification('run/show', params));
      const postedMs = performance.now() - started;
      await panel.frame.waitForFunction(`document.querySelectorAll('#step-list li.step').length === ${steps} && document.querySelector('#run-view')?.dataset.status === 'succeeded'`, undefined, { polling: 'raf', timeout: 30_000 });
      const shownMs = performance.now() - started;
      const probe = (await panel.page.evaluate('window.__probe')) as Probe;
      const errors = panel.errors.length;
      await panel.close();
      panel = undefined;
      return {
        events: run.trace.events.length,
        payload_mb: Math.round((JSON.stringify(params).length / 2 ** 20) * 100) / 100,
        host_read_parse_ms: Math.round(hostMs),
        post_ms: Math.round(postedMs - hostMs),
        first_frame_work_ms: Math.round(Math.max(0, ...probe.work)),
        until_panel_lists_every_step_ms: Math.round(shownMs),
        page_errors: errors,
      };
    };
    const cold = await open();
    const warm = await open();
    return { steps, goal_ms: 1000, cold, warm };
  } finally {
    await panel?.close();
    rmSync(dir, { recursive: true, force: true });
  }
}

export async function benchPanel(): Promise<Record<string, unknown>> {
  const quick = /^(1|true|yes)$/i.test(process.env.BENCH_QUICK ?? '');
  const streaming = await benchStreaming(quick ? 5 : 30);
  const openTrace = await benchOpenTrace(1000);
  return { quick, streaming_20_steps: streaming, open_1000_step_trace: openTrace };
}

// `node --import tsx bench/panel.ts` runs it alone.
if (require.main === module) {
  benchPanel().then(
    (results) => process.stdout.write(`${JSON.stringify(results, null, 2)}\n`),
    (error: unknown) => {
      process.stderr.write(`${error instanceof Error ? error.stack : String(error)}\n`);
      process.exitCode = 1;
    },
  );
}
