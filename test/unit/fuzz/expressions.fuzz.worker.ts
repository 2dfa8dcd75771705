/**
 * The worker of expressions.fuzz.test.ts: runs one case at a time through the engine
 * (analysis, evaluation, a run) and reports what happened. It lives in its own thread
 * so the test can terminate it when a case overruns its budget: a hang becomes a
 * failure naming the case instead of a suite that never ends.
 */
import { parentPort } from 'node:worker_threads';
import { checkWorkflow, runWorkflow } from '../../../src/engine';
import { celMap, evaluate, ExpressionError, toCel } from '../../../src/engine/expressions';
import { createResolver } from '../../../src/engine/providers';

export interface FuzzCase {
  expression: string;
  /** JSON text, parsed here so own `__proto__` keys survive the trip between threads. */
  reply: string;
  inputs: string;
  /** Only for the harness's own test: run JavaScript's backtracking RegExp instead of the engine. */
  backtrack?: { pattern: string; text: string };
}

export interface FuzzOutcome {
  /** Messages the engine produced: analysis problems and evaluation errors. */
  messages: string[];
  /** A throw that was not an ExpressionError, or a run that ended in an unexpected way. */
  crash?: string;
}

function runCase(fuzzCase: FuzzCase): Promise<FuzzOutcome> | FuzzOutcome {
  if (fuzzCase.backtrack) {
    new RegExp(fuzzCase.backtrack.pattern).test(fuzzCase.backtrack.text);
    return { messages: [] };
  }
  const messages: string[] = [];
  const reply = JSON.parse(fuzzCase.reply) as unknown;
  const inputs = JSON.parse(fuzzCase.inputs) as Record<string, unknown>;
  const range = { start: { line: 1, column: 1 }, end: { line: 1, column: 1 }, offset: 0, endOffset: 0 };
  try {
    evaluate({ source: fuzzCase.expression, range }, { inputs: toCel(inputs), output: toCel(reply), item: toCel(reply), index: 0n, steps: celMap(), workflow: toCel({ name: 'fuzz', file: 'fuzz.workflow.yaml' }), run: toCel({ id: 'r' }) });
  } catch (error) {
    if (!(error instanceof ExpressionError)) return { messages, crash: `evaluate threw ${error instanceof Error ? `${error.name}: ${error.message}` : String(error)}` };
    messages.push(error.message);
  }
  const yaml = [
    'name: fuzz',
    'inputs:',
    ...Object.keys(inputs).map((name) => `  ${name}: { required: false }`),
    'steps:',
    `  - id: use`,
    `    set: ${JSON.stringify(`{{ ${fuzzCase.expression} }}`)}`,
    '',
  ].join('\n');
  const { workflow, problems } = checkWorkflow(yaml, 'fuzz.workflow.yaml');
  messages.push(...problems.map((p) => p.message));
  if (!workflow || problems.some((p) => p.severity === 'error')) return { messages };
  return runWorkflow(workflow, { providers: createResolver({}), inputs }).then(
    (result) => {
      if (result.error) messages.push(result.error.message);
      return result.status === 'succeeded' || result.status === 'failed' ? { messages } : { messages, crash: `the run ended ${result.status}` };
    },
    (error: unknown) => ({ messages, crash: `runWorkflow threw ${String(error)}` }),
  );
}

parentPort?.on('message', (message: { id: number; fuzzCase: FuzzCase }) => {
  void Promise.resolve()
    .then(() => runCase(message.fuzzCase))
    .catch((error: unknown) => ({ messages: [], crash: `the case threw ${error instanceof Error ? (error.stack ?? error.message) : String(error)}` }))
    .then((outcome) => parentPort?.postMessage({ id: message.id, outcome }));
});
parentPort?.postMessage({ ready: true });
