/**
 * Fuzzing expressions with hostile input: pathological regexes on long replies, deep
 * chains, prototype names, huge and odd numbers, and generated CEL. Each case runs in
 * a worker thread with a wall-clock budget; a case that overruns it is terminated and
 * reported as "case N hung: <expression>" — the suite fails, it does not time out.
 * The budget is a watchdog for hangs, not a measure of speed: every case needs
 * milliseconds, and the budget is generous so a slow machine does not flake.
 *
 * Seeded; for a longer hunt: FUZZ_RUNS=20 (a multiplier) and FUZZ_SEED=<n>.
 */
import assert from 'node:assert/strict';
import { after, describe, test } from 'node:test';
import { join } from 'node:path';
import { Worker } from 'node:worker_threads';
import fc from 'fast-check';
import { celExpression } from './arbitraries';
import type { FuzzCase, FuzzOutcome } from './expressions.fuzz.worker';

const SEED = Number(process.env.FUZZ_SEED ?? 0x5eed_ce1);
const SCALE = Math.max(1, Number(process.env.FUZZ_RUNS ?? 1));
const CASE_BUDGET_MS = 5_000;
const WORKER = join(__dirname, 'expressions.fuzz.worker.ts');

/** Words of cel-js or JavaScript that must never reach an author. */
const LIBRARY_TEXT = /no such overload|no matching overload|dyn<|Unsupported type|matchesRe2|No such key|call stack|Exceeded max|Invalid regular expression|Unexpected (token|character)|\[object |undefined|NaN(?! \)|\))/;

interface Verdict {
  index: number;
  fuzzCase: FuzzCase;
  outcome?: FuzzOutcome;
  hung?: boolean;
}

/**
 * Runs the cases one after another in a worker, restarting it after a hang. The
 * budget starts when a case is handed over; the worker is terminated when it passes.
 */
/** A worker kept between tests while it is healthy: starting one costs more than the cases it runs. */
let idle: Worker | undefined;

async function runCases(cases: FuzzCase[], budgetMs = CASE_BUDGET_MS): Promise<Verdict[]> {
  const verdicts: Verdict[] = [];
  let worker: Worker | undefined = idle;
  idle = undefined;
  try {
    for (const [index, fuzzCase] of cases.entries()) {
      worker ??= await startWorker();
      const current = worker;
      const verdict = await new Promise<Verdict>((resolve) => {
        const timer = setTimeout(() => {
          current.removeAllListeners('message').removeAllListeners('error').removeAllListeners('exit');
          void current.terminate();
          resolve({ index, fuzzCase, hung: true });
        }, budgetMs);
        const settle = (verdict: Verdict) => {
          clearTimeout(timer);
          current.removeAllListeners('message').removeAllListeners('error').removeAllListeners('exit');
          resolve(verdict);
        };
        current.once('message', (message: { id: number; outcome: FuzzOutcome }) => settle({ index, fuzzCase, outcome: message.outcome }));
        current.once('error', (error) => settle({ index, fuzzCase, outcome: { messages: [], crash: `the worker died: ${String(error)}` } }));
        current.once('exit', (code) => settle({ index, fuzzCase, outcome: { messages: [], crash: `the worker died: it exited with code ${code}` } }));
        current.postMessage({ id: index, fuzzCase });
      });
      if (verdict.hung || verdict.outcome?.crash?.startsWith('the worker died')) worker = undefined;
      verdicts.push(verdict);
      if (verdicts.filter((v) => v.hung || v.outcome?.crash?.startsWith('the worker died')).length >= 3) break;
    }
  } finally {
    idle = worker;
  }
  return verdicts;
}

/** A worker that has loaded the engine: the budget of a case must not pay for start-up. */
function startWorker(): Promise<Worker> {
  // tsx's CommonJS hook compiles the worker's TypeScript, as `--import tsx` does for the tests.
  const worker = new Worker(`require('tsx/cjs'); require(${JSON.stringify(WORKER)});`, { eval: true });
  return new Promise((resolve, reject) => {
    worker.once('message', () => {
      worker.removeAllListeners('error');
      resolve(worker);
    });
    worker.once('error', reject);
  });
}

function assertVerdicts(verdicts: Verdict[]): void {
  const failures: string[] = [];
  for (const { index, fuzzCase, outcome, hung } of verdicts) {
    const shown = fuzzCase.expression.length > 120 ? `${fuzzCase.expression.slice(0, 120)}…` : fuzzCase.expression;
    if (hung) failures.push(`case ${index} hung: ${shown}`);
    else if (outcome?.crash) failures.push(`case ${index} crashed: ${shown}\n  ${outcome.crash}`);
    else for (const message of outcome?.messages ?? []) if (LIBRARY_TEXT.test(message)) failures.push(`case ${index} leaked library text: ${shown}\n  ${message}`);
  }
  assert.deepEqual(failures, []);
}

const hostile = (expression: string, reply: unknown = null, inputs: Record<string, unknown> = { x: 2.5 }): FuzzCase => ({ expression, reply: JSON.stringify(reply), inputs: JSON.stringify(inputs) });
/** JSON.stringify recurses, so the deepest replies are written as text. */
const deepReply = (expression: string, open: string, inner: string, close: string, depth: number): FuzzCase => ({
  expression,
  reply: `${open.repeat(depth)}${inner}${close.repeat(depth)}`,
  inputs: '{}',
});

