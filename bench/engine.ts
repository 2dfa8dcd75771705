/**
 * Engine overhead, measured with a zero-latency mock so that only the engine's own
 * work is timed: templating, expression evaluation, events, bookkeeping.
 */
import { checkWorkflow, runWorkflow, type RunEvent, type Workflow } from '../src/engine';
import { createResolver } from '../src/engine/providers';
import { MockProvider } from '../src/engine/providers/mock';

function chainYaml(steps: number): string {
  const lines = ['name: chain', 'model: { provider: mock, name: bench }', 'steps:', '  - id: s0', '    prompt: start'];
  for (let i = 1; i < steps; i++) lines.push(`  - id: s${i}`, `    prompt: "continue from {{ steps.s${i - 1}.output }}"`, `    mock: "reply ${i}"`);
  return lines.join('\n');
}

function fanOutYaml(branches: number): string {
  const lines = ['name: fanout', 'model: { provider: mock, name: bench }', 'steps:', '  - id: fan', '    parallel:'];
  for (let i = 0; i < branches; i++) lines.push(`      - { id: b${i}, prompt: "branch ${i}", mock: ok }`);
  return lines.join('\n');
}

function mapYaml(items: number): string {
  return [
    'name: map',
    'model: { provider: mock, name: bench }',
    'steps:',
    `  - { id: items, set: "{{ [${Array.from({ length: items }, (_, i) => i).join(',')}] }}" }`,
    `  - { id: each, for_each: steps.items.output, concurrency: ${items}, prompt: "item {{ item }}", mock: ok }`,
  ].join('\n');
}

function loopYaml(transitions: number): string {
  // Two steps per round; max_visits generous enough for the whole loop.
  const rounds = transitions / 2;
  return `name: loop
model: { provider: mock, name: bench }
steps:
  - id: write
    prompt: "draft after {{ steps.review.status }}"
    mock: draft
    max_visits: ${rounds + 1}
  - id: review
    prompt: "review {{ steps.write.output }}"
    mock: "{{ steps.review.attempts >= 0 && steps.write.status == 'succeeded' ? 'again' : 'again' }}"
    max_visits: ${rounds + 1}
    next: write
    if: 'steps.review.status != "succeeded" || run.id != ""'
  - { id: never, set: x }
`;
}

function load(yaml: string): { workflow: Workflow; loadMs: number } {
  const started = performance.now();
  const { workflow, problems } = checkWorkflow(yaml, 'bench.workflow.yaml');
  const loadMs = performance.now() - started;
  const errors = problems.filter((p) => p.severity === 'error');
  if (!workflow || errors.length > 0) throw new Error(`bench workflow invalid: ${errors[0]?.message}`);
  return { workflow, loadMs };
}

/**
 * The median of five timed runs after five untimed ones: what a long-lived process
 * (the editor, a CI job running many workflows) sees once the JIT has warmed up.
 */
async function timeRun(workflow: Workflow, delayMs: number): Promise<{ wallMs: number; events: number; steps: number }> {
  for (let i = 0; i < 5; i++) await timeOnce(workflow, delayMs);
  const runs = [];
  for (let i = 0; i < 5; i++) runs.push(await timeOnce(workflow, delayMs));
  return runs.sort((a, b) => a.wallMs - b.wallMs)[2];
}

async function timeOnce(workflow: Workflow, delayMs: number): Promise<{ wallMs: number; events: number; steps: number }> {
  const trace: RunEvent[] = [];
  const providers = createResolver({}, { mock: { delayMs } });
  const started = performance.now();
  const result = await runWorkflow(workflow, { providers, onEvent: (event) => trace.push(event) });
  const wallMs = performance.now() - started;
  if (result.status !== 'succeeded' && !(result.status === 'failed' && result.error?.code === 'max-visits')) {
    throw new Error(`bench run ${result.status}: ${result.error?.message}`);
  }
  return { wallMs, events: trace.length, steps: trace.filter((e) => e.type === 'step.completed').length };
}

/** A bare `await` loop over the same fake model: the floor any engine pays. */
async function bareLoop(steps: number): Promise<number> {
  const mock = new MockProvider();
  const signal = new AbortController().signal;
  let previous = 'start';
  const started = performance.now();
  for (let i = 0; i < steps; i++) {
    const reply = await mock.complete({ provider: 'mock', model: 'bench', messages: [{ role: 'user', content: `continue from ${previous}` }], params: {}, signal, stepId: `s${i}`, attempt: 1, mock: `reply ${i}` });
    previous = reply.text;
  }
  return ((performance.now() - started) * 1000) / steps;
}

export async function benchEngine(): Promise<Record<string, unknown>> {
  const results: Record<string, unknown> = {};
  const peak = { rss: 0, heap: 0 };
  const sampler = setInterval(() => {
    const m = process.memoryUsage();
    peak.rss = Math.max(peak.rss, m.rss);
    peak.heap = Math.max(peak.heap, m.heapUsed);
  }, 5);

  for (const steps of [1_000, 10_000]) {
    const { workflow, loadMs } = load(chainYaml(steps));
    const run = await timeRun(workflow, 0);
    results[`chain_${steps}`] = {
      steps,
      load_and_analyze_ms: round(loadMs),
      wall_ms: round(run.wallMs),
      us_per_step: round((run.wallMs * 1000) / steps),
      events: run.events,
      bare_await_loop_us_per_step: round(await bareLoop(steps)),
    };
  }
  const memory = process.memoryUsage();
  results.memory_after_10000_steps_mb = { rss: round(memory.rss / 2 ** 20), heap_used: round(memory.heapUsed / 2 ** 20) };

  for (const [name, yaml] of [
    ['fanout_parallel_1000', fanOutYaml(1000)],
    ['fanout_for_each_1000', mapYaml(1000)],
  ] as const) {
    const { workflow } = load(yaml);
    const run = await timeRun(workflow, 50);
    results[name] = { branches: 1000, model_latency_ms: 50, wall_ms: round(run.wallMs), efficiency: round(50 / run.wallMs, 3) };
  }

  {
    const transitions = 1000;
    const { workflow } = load(loopYaml(transitions));
    const run = await timeRun(workflow, 0);
    results.review_loop_1000 = { transitions: run.steps, wall_ms: round(run.wallMs), us_per_transition: round((run.wallMs * 1000) / run.steps) };
  }

  clearInterval(sampler);
  results.peak_memory_mb = { rss: round(peak.rss / 2 ** 20), heap_used: round(peak.heap / 2 ** 20) };
  return results;
}

function round(value: number, digits = 1): number {
  const f = 10 ** digits;
  return Math.round(value * f) / f;
}