const LONG_A = `${'a'.repeat(100_000)}!`;
const PROTO_REPLY = JSON.parse('{"constructor": {"constructor": 1}, "__proto__": {"toString": "t"}, "valueOf": [1, {"hasOwnProperty": null}], "prototype": "p"}') as unknown;

const HOSTILE: FuzzCase[] = [
  // Patterns that backtrack exponentially in JavaScript, on a 100 kB reply.
  ...['^(a+)+$', '^(a|a?)+$', '^(a|aa)+$', '(a*)*b', '^(([a-z])+.)+[A-Z]([a-z])+$', '(x+x+)+y', '^(\\w+\\s?)*$'].map((p) => hostile(`output.matches('${p.replaceAll('\\', '\\\\')}')`, LONG_A)),
  hostile('matches(output, inputs.p)', LONG_A, { p: '^(a+)+$' }),
  hostile('output.matches(inputs.p)', 'aa', { p: '(a)\\1' }),
  hostile('output.matches(inputs.p)', 'aa', { p: '(?<=a)a' }),
  hostile("output.matches('a{1001}')", 'a'),
  hostile(`output.matches('${'(a|b)'.repeat(200)}')`, LONG_A),
  // Deep chains and nesting.
  ...[500, 2000, 20000].map((n) => hostile(Array(n).fill('inputs.x').join(' + '))),
  ...[2000, 20000].map((n) => hostile(Array(n).fill('output').join(' || '), true)),
  ...[2000, 50000].map((n) => hostile(`${'!'.repeat(n)}true`)),
  hostile(`${'-'.repeat(50000)}1`),
  hostile(`${'('.repeat(5000)}1${')'.repeat(5000)}`),
  hostile(`${'['.repeat(5000)}${']'.repeat(5000)}`),
  hostile(`output${'.a'.repeat(3000)}`),
  deepReply('output == output', '[', '', ']', 50_000),
  deepReply('size(output)', '{"a":', '1', '}', 20_000),
  deepReply('output', '[', '', ']', 100_000),
  // Prototype names in replies and inputs.
  ...['constructor', 'toString', 'valueOf', '__proto__', 'hasOwnProperty', 'prototype'].flatMap((name) => [
    hostile(`output['${name}']`, PROTO_REPLY),
    hostile(`has(output.${name})`, PROTO_REPLY),
    hostile(`inputs['${name}']`, null, { [name]: 'v' }),
    hostile(`output.map(k, k)`, PROTO_REPLY),
  ]),
  hostile('output.constructor.constructor + 1', PROTO_REPLY),
  hostile('output == output', PROTO_REPLY),
  hostile("{'constructor': 1, '__proto__': 2}"),
  // Numbers.
  ...[2 ** 53 + 2, 2 ** 64, -0, 1e308, 5e-324, -1e308, 0.1].flatMap((x) => [
    hostile('inputs.x * 2', null, { x }),
    hostile('inputs.x / 0', null, { x }),
    hostile('inputs.x % 0', null, { x }),
    hostile('int(inputs.x)', null, { x }),
    hostile('uint(inputs.x)', null, { x }),
    hostile("string(inputs.x) + ''", null, { x }),
  ]),
  hostile('0.0 / 0.0'),
  hostile('[0.0 / 0.0]'),
  hostile("{'a': 1.0 / 0.0}"),
  hostile('9223372036854775807 + 1'),
  hostile('-9223372036854775808 - 1'),
  hostile('18446744073709551615u + 1u'),
  hostile('99999999999999999999999'),
  hostile("duration('100000000000h')"),
  hostile("timestamp('9999-12-31T23:59:59Z') + duration('1s')"),
];

describe('expressions under hostile input (each case in a worker with a budget)', () => {
  after(() => idle?.terminate());

  test('the harness turns a hang into a failure naming the case', async () => {
    const hang: FuzzCase = { ...hostile('output.matches("^(a+)+$") with backtracking'), backtrack: { pattern: '^(a+)+$', text: `${'a'.repeat(60)}!` } };
    const verdicts = await runCases([hang], 300);
    assert.throws(() => assertVerdicts(verdicts), /case 0 hung: output\.matches/);
  });

  test('hostile cases finish, without crashes or library text', async () => {
    assertVerdicts(await runCases(HOSTILE));
  });

  test('generated expressions over hostile replies finish, without crashes or library text', async () => {
    const replies = fc.oneof(fc.constant(PROTO_REPLY), fc.constant(LONG_A.slice(0, 2_000)), fc.jsonValue({ maxDepth: 3 }), fc.double().map((n) => (Number.isFinite(n) ? n : 0)));
    const cases = fc.sample(fc.tuple(celExpression, replies), { seed: SEED, numRuns: Math.round(150 * SCALE) }).map(([expression, reply]) => hostile(expression, reply, { topic: 'rockets', rounds: 2.5, __proto__x: 1 }));
    assertVerdicts(await runCases(cases));
  });
});
